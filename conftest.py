"""Root conftest: nameko and psycopg2 need eventlet's monkey patch before anything else is imported
(design.md §7: plain pytest without it hangs)."""
import eventlet

eventlet.monkey_patch()

from psycogreen.eventlet import patch_psycopg  # noqa: E402

patch_psycopg()
