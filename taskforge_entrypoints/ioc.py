"""The composition root: the one place where adapters are plugged into the ports."""

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from dishka import (
    AnyOf,
    AsyncContainer,
    Provider,
    Scope,
    from_context,
    make_async_container,
    provide,
)
from prometheus_client import (
    CollectorRegistry,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    disable_created_metrics,
)

from taskforge_adapters.cron.croniter_calendar import CroniterCalendar
from taskforge_adapters.http.httpx_webhook_sender import HttpxWebhookSender
from taskforge_adapters.postgres.migrations import (
    DirtyDatabase,
    MigrationError,
    Migrator,
    discover,
    migrate_up,
    migrations_dir,
    open_migrator,
)
from taskforge_adapters.postgres.pg_api_keys import PgApiKeys
from taskforge_adapters.postgres.pg_audit_trail import PgAuditTrail
from taskforge_adapters.postgres.pg_backlog import PgStoreBacklog
from taskforge_adapters.postgres.pg_dead_job_groups import PgDeadJobGroups
from taskforge_adapters.postgres.pg_enqueue_listener import PgEnqueueListener
from taskforge_adapters.postgres.pg_enqueue_relay import PgEnqueuedJobs
from taskforge_adapters.postgres.pg_held_back_jobs import PgHeldBackJobs
from taskforge_adapters.postgres.pg_job_change_listener import PgJobChangeListener
from taskforge_adapters.postgres.pg_job_progress import PgJobProgress
from taskforge_adapters.postgres.pg_job_repository import PgJobRepository
from taskforge_adapters.postgres.pg_job_type_limits import PgJobTypeLimits
from taskforge_adapters.postgres.pg_limited_claims import PgLimitedClaims
from taskforge_adapters.postgres.pg_outcome_history import PgOutcomeHistory
from taskforge_adapters.postgres.pg_pool import create_pg_pool
from taskforge_adapters.postgres.pg_queue_limits import PgQueueLimits
from taskforge_adapters.postgres.pg_queue_pauses import PgQueuePauses
from taskforge_adapters.postgres.pg_schedules import PgSchedules
from taskforge_adapters.postgres.pg_tls import PgSsl, pg_ssl
from taskforge_adapters.postgres.pg_webhook_deliveries import PgWebhookDeliveries
from taskforge_adapters.postgres.pg_worker_presence import PgWorkerPresence
from taskforge_adapters.prometheus.job_metrics import PrometheusJobEvents
from taskforge_adapters.prometheus.webhook_metrics import PrometheusWebhookEvents
from taskforge_adapters.redis.redis_client import RedisClient, create_redis_client
from taskforge_adapters.redis.redis_setup import RedisSetupError, check_redis_setup
from taskforge_adapters.redis.redis_stream_backlog import RedisStreamBacklog
from taskforge_adapters.redis.redis_stream_channel import RedisStreamChannel
from taskforge_adapters.redis.redis_submit_quota import RedisSubmitQuota
from taskforge_adapters.redis.redis_tls import RedisTlsOptions
from taskforge_adapters.system_clock import SystemClock
from taskforge_app.admit_submissions import AdmitSubmissions, SubmitRate
from taskforge_app.audit_log import ListAudit, PurgeAudit
from taskforge_app.authenticate import Authenticate, AuthenticateSession
from taskforge_app.await_job_change import AwaitJobChange
from taskforge_app.builtin_handlers import register_builtin_handlers
from taskforge_app.cancel_job import CancelJob
from taskforge_app.check_readiness import CheckReadiness
from taskforge_app.claim_jobs import ClaimJobs
from taskforge_app.deliver_webhooks import DeliverWebhooks, WebhookOptions
from taskforge_app.estimate_matching_jobs import EstimateMatchingJobs
from taskforge_app.execution_policy import ExecutionPolicy
from taskforge_app.extend_leases import ExtendLeases
from taskforge_app.fire_schedules import FireSchedules, FiringOptions
from taskforge_app.follow_dead_letters import FollowDeadLetters
from taskforge_app.follow_job import FollowJob
from taskforge_app.get_job import GetJob
from taskforge_app.get_webhook_deliveries import GetWebhookDeliveries
from taskforge_app.group_dead_jobs import GroupDeadJobs
from taskforge_app.handler_registry import HandlerRegistry, handlers
from taskforge_app.job_change_listeners import JobChangeListeners
from taskforge_app.job_watchers import JobWatchers
from taskforge_app.keep_outcome_history import KeepOutcomeHistory
from taskforge_app.list_jobs import GetAttempts, ListJobs
from taskforge_app.list_queues import ListQueues
from taskforge_app.list_workers import ListWorkers
from taskforge_app.manage_keys import CreateKey, ListKeys, RevokeKey
from taskforge_app.manage_limits import ListLimits, RemoveLimit, SetLimit
from taskforge_app.manage_queue_limits import ListQueueLimits, RemoveQueueLimit, SetQueueLimit
from taskforge_app.manage_schedules import (
    CreateSchedule,
    DeleteSchedule,
    PauseSchedule,
    ReadSchedules,
    ReplaceSchedule,
    TriggerSchedule,
)
from taskforge_app.measure_backlog import MeasureBacklog
from taskforge_app.outcome_tally import BUCKET, OutcomeTally
from taskforge_app.pause_queue import KnownQueues, PauseQueue, ResumeQueue
from taskforge_app.ports import (
    AttemptLedger,
    ChannelUnavailable,
    Clock,
    ConsumerTakeover,
    DeadLetterFollower,
    DeadLetterPublisher,
    DeadLetterRecords,
    DeliveryRecords,
    EnqueuedJobs,
    EnqueueRules,
    FinishedJobs,
    JobIntake,
    JobLookup,
    JobRevisions,
    MessagesInTransit,
    StoreUnavailable,
    WorkConsumer,
    WorkerPresence,
    WorkPublisher,
)
from taskforge_app.ports.api_keys import ApiKeys
from taskforge_app.ports.audit_trail import AuditTrail
from taskforge_app.ports.backlog import ChannelBacklog, StoreBacklog
from taskforge_app.ports.cron_calendar import CronCalendar
from taskforge_app.ports.dead_job_groups import DeadJobGroups
from taskforge_app.ports.job_change_feed import JobChangeFeed
from taskforge_app.ports.job_count_estimates import JobCountEstimates
from taskforge_app.ports.job_events import JobEvents
from taskforge_app.ports.job_type_limits import HeldBackJobs, JobTypeLimits, LimitedClaims
from taskforge_app.ports.outcome_history import OutcomeHistory
from taskforge_app.ports.queue_limits import QueueLimits
from taskforge_app.ports.queue_pauses import QueuePauses, RunningAttempts
from taskforge_app.ports.schedules import DueSchedules, ScheduleStore
from taskforge_app.ports.submit_quota import SubmitQuota
from taskforge_app.ports.webhook_bodies import WebhookBodies
from taskforge_app.ports.webhook_deliveries import WebhookDeliveries
from taskforge_app.ports.webhook_events import WebhookEvents
from taskforge_app.ports.webhook_sender import WebhookSender
from taskforge_app.progress_reports import CoalescedProgress, ProgressSink
from taskforge_app.promote_due_retries import PromoteDueRetries
from taskforge_app.purge_finished_jobs import PurgeFinishedJobs, Retention
from taskforge_app.reap_expired_attempts import ReapExpiredAttempts
from taskforge_app.record_outcomes import RecordOutcomes
from taskforge_app.recover_silent_workers import RecoverSilentWorkers
from taskforge_app.redeliver_webhooks import RedeliverWebhooks
from taskforge_app.relay_enqueued_jobs import RelayEnqueuedJobs
from taskforge_app.release_held_back_jobs import ReleaseHeldBackJobs
from taskforge_app.repair_delivery import RepairDelivery, RepairPolicy
from taskforge_app.replay_dead_job import ReplayDeadJob
from taskforge_app.replay_dead_jobs import ReplayDeadJobs
from taskforge_app.run_job import RunJob
from taskforge_app.runtime.enqueue_relay_loop import EnqueueRelay
from taskforge_app.runtime.outcome_history_loop import run_outcome_history_loop
from taskforge_app.submit_job import SubmitJob
from taskforge_app.submit_jobs import SubmitDefaults, SubmitJobs
from taskforge_app.wait_for_job import WaitForJob
from taskforge_app.worker_liveness import WorkerLiveness
from taskforge_domain.backoff import FullJitterBackoff
from taskforge_domain.webhook_delivery import DeliveryPolicy
from taskforge_entrypoints.config.settings import Settings
from taskforge_entrypoints.presentation.webhook_json import JobWebhookBodies
from taskforge_entrypoints.process.store_startup import StoreStartup
from taskforge_entrypoints.ui.overview_snapshot import OverviewSnapshot

_PROMOTE_BATCH = 500

log = logging.getLogger(__name__)

__all__ = [
    "STORE_NOT_MIGRATED",
    "STORE_REFUSED",
    "MigrationError",
    "Migrator",
    "RedisSetupError",
    "apply_migrations",
    "check_migration_source",
    "follow_job_changes",
    "keep_outcome_history",
    "make_container",
    "migrations",
    "own_worker_presence",
    "store_startup",
]

# Driver errors no adapter translates, because they are not outages to wait out: the
# pool's first connection refused (no such database, authentication failed), and a
# database that was never migrated. Named here so commands can explain them to an
# operator without importing the driver themselves.
STORE_REFUSED: tuple[type[Exception], ...] = (
    asyncpg.InvalidCatalogNameError,
    asyncpg.InvalidAuthorizationSpecificationError,
)
STORE_NOT_MIGRATED: tuple[type[Exception], ...] = (asyncpg.UndefinedTableError,)


class InfrastructureProvider(Provider):
    scope = Scope.APP
    settings = from_context(provides=Settings, scope=Scope.APP)
    store_startup = from_context(provides=StoreStartup, scope=Scope.APP)
    clock = provide(SystemClock, provides=Clock)

    @provide
    async def pg_pool(self, settings: Settings) -> AsyncIterator[asyncpg.Pool]:
        pool = await create_pg_pool(
            settings.database_url,
            max_size=settings.postgres_pool_size,
            ssl=postgres_ssl(settings),
            statement_cache_size=settings.postgres_statement_cache_size,
        )
        yield pool
        await pool.close()

    @provide
    async def redis_client(self, settings: Settings) -> AsyncIterator[RedisClient]:
        block = settings.worker_block_timeout.total_seconds()
        client = create_redis_client(
            settings.redis_addr,
            settings.redis_password,
            settings.redis_db,
            read_timeout=block + 5,
            tls=redis_tls(settings),
            cluster=settings.redis_cluster,
        )
        yield client
        await client.aclose()

    @provide
    def job_store(
        self, pool: asyncpg.Pool
    ) -> AnyOf[
        PgJobRepository,
        JobIntake,
        JobLookup,
        JobCountEstimates,
        JobRevisions,
        AttemptLedger,
        DeliveryRecords,
        DeadLetterRecords,
        FinishedJobs,
    ]:
        return PgJobRepository(pool)

    @provide
    def dead_job_groups(self, pool: asyncpg.Pool) -> DeadJobGroups:
        return PgDeadJobGroups(pool)

    @provide
    def worker_presence(self, pool: asyncpg.Pool) -> WorkerPresence:
        return PgWorkerPresence(pool)

    @provide
    def api_keys(self, pool: asyncpg.Pool) -> ApiKeys:
        return PgApiKeys(pool)

    @provide
    def audit_trail(self, pool: asyncpg.Pool) -> AuditTrail:
        return PgAuditTrail(pool)

    @provide
    def submit_quota(self, client: RedisClient, settings: Settings) -> SubmitQuota:
        return RedisSubmitQuota(client, settings.redis_stream.removesuffix(":queue:normal"))

    @provide
    async def stream_channel(
        self, client: RedisClient, settings: Settings
    ) -> AsyncIterator[RedisStreamChannel]:
        channel = RedisStreamChannel(
            client,
            stream=settings.redis_stream,
            group=settings.redis_consumer_group,
            dlq_stream=settings.redis_stream_dlq,
            dlq_group=settings.redis_dlq_consumer_group,
            queues=settings.queues,
            served=list(settings.worker_queues),
            partitions=settings.queue_partitions,
            cluster=settings.redis_cluster,
        )
        try:
            await check_redis_setup(client, channel.layout, settings.redis_addr)
        except ChannelUnavailable as exc:
            # Started during an outage: the process waits it out as it does any other.
            log.warning("Redis setup not checked at start: %s", exc)
        yield channel
        await channel.aclose()

    @provide
    def channel_roles(
        self, channel: RedisStreamChannel
    ) -> AnyOf[
        WorkPublisher,
        WorkConsumer,
        ConsumerTakeover,
        MessagesInTransit,
        DeadLetterPublisher,
        DeadLetterFollower,
    ]:
        return channel


class UseCaseProvider(Provider):
    scope = Scope.APP
    submit_jobs = provide(SubmitJobs)
    submit_job = provide(SubmitJob)
    get_job = provide(GetJob)
    run_job = provide(RunJob)
    extend_leases = provide(ExtendLeases)
    cancel_job = provide(CancelJob)
    replay_dead_job = provide(ReplayDeadJob)
    list_jobs = provide(ListJobs)
    group_dead_jobs = provide(GroupDeadJobs)
    estimate_matching_jobs = provide(EstimateMatchingJobs)
    get_attempts = provide(GetAttempts)
    replay_dead_jobs = provide(ReplayDeadJobs)
    follow_dead_letters = provide(FollowDeadLetters)

    @provide
    def check_readiness(
        self, store: PgJobRepository, channel: RedisStreamChannel, startup: StoreStartup
    ) -> CheckReadiness:
        return CheckReadiness({"postgres": startup.probe(store), "redis": channel})

    authenticate = provide(Authenticate)
    authenticate_session = provide(AuthenticateSession)
    create_key = provide(CreateKey)
    list_keys = provide(ListKeys)
    revoke_key = provide(RevokeKey)
    list_audit = provide(ListAudit)
    admit_submissions = provide(AdmitSubmissions)

    @provide
    def submit_rate(self, settings: Settings) -> SubmitRate:
        return SubmitRate(settings.api_key_rate_limit)

    @provide
    def purge_audit(self, trail: AuditTrail, clock: Clock, settings: Settings) -> PurgeAudit:
        return PurgeAudit(trail, clock, settings.audit_retention)

    recover_silent_workers = provide(RecoverSilentWorkers)
    list_workers = provide(ListWorkers)

    @provide
    def worker_liveness(self, settings: Settings) -> WorkerLiveness:
        return WorkerLiveness(settings.worker_liveness)

    @provide
    def purge_finished_jobs(
        self, jobs: FinishedJobs, clock: Clock, settings: Settings
    ) -> PurgeFinishedJobs:
        retention = Retention(
            settings.retention_completed, settings.retention_cancelled, settings.retention_dead
        )
        return PurgeFinishedJobs(jobs, clock, retention)

    repair_delivery = provide(RepairDelivery)

    @provide
    def repair_policy(self, settings: Settings) -> RepairPolicy:
        return RepairPolicy(settings.repair_grace)

    @provide
    def submit_defaults(self, settings: Settings) -> SubmitDefaults:
        return SubmitDefaults(max_attempts=settings.service_max_attempts)

    @provide
    def execution_policy(self, settings: Settings) -> ExecutionPolicy:
        backoff = FullJitterBackoff(settings.backoff_base, settings.backoff_max, random.uniform)
        return ExecutionPolicy(settings.service_timeout, settings.worker_lease, backoff)

    @provide
    def handler_registry(self) -> HandlerRegistry:
        register_builtin_handlers(handlers)
        return handlers

    @provide
    def promote_due_retries(
        self, records: DeliveryRecords, publisher: WorkPublisher, clock: Clock
    ) -> PromoteDueRetries:
        return PromoteDueRetries(records, publisher, clock, _PROMOTE_BATCH)


class MetricsProvider(Provider):
    """Job counters into the process's registry, and the backlog a scrape measures."""

    scope = Scope.APP
    registry = from_context(provides=CollectorRegistry, scope=Scope.APP)

    @provide
    def measure_backlog(
        self, store: StoreBacklog, channel: ChannelBacklog, clock: Clock, settings: Settings
    ) -> MeasureBacklog:
        return MeasureBacklog(store, channel, clock, settings.queues)

    @provide
    def job_events(self, registry: CollectorRegistry) -> JobEvents:
        return PrometheusJobEvents(registry)

    @provide
    def store_backlog(self, pool: asyncpg.Pool, startup: StoreStartup) -> StoreBacklog:
        return startup.backlog(PgStoreBacklog(pool))

    @provide
    def channel_backlog(self, client: RedisClient, settings: Settings) -> ChannelBacklog:
        return RedisStreamBacklog(
            client,
            stream=settings.redis_stream,
            group=settings.redis_consumer_group,
            partitions=settings.queue_partitions,
            cluster=settings.redis_cluster,
        )


class JobWatchingProvider(Provider):
    """Waiting on jobs without polling (the API), and handlers' progress (the worker)."""

    scope = Scope.APP
    watchers = provide(JobWatchers)
    outcome_tally = provide(OutcomeTally)
    keep_outcome_history = provide(KeepOutcomeHistory)
    wait_for_job = provide(WaitForJob)
    await_job_change = provide(AwaitJobChange)
    follow_job = provide(FollowJob)

    @provide
    def job_change_feed(self, settings: Settings) -> JobChangeFeed:
        return PgJobChangeListener(settings.direct_database_url, ssl=postgres_ssl(settings))

    @provide
    def progress(self, pool: asyncpg.Pool) -> ProgressSink:
        return CoalescedProgress(PgJobProgress(pool))

    @provide
    def outcome_history(self, pool: asyncpg.Pool) -> OutcomeHistory:
        return PgOutcomeHistory(pool)


async def follow_job_changes(container: AsyncContainer, stop: asyncio.Event) -> None:
    """Wake this process's waiters and count finished attempts on every change the store
    announces, until `stop`."""
    feed = await container.get(JobChangeFeed)
    listeners = JobChangeListeners([await container.get(JobWatchers)])
    await feed.follow(listeners, stop, await container.get(OutcomeTally))


async def keep_outcome_history(
    container: AsyncContainer, migrated: "asyncio.Future[bool]", stop: asyncio.Event
) -> None:
    """Once this process has migrated the store, restore the throughput saved before it,
    then save its own every bucket until `stop`."""
    if await asyncio.shield(migrated):
        await run_outcome_history_loop(await container.get(KeepOutcomeHistory), BUCKET, stop)


# The lease holds a claimed delivery for twice the timeout: one attempt never outlives it.
_LEASE_PER_TIMEOUT = 2


class WebhookProvider(Provider):
    """Completion webhooks: their store, sender, body, metrics and deliverer."""

    scope = Scope.APP
    get_webhook_deliveries = provide(GetWebhookDeliveries)
    redeliver_webhooks = provide(RedeliverWebhooks)
    deliver_webhooks = provide(DeliverWebhooks)

    @provide
    def webhook_deliveries(self, pool: asyncpg.Pool) -> WebhookDeliveries:
        return PgWebhookDeliveries(pool)

    @provide
    async def webhook_sender(self, settings: Settings) -> AsyncIterator[WebhookSender]:
        sender = HttpxWebhookSender(settings.webhooks.timeout)
        yield sender
        await sender.close()

    @provide
    def webhook_bodies(self, settings: Settings) -> WebhookBodies:
        return JobWebhookBodies(settings.http_base_url)

    @provide
    def webhook_events(self, registry: CollectorRegistry) -> WebhookEvents:
        return PrometheusWebhookEvents(registry)

    @provide
    def webhook_options(self, settings: Settings) -> WebhookOptions:
        webhooks = settings.webhooks
        backoff = FullJitterBackoff(webhooks.backoff_base, webhooks.backoff_max, random.uniform)
        return WebhookOptions(
            rule=webhooks.rule,
            policy=DeliveryPolicy(webhooks.max_attempts, backoff),
            secret=webhooks.secret,
            lease=webhooks.timeout * _LEASE_PER_TIMEOUT,
        )


class EnqueueRelayProvider(Provider):
    """The relay of jobs enqueued with taskforge_enqueue(), run by the schedulers."""

    scope = Scope.APP

    @provide
    def enqueued_jobs(self, pool: asyncpg.Pool) -> EnqueuedJobs:
        return PgEnqueuedJobs(pool)

    @provide
    def relay_enqueued_jobs(
        self, jobs: EnqueuedJobs, publisher: WorkPublisher, clock: Clock
    ) -> RelayEnqueuedJobs:
        return RelayEnqueuedJobs(jobs, publisher, clock)

    @provide
    def enqueue_relay(
        self, relay: RelayEnqueuedJobs, jobs: EnqueuedJobs, settings: Settings
    ) -> EnqueueRelay:
        rules = EnqueueRules(
            queues=settings.queues,
            default_max_attempts=settings.service_max_attempts,
            max_payload_bytes=settings.http_max_body_bytes,
        )
        return EnqueueRelay(
            relay,
            PgEnqueueListener(settings.direct_database_url, ssl=postgres_ssl(settings)),
            jobs,
            rules,
        )


class QueuePauseProvider(Provider):
    """Pausing queues: the pauses' store and the operators' use cases."""

    scope = Scope.APP
    pause_queue = provide(PauseQueue)
    resume_queue = provide(ResumeQueue)

    @provide
    def list_queues(
        self,
        pool: asyncpg.Pool,
        running: RunningAttempts,
        pauses: QueuePauses,
        presence: WorkerPresence,
        liveness: WorkerLiveness,
        clock: Clock,
        known: KnownQueues,
    ) -> ListQueues:
        # Not the metrics' backlog, which waits for this process's own migrations: the
        # CLI runs none.
        backlog = PgStoreBacklog(pool)
        return ListQueues(backlog, running, pauses, presence, liveness, clock, known)

    @provide
    def queue_pauses(self, pool: asyncpg.Pool) -> AnyOf[QueuePauses, RunningAttempts]:
        return PgQueuePauses(pool)

    @provide
    def known_queues(self, settings: Settings) -> KnownQueues:
        return KnownQueues(tuple(settings.queues))


class ScheduleProvider(Provider):
    """Schedules: their store, the cron calendar, the operators' use cases and the firing."""

    scope = Scope.APP
    calendar = provide(CroniterCalendar, provides=CronCalendar)
    create_schedule = provide(CreateSchedule)
    replace_schedule = provide(ReplaceSchedule)
    delete_schedule = provide(DeleteSchedule)
    pause_schedule = provide(PauseSchedule)
    trigger_schedule = provide(TriggerSchedule)
    read_schedules = provide(ReadSchedules)
    fire_schedules = provide(FireSchedules)

    @provide
    def schedules(self, pool: asyncpg.Pool) -> AnyOf[ScheduleStore, DueSchedules]:
        return PgSchedules(pool)

    @provide
    def firing_options(self, settings: Settings) -> FiringOptions:
        return FiringOptions(grace=settings.schedule_misfire_grace)


class LimitsProvider(Provider):
    """Global limits per job type and per queue: their stores, the claims that honour them,
    the releases of the jobs they hold back, their use cases."""

    scope = Scope.APP
    set_limit = provide(SetLimit)
    list_limits = provide(ListLimits)
    set_queue_limit = provide(SetQueueLimit)
    list_queue_limits = provide(ListQueueLimits)
    release_held_back_jobs = provide(ReleaseHeldBackJobs)

    @provide
    def queue_limits(self, pool: asyncpg.Pool) -> QueueLimits:
        return PgQueueLimits(pool)

    @provide
    def remove_limit(
        self,
        limits: JobTypeLimits,
        audit: AuditTrail,
        clock: Clock,
        release: ReleaseHeldBackJobs,
    ) -> RemoveLimit:
        return RemoveLimit(limits, audit, clock, release)

    @provide
    def remove_queue_limit(
        self,
        limits: QueueLimits,
        audit: AuditTrail,
        clock: Clock,
        release: ReleaseHeldBackJobs,
    ) -> RemoveQueueLimit:
        return RemoveQueueLimit(limits, audit, clock, release)

    @provide
    def held_back_jobs(self, pool: asyncpg.Pool) -> HeldBackJobs:
        return PgHeldBackJobs(pool)

    @provide
    def record_outcomes(
        self,
        ledger: AttemptLedger,
        dead_letter_records: DeadLetterRecords,
        dead_letters: DeadLetterPublisher,
        consumer: WorkConsumer,
        clock: Clock,
        policy: ExecutionPolicy,
        events: JobEvents,
        release: ReleaseHeldBackJobs,
    ) -> RecordOutcomes:
        return RecordOutcomes(
            ledger, dead_letter_records, dead_letters, consumer, clock, policy, events, release
        )

    @provide
    def reap_expired_attempts(
        self,
        ledger: AttemptLedger,
        dead_letter_records: DeadLetterRecords,
        dead_letters: DeadLetterPublisher,
        clock: Clock,
        policy: ExecutionPolicy,
        events: JobEvents,
        release: ReleaseHeldBackJobs,
    ) -> ReapExpiredAttempts:
        return ReapExpiredAttempts(
            ledger, dead_letter_records, dead_letters, clock, policy, events, release
        )

    @provide
    def job_type_limits(self, pool: asyncpg.Pool) -> JobTypeLimits:
        return PgJobTypeLimits(pool)

    @provide
    def limited_claims(self, pool: asyncpg.Pool) -> LimitedClaims:
        return PgLimitedClaims(pool)

    @provide
    def claim_jobs(
        self,
        ledger: AttemptLedger,
        consumer: WorkConsumer,
        clock: Clock,
        policy: ExecutionPolicy,
        limited: LimitedClaims,
        release: ReleaseHeldBackJobs,
    ) -> ClaimJobs:
        return ClaimJobs(ledger, consumer, clock, policy, limited, release)


class DashboardProvider(Provider):
    """The dashboard's one reading of the queues, shared by every open browser."""

    scope = Scope.APP
    overview_snapshot = provide(OverviewSnapshot)


def providers() -> list[Provider]:
    return [
        DashboardProvider(),
        QueuePauseProvider(),
        InfrastructureProvider(),
        LimitsProvider(),
        UseCaseProvider(),
        MetricsProvider(),
        WebhookProvider(),
        JobWatchingProvider(),
        EnqueueRelayProvider(),
        ScheduleProvider(),
    ]


def make_container(
    settings: Settings,
    *overrides: Provider,
    metrics: CollectorRegistry | None = None,
    startup: StoreStartup | None = None,
) -> AsyncContainer:
    """The container of one process; `metrics` is the registry its /metrics serves (a new
    one by default), so everything the process counts lands in one place, and `startup`
    tells whether the process has migrated the store yet (a new one by default)."""
    # Without the *_created series every counter and histogram exports half the lines.
    disable_created_metrics()
    registry = CollectorRegistry() if metrics is None else metrics
    for collector in (ProcessCollector, PlatformCollector, GCCollector):
        collector(registry=registry)
    if startup is None:
        startup = store_startup(settings)
    context = {Settings: settings, CollectorRegistry: registry, StoreStartup: startup}
    return make_async_container(*providers(), *overrides, context=context)


# TLS to the stores: every connection to PostgreSQL and to Redis is opened with these.
def postgres_ssl(settings: Settings) -> PgSsl:
    tls = settings.postgres_tls
    return pg_ssl(tls.mode, root_cert=tls.root_cert, cert=tls.cert, key=tls.key)


def redis_tls(settings: Settings) -> RedisTlsOptions | None:
    tls = settings.redis_tls
    if tls is None:
        return None
    return RedisTlsOptions(
        check_chain=tls.check != "none",
        check_hostname=tls.check == "full",
        ca_file=tls.ca,
        cert_file=tls.cert,
        key_file=tls.key,
    )


@asynccontextmanager
async def own_worker_presence(settings: Settings) -> AsyncIterator[WorkerPresence]:
    """Worker presence on a connection of its own, for a heartbeat that runs apart from
    the worker's event loop, so a busy pool or a blocked loop never delays it."""
    pool = await create_pg_pool(
        settings.database_url,
        max_size=1,
        ssl=postgres_ssl(settings),
        statement_cache_size=settings.postgres_statement_cache_size,
    )
    try:
        yield PgWorkerPresence(pool)
    finally:
        await pool.close()


def store_startup(settings: Settings) -> StoreStartup:
    return StoreStartup(lambda: apply_migrations(settings))


def check_migration_source(settings: Settings) -> None:
    """Read the migrations without touching PostgreSQL: a wrong POSTGRES_MIGRATION_PATH
    stops a process at start instead of leaving it waiting for ever."""
    discover(migrations_dir(settings.postgres_migration_path))


async def apply_migrations(settings: Settings) -> list[int]:
    """Apply every pending migration. A connection PostgreSQL refuses (no such database,
    credentials refused) and a dirty database are reported as the store being
    unavailable: an operator fixes them outside Taskforge, and the process carries on
    once they are fixed instead of exiting into a restart loop."""
    try:
        return await migrate_up(
            settings.direct_database_url,
            settings.postgres_migration_path,
            ssl=postgres_ssl(settings),
        )
    except STORE_REFUSED as exc:
        raise StoreUnavailable(f"PostgreSQL refused the connection: {exc}") from exc
    except DirtyDatabase as exc:
        raise StoreUnavailable(f"PostgreSQL cannot be migrated: {exc}") from exc


@asynccontextmanager
async def migrations(settings: Settings) -> AsyncIterator[Migrator]:
    """The migrator of the configured database; its connection closes when the block ends."""
    conn, migrator = await open_migrator(
        settings.direct_database_url, settings.postgres_migration_path, ssl=postgres_ssl(settings)
    )
    try:
        yield migrator
    finally:
        await conn.close()
