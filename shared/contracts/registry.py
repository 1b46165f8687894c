"""One registry of every event type, its schema, its producer and a sample (design.md §3).

The dispatcher validates outgoing envelopes here and refuses invalid ones, because marshmallow's
``dump`` does not validate. Readers load with ``unknown=EXCLUDE`` so that added fields never break them.
"""

from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import EXCLUDE, RAISE, Schema

from shared.contracts.envelope import MetaSchema, make_envelope, schema_version_of


class InvalidEvent(ValueError):
    """An envelope that does not match its registered contract; ``errors`` is marshmallow's error dict."""

    def __init__(self, event_type: str, errors: dict):
        super().__init__(f"invalid {event_type} envelope: {errors}")
        self.event_type = event_type
        self.errors = errors


@dataclass(frozen=True)
class Route:
    """An event addressed to one of several deployments of a consumer (a province's bureau, R2.1): it is published
    with routing key ``{type}.{key(data[field])}``; a consumer bound to one key receives only those, a consumer
    of all binds ``{type}.*``. ``key`` also maps the consumer's configured value (``BUREAU_PROVINCE=京``) to the
    same key, and must give AMQP-word-safe ASCII."""

    field: str
    key: Callable[[str], str]


@dataclass(frozen=True)
class EventContract:
    type: str
    producer: str
    schema: type[Schema]
    sample: dict
    description: str
    route: Route | None = None

    def sample_envelope(self, correlation_id: str = "sample-filing") -> dict:
        return make_envelope(self.type, self.producer, self.sample, correlation_id)


class EventRegistry:
    def __init__(self) -> None:
        self._contracts: dict[str, EventContract] = {}

    def register(self, contract: EventContract) -> EventContract:
        if contract.type in self._contracts:
            raise ValueError(f"event type {contract.type} registered twice")
        self._contracts[contract.type] = contract
        return contract

    def __iter__(self):
        return iter(sorted(self._contracts.values(), key=lambda c: c.type))

    def is_registered(self, event_type: str) -> bool:
        return event_type in self._contracts

    def get(self, event_type: str) -> EventContract:
        try:
            return self._contracts[event_type]
        except KeyError:
            raise InvalidEvent(event_type, {"meta": {"type": ["event type is not registered"]}}) from None

    def routing_key(self, envelope: dict) -> str:
        """Where the envelope is published: its type, plus the route key for routed contracts."""
        contract = self.get(envelope["meta"]["type"])
        if contract.route is None:
            return contract.type
        return f"{contract.type}.{contract.route.key(envelope['data'][contract.route.field])}"

    def validate_outgoing(self, envelope: dict) -> None:
        """Strict check for producers: unknown top-level data fields are errors here."""
        self._validate(envelope, unknown=RAISE)

    def load(self, envelope: dict) -> dict:
        """Tolerant read for consumers: returns the loaded ``data`` (unknown fields dropped)."""
        return self._validate(envelope, unknown=EXCLUDE)

    def validate_outgoing_many(self, envelopes: list[dict]) -> None:
        """``validate_outgoing`` for a bulk job's envelopes (W6's stock import): the same checks, with one schema
        instance per type and no load, because building a marshmallow schema costs more than validating."""
        schemas: dict[str, Schema] = {}
        for envelope in envelopes:
            self._validate(envelope, unknown=RAISE, schemas=schemas)

    def _validate(self, envelope: dict, *, unknown: str, schemas: dict | None = None) -> dict | None:
        meta = envelope.get("meta") if isinstance(envelope, dict) else None
        event_type = meta.get("type", "?") if isinstance(meta, dict) else "?"
        if not isinstance(meta, dict):
            raise InvalidEvent(event_type, {"meta": ["missing or not an object"]})
        errors = MetaSchema().validate(meta)
        if errors:
            raise InvalidEvent(event_type, {"meta": errors})
        contract = self.get(event_type)
        if meta["schema_version"] != schema_version_of(event_type):
            raise InvalidEvent(event_type, {"meta": {"schema_version": [f"must be {schema_version_of(event_type)}"]}})
        if meta["source"] != contract.producer:
            raise InvalidEvent(event_type, {"meta": {"source": [f"must be {contract.producer}"]}})
        data = envelope.get("data")
        schema = contract.schema(unknown=unknown) if schemas is None else (
            schemas.get(event_type) or schemas.setdefault(event_type, contract.schema(unknown=unknown)))
        errors = schema.validate(data) if isinstance(data, dict) else {"data": ["missing or not an object"]}
        if errors:
            raise InvalidEvent(event_type, {"data": errors})
        return schema.load(data) if schemas is None else None


EVENTS = EventRegistry()
