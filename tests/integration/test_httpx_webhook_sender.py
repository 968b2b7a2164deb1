"""The webhook sender against a real HTTP server on a loopback port."""

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from taskforge_adapters.http.httpx_webhook_sender import HttpxWebhookSender

followed: list[str] = []


class Handler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        followed.append(self.path)
        if self.path == "/redirect":
            self.send_response(307)
            self.send_header("Location", "/elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path == "/drip":
            # The answer's head a byte at a time: no single read ever waits long.
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            for _ in range(60):
                time.sleep(0.05)
                self.wfile.write(b"X")
                self.wfile.flush()
            return
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_2xx_is_a_success_with_its_status(base_url: str) -> None:
    sender = HttpxWebhookSender(timeout=timedelta(seconds=2))
    try:
        attempt = await sender.post(f"{base_url}/ok", b"{}", {}, 1)
    finally:
        await sender.close()

    assert (attempt.succeeded, attempt.http_status, attempt.error) == (True, 204, None)


async def test_a_redirect_is_not_followed_and_fails_the_attempt(base_url: str) -> None:
    sender = HttpxWebhookSender(timeout=timedelta(seconds=2))
    try:
        attempt = await sender.post(f"{base_url}/redirect", b"{}", {}, 1)
    finally:
        await sender.close()

    assert (attempt.succeeded, attempt.http_status, attempt.error) == (False, 307, "HTTP 307")
    assert "/elsewhere" not in followed


async def test_a_connection_refused_is_an_error_not_an_exception() -> None:
    sender = HttpxWebhookSender(timeout=timedelta(seconds=2))
    try:
        attempt = await sender.post("http://127.0.0.1:1/", b"{}", {}, 3)
    finally:
        await sender.close()

    assert attempt.attempt == 3
    assert attempt.http_status is None
    assert attempt.error is not None
    assert attempt.error.startswith("ConnectError")


async def test_the_timeout_bounds_the_whole_attempt(base_url: str) -> None:
    sender = HttpxWebhookSender(timeout=timedelta(milliseconds=300))
    try:
        attempt = await sender.post(f"{base_url}/drip", b"{}", {}, 1)
    finally:
        await sender.close()

    assert (attempt.http_status, attempt.error) == (None, "timed out")
    assert attempt.duration < timedelta(seconds=1)
