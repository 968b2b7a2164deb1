import importlib


class HandlerModuleError(Exception):
    pass


def import_handler_modules(modules: tuple[str, ...]) -> None:
    """Import the modules named in TASKFORGE_HANDLERS so their decorators register job types."""
    for name in modules:
        try:
            importlib.import_module(name)
        except Exception as exc:
            raise HandlerModuleError(
                f"TASKFORGE_HANDLERS: cannot import {name!r}: {type(exc).__name__}: {exc}"
            ) from exc
