"""Events: every change, recorded in the transaction that makes it (a transactional outbox)."""
