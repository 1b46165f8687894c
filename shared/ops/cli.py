"""``icp-ops``: the queues as the ops team sees them, through the RabbitMQ management API (design.md §4).

::

    icp-ops declare [SERVICE ...]                 event topology of the services (default: $TOPOLOGY_SERVICES)
    icp-ops status [--max-ready N] [--max-unacked N] [--max-dead-letters N] [--max-unroutable N]
                   [--allow-no-consumer]          every queue: ready, unacked, consumers, rates, dead letters
    icp-ops dead-letters list [QUEUE]             dead-letter queues and their counts, or one queue's messages
    icp-ops dead-letters inspect QUEUE [--event-id ID]   messages in full, personal data masked
    icp-ops dead-letters replay QUEUE [--max N]   back to the one handler queue they came from
    icp-ops dead-letters discard QUEUE (--event-id ID | --all)
    icp-ops unroutable [--republish]              handler queues without a consumer, messages routed nowhere
    icp-ops calendar load NOTICE.json [...] [--service URL ...]
                                                  each year's State Council holiday schedule into every service
                                                  that counts working days (default: $CALENDAR_SERVICES)
    icp-ops inventory load PROVIDER SITES.csv [--service URL]
                                                  a provider's hosted sites (CSV with a domain column) into audit,
                                                  replacing its last inventory (P10; default: $AUDIT_URL)
    icp-ops archive export SPONSOR_REF [--output FILE] [--service URL]
                                                  a sponsor's file as a ZIP for an inspection (W4; default:
                                                  $VERIFICATION_URL; FILE default archive-<ref>.zip, - for stdout)

Exit status: 0 all well; 2 a threshold is breached (``status``) or something needs a person (``unroutable``),
for cron and alerting; 1 the command failed (broker unreachable, unknown queue, a service refused the schedule).

Connection settings: ``--api`` / ``RABBITMQ_MANAGEMENT_URI`` (``http://user:password@host:15672``), ``--amqp`` /
``AMQP_URI`` (replay, discard of one message, declare), ``--vhost`` / ``RABBITMQ_VHOST`` (default: the virtual host
of the AMQP URI). Output is text, or JSON with ``--json``. Message contents are shown only masked
(:func:`shared.ops.management.describe_message`).

``calendar load`` posts each notice's JSON object (``shared.kernel.workdays.parse_schedule``) to ``POST
/calendar/years`` of each service URL (precheck, P2; verification, X4; the bureau, P8) with an ops token
(``--token`` / ``ICP_OPS_TOKEN``) and an ``Idempotency-Key`` derived from the file, so running it again changes
nothing; each service recomputes its open deadlines that counted days of that year by the provisional rule.

``inventory load`` and ``archive export`` are the audit and verification routes ``PUT
/providers/{provider}/inventory`` and ``GET /archive/{sponsor_ref}/export`` from the command line, with the bearer
token of ``--token`` / ``ICP_OPS_TOKEN``, which must carry a role the route allows: an auditor's for the inventory,
a supervisor's, reviewer's or auditor's for the export (the export is recorded under that token's subject, W4).
The inventory is sent with an ``Idempotency-Key`` derived from the provider and the file, so running it again
changes nothing; a refused request is reported with its field errors (exit 1).
"""
from __future__ import annotations

import argparse
import hashlib
import importlib
import json
import os
import sys
import warnings
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

# nameko imports eventlet, which warns on import; an ops command's stderr is for its own errors (design.md §8).
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import requests  # noqa: E402
import yaml  # noqa: E402
from amqp.exceptions import AMQPError  # noqa: E402
from kombu import Connection, Queue  # noqa: E402
from nameko.events import EventHandlerConfigurationError  # noqa: E402

from shared.ops.management import (  # noqa: E402
    UNROUTABLE_QUEUE,
    ManagementApi,
    Thresholds,
    describe_message,
    evaluate,
)
from shared.platform.events import declare_topology, is_dead_letter_queue, replay_dead_letters  # noqa: E402

OK, BREACHED, FAILED = 0, 2, 1
DEFAULT_API = "http://guest:guest@127.0.0.1:15672"
DEFAULT_AMQP = "pyamqp://guest:guest@127.0.0.1:5672/"
PEEK_LIMIT = 100


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (requests.RequestException, OSError, AMQPError, EventHandlerConfigurationError, LookupError,
            ValueError) as exc:
        print(f"icp-ops: {type(exc).__name__}: {exc}", file=sys.stderr)
        return FAILED


# --- commands ----------------------------------------------------------------------------------------------------


def declare(args) -> int:
    """Each service's handler queues, bindings, dead-letter exchange and queues (idempotent), and, when the
    management API is configured, the capture of unroutable messages."""
    names = args.services or os.environ.get("TOPOLOGY_SERVICES", "").split()
    if not names:
        raise ValueError("name the services to declare (arguments or TOPOLOGY_SERVICES)")
    for name in names:
        config = _service_config(Path(args.config_dir) / name / "config.yaml")
        config["AMQP_URI"] = args.amqp
        service_cls = getattr(importlib.import_module(f"{name}.service"), f"{name.capitalize()}Service")
        queues = declare_topology(args.amqp, service_cls, config)
        _say(args, {"service": name, "queues": queues}, f"{name}: {len(queues)} event queues declared")
    if args.api or os.environ.get("RABBITMQ_MANAGEMENT_URI"):
        _api(args).ensure_unroutable_capture()
        _say(args, {"unroutable_capture": UNROUTABLE_QUEUE}, f"unroutable messages are kept in {UNROUTABLE_QUEUE}")
    return OK


def status(args) -> int:
    states = _api(args).queues()
    thresholds = Thresholds(
        max_ready=args.max_ready, max_unacked=args.max_unacked, max_dead_letters=args.max_dead_letters,
        max_unroutable=args.max_unroutable, require_consumers=not args.allow_no_consumer,
    )
    breaches = evaluate(states, thresholds)
    if args.json:
        print(json.dumps({"queues": [s.as_dict() for s in states], "breaches": [str(b) for b in breaches]}))
    else:
        print(f"{'queue':<72} {'ready':>7} {'unacked':>7} {'cons':>4} {'in/s':>6} {'out/s':>6} {'dead':>5}")
        for s in states:
            print(f"{s.name:<72} {s.ready:>7} {s.unacked:>7} {s.consumers:>4} {s.publish_rate:>6.1f} "
                  f"{s.deliver_rate:>6.1f} {s.dead_letters:>5}")
        for breach in breaches:
            print(f"BREACH {breach}")
    return BREACHED if breaches else OK


def dead_letters_list(args) -> int:
    api = _api(args)
    if args.queue:
        _require_dead_letter_queue(args.queue)
        described = [describe_message(m, args.queue) for m in api.peek(args.queue, args.limit)]
        keys = ("event_id", "event_type", "source", "occurred_at", "death_reason")
        rows = [{key: item[key] for key in keys} for item in described]
        _say(args, rows, "\n".join(" ".join(str(row[key]) for key in keys) for row in rows) or "(empty)")
        return OK
    rows = [{"queue": s.name, "messages": s.ready + s.unacked} for s in api.queues() if s.kind == "dead_letters"]
    _say(args, rows, "\n".join(f"{row['queue']} {row['messages']}" for row in rows) or "(no dead-letter queues)")
    return OK


def dead_letters_inspect(args) -> int:
    _require_dead_letter_queue(args.queue)
    described = [describe_message(m, args.queue) for m in _api(args).peek(args.queue, args.limit)]
    if args.event_id:
        described = [item for item in described if item["event_id"] == args.event_id]
        if not described:
            raise LookupError(f"no message with event id {args.event_id} in {args.queue}")
    print(json.dumps(described, indent=None if args.json else 2, ensure_ascii=False, default=str))
    return OK


def dead_letters_replay(args) -> int:
    _require_dead_letter_queue(args.queue)
    replayed = replay_dead_letters(args.amqp, args.queue, max_messages=args.max)
    _say(args, {"queue": args.queue, "replayed": replayed}, f"{replayed} replayed from {args.queue}")
    return OK


def dead_letters_discard(args) -> int:
    """``--all`` purges the queue; ``--event-id`` removes the messages of that event and returns the others."""
    _require_dead_letter_queue(args.queue)
    if args.all:
        _api(args).purge(args.queue)
        _say(args, {"queue": args.queue, "discarded": "all"}, f"{args.queue} purged")
        return OK
    discarded = 0
    with Connection(args.amqp) as connection:
        queue = Queue(args.queue, no_declare=True)(connection.channel())
        held = []
        while (message := queue.get(no_ack=False, accept=None)) is not None:
            held.append(message)
        for message in held:
            if _event_id(message.body) == args.event_id:
                message.ack()
                discarded += 1
            else:
                message.reject(requeue=True)
    if not discarded:
        raise LookupError(f"no message with event id {args.event_id} in {args.queue}")
    _say(args, {"queue": args.queue, "discarded": discarded}, f"{discarded} discarded from {args.queue}")
    return OK


def unroutable(args) -> int:
    """Reports; with ``--republish`` first sends each captured message once more to the exchange and routing key
    it was published with (after the missing queue was declared), with confirms."""
    api = _api(args)
    if args.republish:
        republished = _republish_unroutable(args.amqp)
        print(json.dumps({"republished": republished}) if args.json else f"{republished} republished")
    states = api.queues()
    idle = [s.name for s in states if s.kind == "handler" and s.consumers == 0]
    captured = next((s for s in states if s.kind == "unroutable"), None)
    messages = []
    if captured is not None:  # peeked whatever the statistics say: they lag the queue by up to 5 s
        messages = [describe_message(m, UNROUTABLE_QUEUE) for m in api.peek(UNROUTABLE_QUEUE, args.limit)]
    routed_nowhere = [{key: m[key] for key in ("event_id", "event_type", "source", "routing_key")} for m in messages]
    report = {"queues_without_consumer": idle, "unroutable_messages": routed_nowhere,
              "unroutable_capture": captured is not None}
    lines = [f"no consumer: {name}" for name in idle]
    lines += [f"routed nowhere: {m['routing_key']} {m['event_type']} {m['event_id']}" for m in routed_nowhere]
    if captured is None:
        lines.append(f"warning: {UNROUTABLE_QUEUE} does not exist: run `icp-ops declare` with the management API")
    _say(args, report, "\n".join(lines) or "all handler queues consumed, nothing routed nowhere")
    return BREACHED if idle or routed_nowhere else OK


def _republish_unroutable(amqp_uri: str) -> int:
    """Each message now in :data:`UNROUTABLE_QUEUE`, once: published again where it was first published, acked
    after the broker's confirm. One still routed nowhere comes back to the queue (the alternate exchange)."""
    republished = 0
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        count = channel.queue_declare(queue=UNROUTABLE_QUEUE, passive=True).message_count
        producer = connection.Producer(channel)
        source = Queue(UNROUTABLE_QUEUE, no_declare=True)(channel)
        for _ in range(count):
            message = source.get(no_ack=False, accept=None)
            if message is None:
                break
            producer.publish(message.body, exchange=message.delivery_info["exchange"],
                             routing_key=message.delivery_info["routing_key"], headers=message.headers,
                             content_type=message.content_type, content_encoding=message.content_encoding,
                             delivery_mode=message.properties.get("delivery_mode", 2))
            message.ack()
            republished += 1
    return republished


def calendar_load(args) -> int:
    """POST each notice to every service; a service that refuses one is reported with its field errors (exit 1)."""
    urls = args.service or os.environ.get("CALENDAR_SERVICES", "").split()
    if not urls:
        raise ValueError("name the services' base URLs (--service, or CALENDAR_SERVICES)")
    token = _token(args, "ops")
    bodies = [Path(notice).read_bytes() for notice in args.notices]
    for notice, body in zip(args.notices, bodies, strict=True):
        try:
            json.loads(body)
        except ValueError as exc:  # before any service sees any of them
            raise ValueError(f"{notice} is not JSON: {exc}") from None
    refused = False
    for notice, body in zip(args.notices, bodies, strict=True):
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
                   "Idempotency-Key": f"calendar-{hashlib.sha256(body).hexdigest()[:32]}"}
        for url in urls:
            refused |= not _load_notice(args, notice, url, body, headers)
    return FAILED if refused else OK


def _load_notice(args, notice: str, url: str, body: bytes, headers: dict) -> bool:
    answer = requests.post(f"{url.rstrip('/')}/calendar/years", data=body, headers=headers, timeout=30)
    if answer.status_code == 200:
        loaded = answer.json()
        _say(args, {"notice": notice, "service": url, **loaded},
             f"{url}: {loaded['year']} loaded, {loaded['recomputed_deadlines']} open deadlines recomputed")
        return True
    _refused(args, answer, {"notice": notice, "service": url}, f"{url}: {notice}")
    return False


def inventory_load(args) -> int:
    """PUT the CSV as the provider's inventory at audit; a refused file is reported with its bad rows (exit 1)."""
    url = _service_url(args, "AUDIT_URL")
    body = Path(args.csv).read_bytes()
    key = hashlib.sha256(args.provider.encode("utf-8") + b"\0" + body).hexdigest()[:32]
    headers = {"Authorization": f"Bearer {_token(args, 'auditor')}", "Content-Type": "text/csv",
               "Idempotency-Key": f"inventory-{key}"}
    answer = requests.put(f"{url}/providers/{quote(args.provider, safe='')}/inventory", data=body, headers=headers,
                          timeout=120)
    if answer.status_code != 200:
        _refused(args, answer, {"provider": args.provider, "inventory": args.csv}, f"{args.csv} for {args.provider}")
        return FAILED
    loaded = answer.json()
    _say(args, loaded, f"{loaded['provider_id']}: {loaded['sites']} hosted sites (inventory {loaded['import_id']})")
    return OK


def archive_export(args) -> int:
    """GET the sponsor's file as a ZIP and write it to ``--output`` (``-``: stdout); says where, its size and
    SHA-256."""
    url = _service_url(args, "VERIFICATION_URL")
    headers = {"Authorization": f"Bearer {_token(args, 'supervisor, reviewer or auditor')}"}
    answer = requests.get(f"{url}/archive/{quote(args.sponsor_ref, safe='')}/export", headers=headers, timeout=300)
    if answer.status_code != 200:
        _refused(args, answer, {"sponsor_ref": args.sponsor_ref}, f"the file of {args.sponsor_ref}")
        return FAILED
    data = answer.content
    if args.output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return OK
    output = Path(args.output or f"archive-{args.sponsor_ref[:12]}.zip")
    output.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    _say(args, {"sponsor_ref": args.sponsor_ref, "output": str(output), "bytes": len(data), "sha256": digest},
         f"{output}: {len(data)} bytes, SHA-256 {digest}")
    return OK


# --- plumbing ----------------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="icp-ops", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--api", help="management API URL with credentials (RABBITMQ_MANAGEMENT_URI)")
    parser.add_argument("--amqp", default=os.environ.get("AMQP_URI", DEFAULT_AMQP), help="AMQP URI (AMQP_URI)")
    parser.add_argument("--vhost", default=os.environ.get("RABBITMQ_VHOST"), help="virtual host (RABBITMQ_VHOST)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    command = commands.add_parser("declare", help="declare the services' event topology")
    command.add_argument("services", nargs="*", help="service names (default: TOPOLOGY_SERVICES)")
    command.add_argument("--config-dir", default="services", help="where <service>/config.yaml are")
    command.set_defaults(run=declare)

    command = commands.add_parser("status", help="every queue against the thresholds")
    command.add_argument("--max-ready", type=int, default=Thresholds.max_ready)
    command.add_argument("--max-unacked", type=int, default=Thresholds.max_unacked)
    command.add_argument("--max-dead-letters", type=int, default=Thresholds.max_dead_letters)
    command.add_argument("--max-unroutable", type=int, default=Thresholds.max_unroutable)
    command.add_argument("--allow-no-consumer", action="store_true", help="a handler queue without consumer is fine")
    command.set_defaults(run=status)

    dead = commands.add_parser("dead-letters", help="list, inspect, replay or discard dead letters")
    actions = dead.add_subparsers(required=True, metavar="ACTION")
    command = actions.add_parser("list")
    command.add_argument("queue", nargs="?")
    command.add_argument("--limit", type=int, default=PEEK_LIMIT)
    command.set_defaults(run=dead_letters_list)
    command = actions.add_parser("inspect")
    command.add_argument("queue")
    command.add_argument("--event-id")
    command.add_argument("--limit", type=int, default=PEEK_LIMIT)
    command.set_defaults(run=dead_letters_inspect)
    command = actions.add_parser("replay")
    command.add_argument("queue")
    command.add_argument("--max", type=int)
    command.set_defaults(run=dead_letters_replay)
    command = actions.add_parser("discard")
    command.add_argument("queue")
    which = command.add_mutually_exclusive_group(required=True)
    which.add_argument("--event-id")
    which.add_argument("--all", action="store_true")
    command.set_defaults(run=dead_letters_discard)

    command = commands.add_parser("unroutable", help="handler queues without consumer, messages routed nowhere")
    command.add_argument("--limit", type=int, default=PEEK_LIMIT)
    command.add_argument("--republish", action="store_true", help="send the captured messages again, once")
    command.set_defaults(run=unroutable)

    calendar = commands.add_parser("calendar", help="the State Council holiday schedules deadlines count with")
    actions = calendar.add_subparsers(required=True, metavar="ACTION")
    command = actions.add_parser("load", help="load years' notices (JSON) into every service that counts "
                                              "working days")
    command.add_argument("notices", nargs="+", metavar="NOTICE",
                         help='a notice as JSON: {"year", "holidays": [{"date", "name"}], "workdays", "source"}')
    _over_http(command, calendar_load, "an ops", action="append", metavar="URL",
               help="a service's base URL, repeatable (default: CALENDAR_SERVICES, space-separated)")

    inventory = commands.add_parser("inventory", help="providers' hosted sites, which the filing rate counts (P10)")
    actions = inventory.add_subparsers(required=True, metavar="ACTION")
    command = actions.add_parser("load", help="replace a provider's inventory with a CSV that has a domain column")
    command.add_argument("provider", help="the provider's id")
    command.add_argument("csv", help="the inventory: UTF-8 CSV with a domain column")
    _over_http(command, inventory_load, "an auditor's", help="audit's base URL (default: AUDIT_URL)")

    archive = commands.add_parser("archive", help="sponsors' files kept by verification (W4)")
    actions = archive.add_subparsers(required=True, metavar="ACTION")
    command = actions.add_parser("export", help="a sponsor's file as a ZIP (manifest.json and every object)")
    command.add_argument("sponsor_ref", help="the sponsor's reference (a case's sponsor_ref)")
    command.add_argument("--output", "-o", help="where to write the ZIP (default: archive-<ref>.zip; -: stdout)")
    _over_http(command, archive_export, "a supervisor's, reviewer's or auditor's",
               help="verification's base URL (default: VERIFICATION_URL)")
    return parser


def _over_http(command: argparse.ArgumentParser, run, holder: str, **service) -> None:
    """A command that calls services' HTTP APIs: ``--service`` (``service`` says how) and ``--token``."""
    command.add_argument("--service", **service)
    command.add_argument("--token", help=f"{holder} bearer token (ICP_OPS_TOKEN)")
    command.set_defaults(run=run)


def _token(args, roles: str) -> str:
    """The bearer token to send; ``roles`` names who may hold it, for the message when there is none."""
    token = args.token or os.environ.get("ICP_OPS_TOKEN")
    if not token:
        raise ValueError(f"a bearer token ({roles}) is needed: --token or ICP_OPS_TOKEN (for development: "
                         f"icp-token ROLE ME)")
    return token


def _service_url(args, variable: str) -> str:
    url = args.service or os.environ.get(variable)
    if not url:
        raise ValueError(f"name the service's base URL (--service, or {variable})")
    return url.rstrip("/")


def _refused(args, answer: requests.Response, about: dict, what: str) -> None:
    """Reports a refusal with the service's field errors (or the start of whatever else it answered)."""
    try:
        error = answer.json()["error"]
    except (ValueError, KeyError, TypeError):
        error = {"message": answer.text[:200], "errors": []}
    problems = "; ".join(f"{e.get('field')}: {e.get('code')} ({e.get('message')})" for e in error.get("errors", []))
    _say(args, {**about, "status": answer.status_code, "error": error},
         f"{what} refused ({answer.status_code}) {problems or error.get('message', '')}")


def _api(args) -> ManagementApi:
    return ManagementApi(args.api or os.environ.get("RABBITMQ_MANAGEMENT_URI") or DEFAULT_API, _vhost(args))


def _vhost(args) -> str:
    if args.vhost:
        return args.vhost
    path = urlsplit(args.amqp).path
    return unquote(path[1:]) if len(path) > 1 else "/"


def _require_dead_letter_queue(name: str) -> None:
    if not is_dead_letter_queue(name):
        raise ValueError(f"{name} is not a dead-letter queue (evt-...dlq): `icp-ops dead-letters list` names them")


def _service_config(path: Path) -> dict:
    """The service's config.yaml with ``${VAR:default}`` resolved from the environment, as ``nameko run`` does."""
    from nameko.cli.main import setup_yaml_parser

    setup_yaml_parser()
    with path.open() as stream:
        return yaml.safe_load(stream) or {}


def _event_id(body: bytes | str) -> str | None:
    """``meta.id`` of an event envelope's JSON body; None for anything else."""
    try:
        envelope = json.loads(body)
    except ValueError:
        return None
    meta = envelope.get("meta") if isinstance(envelope, dict) else None
    return str(meta.get("id")) if isinstance(meta, dict) else None


def _say(args, data, text: str) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str) if args.json else text)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
