"""A recorded-response stand-in for the remote Materials Project API: an HTTP server on 127.0.0.1 that
answers each GET with the recorded exchange whose path and query match it, so that the real `MPRester`
client code runs unchanged against it (`MPRester(endpoint=server.url)`).

An exchange is one JSON file: `{"request": {"method", "path", "query"}, "response": {"status", "body"}}`,
the body in the server's own format (`{"data": [...], "meta": {...}}` for data routes). A request that no
exchange matches gets a 404 whose detail lists the recorded queries of that path, so a change in what the
client asks shows up as a test failure that says what changed, never as a silently invented answer.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

logger = logging.getLogger(__name__)

# Query parameters whose value is a set written as a comma-separated list: order does not matter.
_SET_VALUED = frozenset({"_fields"})


def _normalized_query(query: dict[str, str]) -> dict[str, Any]:
    return {k: frozenset(v.split(",")) if k in _SET_VALUED else v for k, v in query.items()}


@dataclass(frozen=True)
class Exchange:
    """One recorded request and the server's answer to it."""

    path: str
    query: dict[str, str]
    status: int
    body: Any

    @classmethod
    def from_file(cls, path: Path) -> Exchange:
        """An exchange from its JSON file."""
        data = json.loads(path.read_text(encoding="utf-8"))
        request, response = data["request"], data["response"]
        return cls(request["path"], dict(request.get("query", {})), int(response["status"]), response["body"])

    def matches(self, path: str, query: dict[str, str]) -> bool:
        """True for the same path and the same query parameters (field lists compared as sets)."""
        return path == self.path and _normalized_query(query) == _normalized_query(self.query)


def load_exchanges(folder: Path) -> list[Exchange]:
    """Every exchange file (`*.json`) of a folder."""
    return [Exchange.from_file(path) for path in sorted(folder.glob("*.json"))]


@dataclass(frozen=True)
class SeenRequest:
    """A request the stand-in received: path, query and headers, for tests to inspect."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]


@dataclass
class ReplayServer:
    """The stand-in server. `failing` maps a path prefix to an HTTP status that every request under it
    gets instead of its recording (e.g. `{"/materials/": 500}`), to play a server in trouble."""

    exchanges: list[Exchange]
    failing: dict[str, int] = field(default_factory=dict)
    seen: list[SeenRequest] = field(default_factory=list)
    _httpd: ThreadingHTTPServer | None = field(default=None, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)

    @property
    def url(self) -> str:
        """The endpoint to give `MPRester(endpoint=...)`, with its trailing slash."""
        if self._httpd is None:
            raise RuntimeError("the replay server has not been started")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> ReplayServer:
        """Listen on a free port of 127.0.0.1 and serve from a daemon thread."""
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="mp-replay", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the port, so that later connections are refused."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, str, bytes]:
        """Status, content type and body for one request."""
        for prefix, status in self.failing.items():
            if path.startswith(prefix):
                # What the real server (FastAPI behind a proxy) sends for an unhandled error.
                return status, "text/plain; charset=utf-8", b"Internal Server Error"
        for exchange in self.exchanges:
            if exchange.matches(path, query):
                return exchange.status, "application/json", json.dumps(exchange.body).encode()
        recorded = [e.query for e in self.exchanges if e.path == path]
        detail = f"no recorded response for GET {path} with query {query}; recorded queries: {recorded}"
        logger.warning(detail)
        return 404, "application/json", json.dumps({"detail": detail}).encode()


def _handler_for(server: ReplayServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # name fixed by http.server
            parts = urlsplit(self.path)
            query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
            server.seen.append(SeenRequest(parts.path, query, {k.lower(): v for k, v in self.headers.items()}))
            status, content_type, body = server.answer(parts.path, query)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            logger.debug("mp-replay: " + format, *args)

    return Handler
