"""The NUL rule: a real NUL character anywhere is refused; the six characters \\u0000
typed as text are kept, in a decoded value and in its JSON alike."""

import json

import pytest

from taskforge_domain.job_limits import holds_nul, json_text_holds_nul

CASES = [
    ({"message": "a\x00b"}, True),
    ({"k\x00": 1}, True),
    ({"nested": [{"deep": ["\x00"]}]}, True),
    ({"typed": "\\u0000"}, False),
    ({"backslash then nul": "\\\x00"}, True),
    ({"two backslashes then text": "\\\\u0000"}, False),
    ({"plain": "hello", "n": 1, "none": None}, False),
]


@pytest.mark.parametrize(("value", "refused"), CASES)
def test_a_value_and_its_json_text_and_bytes_agree_on_nul(value: object, refused: bool) -> None:
    text = json.dumps(value)

    assert holds_nul(value) is refused
    assert json_text_holds_nul(text) is refused
    assert json_text_holds_nul(text.encode()) is refused
