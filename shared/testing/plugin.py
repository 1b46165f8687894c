"""pytest plugin shared by every test tier: markers, per-run PostgreSQL databases, the local S3 server.

Loaded with ``-p shared.testing.plugin`` (pyproject.toml). Each fixture that creates a resource removes it
afterwards (design.md §7: each test run uses its own vhost, database and bucket).

nameko needs eventlet's monkey patch before anything else is imported (design.md §7: plain pytest without it
hangs); this plugin is the first project code pytest loads, so it patches here. The patch also makes psycopg2
cooperative, as ``nameko run`` does for the services.
"""
import eventlet

eventlet.monkey_patch()

from functools import partialmethod  # noqa: E402

from kombu.mixins import ConsumerMixin  # noqa: E402
from nameko.messaging import QueueConsumer  # noqa: E402

from shared.testing.clock import clock  # noqa: E402, F401
from shared.testing.containers import (  # noqa: E402, F401  fixtures
    RUN_COUNTS,
    clean_slate,
    module_container,
    module_web_config,
    run_database,
    run_vhost,
)
from shared.testing.databases import database_factory  # noqa: E402, F401
from shared.testing.s3 import *  # noqa: E402, F403  fixtures

# A stopping container's consumer notices its cancelled consumers only when ``drain_events`` returns, after at
# most kombu's 1 s safety interval per round: 3 s per container stop, ~5 min of the suite. Tests poll faster;
# the services keep kombu's interval.
QueueConsumer.run = partialmethod(ConsumerMixin.run, safety_interval=0.1)


def pytest_terminal_summary(terminalreporter):
    """Issue 18: what the run cost the broker, printed at its end."""
    terminalreporter.write_line(
        f"service containers started: {RUN_COUNTS['container_starts']}; "
        f"RabbitMQ vhosts created: {RUN_COUNTS['vhosts_created']}")
