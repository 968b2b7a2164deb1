"""The NUL rule: a real NUL character anywhere is refused; the six characters \\u0000
typed as text are kept, in a decoded value and in its JSON alike. A filter's text is
refused for a NUL or a lone surrogate, which the store can neither keep nor compare."""

import json

import pytest

from taskforge_app.ports import JobQuery, UnsearchableText
from taskforge_domain.job_limits import holds_nul, json_text_holds_nul, unstorable_text

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


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("timeout", None),
        ("caf\u00e9 \u2603", None),
        ("a\x00b", "NUL"),
        ("bytes \udcff from a command line", "not valid Unicode"),
    ],
)
def test_a_text_the_store_cannot_compare_says_why(text: str, reason: str | None) -> None:
    found = unstorable_text(text)

    assert found is None if reason is None else reason in str(found)


def test_a_query_with_such_a_filter_is_refused_naming_its_field() -> None:
    with pytest.raises(UnsearchableText) as refused:
        JobQuery(limit=10, error_contains="boom\x00")

    assert refused.value.field == "error_contains"
    assert "NUL" in refused.value.reason
    assert JobQuery(limit=10, error_contains="boom").error_contains == "boom"
