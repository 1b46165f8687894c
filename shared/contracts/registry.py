"""One registry of every event type, its schema, its producer and a sample (design.md §3).

The dispatcher validates outgoing envelopes here and refuses invalid ones, because marshmallow's
``dump`` does not validate: that is the one full check an event gets. Readers load with ``unknown=EXCLUDE`` so
that added fields never break them, in one pass (the load itself refuses what it cannot read). Schema instances
are built once per type and reused (building one costs more than a check).
"""

from collections.abc import Callable
from dataclasses import dataclass

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError

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
        self._schemas: dict[tuple[str, str], Schema] = {}

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
        contract = self._contract(envelope)
        data = envelope.get("data")
        errors = self._schema(contract, RAISE).validate(data) if isinstance(data, dict) else _NOT_AN_OBJECT
        if errors:
            raise InvalidEvent(contract.type, {"data": errors})

    def load(self, envelope: dict) -> dict:
        """Tolerant read for consumers: returns the loaded ``data`` (unknown fields dropped); InvalidEvent for an
        envelope it cannot read."""
        contract = self._contract(envelope)
        data = envelope.get("data")
        if not isinstance(data, dict):
            raise InvalidEvent(contract.type, {"data": _NOT_AN_OBJECT})
        try:
            return self._schema(contract, EXCLUDE).load(data)
        except ValidationError as exc:
            raise InvalidEvent(contract.type, {"data": exc.messages}) from None

    def validate_outgoing_many(self, envelopes: list[dict]) -> None:
        """``validate_outgoing`` for a bulk job's envelopes (W6's stock import)."""
        for envelope in envelopes:
            self.validate_outgoing(envelope)

    def _schema(self, contract: EventContract, unknown: str) -> Schema:
        key = (contract.type, unknown)
        schema = self._schemas.get(key)
        if schema is None:
            schema = self._schemas[key] = contract.schema(unknown=unknown)
        return schema

    def _contract(self, envelope: dict) -> EventContract:
        """The envelope's contract, once its ``meta`` is checked (type registered, schema version, producer)."""
        meta = envelope.get("meta") if isinstance(envelope, dict) else None
        event_type = meta.get("type", "?") if isinstance(meta, dict) else "?"
        if not isinstance(meta, dict):
            raise InvalidEvent(event_type, {"meta": ["missing or not an object"]})
        errors = _META.validate(meta)
        if errors:
            raise InvalidEvent(event_type, {"meta": errors})
        contract = self.get(event_type)
        if meta["schema_version"] != schema_version_of(event_type):
            raise InvalidEvent(event_type, {"meta": {"schema_version": [f"must be {schema_version_of(event_type)}"]}})
        if meta["source"] != contract.producer:
            raise InvalidEvent(event_type, {"meta": {"source": [f"must be {contract.producer}"]}})
        return contract


_META = MetaSchema()
_NOT_AN_OBJECT = {"data": ["missing or not an object"]}

EVENTS = EventRegistry()
