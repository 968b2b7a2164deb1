import asyncio

from taskforge_app.ports import UnstorablePayload
from taskforge_app.submit_jobs import NewJob, SubmitJobs, Submitted

_MAX_GROUP = 500


class SubmitJob:
    """Submit one job. Submissions that arrive together share one batch write, like a
    database's group commit: whatever arrived while the previous write was in flight
    goes into the next one, so a lone request is written at once and a busy API
    spends one INSERT, one pipeline and one UPDATE on many requests.
    """

    def __init__(self, submit_jobs: SubmitJobs) -> None:
        self._submit_jobs = submit_jobs
        self._waiting: list[tuple[NewJob, asyncio.Future[Submitted]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def __call__(self, request: NewJob) -> Submitted:
        answer: asyncio.Future[Submitted] = asyncio.get_running_loop().create_future()
        self._waiting.append((request, answer))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_groups())
        return await answer

    async def _write_groups(self) -> None:
        while self._waiting:
            group = self._waiting[:_MAX_GROUP]
            del self._waiting[:_MAX_GROUP]
            try:
                await self._answer(group)
            except UnstorablePayload:
                # One payload the store refuses must not fail the others with it.
                for single in group:
                    await self._answer_alone(single)

    async def _answer(self, group: list[tuple[NewJob, asyncio.Future[Submitted]]]) -> None:
        try:
            answers = await self._submit_jobs([request for request, _ in group])
        except UnstorablePayload:
            raise
        except Exception as exc:
            for _, future in group:
                _fail(future, exc)
            return
        for (_, future), answer in zip(group, answers, strict=True):
            if isinstance(answer, Exception):
                _fail(future, answer)
            elif not future.done():
                future.set_result(answer)

    async def _answer_alone(self, single: tuple[NewJob, asyncio.Future[Submitted]]) -> None:
        try:
            await self._answer([single])
        except UnstorablePayload as exc:
            _fail(single[1], exc)


def _fail(future: "asyncio.Future[Submitted]", exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)
