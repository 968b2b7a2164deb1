"""The domain's access decisions and the shape of a key."""

import pytest

from taskforge_app.key_secrets import matches, new_key, parse_token
from taskforge_domain.access import Forbidden, Grant, Scope, parse_scopes


def test_a_scope_allows_itself_and_admin_allows_every_scope() -> None:
    read = Grant(frozenset({Scope.READ}))
    admin = Grant(frozenset({Scope.ADMIN}))
    assert read.permits(Scope.READ)
    assert not read.permits(Scope.SUBMIT)
    assert all(admin.permits(scope) for scope in Scope)


def test_a_missing_scope_is_named() -> None:
    with pytest.raises(Forbidden, match=r"^this key lacks the operate scope$"):
        Grant(frozenset({Scope.READ, Scope.SUBMIT})).require(Scope.OPERATE)


def test_a_key_limited_to_queues_covers_those_alone() -> None:
    grant = Grant(frozenset({Scope.SUBMIT}), frozenset({"high", "low"}))
    assert grant.covers("high")
    assert not grant.covers("normal")
    grant.require_queues(["high", "low"])
    with pytest.raises(Forbidden, match=r"^this key lacks access to queue normal, urgent$"):
        grant.require_queues(["urgent", "high", "normal"])
    Grant(frozenset({Scope.SUBMIT})).require_queues(["anything"])


@pytest.mark.parametrize(
    ("text", "scopes"),
    [
        ("read", {Scope.READ}),
        (" read, submit ,", {Scope.READ, Scope.SUBMIT}),
        ("admin", {Scope.ADMIN}),
    ],
)
def test_scopes_are_read_from_a_list(text: str, scopes: set[Scope]) -> None:
    assert parse_scopes(text) == scopes


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "name at least one scope"),
        ("read,root", "unknown scope root"),
        (" , ", "name at least"),
    ],
)
def test_a_bad_scope_list_is_refused_naming_the_problem(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_scopes(text)


def test_a_new_key_reads_back_from_its_token() -> None:
    key = new_key()
    assert key.token.startswith("tfk_")
    assert parse_token(key.token) == key
    assert matches(key, key.sha256)


def test_keys_are_unique_and_only_their_own_secret_matches() -> None:
    first, second = new_key(), new_key()
    assert first.key_id != second.key_id
    assert not matches(first, second.sha256)
    assert not matches(first, None)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "tfk_",
        "tfk_0123456789abcdef",
        "tfk_0123456789ABCDEF_" + "a" * 43,
        "xyz_0123456789abcdef_" + "a" * 43,
        "tfk_0123456789abcdef_" + "a" * 42,
        "tfk_0123456789abcdef_" + "a" * 44,
        "tfk_0123456789abcdef_" + "a" * 42 + "=",
    ],
)
def test_a_token_of_another_shape_is_no_key(token: str) -> None:
    assert parse_token(token) is None
