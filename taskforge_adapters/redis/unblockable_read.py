"""A blocking XREADGROUP that another task can cut short without losing what it delivered."""

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any

from redis.asyncio import RedisCluster
from redis.asyncio.cluster import ClusterNode
from redis.asyncio.connection import AbstractConnection
from redis.exceptions import RedisError, ResponseError, SlotNotCoveredError

from taskforge_adapters.redis.redis_client import RedisClient

_Parse = Callable[..., Awaitable[Any]]

# How long to give a read that CLIENT UNBLOCK found not blocked (its reply under way, or
# its command not yet taken up) before asking again.
_UNBLOCK_RETRY_S = 0.02


class UnblockableRead:
    """XREADGROUP ... BLOCK on a connection of its own, on the node that holds `key`.

    Cancelling a redis-py command drops its connection, and with it a reply that may
    already have delivered messages to the consumer: they would sit in its pending list
    until their lease ran out. This read is woken instead with CLIENT UNBLOCK, which
    makes it answer as a timeout does (or changes nothing if it has answered already),
    and its reply is read to the end."""

    def __init__(self, client: RedisClient, key: str) -> None:
        self._client = client
        self._key = key
        self._client_id: int | None = None

    async def xreadgroup(
        self, group: str, consumer: str, streams: Mapping[str, str], count: int, block_ms: int
    ) -> Any:
        read: list[str | int] = ["XREADGROUP", "GROUP", group, consumer, "COUNT", count]
        read += ["BLOCK", block_ms, "STREAMS", *streams, *streams.values()]
        async with self._connection() as (connection, parse):
            # Sent in one write: the server takes up both before it answers the first, so
            # once the id is known the read is blocked (or answered) and can be woken.
            await connection.send_packed_command(
                connection.pack_commands([("CLIENT", "ID"), tuple(read)])
            )
            self._client_id = int(await connection.read_response())
            return await parse(connection, "XREADGROUP")

    async def wake(self, reading: "asyncio.Future[Any]") -> None:
        """Make the read under way in `reading` answer now, and wait until it has."""
        while not reading.done():
            if self._client_id is not None:
                try:
                    if await self._unblock(self._client_id):
                        break
                except (RedisError, OSError):
                    pass  # the node is gone: the read fails on its own connection too
            await asyncio.wait([reading], timeout=_UNBLOCK_RETRY_S)
        await asyncio.wait([reading])

    async def _unblock(self, client_id: int) -> bool:
        if isinstance(self._client, RedisCluster):
            node = self._node(self._client)
            return bool(await node.execute_command("CLIENT", "UNBLOCK", client_id))
        return bool(await self._client.client_unblock(client_id))

    def _node(self, cluster: RedisCluster) -> ClusterNode:
        node = cluster.get_node_from_key(self._key)
        if node is None:
            raise SlotNotCoveredError(f"no node serves the slot of {self._key}")
        return node

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[tuple[AbstractConnection, _Parse]]:
        if isinstance(self._client, RedisCluster):
            await self._client.initialize()
            node = self._node(self._client)
            on_node = node.acquire_connection()
            try:
                async with self._read_to_the_end(on_node):
                    yield on_node, node.parse_response
            finally:
                node.release(on_node)
            return
        pool = self._client.connection_pool
        connection: AbstractConnection = await pool.get_connection()  # type: ignore[no-untyped-call]
        try:
            async with self._read_to_the_end(connection):
                yield connection, self._client.parse_response
        finally:
            await pool.release(connection)

    @asynccontextmanager
    async def _read_to_the_end(self, connection: AbstractConnection) -> AsyncIterator[None]:
        """A connection left mid-reply would hand its rest to the next command."""
        finished = False
        try:
            yield
            finished = True
        except ResponseError:
            finished = True  # an error the server answered with is a whole reply
            raise
        finally:
            if not finished:
                await connection.disconnect()
