"""Fixtures the workflow modules share: each module's services on the run's vhost, a database of their own and a
free web port; the sandbox registry."""
import threading

import pytest
from nameko.testing.utils import find_free_port

from shared.testing.registry import SAMPLE_OWNERS, serve


@pytest.fixture(scope="module")
def service_config(run_vhost, run_database):
    """``service_config(name, **more)``: the settings of service ``name`` for this module, the sample provider's
    (``provider-test``), with ``more``."""

    def config(name: str, **more) -> dict:
        return {**run_vhost, "WEB_SERVER_ADDRESS": f"127.0.0.1:{find_free_port()}", "DB_URL": run_database(name),
                "PROVIDER_ID": "provider-test", **more}

    return config


@pytest.fixture(scope="module")
def registry():
    """The sandbox registry's RDAP in this process: ``example.com.cn`` belongs to the sample unit sponsor."""
    server = serve(find_free_port(), SAMPLE_OWNERS)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
