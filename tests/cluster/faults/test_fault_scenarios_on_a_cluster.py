"""The fault suite's scenarios that do not depend on Redis being one server, run again in
cluster mode on four partitions: workers killed mid-batch and recovered, crashes between
a commit and its XADD left to the repair pass, an idempotency storm."""

from tests.faults.test_crash_windows import (
    test_api_crash_between_insert_and_xadd_leaves_a_job_the_repair_delivers,
    test_scheduler_crash_between_promote_and_xadd_leaves_a_job_the_repair_delivers,
    test_two_hundred_concurrent_submits_over_twenty_keys_make_twenty_jobs,
)
from tests.faults.test_worker_crashes import (
    test_killed_worker_attempt_is_recovered_within_a_lease_and_an_interval,
    test_sigkill_of_workers_mid_batch_loses_nothing,
)

__all__ = [
    "test_api_crash_between_insert_and_xadd_leaves_a_job_the_repair_delivers",
    "test_killed_worker_attempt_is_recovered_within_a_lease_and_an_interval",
    "test_scheduler_crash_between_promote_and_xadd_leaves_a_job_the_repair_delivers",
    "test_sigkill_of_workers_mid_batch_loses_nothing",
    "test_two_hundred_concurrent_submits_over_twenty_keys_make_twenty_jobs",
]
