from taskforge_app.submit_jobs import NewJob, SubmitJobs, Submitted


class SubmitJob:
    """Submit one job: the batch path with a batch of one, its refusal raised."""

    def __init__(self, submit_jobs: SubmitJobs) -> None:
        self._submit_jobs = submit_jobs

    async def __call__(self, request: NewJob) -> Submitted:
        [answer] = await self._submit_jobs([request])
        if isinstance(answer, Exception):
            raise answer
        return answer
