from dishka.integrations.litestar import FromDishka
from litestar import Controller, Response, get
from litestar.openapi.datastructures import ResponseSpec

from taskforge_app.check_readiness import CheckReadiness
from taskforge_entrypoints.rest.schemas import HealthOut, ReadinessOut


class HealthController(Controller):
    tags = ("health",)

    @get("/health", summary="Liveness: 200 while the process serves")
    async def health(self) -> HealthOut:
        return HealthOut(status="ok")

    @get(
        "/ready",
        summary="Readiness: 200 when PostgreSQL and Redis answer, else 503 naming the failing one",
        responses={503: ResponseSpec(ReadinessOut, description="A dependency does not answer")},
    )
    async def ready(self, check_readiness: FromDishka[CheckReadiness]) -> Response[ReadinessOut]:
        readiness = await check_readiness()
        checks = {name: "ok" for name in ("postgres", "redis")} | {
            name: f"failing: {reason}" for name, reason in readiness.failures.items()
        }
        if readiness.ready:
            return Response(ReadinessOut("ready", checks), status_code=200)
        failing = ", ".join(sorted(readiness.failures))
        return Response(ReadinessOut(f"unavailable: {failing}", checks), status_code=503)
