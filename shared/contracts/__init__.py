"""Event and RPC contracts, one module per producing service; importing the package fills ``EVENTS``."""

from shared.contracts import audit, bureau, intake, notify, precheck, verification  # noqa: F401
from shared.contracts.registry import EVENTS  # noqa: F401
