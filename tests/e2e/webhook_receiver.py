"""A completion webhook receiver on a loopback port: each path answers as its name says,
and every request it got is kept for the test to read."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class Receiver:
    port: int
    received: list[Received] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def requests_to(self, path: str) -> list[Received]:
        with self.lock:
            return [request for request in self.received if request.path == path]

    def wait_for(self, path: str, count: int, within: float = 20) -> list[Received]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if len(found := self.requests_to(path)) >= count:
                return found
            time.sleep(0.02)
        raise AssertionError(f"{path} got {len(self.requests_to(path))} of {count} requests")

    def status_for(self, path: str) -> int:
        """`/fail-N/...` fails its first N requests with 500 then answers 204;
        `/always-fail/...` always answers 500; anything else answers 204."""
        first = path.strip("/").split("/")[0]
        if first == "always-fail":
            return 500
        if first.startswith("fail-"):
            return 500 if len(self.requests_to(path)) < int(first.removeprefix("fail-")) else 204
        return 204


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    receiver = Receiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with receiver.lock:
                status = receiver.status_for(self.path)
                headers = {name.lower(): value for name, value in self.headers.items()}
                receiver.received.append(Received(self.path, headers, body, status))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
