"""Reading a text/event-stream in tests, event by event, as a browser's EventSource would."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class Event:
    event: str
    id: str | None
    data: dict[str, Any]


@dataclass
class Stream:
    events: list[Event]
    comments: int = 0


async def read_events(response: httpx.Response, into: Stream) -> AsyncIterator[Event]:
    fields: dict[str, str] = {}
    async for line in response.aiter_lines():
        if line.startswith(":"):
            into.comments += 1
        elif line:
            name, _, value = line.partition(":")
            fields[name] = value.removeprefix(" ")
        elif "data" in fields:
            data = json.loads(fields["data"])
            event = Event(fields.get("event", "message"), fields.get("id"), data)
            into.events.append(event)
            fields = {}
            yield event
