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


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def flag(name: str, value, error: type[Exception] = ValueError) -> bool:
    """A true/false setting. Anything else raises ``error``: a typo in a switch must not silently pick a side."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise error(f"{name} must be true or false")
