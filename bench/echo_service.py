"""The bare baseline for ``bench/intake_submit.py``: a nameko service with one plain ``@http`` entrypoint
that answers the request body, run as its own ``nameko run`` process (design.md §7: a benchmark's figure is
a ratio against a baseline measured in the same run).

Nothing of the project is used here on purpose: no JSON error handling, no database, no dependencies; only
nameko's own HTTP entrypoint and Werkzeug, so the ratio isolates what intake adds on top of nameko.
"""

from nameko.web.handlers import http
from werkzeug.wrappers import Response


class EchoService:
    name = "bench_echo"

    @http("POST", "/echo")
    def echo(self, request):
        return Response(request.get_data(), status=200, mimetype=request.mimetype or "application/octet-stream")
