"""Persistence plumbing: engines, portable column types, metadata and migrations."""
