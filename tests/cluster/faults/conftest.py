from collections.abc import AsyncIterator

import pytest_asyncio

from tests.faults.harness import FaultStack


@pytest_asyncio.fixture
async def stack(fault_stack: FaultStack) -> AsyncIterator[FaultStack]:
    """The fault suite's scenarios take `stack`: here, the deployment in cluster mode on
    four partitions of a cluster of its own (tests/cluster/conftest.py)."""
    yield fault_stack
