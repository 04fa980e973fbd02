"""Leaf utilities shared by every domain: errors, ids, time, paging, base schemas."""
