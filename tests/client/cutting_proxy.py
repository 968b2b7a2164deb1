"""A TCP proxy to the real API that cuts its first connection once an event went through:
an event stream dropped mid-way, as a restarted proxy or a lost network would drop it."""

import asyncio
import contextlib
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit


class CuttingProxy:
    def __init__(self, upstream: str) -> None:
        address = urlsplit(upstream)
        self._upstream = (address.hostname or "127.0.0.1", address.port or 80)
        self.requests: list[bytes] = []
        self._server: asyncio.Server | None = None
        self._serving: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        port = self._server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def __aenter__(self) -> Self:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._serving:
            task.cancel()
        await asyncio.gather(*self._serving, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        serving = asyncio.current_task()
        assert serving is not None
        self._serving.add(serving)
        cut = not self.requests
        up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        head = await reader.readuntil(b"\r\n\r\n")
        self.requests.append(head)
        up_writer.write(head)
        sending = asyncio.create_task(_pipe(reader, up_writer))
        try:
            while chunk := await up_reader.read(65536):
                writer.write(chunk)
                await writer.drain()
                if cut and b"event: job" in chunk:
                    break
        finally:
            sending.cancel()
            for stream in (writer, up_writer):
                stream.close()
                with contextlib.suppress(OSError, asyncio.CancelledError):
                    await stream.wait_closed()
            await asyncio.gather(sending, return_exceptions=True)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    while chunk := await source.read(65536):
        sink.write(chunk)
        await sink.drain()
