from typing import Annotated, Any

import msgspec
from dishka.integrations.litestar import FromDishka
from litestar import Controller, Request, get, post

from taskforge_app.manage_keys import KEY_NAME_PATTERN, CreateKey, ListKeys, RevokeKey
from taskforge_domain.access import Grant, Scope, parse_scopes
from taskforge_entrypoints.config.go_duration import parse_go_duration
from taskforge_entrypoints.presentation.access_json import CreatedKeyOut, KeyOut, KeysOut
from taskforge_entrypoints.rest.access import caller_of, needs
from taskforge_entrypoints.rest.errors import STORE_DOWN, InvalidJob, problem_spec
from taskforge_entrypoints.rest.request_bodies import read_json

AnyRequest = Request[Any, Any, Any]
_ADMIN = needs(Scope.ADMIN)
KeyName = Annotated[str, msgspec.Meta(pattern=KEY_NAME_PATTERN)]


class KeyCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: KeyName
    scopes: Annotated[list[Scope], msgspec.Meta(min_length=1)]
    queues: list[Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9_-]{1,64}$")]] | None = None
    expires_in: Annotated[str, msgspec.Meta(description="A Go duration, like 720h")] | None = None


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
        responses={
            409: problem_spec("A key of this name exists"),
            422: problem_spec("Invalid name, scopes, queues or expires_in"),
            **STORE_DOWN,
        },
    )
    async def create_key(
        self, request: AnyRequest, create_key: FromDishka[CreateKey]
    ) -> CreatedKeyOut:
        data = await read_json(request, KeyCreate)
        expires_in = None
        if data.expires_in is not None:
            try:
                expires_in = parse_go_duration(data.expires_in)
            except ValueError as exc:
                raise InvalidJob(detail=f"expires_in: {exc}") from None
        scopes = parse_scopes(",".join(data.scopes))
        queues = None if data.queues is None else frozenset(data.queues)
        created = await create_key(caller_of(request), data.name, Grant(scopes, queues), expires_in)
        return CreatedKeyOut(key=KeyOut.of(created.key), token=created.token)

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
