"""Billing addresses (B2C): many per customer, at most one the default."""
