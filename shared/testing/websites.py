"""The world a shell-site probe sees, on loopback (X5): a DNS server and web servers, for tests that resolve and
ask ``HEAD``.

:class:`LoopbackDns` is built on dnspython's message codec: UDP on ``127.0.0.1`` and a free port, authoritative
for the names it is given and nothing else (others: NXDOMAIN). A name with a CNAME is answered with the CNAME
alone, as an authoritative server of another zone would, so a client must follow the chain itself. The test
changes the records while it runs (a site moving out of its provider's ranges and back).

:class:`LoopbackWeb` answers ``HEAD`` (and ``GET``) with 200 on one port of several loopback addresses (the whole
of 127.0.0.0/8 is loopback on Linux), so that a provider's range and a CDN's can both be served.

    with LoopbackDns({"www.example.cn": {"A": ["127.0.0.1"]}}) as dns, LoopbackWeb(["127.0.0.1"]) as web:
        ... AUDIT_SHELL_SITE_NAMESERVERS=dns.address, AUDIT_SHELL_SITE_HTTP_PORT=web.port ...
        dns.set("www.example.cn", A=["198.51.100.7"])
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import dns.rrset

TTL = 5


class LoopbackDns:
    """``records``: name -> {type ("A", "AAAA", "CNAME"): [values]}."""

    def __init__(self, records: dict[str, dict[str, list[str]]] | None = None):
        self._records: dict[dns.name.Name, dict[str, list[str]]] = {}
        self._lock = threading.Lock()
        for name, values in (records or {}).items():
            self.set(name, **values)
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._socket.bind(("127.0.0.1", 0))
        self._socket.settimeout(0.2)
        self.port = self._socket.getsockname()[1]
        self._running = False
        self._thread: threading.Thread | None = None

    @property
    def address(self) -> str:
        """``127.0.0.1:<port>``, as a nameserver setting reads it."""
        return f"127.0.0.1:{self.port}"

    def set(self, name: str, **values: list[str]) -> None:
        """Replace the records of ``name`` (``A=[...]``, ``AAAA=[...]``, ``CNAME=[target]``); none: remove it."""
        with self._lock:
            key = dns.name.from_text(name)
            if values:
                self._records[key] = {rdtype: list(v) for rdtype, v in values.items()}
            else:
                self._records.pop(key, None)

    def __enter__(self) -> LoopbackDns:
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="loopback-dns", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop serving and free the port (a server never entered answers nothing: a resolver that is down)."""
        self._running = False
        if self._thread is not None:
            self._thread.join(timeout=2)
        self._socket.close()

    def _serve(self) -> None:
        while self._running:
            try:
                wire, peer = self._socket.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                query = dns.message.from_wire(wire)
            except dns.exception.DNSException:
                continue
            self._socket.sendto(self._answer(query).to_wire(), peer)

    def _answer(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        question = query.question[0]
        with self._lock:
            records = self._records.get(question.name)
        if records is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
            return response
        rdtype = "CNAME" if "CNAME" in records else dns.rdatatype.to_text(question.rdtype)
        if records.get(rdtype):
            response.answer.append(dns.rrset.from_text_list(question.name, TTL, "IN", rdtype, records[rdtype]))
        return response


class _Head(BaseHTTPRequestHandler):
    def do_HEAD(self) -> None:  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD  # noqa: N815

    def log_message(self, *args) -> None:
        """Quiet: a probe is not news."""


class LoopbackWeb:
    """Web servers on ``addresses`` (loopback), all on one free port (:attr:`port`)."""

    def __init__(self, addresses: list[str]):
        first = ThreadingHTTPServer((addresses[0], 0), _Head)
        self.port = first.server_address[1]
        self._servers = [first] + [ThreadingHTTPServer((address, self.port), _Head) for address in addresses[1:]]
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> LoopbackWeb:
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def __exit__(self, *exc) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
