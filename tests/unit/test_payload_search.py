"""What a payload_equals text stands for, and the text forms both searches are read from."""

import pytest

from taskforge_app.ports import JobQuery, PayloadEquals, UnsearchableText
from taskforge_entrypoints.presentation.payload_filters import (
    InvalidPayloadFilter,
    payload_contains,
    payload_equals,
)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("42", ['"42"', "42"]),
        ("-4.5e3", ['"-4.5e3"', "-4.5e3"]),
        ("true", ['"true"', "true"]),
        ("null", ['"null"', "null"]),
        ("042", ['"042"']),
        ("ada", ['"ada"']),
        ("", ['""']),
        ('say "hi"', ['"say \\"hi\\""']),
        ("1e131071", ['"1e131071"', "1e131071"]),
        ("1e131072", ['"1e131072"']),
        ("1e-16384", ['"1e-16384"']),
    ],
)
def test_a_value_stands_for_its_string_and_the_scalar_it_spells(
    text: str, values: list[str]
) -> None:
    assert PayloadEquals(("k",), text).json_values() == values


def test_the_fragments_nest_the_value_under_every_key_of_the_path() -> None:
    search = payload_equals('customer.a"b=7')

    assert search == PayloadEquals(("customer", 'a"b'), "7")
    assert search.fragments() == ['{"customer":{"a\\"b":"7"}}', '{"customer":{"a\\"b":7}}']


def test_the_first_equals_sign_ends_the_path() -> None:
    assert payload_equals("note=a=b") == PayloadEquals(("note",), "a=b")


@pytest.mark.parametrize("text", ["no-equals", "a..b=1", ".a=1", "a.=1", "=1"])
def test_a_path_not_in_its_form_is_refused_naming_payload_equals(text: str) -> None:
    with pytest.raises(InvalidPayloadFilter) as refused:
        payload_equals(text)

    assert refused.value.parameter == "payload_equals"


@pytest.mark.parametrize("text", ["{", "[1]", '"a"', "{}", "7"])
def test_a_fragment_must_be_a_json_object_with_a_key(text: str) -> None:
    with pytest.raises(InvalidPayloadFilter) as refused:
        payload_contains(text)

    assert refused.value.parameter == "payload_contains"


def test_text_the_store_cannot_compare_is_refused_as_the_query_is_made() -> None:
    with pytest.raises(UnsearchableText, match="payload_contains"):
        JobQuery(limit=1, payload_contains={"k\x00": 1})
    with pytest.raises(UnsearchableText, match="payload_equals"):
        JobQuery(limit=1, payload_equals=PayloadEquals(("k",), "\udc80"))
