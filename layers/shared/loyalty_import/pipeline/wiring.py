"""Builds each function's dependencies from the settings, once per container (cold start).

Handlers call these lazily on their first invocation, so importing a handler module costs only
Powertools and the models; boto3 clients, the Wix client and the CSV inspection load when used.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from loyalty_import.pipeline.errors import ImportStillInProgress
from loyalty_import.pipeline.models import ImporterOutcome, ImporterResponse, ImportRecord, SourceEvent
from loyalty_import.pipeline.observability import logger, unbind_import
from loyalty_import.pipeline.settings import (
    ExecutorSettings,
    FinalizerSettings,
    ImporterSettings,
    PollerSettings,
    ReviewSettings,
    WixVariables,
)
from loyalty_import.pipeline.sites import (
    DEFAULT_SITE,
    SiteChoice,
    choose_site,
    single_site,
    site_credentials,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from loyalty_import.pipeline.ports import CallBudgets, WixImports
    from loyalty_import.pipeline.review.flow import ReviewDeps
    from loyalty_import.pipeline.steps.executor import ExecutorDeps
    from loyalty_import.pipeline.steps.finalizer import FinalizerDeps
    from loyalty_import.pipeline.steps.importer import ImporterDeps
    from loyalty_import.pipeline.steps.poller import PollerDeps
    from loyalty_import.wix import WixClient
    from loyalty_import.wix.retry import RetryPolicy

# How long the idempotency layer remembers an object version. The imports table's conditional put
# guards beyond that (a record is never deleted), so this only has to cover S3's redelivery window.
IDEMPOTENCY_TTL_S = 7 * 24 * 3600
IDEMPOTENCY_KEY_PREFIX = 'loyalty-import#object-version'


class CredentialsSource(Protocol):
    def get(self) -> dict[str, Any]: ...


class WixClientProvider:
    """The container's Wix client of each site, built from the secret on first use (refusals never
    need it), each drawing on its site's shared call budget (`pipeline.adapters.budget`).

    The secret is re-read through Powertools' cache (at most one Secrets Manager call per
    `WIX_SECRET_MAX_AGE_SECONDS`); when a site's credentials changed (rotated) its client is rebuilt,
    so a warm container does not keep using revoked credentials. `provider(site)`: that site's
    client (`UnknownSite` if a multi-site secret has no such site); `provider.choose(key)`: the
    site a dropped file goes to (`pipeline.sites`).
    """

    def __init__(
        self,
        settings: WixVariables,
        retry: RetryPolicy | None = None,
        secrets_client: Any = None,
        *,
        source: CredentialsSource | None = None,
        budget: CallBudgets | None = None,
        dynamodb_client: Any = None,
    ) -> None:
        self._settings = settings
        self._retry = retry
        self._secrets_client = secrets_client
        self._source = source
        self._budget = budget
        self._dynamodb_client = dynamodb_client
        self._clients: dict[str, tuple[str, WixClient]] = {}
        self._lock = threading.Lock()

    def __call__(self, site: str = DEFAULT_SITE) -> WixImports:
        with self._lock:
            credentials = site_credentials(self._secret(), site)
            fingerprint = hashlib.sha256(json.dumps(credentials, sort_keys=True).encode()).hexdigest()
            cached = self._clients.get(site)
            if cached is not None and cached[0] == fingerprint:
                return cached[1]
            if cached is not None:
                cached[1].close()
            client = self._build(site, credentials)
            self._clients[site] = (fingerprint, client)
            return client

    def choose(self, key: str, incoming_prefix: str) -> SiteChoice:
        with self._lock:
            return choose_site(self._secret(), key, incoming_prefix)

    def _secret(self) -> dict[str, Any]:
        if self._source is None:
            from loyalty_import.pipeline.adapters.secrets import WixCredentialsSource  # noqa: PLC0415 - lazy

            self._source = WixCredentialsSource(
                self._settings.wix_secret_id,
                max_age=self._settings.secret_max_age_seconds,
                client=self._secrets_client,
            )
        return self._source.get()

    def _build(self, site: str, credentials: Any) -> WixClient:
        from loyalty_import.wix import WixClient, auth_from_secret  # noqa: PLC0415 - lazy (httpx)

        if self._budget is None:
            from loyalty_import.pipeline.adapters.budget import DynamoCallBudget  # noqa: PLC0415 - lazy

            self._budget = DynamoCallBudget(
                self._settings.sites_table,
                calls_per_minute=self._settings.wix_calls_per_minute,
                client=self._dynamodb_client,
            )
        return WixClient(
            self._settings.wix_base_url,
            auth_from_secret(credentials),
            oauth_token_url=self._settings.wix_oauth_token_url,
            accounts_base_url=self._settings.wix_accounts_base_url,
            retry=self._retry,
            budget=self._budget.for_site(site),
        )


def _provider(
    settings: WixVariables, retry: RetryPolicy | None, clients: dict[str, Any]
) -> WixClientProvider:
    return WixClientProvider(
        settings, retry, clients.get('secretsmanager'), dynamodb_client=clients.get('dynamodb')
    )


def _task_retry() -> RetryPolicy:
    from loyalty_import.wix.retry import RetryPolicy  # noqa: PLC0415 - lazy

    # State machine tasks give up sooner: the state's own Retry (with backoff) tries again later.
    return RetryPolicy(max_attempts=4, max_total_s=20.0)


def importer_deps(settings: ImporterSettings, **clients: Any) -> ImporterDeps:
    from loyalty_import.pipeline.adapters.layouts import DynamoLayoutStore  # noqa: PLC0415
    from loyalty_import.pipeline.adapters.notifier import SnsNotifier  # noqa: PLC0415 - lazy
    from loyalty_import.pipeline.adapters.paces import DynamoPaceStore  # noqa: PLC0415
    from loyalty_import.pipeline.adapters.records import DynamoRecordStore  # noqa: PLC0415
    from loyalty_import.pipeline.adapters.storage import S3Storage  # noqa: PLC0415
    from loyalty_import.pipeline.adapters.workflow import StepFunctionsWorkflow  # noqa: PLC0415
    from loyalty_import.pipeline.steps.importer import ImporterDeps  # noqa: PLC0415
    from loyalty_import.pipeline.steps.inspection import inspect_file  # noqa: PLC0415

    sfn = clients.get('stepfunctions')
    wix = clients.get('wix') or _provider(settings, None, clients)
    return ImporterDeps(
        settings=settings,
        records=DynamoRecordStore(settings.imports_table, client=clients.get('dynamodb')),
        notifier=SnsNotifier(settings.notification_topic_arn, client=clients.get('sns')),
        storage=S3Storage(client=clients.get('s3')),
        workflow=StepFunctionsWorkflow(settings.state_machine_arn, client=sfn),
        inspector=partial(inspect_file, points_names=settings.points_names),
        wix=wix,
        # The site of each dropped file, decided before any Wix call (a fake Wix: single-site mode).
        sites=partial(wix.choose, incoming_prefix=settings.incoming_prefix)
        if isinstance(wix, WixClientProvider)
        else single_site,
        layouts=DynamoLayoutStore(settings.layouts_table, client=clients.get('dynamodb')),
        review_workflow=StepFunctionsWorkflow(settings.review_state_machine_arn, client=sfn),
        paces=DynamoPaceStore(settings.sites_table, client=clients.get('dynamodb')),
    )


def review_deps(settings: ReviewSettings, **clients: Any) -> ReviewDeps:
    from loyalty_import.pipeline.adapters.callbacks import StepFunctionsCallbacks  # noqa: PLC0415 - lazy
    from loyalty_import.pipeline.adapters.layouts import DynamoLayoutStore  # noqa: PLC0415
    from loyalty_import.pipeline.adapters.notifier import SnsNotifier  # noqa: PLC0415
    from loyalty_import.pipeline.adapters.records import DynamoRecordStore  # noqa: PLC0415
    from loyalty_import.pipeline.adapters.storage import S3Storage  # noqa: PLC0415
    from loyalty_import.pipeline.review.flow import ReviewDeps  # noqa: PLC0415
    from loyalty_import.pipeline.steps.inspection import inspect_file  # noqa: PLC0415

    return ReviewDeps(
        records=DynamoRecordStore(settings.imports_table, client=clients.get('dynamodb')),
        layouts=DynamoLayoutStore(settings.layouts_table, client=clients.get('dynamodb')),
        notifier=SnsNotifier(settings.notification_topic_arn, client=clients.get('sns')),
        storage=S3Storage(client=clients.get('s3')),
        callbacks=StepFunctionsCallbacks(client=clients.get('stepfunctions')),
        inspector=partial(inspect_file, points_names=settings.points_names),
        review_wait_seconds=settings.review_wait_seconds,
        max_file_bytes=settings.max_file_bytes,
    )


def poller_deps(settings: PollerSettings, **clients: Any) -> PollerDeps:
    from loyalty_import.pipeline.steps.poller import PollerDeps  # noqa: PLC0415 - lazy

    wix = clients.get('wix') or _provider(settings, _task_retry(), clients)
    return PollerDeps(wix=wix, max_wait_s=settings.poll_max_wait_seconds)


def executor_deps(settings: ExecutorSettings, **clients: Any) -> ExecutorDeps:
    from loyalty_import.pipeline.adapters.notifier import SnsNotifier  # noqa: PLC0415 - lazy
    from loyalty_import.pipeline.adapters.records import DynamoRecordStore  # noqa: PLC0415
    from loyalty_import.pipeline.adapters.storage import S3Storage  # noqa: PLC0415
    from loyalty_import.pipeline.steps.executor import ExecutorDeps  # noqa: PLC0415

    return ExecutorDeps(
        records=DynamoRecordStore(settings.imports_table, client=clients.get('dynamodb')),
        notifier=SnsNotifier(settings.notification_topic_arn, client=clients.get('sns')),
        wix=clients.get('wix') or _provider(settings, _task_retry(), clients),
        storage=S3Storage(client=clients.get('s3')),
        settings=settings,
    )


def finalizer_deps(settings: FinalizerSettings, **clients: Any) -> FinalizerDeps:
    from loyalty_import.pipeline.adapters.notifier import SnsNotifier  # noqa: PLC0415 - lazy
    from loyalty_import.pipeline.adapters.paces import DynamoPaceStore  # noqa: PLC0415
    from loyalty_import.pipeline.adapters.records import DynamoRecordStore  # noqa: PLC0415
    from loyalty_import.pipeline.adapters.storage import S3Storage  # noqa: PLC0415
    from loyalty_import.pipeline.steps.finalizer import FinalizerDeps  # noqa: PLC0415

    return FinalizerDeps(
        settings=settings,
        records=DynamoRecordStore(settings.imports_table, client=clients.get('dynamodb')),
        notifier=SnsNotifier(settings.notification_topic_arn, client=clients.get('sns')),
        storage=S3Storage(client=clients.get('s3')),
        wix=clients.get('wix') or _provider(settings, _task_retry(), clients),
        paces=DynamoPaceStore(settings.sites_table, client=clients.get('dynamodb')),
    )


class ImporterService:
    """The importer's per-object entry point with Powertools idempotency in front of it.

    The idempotency key is the object version (bucket, key, version id, ETag): a redelivered event
    returns the first run's outcome without running again; a concurrent duplicate gets
    IdempotencyAlreadyInProgressError: answered as a duplicate once the first has handed the import
    over, raised (Lambda retries it later) until then.
    """

    def __init__(self, deps: ImporterDeps, *, dynamodb_client: Any = None) -> None:
        from aws_lambda_powertools.utilities.idempotency import (  # noqa: PLC0415 - lazy
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )
        from aws_lambda_powertools.utilities.idempotency.serialization.pydantic import (  # noqa: PLC0415
            PydanticSerializer,
        )

        self.deps = deps
        self._remaining: Callable[[], float] = lambda: deps.settings.parse_wait_seconds + deps.safety_margin_s
        self._config = IdempotencyConfig(
            event_key_jmespath='ref',
            raise_on_no_idempotency_key=True,
            expires_after_seconds=IDEMPOTENCY_TTL_S,
            response_hook=_mark_duplicate,
        )
        if dynamodb_client is None:
            import boto3  # noqa: PLC0415 - lazy

            # boto3's default session, which the adapters' clients share: left to itself the
            # persistence layer makes a boto3 Session of its own, loading endpoint data and the
            # DynamoDB model again (about 50 ms of the importer's cold start; make bench).
            dynamodb_client = boto3.client('dynamodb')
        persistence = DynamoDBPersistenceLayer(
            table_name=deps.settings.idempotency_table, boto3_client=dynamodb_client
        )
        self._process: Callable[..., ImporterOutcome] = idempotent_function(
            data_keyword_argument='source',
            persistence_store=persistence,
            config=self._config,
            output_serializer=PydanticSerializer(model=ImporterOutcome),
            key_prefix=IDEMPOTENCY_KEY_PREFIX,
        )(self._import)

    def _import(self, source: SourceEvent) -> ImporterOutcome:
        from loyalty_import.pipeline.steps.importer import import_object  # noqa: PLC0415 - lazy

        return import_object(source, self.deps, self._remaining)

    def import_all(
        self, sources: Iterable[SourceEvent], context: LambdaContext | None = None
    ) -> ImporterResponse:
        """Every object of one S3 event, in order.

        A refused or broken file never raises (it is recorded and notified); a transient AWS or Wix
        failure is raised after the other objects are processed, so Lambda's async retry and the
        on-failure DLQ apply (the retry is idempotent per object version).
        """
        outcomes: list[ImporterOutcome] = []
        transient: Exception | None = None
        for source in sources:
            unbind_import()
            # Results are written under their own prefix; never treat them (or folder markers) as input.
            if not self.deps.settings.is_input(source.ref.key):
                logger.info('ignoring object outside the incoming prefix', key=source.ref.key)
                continue
            try:
                outcomes.append(self.process(source, context))
            except Exception as exc:  # noqa: BLE001 - finish the other objects first; re-raised below
                logger.exception(
                    'object not processed; the event will be retried', source_id=source.ref.source_id
                )
                transient = transient or exc
        if transient is not None:
            raise transient
        return ImporterResponse(outcomes=outcomes)

    def continue_review(self, source_id: str, context: LambdaContext | None = None) -> ImporterOutcome:
        """A person approved the review of `source_id`: import it (no idempotency layer: the record's
        state makes it safe to run again, and the state machine's Retry does)."""
        from loyalty_import.pipeline.steps.importer import continue_reviewed  # noqa: PLC0415 - lazy

        remaining = self._remaining
        if context is not None:
            remaining = lambda: context.get_remaining_time_in_millis() / 1000  # noqa: E731 - as process()
        return continue_reviewed(source_id, self.deps, remaining)

    def process(self, source: SourceEvent, context: LambdaContext | None = None) -> ImporterOutcome:
        from aws_lambda_powertools.utilities.idempotency.exceptions import (  # noqa: PLC0415 - lazy
            IdempotencyAlreadyInProgressError,
        )

        if context is not None:
            self._config.register_lambda_context(context)
            self._remaining = lambda: context.get_remaining_time_in_millis() / 1000
        try:
            return self._process(source=source)
        except IdempotencyAlreadyInProgressError:
            # Another invocation holds this object version's lock. Once the import is handed over
            # (ended, or followed by a state machine) this delivery has nothing to add. Before that,
            # the holder may have crashed (out of memory: Lambda reports no timeout, so the lock
            # stays until the holder's deadline, and its own retry would land here too): raising
            # lets Lambda retry later, and a file nobody finishes reaches the DLQ (an alarm) instead
            # of being answered as a duplicate and never imported.
            record = self.deps.records.get(source.ref.source_id)
            if record is None or not _handed_over(record):
                logger.info('object version locked by an invocation that has not handed it over yet')
                raise ImportStillInProgress(source.ref.source_id) from None
            logger.info('object version already being imported by another invocation')
            return ImporterOutcome(source_id=source.ref.source_id, status=record.status, duplicate=True)


def _handed_over(record: ImportRecord) -> bool:
    """Ended, or owned by a state machine execution that will end it (the import's or the review's)."""
    review_started = record.review is not None and record.review.execution_name is not None
    return record.is_final or record.execution_name is not None or review_started


def _mark_duplicate(response: Any, idempotent_data: DataRecord) -> Any:
    # A replayed result: this delivery of the event did nothing.
    if isinstance(response, ImporterOutcome):
        return response.model_copy(update={'duplicate': True})
    return response
