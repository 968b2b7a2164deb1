"""An HTTP server on 127.0.0.1 between a client and the real API that fails on cue: it
answers 503 with a Retry-After, or passes a request on and hangs up before the answer,
and records every request it saw."""

import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

import httpx

# Headers httpx sets itself on the request it passes on.
_HOP_BY_HOP = {"host", "content-length", "connection", "transfer-encoding", "accept-encoding"}


@dataclass(frozen=True)
class Seen:
    at: float
    method: str
    path: str
    headers: dict[str, str]


class FlakyProxy:
    def __init__(self, upstream: str) -> None:
        self.url = ""
        self.seen: list[Seen] = []
        self._upstream = httpx.Client(base_url=upstream, timeout=10)
        self._faults: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def unavailable(self, times: int, retry_after: int) -> None:
        """The next `times` requests get 503 with Retry-After: `retry_after`."""
        with self._lock:
            self._faults += [("unavailable", retry_after)] * times

    def hang_up_after_forwarding(self, times: int = 1) -> None:
        """The next `times` requests reach the API, but their answers never come back."""
        with self._lock:
            self._faults += [("hang-up", 0)] * times

    def requests(self, method: str, path: str) -> list[Seen]:
        return [seen for seen in self.seen if (seen.method, seen.path) == (method, path)]

    def __enter__(self) -> Self:
        host, port = self._server.server_address[:2]
        self.url = f"http://{host!s}:{port}"
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)
        self._upstream.close()

    def _next_fault(self) -> tuple[str, int] | None:
        with self._lock:
            return self._faults.pop(0) if self._faults else None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._serve()

            def do_POST(self) -> None:
                self._serve()

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _serve(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                path = self.path.split("?", 1)[0]
                proxy.seen.append(Seen(time.monotonic(), self.command, path, headers))
                fault = proxy._next_fault()
                if fault and fault[0] == "unavailable":
                    self._answer(503, b'{"code":"store-unavailable","status":503}', fault[1])
                    return
                answer = proxy._upstream.request(
                    self.command,
                    self.path,
                    content=body,
                    headers={k: v for k, v in headers.items() if k not in _HOP_BY_HOP},
                )
                if fault and fault[0] == "hang-up":
                    self.close_connection = True
                    return
                self._answer(answer.status_code, answer.content)

            def _answer(self, status: int, body: bytes, retry_after: int | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if retry_after is not None:
                    self.send_header("Retry-After", str(retry_after))
                self.end_headers()
                self.wfile.write(body)

        return Handler
