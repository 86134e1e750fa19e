"""Pydantic models at every boundary of the pipeline: the source object, the state machine's task
inputs and outputs, the DynamoDB import record and the notification.

Field names are snake_case in Python and camelCase on the wire (Step Functions JSON, DynamoDB
attributes, notification bodies), matching the Wix API's own naming.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Literal
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field, NonNegativeInt
from pydantic.alias_generators import to_camel


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class CamelModel(BaseModel):
    # Every model here is built (its validator and serializer compiled) on first use rather than at
    # import (defer_build): each function uses a few of them, and building all of them cost about
    # 13 ms of every cold start (ImportRecord alone 5 ms).
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra='ignore', defer_build=True
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready camelCase form (what Step Functions, DynamoDB and subscribers see)."""
        return self.model_dump(mode='json', by_alias=True, exclude_none=True)


# ---------------------------------------------------------------------------- the source object


class S3EventObject(CamelModel):
    key: str
    size: NonNegativeInt | None = None
    e_tag: str | None = None  # 'eTag'
    version_id: str | None = None


class S3EventBucket(CamelModel):
    name: str


class S3EventEntity(CamelModel):
    bucket: S3EventBucket
    object: S3EventObject


class S3EventRecord(CamelModel):
    event_source: Literal['aws:s3'] = 'aws:s3'
    event_name: str
    event_time: dt.datetime
    s3: S3EventEntity


class S3Event(CamelModel):
    """An S3 event notification: the fields the importer reads, validated; the rest ignored.

    Powertools' `S3Model` parses S3's whole schema, but importing it loads every event model of
    Powertools' parser (about 18 ms of the importer's cold start).
    """

    records: list[S3EventRecord] = Field(alias='Records')


class SourceRef(CamelModel):
    """One version of one S3 object: what "the same file" means for idempotency.

    A redelivered S3 event carries the same bucket, key, version id and ETag, so it hashes to the
    same idempotency key; a new upload of the key (a new version, or new content in an unversioned
    bucket) is a new import.
    """

    model_config = ConfigDict(frozen=True)

    bucket: str
    key: str
    version_id: str | None = None
    etag: str | None = None

    @classmethod
    def from_s3_record(cls, record: S3EventRecord) -> SourceRef:
        s3_object = record.s3.object
        version = s3_object.version_id
        return cls(
            bucket=record.s3.bucket.name,
            # S3 URL-encodes keys in events, with '+' for a space: "my%20file+v2.csv".
            key=unquote_plus(s3_object.key),
            # 'null' is S3's version id of objects written before versioning was enabled.
            version_id=version if version and version != 'null' else None,
            etag=s3_object.e_tag.strip('"') if s3_object.e_tag else None,
        )

    @property
    def source_id(self) -> str:
        """The imports table's key: one item per object version."""
        return f's3://{self.bucket}/{self.key}#{self.version_id or self.etag or "unversioned"}'

    @property
    def uri(self) -> str:
        return f's3://{self.bucket}/{self.key}'

    @property
    def file_name(self) -> str:
        return self.key.rsplit('/', 1)[-1] or self.key


class SourceEvent(CamelModel):
    """A source object as an S3 event announced it (size and time are informational only)."""

    ref: SourceRef
    size: int | None = None
    event_time: dt.datetime | None = None
    event_name: str | None = None

    @classmethod
    def from_s3_record(cls, record: S3EventRecord) -> SourceEvent:
        return cls(
            ref=SourceRef.from_s3_record(record),
            size=record.s3.object.size,
            event_time=record.event_time,
            event_name=record.event_name,
        )


# ---------------------------------------------------------------------------- the import record


class RecordStatus(StrEnum):
    """The import's own status (not Wix's): in flight, then exactly one final value."""

    RECEIVED = 'RECEIVED'  # claimed by the importer, not yet at Wix
    AWAITING_REVIEW = 'AWAITING_REVIEW'  # a person must choose the columns; nothing sent to Wix
    CREATED = 'CREATED'  # Wix import created, Wix is parsing the file
    PARSED = 'PARSED'  # Wix parsed it; header and sample cross-checked before execute
    IMPORTING = 'IMPORTING'  # executed; the state machine polls until Wix finishes
    IMPORTED = 'IMPORTED'
    FAILED = 'FAILED'
    REJECTED = 'REJECTED'
    TIMED_OUT = 'TIMED_OUT'
    DRY_RUN = 'DRY_RUN'
    REVIEW_REJECTED = 'REVIEW_REJECTED'  # a person said: don't import it
    REVIEW_EXPIRED = 'REVIEW_EXPIRED'  # nobody answered the review before its deadline

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset(
    {
        RecordStatus.IMPORTED,
        RecordStatus.FAILED,
        RecordStatus.REJECTED,
        RecordStatus.TIMED_OUT,
        RecordStatus.DRY_RUN,
        RecordStatus.REVIEW_REJECTED,
        RecordStatus.REVIEW_EXPIRED,
    }
)


class RecordError(CamelModel):
    code: str
    message: str


class StatusChange(CamelModel):
    status: RecordStatus
    at: dt.datetime
    note: str | None = None


class ColumnChoice(CamelModel):
    """One inferred (or overridden) column of the source file and why it was chosen."""

    column: int
    name: str | None = None
    confidence: float
    why: str | None = None


class MappingSummary(CamelModel):
    email: ColumnChoice
    points: ColumnChoice
    confidence: float
    # Indexes into the NORMALIZED file: what Wix's execute gets.
    email_index: int
    points_index: int


class Overrides(CamelModel):
    email_column: str | int | None = None
    points_column: str | int | None = None


class ParseResult(CamelModel):
    parsed_row_count: int | None = None
    parse_error_reason: str | None = None


class ImportResult(CamelModel):
    """As Wix reports it: IMPORTED means the run finished, the counts say how it went."""

    success_count: int | None = None
    failure_count: int | None = None
    error_file_exists: bool | None = None


class SnapshotSummary(CamelModel):
    """The Wix balances read just before execute: how many emails, how many had an account."""

    emails_looked_up: int
    accounts_found: int
    without_account: int
    wix_calls: int


class SnapshotProgress(CamelModel):
    """A snapshot read over several invocations (`guards.snapshot`): the balances found so far and
    the next batch of 100 distinct emails to look up, kept under the results prefix (it holds
    balances, so never in the logs) until the snapshot is complete."""

    import_id: str
    # The distinct emails of the upload: a progress of other pairs is not resumed.
    emails: int = Field(ge=0)
    next_batch: int = Field(ge=0)
    wix_calls: int = Field(ge=0)
    found: dict[str, int] = Field(default_factory=dict)


class BalanceExample(CamelModel):
    """One customer's balance, the email masked (`j***@example.com`)."""

    email: str
    before: int | None = None
    after: int | None = None
    # Verification only: what Wix reports after the import (None: no account found).
    actual: int | None = None


class BalanceShift(CamelModel):
    """How the file would move the balances of the customers that already had an account."""

    matched: int
    up: int
    down: int
    unchanged: int
    median_change: float
    examples: list[BalanceExample] = Field(default_factory=list)
    # Why the shift looks like the wrong column (None: it does not).
    suspicious: str | None = None


class Verification(CamelModel):
    """Balances read back after IMPORTED, compared with the file."""

    checked: int
    matched: int
    mismatched: int
    examples: list[BalanceExample] = Field(default_factory=list)
    wix_calls: int = 0
    # What the mismatches have in common, when they say it (e.g. Wix added instead of setting).
    diagnosis: str | None = None
    # Why the check stopped short (Wix failing): the counts cover what was read.
    incomplete: str | None = None
    # An undo only: what its balances are (the balances before the original import, its snapshot).
    restores: str | None = None


# ---------------------------------------------------------------------------- a person's review


class ReviewReason(CamelModel):
    """Why the inspection asks a person (`inspection.models.ReviewCode` and its message)."""

    code: str
    message: str


class ReviewColumn(CamelModel):
    """One source column as the review page shows it."""

    index: int  # 0-based, in the source file
    name: str
    kind: str  # the inspection's kind: email, integer, decimal, text, empty...
    samples: list[str] = Field(default_factory=list)  # a few values, emails masked
    why: str = ''  # why it is (or is not) a candidate
    candidate_for: list[str] = Field(default_factory=list)  # 'EMAIL' / 'POINTS' when among the choices


class ReviewFile(CamelModel):
    size: int | None = None
    rows: int
    encoding: str
    delimiter: str
    has_header: bool


class ReviewDecision(CamelModel):
    action: Literal['approve', 'reject']
    email_column: int | None = None
    points_column: int | None = None
    at: dt.datetime
    by: str  # 'review page' or 'operator command'


class Review(CamelModel):
    """A pending (then decided) review: what the inspection proposes and what a person chose.

    The review token itself is never stored: only its SHA-256 (`token_hash`), which is also the key
    of the link item (`ReviewLink`) the page finds the record by.
    """

    email_column: int  # the proposal (0-based source columns)
    points_column: int
    choices: dict[str, list[int]]  # 'EMAIL' / 'POINTS' -> plausible columns, best first
    reasons: list[ReviewReason]
    columns: list[ReviewColumn]
    file: ReviewFile
    findings: list[str] = Field(default_factory=list)  # pre-flight findings, in words
    # A few rows as they would be uploaded (emails masked), with the upload's header.
    preview_header: list[str] = Field(default_factory=list)
    preview_rows: list[list[str]] = Field(default_factory=list)
    # The layout an approval is remembered for (None: a headerless file, never remembered).
    layout_id: str | None = None
    layout_prefix: str | None = None
    header: list[str] | None = None
    execution_name: str | None = None
    execution_arn: str | None = None
    requested_at: dt.datetime | None = None
    expires_at: dt.datetime | None = None
    token_hash: str | None = None
    # The form's anti-CSRF value (synchronizer token): useless without the review token.
    csrf: str | None = None
    # Step Functions' callback token of the waiting ReviewStateMachine execution.
    task_token: str | None = None
    link_sent_at: dt.datetime | None = None
    decision: ReviewDecision | None = None
    # When Step Functions was told of the decision (SendTaskSuccess accepted).
    handed_over_at: dt.datetime | None = None


class ReviewLink(CamelModel):
    """The imports table's item of one review link (pk `review#<sha256 of the token>`)."""

    pk: str
    source_id: str
    expires_at: int  # epoch seconds: the table's TTL attribute

    @staticmethod
    def key(token_hash: str) -> str:
        return f'review#{token_hash}'


class RememberedLayout(CamelModel):
    """An approved mapping, remembered for one layout (exact header) under one incoming folder."""

    layout_id: str
    prefix: str  # the folder of the incoming key, e.g. 'incoming/' or 'incoming/shop-a/'
    header: list[str]
    email_column: int
    points_column: int
    email_name: str
    points_name: str
    approved_at: dt.datetime
    approved_from: str  # the pk of the import whose review approved it
    file_name: str


class PartStatus(StrEnum):
    """One Wix import of a file imported as several (docs/large-files.md): its own status."""

    PLANNED = 'PLANNED'  # its upload is written, its Wix import not created yet
    CREATED = 'CREATED'  # Wix is parsing it
    IMPORTING = 'IMPORTING'  # executed
    IMPORTED = 'IMPORTED'
    FAILED = 'FAILED'
    TIMED_OUT = 'TIMED_OUT'

    @property
    def is_final(self) -> bool:
        return self in {PartStatus.IMPORTED, PartStatus.FAILED, PartStatus.TIMED_OUT}


class ImportPart(CamelModel):
    """One part of a file past one Wix import: its own header, upload, Wix import and result.

    Its create attempts are recorded as the record's are for one import (`create_attempted_at`,
    `create_file_paths`), so a redelivery adopts the import an attempt made rather than creating
    the part twice; a part with a `wix_import_id` is never created again.
    """

    index: int  # 1-based, in the file's order
    rows: int
    bytes: int
    file: str | None = None  # the part's upload kept in S3 (`<results>/<file>.parts.0001.csv`)
    # The part's own record (`<file pk>#part-0001`): what its Poll and Execute steps run on.
    source_id: str | None = None
    status: PartStatus = PartStatus.PLANNED
    create_attempted_at: dt.datetime | None = None
    create_file_paths: list[str] = Field(default_factory=list)
    wix_import_id: str | None = None
    wix_status: str | None = None
    parse_result: ParseResult | None = None
    import_result: ImportResult | None = None
    wix_times: dict[str, dt.datetime] = Field(default_factory=dict)
    error_file: str | None = None
    error: RecordError | None = None
    executed_at: dt.datetime | None = None


class ImportRecord(CamelModel):
    """One DynamoDB item per source object version, with the import's whole story."""

    pk: str
    source_uri: str
    bucket: str
    key: str
    file_name: str
    # The Wix site it goes to (`pipeline.sites`): `default` in single-site mode (and on records from
    # before sites existed); in multi-site mode the file's first folder (the name looked for, when
    # refused UNKNOWN_SITE).
    site: str = 'default'
    version_id: str | None = None
    etag: str | None = None
    size: int | None = None
    sha256: str | None = None
    s3_event_time: dt.datetime | None = None
    status: RecordStatus = RecordStatus.RECEIVED
    status_history: list[StatusChange] = Field(default_factory=list)
    dry_run: bool = False
    # x-amz-meta-reimport: true: imported even if the same balances were imported within the window.
    reimport: bool = False
    overrides: Overrides | None = None
    mapping: MappingSummary | None = None
    preflight: dict[str, Any] | None = None
    # What Wix must report back after parsing the normalized file (checked before execute).
    expected_header: list[str] | None = None
    expected_sample_rows: list[list[str]] | None = None
    normalized_size: int | None = None
    normalized_sha256: str | None = None
    # SHA-256 of the file's sorted (email lower-cased, points) pairs: the same balances, however exported.
    content_fingerprint: str | None = None
    # When this record last started creating a Wix import; a retry that finds it set (and no import
    # id) looks for the import that attempt may have created before creating another.
    create_attempted_at: dt.datetime | None = None
    # The upload filePath each create attempt was sent from (Wix keeps it as fileMetadata.url): what a
    # retry matches an import on, with the size, since Wix need not echo the file name.
    create_file_paths: list[str] = Field(default_factory=list)
    # A file imported as one Wix import: its id. As several (`parts` not empty): the FIRST part's
    # (what the execution is named after and the logs bind), and `parts` is the truth for each.
    wix_import_id: str | None = None
    wix_status: str | None = None
    # The file's Wix imports when it needs more than one; None (no attribute, no notification
    # field) for a file imported as one, so its record and message stay exactly as they were.
    parts: list[ImportPart] | None = None
    # A part's own record: the pk of the file's record. Its Poll and Execute steps (cross-check,
    # snapshot, execute) run on it exactly as on a file of one import; it never notifies (the
    # file's record does, once, for every part).
    parent: str | None = None
    execution_name: str | None = None
    execution_arn: str | None = None
    parse_result: ParseResult | None = None
    import_result: ImportResult | None = None
    # Wix's own clock: `createdDate` under CREATED, then the `updatedDate` first seen in each status
    # (when Wix entered it): the site's parse and import pace is learned from these (`pacing`).
    wix_times: dict[str, dt.datetime] = Field(default_factory=dict)
    error_file: str | None = None
    # The uploaded email/points pairs (Email,Points balance CSV), kept for the snapshot and the check.
    upload_file: str | None = None
    # The balances before the import, as an importable CSV (customers that had an account), and the
    # SHA-256 of its bytes: a file dropped as this import's undo must be exactly that file.
    undo_file: str | None = None
    undo_sha256: str | None = None
    # A balance snapshot read over several invocations: its saved progress (`SnapshotProgress`,
    # written before this is set, so it is only read when it exists: S3 answers 403, not 404, to
    # a role without ListBucket).
    snapshot_progress: str | None = None
    # An undo (`pipeline.guards.undo`): the pk of the import whose undo file this is, the report listing the
    # customers that import gave an account (kept: accounts cannot be deleted), and how many.
    undo_of: str | None = None
    undo_report: str | None = None
    accounts_kept: int | None = None
    snapshot: SnapshotSummary | None = None
    balance_shift: BalanceShift | None = None
    verification: Verification | None = None
    # A file a person had to decide on: the proposal, the choices, the link's hash, the decision.
    review: Review | None = None
    # Set when a remembered layout decided the mapping: 'approved for this layout on <date>'.
    approved_layout: str | None = None
    report: str | None = None
    error: RecordError | None = None
    created_at: dt.datetime = Field(default_factory=utc_now)
    updated_at: dt.datetime = Field(default_factory=utc_now)
    executed_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None
    duration_seconds: float | None = None
    notified_at: dt.datetime | None = None
    # The notification is claimed (notified_at) but not yet confirmed sent: the invocation that
    # claimed it ended before it published (killed, timed out). The next finisher sends it.
    notification_pending: bool | None = None
    # Optimistic locking: every write is conditional on the version it read.
    version: int = 0

    @classmethod
    def new(
        cls, source: SourceEvent, *, now: dt.datetime | None = None, site: str = 'default'
    ) -> ImportRecord:
        at = now or utc_now()
        ref = source.ref
        return cls(
            pk=ref.source_id,
            source_uri=ref.uri,
            bucket=ref.bucket,
            key=ref.key,
            file_name=ref.file_name,
            site=site,
            version_id=ref.version_id,
            etag=ref.etag,
            size=source.size,
            s3_event_time=source.event_time,
            status=RecordStatus.RECEIVED,
            status_history=[StatusChange(status=RecordStatus.RECEIVED, at=at)],
            created_at=at,
            updated_at=at,
        )

    def move_to(
        self, status: RecordStatus, *, at: dt.datetime | None = None, note: str | None = None
    ) -> None:
        """Change status and keep the history (repeating the current status adds nothing)."""
        when = at or utc_now()
        self.updated_at = when
        if status == self.status and self.status_history:
            return
        self.status = status
        self.status_history.append(StatusChange(status=status, at=when, note=note))

    @property
    def is_final(self) -> bool:
        return self.status.is_final

    def public_view(self) -> dict[str, Any]:
        """The record as subscribers and the demo see it: without the bulky cross-check data."""
        return self.model_dump(
            mode='json',
            by_alias=True,
            exclude_none=True,
            exclude={
                'expected_header': True,
                'expected_sample_rows': True,
                'version': True,
                # Not secrets on their own, but nothing a subscriber needs.
                'review': {'csrf', 'task_token', 'token_hash'},
            },
        )


class ContentClaim(CamelModel):
    """The imports table's item of one content fingerprint (pk `fingerprint#<sha256>`).

    It names the import that holds these balances: claimed (IMPORTING) by the importer before
    anything is sent to Wix, marked IMPORTED by the finalizer. `expires_at` (epoch seconds) is the
    table's TTL attribute: the end of the re-import window.
    """

    pk: str
    fingerprint: str
    source_id: str
    source_uri: str
    status: RecordStatus  # IMPORTING or IMPORTED
    at: dt.datetime  # when it was claimed, then when the import finished
    expires_at: int
    wix_import_id: str | None = None

    @staticmethod
    def key(fingerprint: str) -> str:
        return f'fingerprint#{fingerprint}'


# ------------------------------------------------------------------- the state machine's tasks


class PollSchedule(CamelModel):
    """When to read the Wix import next (`pipeline.pacing`): the phase Wix is in, since when (epoch
    seconds), how long it is expected to take, and the site's import pace for when the parse ends."""

    phase: Literal['parse', 'import']
    phase_started: float
    expected_s: float
    trusted: bool
    import_base_s: float
    import_per_row_s: float
    import_trusted: bool


class PollResult(CamelModel):
    """What the poller returns; the state machine's Choice and Wait read these fields."""

    status: str
    next_wait: int
    deadline_exceeded: bool
    schedule: PollSchedule | None = None
    # The import as read when PARSED, IMPORTED or FAILED: the Execute or Finalize step that follows
    # uses it instead of reading it again (one Wix call fewer each).
    wix_import: dict[str, Any] | None = None


class ExecutionInput(CamelModel):
    """The state machine's input (and the state every task receives)."""

    import_id: str
    source_id: str
    deadline: int  # epoch seconds
    # The first wait between polls (the importer sets it from POLL_FIRST_WAIT_SECONDS): the backoff
    # of an execution started without a schedule.
    wait: int
    # Before the first poll (the expected rest of the parse or import); absent in older executions.
    first_wait: int = 0
    schedule: PollSchedule | None = None
    # The Wix site whose credentials and call budget the tasks use (absent in executions started
    # before sites existed: the single site).
    site: str = 'default'


class ReviewExecutionInput(CamelModel):
    """The ReviewStateMachine's input: the record that waits for a person, and for how long."""

    source_id: str
    wait_seconds: int | None = None


class ReviewTaskInput(ReviewExecutionInput):
    """What the review function gets from the state machine: open the review (with the waiting
    task's token and the page's URL) or expire it."""

    action: Literal['open', 'expire']
    task_token: str | None = None
    review_url: str | None = None


class ContinueReview(ReviewExecutionInput):
    """The ReviewStateMachine's Import step: the approved record goes on to Wix (importer)."""

    action: Literal['continue']


class TaskError(BaseModel):
    """What a Step Functions Catch puts at its ResultPath: {"Error": ..., "Cause": ...}."""

    model_config = ConfigDict(extra='ignore', defer_build=True)

    error: str = Field(alias='Error')
    cause: str | None = Field(None, alias='Cause')


class PollerInput(ExecutionInput):
    # The previous poll's result, present from the second poll on (the backoff grows from it).
    poll: PollResult | None = None


class ExecutorOutput(CamelModel):
    executed: bool
    status: str


class FinalizerInput(PollerInput):
    # Set by a Catch on Poll/Execute: the error that ended the loop.
    error: TaskError | None = None
    # Set by the Finalize state's own Catch: finalize again without calling Wix.
    finalize_error: TaskError | None = None


class FinalizerOutput(CamelModel):
    source_id: str
    import_id: str | None
    status: RecordStatus
    notified: bool


class ImporterOutcome(CamelModel):
    """What the importer did with one S3 record (also the idempotency layer's cached result)."""

    source_id: str
    status: RecordStatus
    import_id: str | None = None
    duplicate: bool = False
    execution_name: str | None = None


class ImporterResponse(CamelModel):
    outcomes: list[ImporterOutcome]


# ---------------------------------------------------------------------------- notifications


class Notification(CamelModel):
    """One SNS message: a subject a person understands, a JSON body, filterable attributes."""

    subject: str = Field(max_length=99)
    message: str
    attributes: dict[str, str]


# ------------------------------------------------------------------------- the CSV inspection


class InspectionOutcome(BaseModel):
    """What the importer needs from the CSV inspection (built from `loyalty_import.inspection`)."""

    model_config = ConfigDict(arbitrary_types_allowed=False, defer_build=True)

    mapping: MappingSummary
    preflight: dict[str, Any]
    normalized_content: bytes = Field(repr=False)
    normalized_header: list[str]
    # Set when a person must decide: the proposal (also `mapping`), the choices and the reasons.
    review: Review | None = None
    # The source file's header as the inspection read it (None: the file has none).
    header: list[str] | None = None
