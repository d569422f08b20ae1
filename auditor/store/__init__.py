"""The run history in SQLite or PostgreSQL."""
