"""What the figures were measured on."""

import os
import platform
from pathlib import Path

import asyncpg
from redis.asyncio import Redis


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


async def describe(admin_url: str, redis_addr: str) -> dict[str, str]:
    conn = await asyncpg.connect(admin_url)
    try:
        postgres = await conn.fetchval("SHOW server_version")
        synchronous_commit = await conn.fetchval("SHOW synchronous_commit")
    finally:
        await conn.close()
    host, _, port = redis_addr.rpartition(":")
    redis = Redis(host=host, port=int(port))
    try:
        redis_version = (await redis.info("server"))["redis_version"]
    finally:
        await redis.aclose()
    return {
        "cores": str(os.cpu_count()),
        "cpu": cpu_model(),
        "python": platform.python_version(),
        "postgresql": postgres,
        "synchronous_commit": synchronous_commit,
        "redis": redis_version,
    }
