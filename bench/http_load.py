"""A lean HTTP/1.1 keep-alive client: the load generator shares the machine's cores with
the service it measures, so it must spend as little CPU per request as it can.
"""

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    statuses: dict[int, int] = field(default_factory=dict)
    elapsed: float = 0.0
    bodies: list[bytes] = field(default_factory=list)

    def count(self, status: int) -> int:
        return self.statuses.get(status, 0)


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self._host, self._port = host, port
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {self._host}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        return await self.request(head + body)

    async def get(self, path: str) -> tuple[int, bytes]:
        return await self.request(f"GET {path} HTTP/1.1\r\nHost: {self._host}\r\n\r\n".encode())

    async def request(self, raw: bytes) -> tuple[int, bytes]:
        try:
            return await self._exchange(raw)
        except (ConnectionError, asyncio.IncompleteReadError, IndexError):
            # The server closed a keep-alive connection that sat idle: open a new one.
            await self.close()
            return await self._exchange(raw)

    async def _exchange(self, raw: bytes) -> tuple[int, bytes]:
        if self._writer is None:
            self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        assert self._reader is not None
        self._writer.write(raw)
        status_line = await self._reader.readline()
        length = 0
        while (line := await self._reader.readline()) not in (b"\r\n", b""):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        return int(status_line.split()[1]), await self._reader.readexactly(length)

    async def close(self) -> None:
        if self._writer is not None:
            writer, self._writer, self._reader = self._writer, None, None
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()


async def post_all(
    host: str,
    port: int,
    path: str,
    bodies: list[bytes],
    concurrency: int,
    *,
    keep_bodies: bool = False,
) -> LoadResult:
    """Send every body as fast as `concurrency` keep-alive connections allow."""
    result = LoadResult()
    queue = list(reversed(bodies))

    async def client() -> None:
        connection = Connection(host, port)
        try:
            while queue:
                status, answer = await connection.post(path, queue.pop())
                result.statuses[status] = result.statuses.get(status, 0) + 1
                if keep_bodies:
                    result.bodies.append(answer)
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    return result


async def post_for(
    host: str, port: int, path: str, body: Callable[[int], bytes], clients: int, seconds: float
) -> LoadResult:
    """Closed-loop load for `seconds`: each of `clients` connections sends its next request as
    soon as the last one is answered. A request that got no answer counts as status 0."""
    result = LoadResult()
    stop_at = time.perf_counter() + seconds
    sent = 0

    async def client() -> None:
        nonlocal sent
        connection = Connection(host, port)
        try:
            while time.perf_counter() < stop_at:
                sent += 1
                try:
                    status, _ = await connection.post(path, body(sent))
                except (OSError, asyncio.IncompleteReadError, IndexError, ValueError):
                    await connection.close()
                    status = 0
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            await connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.elapsed = time.perf_counter() - started
    return result


async def post_at_rate(
    host: str, port: int, path: str, body: Callable[[int], bytes], rate: float, seconds: float
) -> LoadResult:
    """Open-loop load: one request every 1/rate seconds, whatever the answers take."""
    result = LoadResult()
    idle: list[Connection] = []
    total = int(rate * seconds)
    in_flight: set[asyncio.Task[None]] = set()

    async def send(index: int) -> None:
        connection = idle.pop() if idle else Connection(host, port)
        status, _ = await connection.post(path, body(index))
        result.statuses[status] = result.statuses.get(status, 0) + 1
        idle.append(connection)

    started = time.perf_counter()
    for index in range(total):
        delay = started + index / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(send(index))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.gather(*in_flight)
    result.elapsed = time.perf_counter() - started
    for connection in idle:
        await connection.close()
    return result


async def get_latencies(port: int, path: str, count: int) -> list[float]:
    """Seconds each of `count` sequential GETs took on one keep-alive connection."""
    connection = Connection("127.0.0.1", port)
    latencies = []
    try:
        for _ in range(count):
            started = time.perf_counter()
            status, body = await connection.get(path)
            if status != 200:
                raise RuntimeError(f"GET {path} answered {status}: {body[:200]!r}")
            latencies.append(time.perf_counter() - started)
    finally:
        await connection.close()
    return latencies
