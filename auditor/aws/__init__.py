"""AWS sessions, role assumption, call accounting and the read-only allow-list."""
