from typing import Protocol


class Probe(Protocol):
    """A backing service that can say whether it answers."""

    async def ping(self) -> None:
        """Answer, or raise StoreUnavailable / ChannelUnavailable."""
        ...
