"""Collectors: read-only AWS calls into snapshots, one unit per (account, region)."""
