"""Businesses (B2B): the companies a customer buys for."""
