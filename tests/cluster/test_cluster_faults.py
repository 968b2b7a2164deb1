"""What only a cluster can do to Taskforge while jobs flow: lose a master, which one of its
replicas replaces, and move a partition's slot to another master. Every accepted job ends
completed or dead, and no attempt runs twice, nor two attempts of one job at once."""

import asyncio
import random
import time

from taskforge_adapters.redis.stream_layout import NORMAL, StreamLayout
from tests.cluster.conftest import PARTITIONS
from tests.faults.harness import FaultStack
from tests.redis_cluster import LocalCluster

FIRST_STREAM = StreamLayout("taskforge:queue:normal", PARTITIONS, cluster=True).stream(NORMAL)

JOBS = 240


async def test_a_master_killed_while_jobs_flow_is_replaced_by_its_replica_and_loses_nothing(
    fault_stack: FaultStack, own_cluster: LocalCluster
) -> None:
    chance = random.Random(20261201)
    fault_stack.start_default(workers=2)
    partition_slot = own_cluster.slot_of(
        StreamLayout("taskforge:queue:normal", PARTITIONS, cluster=True).stream(NORMAL)
    )
    victim = own_cluster.master_of(partition_slot)

    submitting = asyncio.ensure_future(
        fault_stack.submit(JOBS, lambda _: {"ms": chance.randint(10, 80)}, concurrency=8)
    )
    await fault_stack.wait_for_status_count("completed", 20)
    own_cluster.kill(victim)
    killed = time.monotonic()
    own_cluster.wait_for_failover(victim)
    failover = time.monotonic() - killed
    accepted = await submitting

    assert [r.status_code for r in accepted] == [202] * JOBS
    assert own_cluster.master_of(partition_slot) != victim
    await fault_stack.settle(within=45)
    report = await fault_stack.report()
    report.assert_invariant()
    assert report.jobs == JOBS
    assert failover < 15, f"the replica took {failover:.1f}s to take over"


async def test_a_partitions_slot_moved_to_another_master_during_a_run_loses_nothing(
    fault_stack: FaultStack, own_cluster: LocalCluster
) -> None:
    chance = random.Random(20261202)
    fault_stack.start_default(workers=2)
    partition_slot = own_cluster.slot_of(
        StreamLayout("taskforge:queue:normal", PARTITIONS, cluster=True).stream(NORMAL)
    )
    source = own_cluster.master_of(partition_slot)
    target = next(port for port in own_cluster.masters() if port != source)

    submitting = asyncio.ensure_future(
        fault_stack.submit(JOBS, lambda _: {"ms": chance.randint(10, 80)}, concurrency=8)
    )
    await fault_stack.wait_for_status_count("completed", 20)
    moved = await asyncio.to_thread(own_cluster.move_slot, partition_slot, target)
    accepted = await submitting

    assert moved >= 1, "the partition's streams were not in the slot moved"
    assert own_cluster.master_of(partition_slot) == target
    assert [r.status_code for r in accepted] == [202] * JOBS
    await fault_stack.settle(within=45)
    report = await fault_stack.report()
    report.assert_invariant()
    assert report.jobs == JOBS
    assert PARTITIONS > 1
