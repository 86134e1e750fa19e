"""Small recording fakes of the pipeline's ports (no mocks): each keeps what it was asked to do."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from loyalty_import.pipeline.errors import (
    ConcurrentUpdate,
    FileRefused,
    NotificationError,
    ObjectTooLarge,
    RecordStoreError,
    SourceNotFound,
)
from loyalty_import.pipeline.models import (
    ColumnChoice,
    ContentClaim,
    ImportRecord,
    InspectionOutcome,
    MappingSummary,
    Notification,
    Overrides,
    RememberedLayout,
    ReviewLink,
)
from loyalty_import.pipeline.pacing import Pace
from loyalty_import.pipeline.ports import StoredObject, StoredStream
from loyalty_import.pipeline.settings import FromEnvironment, ImporterSettings
from rehearsal.template import load_template
from tests.conftest import REPO_ROOT

BUCKET = 'drop-bucket'
S = TypeVar('S', bound=FromEnvironment)


# The template's resources, as the functions' variables name them (the rest are parameters).
RESOURCES = {
    'IMPORTS_TABLE': 'imports',
    'IDEMPOTENCY_TABLE': 'idempotency',
    'NOTIFICATION_TOPIC_ARN': 'arn:aws:sns:us-east-1:123456789012:loyalty',
    'WIX_SECRET_ID': 'wix-credentials',
    'STATE_MACHINE_ARN': 'arn:aws:states:us-east-1:123456789012:stateMachine:import',
    'REVIEW_STATE_MACHINE_ARN': 'arn:aws:states:us-east-1:123456789012:stateMachine:review',
    'LAYOUTS_TABLE': 'layouts',
    'SITES_TABLE': 'sites',
}


@cache
def template_defaults() -> dict[str, str]:
    """Every function's variables that template.yaml feeds from a parameter, at its default."""
    template = load_template(REPO_ROOT / 'template.yaml')
    parameters = template['Parameters']
    variables = dict(template['Globals']['Function']['Environment']['Variables'])
    for resource in template['Resources'].values():
        variables.update(resource.get('Properties', {}).get('Environment', {}).get('Variables', {}))
    return {
        name: str(parameters[value['Ref']]['Default'])
        for name, value in variables.items()
        if isinstance(value, dict) and value.get('Ref') in parameters
    }


def settings_of(model: type[S], **overrides: Any) -> S:
    """A function's settings as the template sets them (parameters at their defaults), with overrides."""
    values: dict[str, Any] = {**template_defaults(), **RESOURCES, 'PARSE_WAIT_SECONDS': '30'}
    values.update(overrides)
    return model.from_env(values)


def make_settings(**overrides: Any) -> ImporterSettings:
    return settings_of(ImporterSettings, **overrides)


class FakeRecords:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.saves = 0
        self.conflicts_to_inject = 0
        # The content fingerprint items (`pipeline.guards.fingerprints`), by fingerprint.
        self.claims: dict[str, ContentClaim] = {}
        self.claim_conflicts_to_inject = 0
        self.claim_failures_to_inject = 0
        # The review link items, by pk (`review#<sha256 of the token>`).
        self.links: dict[str, ReviewLink] = {}

    def create(self, record: ImportRecord) -> bool:
        if record.pk in self.items:
            return False
        record.version = 1
        self.items[record.pk] = record.model_dump(mode='json')
        return True

    def get(self, source_id: str) -> ImportRecord | None:
        item = self.items.get(source_id)
        return ImportRecord.model_validate(item) if item else None

    def save(self, record: ImportRecord) -> ImportRecord:
        stored = self.items.get(record.pk)
        if self.conflicts_to_inject:
            self.conflicts_to_inject -= 1
            raise ConcurrentUpdate('injected')
        if stored is None or stored['version'] != record.version:
            raise ConcurrentUpdate(f'{record.pk} is at {stored and stored["version"]}, not {record.version}')
        saved = record.model_copy(update={'version': record.version + 1}, deep=True)
        self.items[record.pk] = saved.model_dump(mode='json')
        self.saves += 1
        return saved

    def get_claim(self, fingerprint: str) -> ContentClaim | None:
        if self.claim_failures_to_inject:
            self.claim_failures_to_inject -= 1
            raise RecordStoreError('injected DynamoDB failure')
        claim = self.claims.get(fingerprint)
        return claim.model_copy() if claim else None

    def put_claim(self, claim: ContentClaim, *, replacing: ContentClaim | None) -> bool:
        if self.claim_conflicts_to_inject:
            self.claim_conflicts_to_inject -= 1
            return False
        current = self.claims.get(claim.fingerprint)
        if current != replacing:
            return False
        self.claims[claim.fingerprint] = claim.model_copy()
        return True

    def put_link(self, link: ReviewLink) -> None:
        self.links[link.pk] = link.model_copy()

    def get_link(self, token_hash: str) -> ReviewLink | None:
        return self.links.get(ReviewLink.key(token_hash))

    def only(self) -> ImportRecord:
        assert len(self.items) == 1, list(self.items)
        record = self.get(next(iter(self.items)))
        assert record is not None
        return record


class FakeNotifier:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[Notification] = []
        self.failures = failures

    def publish(self, notification: Notification) -> str:
        if self.failures:
            self.failures -= 1
            raise NotificationError('injected SNS failure')
        self.sent.append(notification)
        return f'msg-{len(self.sent)}'


class FakeStorage:
    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], StoredObject] = {}
        self.written: dict[str, bytes] = {}
        self.reads = 0
        self.read_keys: list[str] = []  # what `read` was asked for, in order
        self.streams = 0
        self.stream_chunk = 64 * 1024

    def put(self, key: str, content: bytes, metadata: Mapping[str, str] | None = None) -> None:
        self.objects[(BUCKET, key)] = StoredObject(
            content=content, size=len(content), metadata=dict(metadata or {})
        )

    def read(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredObject:
        self.reads += 1
        self.read_keys.append(key)
        stored = self.objects.get((bucket, key))
        if stored is None:
            raise SourceNotFound(f's3://{bucket}/{key}')
        if stored.size > max_bytes:
            raise ObjectTooLarge(stored.size, max_bytes)
        return stored

    def stream(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredStream:
        """`read`'s object in pieces of `stream_chunk` bytes (a large file's path)."""
        self.streams += 1
        stored = self.read(bucket, key, version_id, max_bytes=max_bytes)
        self.reads -= 1
        self.read_keys.pop()
        content, step = stored.content, self.stream_chunk
        pieces = iter([content[i : i + step] for i in range(0, len(content), step)])
        return StoredStream(chunks=pieces, size=stored.size, metadata=stored.metadata)

    def write(
        self,
        bucket: str,
        key: str,
        content: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        uri = f's3://{bucket}/{key}'
        self.written[uri] = content
        # Readable back, with its metadata (an undo file names the import it undoes).
        self.objects[(bucket, key)] = StoredObject(
            content=content, size=len(content), metadata=dict(metadata or {})
        )
        return uri


class FakeWorkflow:
    def __init__(self) -> None:
        self.executions: dict[str, Mapping[str, object]] = {}
        self.start_calls = 0

    def start(self, name: str, payload: Mapping[str, object]) -> str | None:
        self.start_calls += 1
        if name in self.executions:
            return None
        self.executions[name] = payload
        return f'arn:aws:states:us-east-1:123456789012:execution:import:{name}'


class FakeLayouts:
    def __init__(self) -> None:
        self.items: dict[str, RememberedLayout] = {}

    def get(self, layout_id: str) -> RememberedLayout | None:
        return self.items.get(layout_id)

    def put(self, layout: RememberedLayout) -> None:
        self.items[layout.layout_id] = layout.model_copy()

    def list(self) -> list[RememberedLayout]:
        return sorted(self.items.values(), key=lambda layout: layout.approved_at, reverse=True)

    def delete(self, layout_id: str) -> bool:
        return self.items.pop(layout_id, None) is not None


class FakePaces:
    """Each site's learned pace, in memory (`pipeline.pacing`)."""

    def __init__(self) -> None:
        self.items: dict[str, Pace] = {}

    def get(self, site: str) -> Pace:
        return self.items.get(site, Pace())

    def put(self, site: str, pace: Pace) -> None:
        self.items[site] = pace


class FakeCallbacks:
    """Step Functions' SendTaskSuccess: what each waiting task was told (`gone`: tokens timed out)."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Mapping[str, object]]] = []
        self.gone: set[str] = set()

    def send_success(self, task_token: str, output: Mapping[str, object]) -> bool:
        if task_token in self.gone:
            return False
        self.sent.append((task_token, dict(output)))
        return True


def csv_bytes(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline='')
    csv.writer(out, lineterminator='\n').writerows(rows)
    return out.getvalue().encode('utf-8')


@dataclass
class FakeInspector:
    """Maps EMAIL/POINTS by header name; refuses with `refusal` when set."""

    refusal: FileRefused | None = None
    crash: Exception | None = None
    calls: list[tuple[bytes, Overrides]] = field(default_factory=list)

    def __call__(
        self, data: bytes, overrides: Overrides, *, recheck_content: bool = False
    ) -> InspectionOutcome:
        self.calls.append((data, overrides))
        if self.crash is not None:
            raise self.crash
        if self.refusal is not None:
            raise self.refusal
        rows = list(csv.reader(io.StringIO(data.decode('utf-8'))))
        header = rows[0]
        # 'email' / 'points' by the header's first word ('Email,Points balance': an undo file).
        first = [name.lower().split()[0] if name.strip() else '' for name in header]
        email = first.index('email') if overrides.email_column is None else int(overrides.email_column)
        points = first.index('points') if overrides.points_column is None else int(overrides.points_column)
        mapping = MappingSummary(
            email=ColumnChoice(column=email, name=header[email], confidence=0.99, why='looks like emails'),
            points=ColumnChoice(column=points, name=header[points], confidence=0.9, why='integer balances'),
            confidence=0.9,
            email_index=email,
            points_index=points,
        )
        return InspectionOutcome(
            mapping=mapping,
            preflight={'rows': len(rows) - 1, 'columns': len(header)},
            normalized_content=data,
            normalized_header=header,
        )
