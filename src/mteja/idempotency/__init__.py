"""Idempotency keys: a POST retried with the same key has its effect once."""
