"""Fixtures the workflow modules share: each module's services on the run's vhost, a database of their own and a
free web port."""
import pytest
from nameko.testing.utils import find_free_port


@pytest.fixture(scope="module")
def service_config(run_vhost, run_database):
    """``service_config(name, **more)``: the settings of service ``name`` for this module, the sample provider's
    (``provider-test``), with ``more``."""

    def config(name: str, **more) -> dict:
        return {**run_vhost, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", "DB_URL": run_database(name),
                "PROVIDER_ID": "provider-test", **more}

    return config
