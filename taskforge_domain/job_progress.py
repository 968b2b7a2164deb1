"""How far a running attempt says it has got: a fraction of its work and a short note."""

import math
from dataclasses import dataclass

PROGRESS_MESSAGE_MAX_LENGTH = 200


@dataclass(frozen=True, slots=True)
class Progress:
    fraction: float
    message: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.fraction, bool) or not isinstance(self.fraction, int | float):
            raise TypeError(f"progress must be a number from 0 to 1, not {self.fraction!r}")
        if not (math.isfinite(self.fraction) and 0 <= self.fraction <= 1):
            raise ValueError(f"progress must be from 0 to 1, not {self.fraction!r}")
        if not isinstance(self.message, str):
            raise TypeError(f"a progress message is text, not {type(self.message).__name__}")
        if len(self.message) > PROGRESS_MESSAGE_MAX_LENGTH:
            raise ValueError(
                f"a progress message holds at most {PROGRESS_MESSAGE_MAX_LENGTH} characters, "
                f"not {len(self.message)}"
            )
        if "\x00" in self.message:
            raise ValueError("a progress message cannot hold the NUL character")
