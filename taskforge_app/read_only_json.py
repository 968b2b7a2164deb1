"""Decoded JSON a handler can read, compare, encode and copy, but not change.

Subclasses of dict and list rather than mappingproxy and tuple: json and msgspec
encode them, so a handler may return its payload or part of it, and they compare
equal to the plain JSON values its author writes in code and tests.
"""

from typing import Any, NoReturn

_READ_ONLY = "a job's payload is read-only; copy it (dict(...), list(...), copy.deepcopy) to change"
_NESTING = (dict, list, tuple)


def _refuse(self: object, *args: object, **kwargs: object) -> NoReturn:
    raise TypeError(_READ_ONLY)


class ReadOnlyDict(dict[str, Any]):
    """A JSON object that refuses every change."""

    __slots__ = ()
    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> tuple[type[dict[str, Any]], tuple[dict[str, Any]]]:
        # copy, deepcopy and pickle would rebuild it through __setitem__; a copy is made
        # to be changed, so it is a plain dict.
        return dict, (dict(self),)


class ReadOnlyList(list[Any]):
    """A JSON array that refuses every change."""

    __slots__ = ()
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse
    append = extend = insert = pop = remove = clear = sort = reverse = _refuse

    def __reduce__(self) -> tuple[type[list[Any]], tuple[list[Any]]]:
        return list, (list(self),)


def read_only(value: Any) -> Any:
    """`value` with every object and array in it read-only, all the way down."""
    # Copied in C first, then only what nests is visited again: most payloads are flat.
    if isinstance(value, dict):
        frozen_object = ReadOnlyDict(value)
        for key, item in value.items():
            if isinstance(item, _NESTING):
                dict.__setitem__(frozen_object, key, read_only(item))
        return frozen_object
    if isinstance(value, list | tuple):
        frozen_array = ReadOnlyList(value)
        for index, item in enumerate(value):
            if isinstance(item, _NESTING):
                list.__setitem__(frozen_array, index, read_only(item))
        return frozen_array
    return value
