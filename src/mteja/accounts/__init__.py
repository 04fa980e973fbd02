"""Accounts (merchants) and their secret API keys."""
