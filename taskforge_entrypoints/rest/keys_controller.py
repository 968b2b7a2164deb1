from datetime import timedelta
from typing import Annotated, Any

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, HttpMethod, Request, Response, get, post, route

from taskforge_app.manage_keys import KEY_NAME_PATTERN, CreateKey, ListKeys, RevokeKey
from taskforge_domain.access import Grant, Scope
from taskforge_domain.job_limits import QUEUE_NAME_PATTERN
from taskforge_entrypoints.presentation.access_json import CreatedKeyOut, KeyOut, KeysOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, problem_spec
from taskforge_entrypoints.rest.jobs_controller import answer_options
from taskforge_entrypoints.rest.request_bodies import read_json

AnyRequest = Request[Any, Any, Any]
_ADMIN = needs(Scope.ADMIN)
_TEN_YEARS = 10 * 366 * 24 * 3600
QueueName = Annotated[str, msgspec.Meta(pattern=QUEUE_NAME_PATTERN)]
KeyName = Annotated[str, msgspec.Meta(pattern=KEY_NAME_PATTERN)]


class KeyCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: KeyName
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1)]
    queues: Annotated[list[QueueName], msgspec.Meta(min_length=1)] | None = None
    expires_in_seconds: Annotated[int, msgspec.Meta(ge=1, le=_TEN_YEARS)] | None = None


class KeysController(Controller):
    """The same keys `taskforge keys` manages, for an admin key."""

    path = "/v1/keys"
    tags = ("keys",)

    @get("/", opt=_ADMIN, summary="Every API key, without secrets", responses=STORE_DOWN)
    async def list_keys(self, list_keys: FromDishka[ListKeys]) -> KeysOut:
        return KeysOut(keys=[KeyOut.of(key) for key in await list_keys()])

    @post(
        "/",
        opt=_ADMIN,
        status_code=201,
        summary="Create an API key; the answer holds its secret, this once",
        description=(
            "`scopes`: read, submit, operate, admin (admin allows everything). `queues` "
            "limits the key to jobs of those queues; without it the key covers every queue."
        ),
        responses={
            400: problem_spec("Malformed JSON or empty body"),
            409: problem_spec("A key of this name exists"),
            415: problem_spec("Body is not JSON"),
            422: problem_spec("Invalid name, scopes, queues or expires_in_seconds"),
            **STORE_DOWN,
        },
    )
    async def create_key(
        self, request: AnyRequest, create_key: FromDishka[CreateKey]
    ) -> Response[CreatedKeyOut]:
        data = await read_json(request, KeyCreate)
        expires_in = None
        if data.expires_in_seconds is not None:
            expires_in = timedelta(seconds=data.expires_in_seconds)
        scopes = frozenset(data.scopes)
        queues = None if data.queues is None else frozenset(data.queues)
        created = await create_key(caller_of(request), data.name, Grant(scopes, queues), expires_in)
        body = CreatedKeyOut(key=KeyOut.of(created.key), token=created.token)
        # The one answer that carries a secret: no cache keeps it.
        return Response(body, status_code=201, headers={"Cache-Control": "no-store"})

    @post(
        "/{name:str}/revoke",
        opt=_ADMIN,
        status_code=200,
        summary="Revoke an API key: it stops working at once, in every API process",
        responses={404: problem_spec("No key of this name"), **STORE_DOWN},
    )
    async def revoke_key(
        self, request: AnyRequest, name: str, revoke_key: FromDishka[RevokeKey]
    ) -> KeyOut:
        return KeyOut.of(await revoke_key(caller_of(request), name))

    # Litestar's own OPTIONS answer on this path lists only one of its two methods.
    @route("/", http_method=HttpMethod.OPTIONS, include_in_schema=False, opt=needs(Scope.READ))
    async def allowed_methods(self, request: AnyRequest) -> Response[None]:
        return answer_options(request)
