"""The merchant dashboard: server-rendered pages on the domain services, at ``/dashboard``."""
