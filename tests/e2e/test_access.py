"""API_AUTH=required over real HTTP: every endpoint against every kind of key, keys
limited to queues, revocation seen by every API process at once, and the audit trail."""

import asyncio
import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import datetime

import asyncpg
import httpx
import pytest
import pytest_asyncio
import redis.asyncio as aioredis

from tests.conftest import Services
from tests.e2e.conftest import FAST_RETRIES
from tests.e2e.processes import (
    Stack,
    TaskforgeProcess,
    free_port,
    running_stack,
    stack_environment,
    taskforge,
    wait_until_ready,
)

SCOPES = ("read", "submit", "operate", "admin")
# Scheduled far ahead: it waits, so a cancel finds it cancellable, and no worker runs it.
WAITING_JOB = {"job_type": "ping", "delay_seconds": 3600}


def create_key(env: dict[str, str], name: str, *options: str) -> str:
    made = taskforge("keys", "create", "--name", name, *options, "--json", env=env)
    assert made.returncode == 0, made.stderr
    token = json.loads(made.stdout)["token"]
    assert isinstance(token, str)
    return token


def secret_of(token: str) -> str:
    """The secret part of `tfk_<16 hex>_<secret>`; the secret may hold underscores itself."""
    return token[len("tfk_") + 16 + 1 :]


@dataclass
class Keys:
    tokens: dict[str, str]

    def header(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


@pytest_asyncio.fixture(scope="module")
async def auth_env(test_services: Services) -> dict[str, str]:
    return await stack_environment(
        test_services, "auth-worker", FAST_RETRIES | {"API_AUTH": "required"}
    )


@pytest.fixture(scope="module")
def auth_stack(auth_env: dict[str, str]) -> Iterator[Stack]:
    with running_stack(auth_env) as running:
        yield running


@pytest.fixture(scope="module")
def keys(auth_stack: Stack) -> Keys:
    env = auth_stack.env
    tokens = {scope: create_key(env, f"key-{scope}", "--scopes", scope) for scope in SCOPES}
    tokens["high-reader"] = create_key(env, "high-reader", "--scopes", "read", "--queues", "high")
    tokens["high-submitter"] = create_key(
        env, "high-submitter", "--scopes", "submit,read", "--queues", "high"
    )
    tokens["revoked"] = create_key(env, "gone", "--scopes", "admin")
    assert taskforge("keys", "revoke", "gone", env=env).returncode == 0
    return Keys(tokens)


@pytest_asyncio.fixture
async def http(auth_stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=auth_stack.base_url, timeout=10) as client:
        yield client


@pytest_asyncio.fixture(scope="module")
async def normal_job(auth_stack: Stack, keys: Keys) -> str:
    async with httpx.AsyncClient(base_url=auth_stack.base_url, timeout=10) as client:
        answer = await client.post(
            "/v1/jobs",
            json=WAITING_JOB,
            headers=keys.header("admin"),
        )
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    scope: str
    body: object = None

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


def endpoints(job_id: str) -> list[Endpoint]:
    return [
        Endpoint("GET", "/v1/jobs", "read"),
        Endpoint("GET", "/v1/jobs/estimate", "read"),
        Endpoint("GET", f"/v1/jobs/{job_id}", "read"),
        Endpoint("GET", f"/v1/jobs/{job_id}/attempts", "read"),
        Endpoint("GET", f"/v1/jobs/{job_id}?wait=0.1", "read"),
        # An unknown job: a known one's stream would stay open while it waits.
        Endpoint("GET", f"/v1/jobs/{uuid.uuid4()}/events", "read"),
        Endpoint("OPTIONS", "/v1/jobs", "read"),
        Endpoint("GET", "/v1/workers", "read"),
        Endpoint("GET", "/v1/queues", "read"),
        Endpoint("GET", "/metrics", "read"),
        Endpoint("GET", "/docs", "read"),
        Endpoint("GET", "/docs/openapi.json", "read"),
        Endpoint("POST", "/v1/jobs", "submit", {"job_type": "ping"}),
        Endpoint("POST", "/v1/jobs/batch", "submit", {"jobs": [{"job_type": "ping"}]}),
        # A job that does not exist: the scope is checked before the job is looked up.
        Endpoint("POST", f"/v1/jobs/{uuid.uuid4()}/cancel", "operate"),
        Endpoint("POST", f"/v1/jobs/{job_id}/replay", "operate"),
        Endpoint("POST", f"/v1/jobs/{job_id}/retry", "operate"),
        Endpoint("POST", "/v1/dead-letters/replay", "operate", {"dry_run": True}),
        Endpoint("POST", f"/v1/jobs/{job_id}/webhook/redeliver", "operate"),
        # A queue that does not exist: pausing a real one would hold back the other tests.
        Endpoint("POST", "/v1/queues/no-such-queue/pause", "operate"),
        Endpoint("POST", "/v1/queues/no-such-queue/resume", "operate"),
        Endpoint("GET", "/v1/audit", "admin"),
        Endpoint("GET", "/v1/keys", "admin"),
        Endpoint("POST", "/v1/keys/no-such-key/revoke", "admin"),
        # Schedules: reads, the operator's pause/resume/trigger, and admin's changes; a
        # schedule that does not exist, since the scope is checked before it is looked up.
        Endpoint("GET", "/v1/schedules", "read"),
        Endpoint("GET", "/v1/schedules/no-such-schedule", "read"),
        Endpoint("POST", "/v1/schedules/no-such-schedule/pause", "operate"),
        Endpoint("POST", "/v1/schedules/no-such-schedule/resume", "operate"),
        Endpoint("POST", "/v1/schedules/no-such-schedule/trigger", "operate"),
        Endpoint("POST", "/v1/schedules", "admin", {"name": "x", "every": "1h", "job_type": "p"}),
        Endpoint(
            "PUT", "/v1/schedules/no-such-schedule", "admin", {"every": "1h", "job_type": "p"}
        ),
        Endpoint("DELETE", "/v1/schedules/no-such-schedule", "admin"),
        # Limits: a job type nothing else runs, so setting its limit changes no other test.
        Endpoint("GET", "/v1/limits", "read"),
        Endpoint("PUT", "/v1/limits/access-matrix", "admin", {"concurrency": 2}),
        Endpoint("DELETE", "/v1/limits/no-such-type", "admin"),
        # A queue that does not exist, for the same reason as its pause.
        Endpoint("PUT", "/v1/queues/no-such-queue/limit", "admin", {"concurrency": 2}),
        Endpoint("DELETE", "/v1/queues/no-such-queue/limit", "admin"),
    ]


async def send(
    client: httpx.AsyncClient, endpoint: Endpoint, headers: dict[str, str]
) -> httpx.Response:
    body = None if endpoint.body is None else json.dumps(endpoint.body).encode()
    if body is not None:
        headers = headers | {"Content-Type": "application/json"}
    return await client.request(endpoint.method, endpoint.path, content=body, headers=headers)


def assert_unauthenticated(answer: httpx.Response, what: str) -> None:
    assert answer.status_code == 401, f"{what}: {answer.status_code} {answer.text}"
    assert answer.headers["WWW-Authenticate"].startswith("Bearer"), what
    assert answer.json()["code"] == "unauthenticated", what


async def test_health_and_ready_need_no_key(http: httpx.AsyncClient) -> None:
    assert (await http.get("/health")).status_code == 200
    assert (await http.get("/ready")).status_code == 200


BAD_CREDENTIALS = {
    "no header": {},
    "not bearer": {"Authorization": "Basic dXNlcjpwYXNz"},
    "malformed key": {"Authorization": "Bearer not-a-key"},
    "unknown key": {"Authorization": f"Bearer tfk_{'0' * 16}_{'A' * 43}"},
}


async def test_every_endpoint_refuses_calls_without_a_valid_key(
    http: httpx.AsyncClient, keys: Keys, normal_job: str
) -> None:
    credentials = BAD_CREDENTIALS | {"revoked key": keys.header("revoked")}
    for endpoint in endpoints(normal_job):
        for label, headers in credentials.items():
            assert_unauthenticated(await send(http, endpoint, headers), f"{endpoint}, {label}")


async def test_a_known_key_with_the_wrong_secret_is_unknown(
    http: httpx.AsyncClient, keys: Keys
) -> None:
    key_id = keys.tokens["admin"][: len("tfk_") + 16]
    answer = await http.get("/v1/jobs", headers={"Authorization": f"Bearer {key_id}_{'B' * 43}"})
    assert_unauthenticated(answer, "wrong secret")
    assert answer.json()["detail"] == "the API key is not known"


async def test_each_scope_opens_its_endpoints_and_no_other(
    http: httpx.AsyncClient, keys: Keys, normal_job: str
) -> None:
    """The matrix: every endpoint by every scope; admin opens everything."""
    for endpoint in endpoints(normal_job):
        for scope in SCOPES:
            answer = await send(http, endpoint, keys.header(scope))
            allowed = scope in (endpoint.scope, "admin")
            what = f"{endpoint} with a {scope} key: {answer.status_code} {answer.text[:200]}"
            if allowed:
                assert answer.status_code not in (401, 403), what
                assert answer.status_code < 500, what
            else:
                assert answer.status_code == 403, what
                problem = answer.json()
                assert problem["code"] == "forbidden", what
                assert problem["detail"] == f"this key lacks the {endpoint.scope} scope", what


async def test_a_forbidden_answer_does_not_tell_whether_the_job_exists(
    http: httpx.AsyncClient, keys: Keys, normal_job: str
) -> None:
    there = await http.post(f"/v1/jobs/{normal_job}/cancel", headers=keys.header("read"))
    missing = await http.post(f"/v1/jobs/{uuid.uuid4()}/cancel", headers=keys.header("read"))
    assert there.status_code == missing.status_code == 403
    assert there.json()["detail"] == missing.json()["detail"]


async def test_a_key_limited_to_queues_sees_only_their_jobs(
    http: httpx.AsyncClient, keys: Keys, normal_job: str
) -> None:
    high = await http.post(
        "/v1/jobs",
        json={"job_type": "ping", "queue": "high"},
        headers=keys.header("high-submitter"),
    )
    assert high.status_code == 202, high.text
    high_id = high.json()["id"]

    reader = keys.header("high-reader")
    # Another queue's job is as absent as a job that never existed.
    hidden = await http.get(f"/v1/jobs/{normal_job}", headers=reader)
    absent = await http.get(f"/v1/jobs/{uuid.uuid4()}", headers=reader)
    assert hidden.status_code == absent.status_code == 404
    assert (await http.get(f"/v1/jobs/{normal_job}/attempts", headers=reader)).status_code == 404
    waited = await http.get(f"/v1/jobs/{normal_job}", params={"wait": 0.1}, headers=reader)
    assert waited.status_code == 404
    assert (await http.get(f"/v1/jobs/{normal_job}/events", headers=reader)).status_code == 404
    assert (await http.get(f"/v1/jobs/{high_id}", headers=reader)).status_code == 200

    listed = await http.get("/v1/jobs", params={"limit": 500}, headers=reader)
    assert listed.status_code == 200
    queues = {job["queue"] for job in listed.json()["jobs"]}
    assert queues == {"high"}
    assert high_id in {job["id"] for job in listed.json()["jobs"]}

    other_queue = await http.get("/v1/jobs", params={"queue": "normal"}, headers=reader)
    assert other_queue.status_code == 403
    assert other_queue.json()["detail"] == "this key lacks access to queue normal"


async def test_a_key_limited_to_queues_lists_and_pauses_only_them(
    http: httpx.AsyncClient, keys: Keys
) -> None:
    reader = keys.header("high-reader")

    listed = await http.get("/v1/queues", headers=reader)
    paused = await http.post("/v1/queues/normal/pause", headers=reader)

    assert listed.status_code == 200
    assert [queue["queue"] for queue in listed.json()["queues"]] == ["high"]
    assert paused.status_code == 403
    assert paused.json()["detail"] == "this key lacks the operate scope"


async def test_a_key_limited_to_queues_submits_only_to_them(
    http: httpx.AsyncClient, keys: Keys
) -> None:
    submitter = keys.header("high-submitter")
    refused = await http.post("/v1/jobs", json={"job_type": "ping"}, headers=submitter)
    assert refused.status_code == 403
    assert refused.json()["detail"] == "this key lacks access to queue normal"
    mixed = await http.post(
        "/v1/jobs/batch",
        json={
            "jobs": [{"job_type": "ping", "queue": "high"}, {"job_type": "ping", "queue": "low"}]
        },
        headers=submitter,
    )
    assert mixed.status_code == 403
    assert mixed.json()["detail"] == "this key lacks access to queue low"


async def test_an_expired_key_is_refused(auth_stack: Stack, http: httpx.AsyncClient) -> None:
    token = create_key(auth_stack.env, "brief", "--scopes", "read", "--expires-in", "2s")
    listed = json.loads(taskforge("keys", "list", "--json", env=auth_stack.env).stdout)
    brief = next(key for key in listed["keys"] if key["name"] == "brief")
    expires_at = datetime.fromisoformat(brief["expires_at"])
    headers = {"Authorization": f"Bearer {token}"}
    assert (await http.get("/v1/jobs", headers=headers)).status_code == 200
    # The expiry is a known instant: wait until just past it, no guessing.
    await asyncio.sleep(max(0.0, (expires_at - datetime.now(expires_at.tzinfo)).total_seconds()))
    await asyncio.sleep(0.05)
    answer = await http.get("/v1/jobs", headers=headers)
    assert_unauthenticated(answer, "expired key")
    assert answer.json()["detail"] == "the API key is expired"


async def test_keys_list_never_shows_a_secret(auth_stack: Stack, keys: Keys) -> None:
    table = taskforge("keys", "list", env=auth_stack.env)
    as_json = taskforge("keys", "list", "--json", env=auth_stack.env)
    assert table.returncode == as_json.returncode == 0
    for token in keys.tokens.values():
        secret = secret_of(token)
        assert secret not in table.stdout
        assert secret not in as_json.stdout
    assert "key-admin" in table.stdout
    assert "revoked" in table.stdout


async def test_a_revoked_key_stops_at_once_in_every_api_process(
    auth_stack: Stack, http: httpx.AsyncClient
) -> None:
    token = create_key(auth_stack.env, "short-lived", "--scopes", "read")
    port = free_port()
    second = TaskforgeProcess(
        ["api"],
        auth_stack.env
        | {"HTTP_ADDR": f"127.0.0.1:{port}", "HTTP_BASE_URL": f"http://127.0.0.1:{port}"},
    )
    try:
        wait_until_ready(f"http://127.0.0.1:{port}", second)
        headers = {"Authorization": f"Bearer {token}"}
        urls = [f"{auth_stack.base_url}/v1/jobs", f"http://127.0.0.1:{port}/v1/jobs"]
        for url in urls:
            assert (await http.get(url, headers=headers)).status_code == 200
        assert taskforge("keys", "revoke", "short-lived", env=auth_stack.env).returncode == 0
        for url in urls:
            assert_unauthenticated(await http.get(url, headers=headers), url)
    finally:
        assert second.stop() == 0, second.log
    assert token not in auth_stack.api.log, "a refused key's secret reached the log"


async def test_keys_are_managed_over_rest_by_an_admin(http: httpx.AsyncClient, keys: Keys) -> None:
    admin = keys.header("admin")
    made = await http.post(
        "/v1/keys",
        json={
            "name": "made-over-rest",
            "scopes": ["submit"],
            "queues": ["low"],
            "expires_in_seconds": 3600,
        },
        headers=admin,
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    assert made.json()["key"]["queues"] == ["low"]
    low = await http.post(
        "/v1/jobs",
        json={"job_type": "ping", "queue": "low"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert low.status_code == 202
    again = await http.post(
        "/v1/keys", json={"name": "made-over-rest", "scopes": ["read"]}, headers=admin
    )
    assert again.status_code == 409
    assert again.json()["code"] == "key-name-taken"
    bad = await http.post("/v1/keys", json={"name": "x", "scopes": ["root"]}, headers=admin)
    assert bad.status_code == 422
    revoked = await http.post("/v1/keys/made-over-rest/revoke", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    listed = (await http.get("/v1/keys", headers=admin)).json()["keys"]
    assert secret_of(token) not in json.dumps(listed)


async def test_operator_writes_are_on_the_audit_trail(
    auth_stack: Stack, http: httpx.AsyncClient, keys: Keys
) -> None:
    submitted = await http.post(
        "/v1/jobs",
        json=WAITING_JOB,
        headers=keys.header("submit"),
    )
    job_id = submitted.json()["id"]
    cancelled = await http.post(
        f"/v1/jobs/{job_id}/cancel",
        headers=keys.header("operate") | {"X-Request-ID": "req-audit-1"},
    )
    assert cancelled.status_code == 200
    assert cancelled.headers["X-Request-ID"] == "req-audit-1"
    bulk = await http.post(
        "/v1/dead-letters/replay",
        json={"job_type": "never-died", "dry_run": False},
        headers=keys.header("operate"),
    )
    assert bulk.status_code == 200, bulk.text

    admin = keys.header("admin")
    by_job = (await http.get("/v1/audit", params={"job_id": job_id}, headers=admin)).json()
    [entry] = by_job["entries"]
    assert entry["actor"] == "key-operate"
    assert entry["action"] == "job.cancel"
    assert entry["request_id"] == "req-audit-1"
    replays = (
        await http.get("/v1/audit", params={"action": "job.replay_bulk"}, headers=admin)
    ).json()
    assert replays["entries"][0]["details"]["filter"] == {"job_type": "never-died"}
    assert replays["entries"][0]["details"]["replayed"] == 0

    cli = taskforge("jobs", "replay", job_id, env=auth_stack.env)
    assert cli.returncode != 0  # cancelled, not dead: refused, and not recorded
    created = (await http.get("/v1/audit", params={"action": "key.create"}, headers=admin)).json()
    assert {entry["details"]["key"] for entry in created["entries"]} >= {"key-admin", "gone"}
    assert all(entry["actor"].startswith("cli:") for entry in created["entries"][-6:])


async def test_the_audit_trail_pages_through_every_entry(
    http: httpx.AsyncClient, keys: Keys, auth_stack: Stack
) -> None:
    admin = keys.header("admin")
    everything = (await http.get("/v1/audit", params={"limit": 500}, headers=admin)).json()
    seen: list[int] = []
    url: str | None = f"{auth_stack.base_url}/v1/audit?limit=2"
    while url is not None:
        page = (await http.get(url, headers=admin)).json()
        seen += [entry["id"] for entry in page["entries"]]
        url = page["next"]
    assert seen == [entry["id"] for entry in everything["entries"]]
    assert len(seen) >= 8


async def test_the_cli_reads_the_audit_trail(auth_stack: Stack) -> None:
    listed = taskforge("audit", "list", "--action", "key.revoke", "--json", env=auth_stack.env)
    assert listed.returncode == 0, listed.stderr
    names = [entry["details"]["key"] for entry in json.loads(listed.stdout)["entries"]]
    assert "gone" in names
    table = taskforge("audit", "list", "--limit", "3", env=auth_stack.env)
    assert table.returncode == 0
    assert "next page: --cursor" in table.stdout


async def test_a_cli_cancel_is_recorded_with_the_os_user(
    auth_stack: Stack, http: httpx.AsyncClient, keys: Keys
) -> None:
    submitted = await http.post(
        "/v1/jobs",
        json=WAITING_JOB,
        headers=keys.header("submit"),
    )
    job_id = submitted.json()["id"]
    assert taskforge("jobs", "cancel", job_id, env=auth_stack.env).returncode == 0
    trail = taskforge("audit", "list", "--job", job_id, "--json", env=auth_stack.env)
    [entry] = json.loads(trail.stdout)["entries"]
    assert entry["action"] == "job.cancel"
    assert entry["actor"].startswith("cli:")


async def test_the_schema_declares_the_bearer_scheme_and_each_scope(
    http: httpx.AsyncClient, keys: Keys
) -> None:
    schema = (await http.get("/docs/openapi.json", headers=keys.header("read"))).json()
    assert schema["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    operations = {
        (method.upper(), path): operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }
    assert operations[("POST", "/v1/jobs")]["x-required-scope"] == "submit"
    assert operations[("GET", "/v1/jobs/{job_id}")]["x-required-scope"] == "read"
    assert operations[("POST", "/v1/jobs/{job_id}/cancel")]["x-required-scope"] == "operate"
    assert operations[("GET", "/v1/audit")]["x-required-scope"] == "admin"
    for (method, path), operation in operations.items():
        public = path in ("/health", "/ready")
        assert ("security" not in operation) == public, (method, path)


async def next_redis_second(env: dict[str, str]) -> None:
    client = aioredis.Redis.from_url(f"redis://{env['REDIS_ADDR']}/{env['REDIS_DB']}")
    try:
        _, micros = await client.time()
    finally:
        await client.aclose()
    await asyncio.sleep((1_000_000 - micros) / 1e6 + 0.002)


@pytest_asyncio.fixture(scope="module")
async def limited_env(test_services: Services) -> dict[str, str]:
    return await stack_environment(
        test_services,
        "rate-worker",
        FAST_RETRIES | {"API_AUTH": "required", "API_KEY_RATE_LIMIT": "5"},
    )


async def test_the_submit_rate_is_shared_by_every_api_process(limited_env: dict[str, str]) -> None:
    with running_stack(limited_env) as stack:
        token = create_key(stack.env, "bursty", "--scopes", "submit")
        headers = {"Authorization": f"Bearer {token}"}
        port = free_port()
        second_url = f"http://127.0.0.1:{port}"
        second = TaskforgeProcess(
            ["api"], stack.env | {"HTTP_ADDR": f"127.0.0.1:{port}", "HTTP_BASE_URL": second_url}
        )
        try:
            wait_until_ready(second_url, second)
            async with httpx.AsyncClient(timeout=10) as http:
                refused = None
                for _ in range(5):
                    # Five jobs through one process fill this second's window; the sixth,
                    # through the other, is refused unless the window turned in between.
                    # Each try starts as Redis's clock turns a second, with a fresh window.
                    await next_redis_second(stack.env)
                    filled = await http.post(
                        f"{stack.base_url}/v1/jobs/batch",
                        json={"jobs": [{"job_type": "ping"}] * 5},
                        headers=headers,
                    )
                    if filled.status_code != 200:
                        continue
                    answer = await http.post(
                        f"{second_url}/v1/jobs", json={"job_type": "ping"}, headers=headers
                    )
                    if answer.status_code == 429:
                        refused = answer
                        break
                assert refused is not None, "the second process never saw the first's submits"
                assert refused.json()["code"] == "rate-limited"
                assert 1 <= int(refused.headers["Retry-After"]) <= 1
                too_big = await http.post(
                    f"{stack.base_url}/v1/jobs/batch",
                    json={"jobs": [{"job_type": "ping"}] * 6},
                    headers=headers,
                )
                assert too_big.status_code == 429
        finally:
            assert second.stop() == 0, second.log


async def test_keys_are_stored_only_as_hashes(auth_stack: Stack, keys: Keys) -> None:
    conn = await asyncpg.connect(database_url(auth_stack.env))
    try:
        rows = await conn.fetch("SELECT * FROM api_keys")
    finally:
        await conn.close()
    stored = json.dumps([{k: str(v) for k, v in dict(row).items()} for row in rows])
    for token in keys.tokens.values():
        secret = secret_of(token)
        assert secret not in stored
    admin = next(row for row in rows if row["name"] == "key-admin")
    secret = secret_of(keys.tokens["admin"])
    assert bytes(admin["secret_sha256"]) == hashlib.sha256(secret.encode()).digest()


def database_url(env: dict[str, str]) -> str:
    return (
        f"postgresql://{env['POSTGRES_USER']}@{env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}"
        f"/{env['POSTGRES_DB']}"
    )


async def test_an_idempotency_key_of_another_queue_reveals_nothing(
    http: httpx.AsyncClient, keys: Keys
) -> None:
    key = {"Idempotency-Key": f"shared-{uuid.uuid4().hex}"}
    first = await http.post("/v1/jobs", json=WAITING_JOB, headers=keys.header("submit") | key)
    assert first.status_code == 202
    again = await http.post(
        "/v1/jobs",
        json=WAITING_JOB | {"queue": "high"},
        headers=keys.header("high-submitter") | key,
    )
    assert again.status_code == 422
    assert again.json()["code"] == "idempotency-key-reused"
    assert first.json()["id"] not in again.text
