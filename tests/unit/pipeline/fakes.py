"""Small recording fakes of the pipeline's ports (no mocks): each keeps what it was asked to do."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, TypeVar

from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.errors import (
    ConcurrentUpdate,
    FileRefused,
    NotificationError,
    ObjectTooLarge,
    SourceNotFound,
)
from loyalty_import.pipeline.models import (
    ColumnChoice,
    ImportRecord,
    InspectionOutcome,
    MappingSummary,
    Notification,
    Overrides,
)
from loyalty_import.pipeline.ports import StoredObject
from loyalty_import.pipeline.settings import FromEnvironment, ImporterSettings
from loyalty_import.wix.errors import WixError, WixNotFound
from loyalty_import.wix.models import LoyaltyImport, UploadUrl
from rehearsal.template import load_template
from tests.conftest import REPO_ROOT

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
BUCKET = 'drop-bucket'
S = TypeVar('S', bound=FromEnvironment)


# The template's resources, as the functions' variables name them (the rest are parameters).
RESOURCES = {
    'IMPORTS_TABLE': 'imports',
    'IDEMPOTENCY_TABLE': 'idempotency',
    'NOTIFICATION_TOPIC_ARN': 'arn:aws:sns:us-east-1:123456789012:loyalty',
    'WIX_SECRET_ID': 'wix-credentials',
    'STATE_MACHINE_ARN': 'arn:aws:states:us-east-1:123456789012:stateMachine:import',
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


class FakeClock:
    """Time that only moves when slept (or advanced) — tests never really wait."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.current = start
        self.slept: list[float] = []

    def now(self) -> dt.datetime:
        return self.current

    def monotonic(self) -> float:
        return self.current.timestamp()

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        self.current += dt.timedelta(seconds=seconds)

    def as_clock(self) -> Clock:
        return Clock(now=self.now, sleep=self.sleep, monotonic=self.monotonic)


class FakeRecords:
    def __init__(self) -> None:
        self.items: dict[str, dict[str, Any]] = {}
        self.saves = 0
        self.conflicts_to_inject = 0

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

    def put(self, key: str, content: bytes, metadata: Mapping[str, str] | None = None) -> None:
        self.objects[(BUCKET, key)] = StoredObject(
            content=content, size=len(content), metadata=dict(metadata or {})
        )

    def read(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredObject:
        self.reads += 1
        stored = self.objects.get((bucket, key))
        if stored is None:
            raise SourceNotFound(f's3://{bucket}/{key}')
        if stored.size > max_bytes:
            raise ObjectTooLarge(stored.size, max_bytes)
        return stored

    def write(self, bucket: str, key: str, content: bytes, *, content_type: str) -> str:
        uri = f's3://{bucket}/{key}'
        self.written[uri] = content
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


@dataclass
class FakeWix:
    """A scripted Wix: imports parse after `parse_after` reads and finish right after execute."""

    header: list[str] = field(default_factory=lambda: ['email', 'points'])
    sample_rows: list[list[str]] = field(default_factory=lambda: [['ann@example.com', '10']])
    parse_after: int = 0
    success_count: int = 1
    failure_count: int = 0
    parse_error: str | None = None
    errors: dict[str, list[Exception]] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    executed_with: list[tuple[str, int, int]] = field(default_factory=list)
    uploads: list[bytes] = field(default_factory=list)
    error_file: bytes = (
        b'Row,Status,Error reason,email,points\r\n1,FAILED,CONTACT_NOT_FOUND,ghost@example.com,5\r\n'
    )

    def _call(self, name: str) -> None:
        self.calls.append(name)
        pending = self.errors.get(name)
        if pending:
            raise pending.pop(0)

    def count(self, name: str) -> int:
        return self.calls.count(name)

    def create_upload_url(self) -> UploadUrl:
        self._call('create_upload_url')
        return UploadUrl(file_path='/files/upload-1', upload_url='http://upload.invalid/u1?token=secret')

    def upload_file(self, upload_url: str, file_name: str, content: bytes) -> None:
        self._call('upload_file')
        self.uploads.append(content)

    def create_import(self, file_url: str, file_name: str, file_size: int) -> LoyaltyImport:
        self._call('create_import')
        import_id = f'imp-{len(self.imports) + 1}'
        self.imports[import_id] = {'id': import_id, 'status': 'PARSING', 'reads': 0, 'file_name': file_name}
        return self._view(import_id)

    def find_created_import(
        self, file_name: str, file_size: int, created_since: dt.datetime, file_url: str | None = None
    ) -> LoyaltyImport | None:
        self._call('find_created_import')
        for import_id, state in self.imports.items():
            if state['file_name'] == file_name:
                return self._view(import_id)
        return None

    def get_import(self, import_id: str) -> LoyaltyImport:
        self._call('get_import')
        state = self._state(import_id)
        state['reads'] += 1
        if state['status'] == 'PARSING' and state['reads'] > self.parse_after:
            state['status'] = 'FAILED' if self.parse_error else 'PARSED'
        return self._view(import_id)

    def execute_import(self, import_id: str, email_index: int, points_index: int) -> LoyaltyImport:
        self._call('execute_import')
        state = self._state(import_id)
        if state['status'] != 'PARSED':
            raise WixError(f'cannot execute an import in {state["status"]}', status_code=400)
        self.executed_with.append((import_id, email_index, points_index))
        state['status'] = 'IMPORTED'
        return self._view(import_id)

    def get_error_file_url(self, import_id: str) -> str:
        self._call('get_error_file_url')
        return f'http://files.invalid/{import_id}/errors.csv'

    def download(self, url: str) -> bytes:
        self._call('download')
        return self.error_file

    def set_status(self, import_id: str, status: str) -> None:
        self._state(import_id)['status'] = status

    def _state(self, import_id: str) -> dict[str, Any]:
        if import_id not in self.imports:
            raise WixNotFound('no such import', status_code=404)
        return self.imports[import_id]

    def _view(self, import_id: str) -> LoyaltyImport:
        state = self.imports[import_id]
        body: dict[str, Any] = {'id': import_id, 'status': state['status']}
        if state['status'] in {'PARSED', 'IMPORTING', 'IMPORTED', 'FAILED'}:
            body['fileMetadata'] = {
                'name': state['file_name'],
                'header': {'values': self.header},
                'sampleDataRows': [{'values': row} for row in self.sample_rows],
            }
            body['parseResult'] = {'parsedRowCount': self.success_count + self.failure_count}
            if self.parse_error and state['status'] == 'FAILED':
                body['parseResult'] = {'parseErrorReason': self.parse_error}
        if state['status'] == 'IMPORTED':
            body['importResult'] = {
                'successCount': self.success_count,
                'failureCount': self.failure_count,
                'errorFileExists': self.failure_count > 0,
            }
        return LoyaltyImport.model_validate(body)


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

    def __call__(self, data: bytes, overrides: Overrides) -> InspectionOutcome:
        self.calls.append((data, overrides))
        if self.crash is not None:
            raise self.crash
        if self.refusal is not None:
            raise self.refusal
        rows = list(csv.reader(io.StringIO(data.decode('utf-8'))))
        header = rows[0]
        email = header.index('email') if overrides.email_column is None else int(overrides.email_column)
        points = header.index('points') if overrides.points_column is None else int(overrides.points_column)
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
