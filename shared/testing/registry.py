"""A sandbox domain registry for the demo and the system tests: RDAP (RFC 9083, HTTP JSON) on loopback, answering
each domain's registrant from a small table, so that on-site verification's domain-owner check (P5) runs against
a real RDAP exchange without the network.

    python -m shared.testing.registry --port 8088 [--whois-port 8043] [--owner example.com.cn=北京示例 ...]

``serve_whois`` answers the same table over WHOIS (RFC 3912, TCP) for the registries that have no RDAP.
"""
import argparse
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from shared.testing.samples import INDIVIDUAL_FILING, UNIT_FILING

# Registrable domains of the sample filings and their registrants; "REDACTED" stands for a registry that hides it.
SAMPLE_OWNERS = {
    "example.com.cn": UNIT_FILING["sponsor"]["name"],
    "xn--fsqu00a.xn--fiqs8s": UNIT_FILING["sponsor"]["name"],
    "lisi-blog.cn": INDIVIDUAL_FILING["sponsor"]["name"],
}


def rdap_domain(name: str, registrant: str) -> dict:
    entity = {"objectClassName": "entity", "roles": ["registrant"],
              "vcardArray": ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", registrant]]]}
    if registrant == "REDACTED":
        entity["vcardArray"] = ["vcard", [["version", {}, "text", "4.0"], ["fn", {}, "text", ""]]]
        entity["remarks"] = [{"title": "REDACTED FOR PRIVACY", "type": "object redacted due to authorization"}]
    return {"objectClassName": "domain", "ldhName": name, "rdapConformance": ["rdap_level_0"], "entities": [entity]}


def serve(port: int, owners: dict[str, str]) -> ThreadingHTTPServer:
    class Rdap(BaseHTTPRequestHandler):
        def do_GET(self):
            name = self.path.rstrip("/").rsplit("/domain/", 1)[-1].lower()
            owner = next((o for d, o in owners.items() if name == d or name.endswith("." + d)), None)
            body = json.dumps(rdap_domain(name, owner) if owner else {"errorCode": 404, "title": "not found"},
                              ensure_ascii=False).encode()
            self.send_response(200 if owner else 404)
            self.send_header("Content-Type", "application/rdap+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    return ThreadingHTTPServer(("127.0.0.1", port), Rdap)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--owner", action="append", default=[], help="domain=registrant (adds to the samples)")
    parser.add_argument("--whois-port", type=int, help="also answer WHOIS (TCP) on this port")
    args = parser.parse_args()
    owners = {**SAMPLE_OWNERS, **dict(item.split("=", 1) for item in args.owner)}
    if args.whois_port:
        import threading

        threading.Thread(target=serve_whois(args.whois_port, owners).serve_forever, daemon=True).start()
    serve(args.port, owners).serve_forever()



def serve_whois(port: int, owners: dict[str, str]):
    """A WHOIS server (RFC 3912: one query line in, text out, close) on loopback answering from ``owners``;
    "REDACTED" answers with a redacted registrant."""
    import socketserver

    class Whois(socketserver.StreamRequestHandler):
        def handle(self):
            name = self.rfile.readline().decode("ascii", "replace").strip().lower()
            owner = next((o for d, o in owners.items() if name == d or name.endswith("." + d)), None)
            if owner is None:
                text = f"No matching record for {name}\r\n"
            else:
                shown = "REDACTED FOR PRIVACY" if owner == "REDACTED" else owner
                text = f"Domain Name: {name}\r\nRegistrant: {shown}\r\nRegistrar: sandbox\r\n"
            self.wfile.write(text.encode("utf-8"))

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    return socketserver.ThreadingTCPServer(("127.0.0.1", port), Whois)


if __name__ == "__main__":
    main()
