"""JSON request bodies, read strictly: a value of the wrong JSON type is refused, never
coerced (Litestar's own decoding takes `0` for a date and `"5"` for a number), so the
server takes exactly what the schema's bodies describe."""

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import ValidationException

from taskforge_entrypoints.rest.errors import (
    EmptyBody,
    MalformedJson,
    UnsupportedMediaType,
)

T = TypeVar("T")


async def read_json(request: Request[Any, Any, Any], shape: type[T]) -> T:
    media_type, _ = request.content_type
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType(
            detail=f"Content-Type must be application/json, got {media_type or 'none'!r}"
        )
    body = await request.body()
    if not body:
        raise EmptyBody(detail="the request body is empty; send a JSON object")
    try:
        raw = msgspec.json.decode(body)
    except msgspec.DecodeError as exc:
        raise MalformedJson(detail=f"the request body is not valid JSON: {exc}") from None
    try:
        return strict_convert(raw, shape)
    except msgspec.ValidationError as exc:
        message, key = _message_and_field(str(exc))
        # The field goes in `errors`, as Litestar's own validation answers carry it, so
        # a client can point at what is wrong without parsing the message.
        raise ValidationException(
            detail=message, extra=[{"key": key or "body", "message": message}]
        ) from None


_AT_PATH = re.compile(r"^(?P<message>.*) - at `\$\.?(?P<path>[^`]*)`$", re.S)


def _message_and_field(text: str) -> tuple[str, str | None]:
    """msgspec's "Expected `int` >= 1 - at `$.max_attempts`" as its message and field."""
    found = _AT_PATH.match(text)
    if found is None:
        return text, None
    return found["message"], found["path"] or None


def strict_convert(raw: Any, shape: type[T]) -> T:
    """`raw` (decoded JSON) as `shape`, with no coercion but one: a whole number written
    with a fraction (`3.0`) is an integer, as JSON Schema counts it."""
    return msgspec.convert(_whole_numbers_as_integers(raw, shape), shape)


def _whole_numbers_as_integers(raw: Any, shape: object) -> Any:
    if not isinstance(raw, dict):
        return raw
    for name in _integer_fields(shape):
        value = raw.get(name)
        if isinstance(value, float) and value.is_integer():
            raw = {**raw, name: int(value)}
    # A body's objects within (a limit's rate) follow the same rule.
    for name, inner in _struct_fields(shape):
        if isinstance(raw.get(name), dict):
            raw = {**raw, name: _whole_numbers_as_integers(raw[name], inner)}
    return raw


_STRUCT_FIELDS: dict[object, tuple[tuple[str, type], ...]] = {}


def _struct_fields(shape: object) -> tuple[tuple[str, type], ...]:
    if shape not in _STRUCT_FIELDS:
        info = msgspec.inspect.type_info(shape)
        fields = info.fields if isinstance(info, msgspec.inspect.StructType) else ()
        _STRUCT_FIELDS[shape] = tuple(
            (field.encode_name, arm.cls)
            for field in fields
            for arm in _arms(field.type)
            if isinstance(arm, msgspec.inspect.StructType)
        )
    return _STRUCT_FIELDS[shape]


def _arms(kind: msgspec.inspect.Type) -> tuple[msgspec.inspect.Type, ...]:
    if isinstance(kind, msgspec.inspect.Metadata):
        return _arms(kind.type)
    if isinstance(kind, msgspec.inspect.UnionType):
        return tuple(kind.types)
    return (kind,)


_INTEGER_FIELDS: dict[object, tuple[str, ...]] = {}


def _integer_fields(shape: object) -> tuple[str, ...]:
    if shape not in _INTEGER_FIELDS:
        info = msgspec.inspect.type_info(shape)
        fields = info.fields if isinstance(info, msgspec.inspect.StructType) else ()
        names = tuple(field.encode_name for field in fields if _is_integer(field.type))
        _INTEGER_FIELDS[shape] = names
    return _INTEGER_FIELDS[shape]


def _is_integer(kind: msgspec.inspect.Type) -> bool:
    if isinstance(kind, msgspec.inspect.Metadata):
        return _is_integer(kind.type)
    if isinstance(kind, msgspec.inspect.UnionType):
        return any(_is_integer(arm) for arm in kind.types)
    return isinstance(kind, msgspec.inspect.IntType)
