"""pytest plugin shared by every test tier: markers, per-run PostgreSQL databases, the local S3 server.

Loaded with ``-p shared.testing.plugin`` (pyproject.toml). Each fixture that creates a resource removes it
afterwards (design.md §7: each test run uses its own vhost, database and bucket).

nameko needs eventlet's monkey patch before anything else is imported (design.md §7: plain pytest without it
hangs); this plugin is the first project code pytest loads, so it patches here. The patch also makes psycopg2
cooperative, as ``nameko run`` does for the services.
"""
import eventlet

eventlet.monkey_patch()

from shared.testing.databases import database_factory  # noqa: E402, F401
from shared.testing.s3 import *  # noqa: E402, F403  fixtures
