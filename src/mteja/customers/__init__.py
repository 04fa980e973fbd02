"""Customers: who a merchant bills."""
