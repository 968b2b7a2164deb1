from dishka.integrations.litestar import FromDishka
from litestar import Controller, get

from taskforge_app.list_workers import ListWorkers
from taskforge_domain.access import Scope
from taskforge_entrypoints.presentation.worker_json import WorkersOut
from taskforge_entrypoints.rest.access import needs
from taskforge_entrypoints.rest.errors import problem_spec


class WorkersController(Controller):
    path = "/v1/workers"
    tags = ("workers",)

    @get(
        "/",
        opt=needs(Scope.READ),
        summary="The live workers: each one heard from within WORKER_LIVENESS",
        description=(
            "A worker announces itself every WORKER_HEARTBEAT_INTERVAL. One silent for "
            "longer than WORKER_LIVENESS is gone: it drops off this list, and a scheduler "
            "hands its attempts and unacknowledged messages to the live workers."
        ),
        responses={503: problem_spec("PostgreSQL does not answer; retry after Retry-After")},
    )
    async def list_workers(self, list_workers: FromDishka[ListWorkers]) -> WorkersOut:
        return WorkersOut.of(await list_workers())
