"""Reading settings from a container's config (design.md §5: read in ``setup()``, fail at start-up)."""

from collections.abc import Mapping


class MissingSetting(RuntimeError):
    def __init__(self, key: str, purpose: str):
        super().__init__(f"required setting {key} is not configured ({purpose})")
        self.key = key


def require(config: Mapping, key: str, purpose: str) -> str:
    value = config.get(key)
    if value in (None, ""):
        raise MissingSetting(key, purpose)
    return value
