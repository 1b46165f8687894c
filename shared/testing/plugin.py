"""pytest plugin shared by every test tier: markers, per-run PostgreSQL databases, the local S3 server.

Loaded with ``-p shared.testing.plugin`` (pyproject.toml). Each fixture that creates a resource removes it
afterwards (design.md §7: each test run uses its own vhost, database and bucket)."""
