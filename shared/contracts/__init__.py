"""Event and RPC contracts, one module per producing service; importing the package fills ``EVENTS``."""

from shared.contracts import bureau, intake, notify, precheck  # noqa: F401
from shared.contracts.registry import EVENTS  # noqa: F401
