"""The emulator's state: uploaded files and loyalty imports, with Wix's asynchronous statuses.

Statuses advance lazily: each import carries a schedule of transitions (time, step), and every
read first applies the steps that are due. No timer threads, so the outcome depends only on the
clock: a test can drive a fake clock step by step, and `updatedDate` is the scheduled time.
"""

from __future__ import annotations

import copy
import random
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wix_emulator import query as q
from wix_emulator.accounts import Accounts, BalanceChange
from wix_emulator.errors import ErrorCode, WixApiError
from wix_emulator.parsing import ParseOutcome, import_rows, parse_file
from wix_emulator.settings import EmulatorSettings, Pace

_M = TypeVar('_M', bound=BaseModel)

UPLOAD_PATH_PREFIX = '/_upload/'
ERROR_FILE_PATH_PREFIX = '/_files/error-files/'


class _Model(BaseModel):
    # REST names only, and unknown fields refused (Wix would ignore them): a client's misspelt
    # or snake_case field shows up as a 400 instead of silently going missing.
    model_config = ConfigDict(extra='forbid')


class CreateImportRequest(_Model):
    file_url: str = Field(alias='fileUrl', min_length=3, max_length=10000)
    file_name: str | None = Field(default=None, alias='fileName')
    file_size: int | None = Field(default=None, alias='fileSize', ge=0)


class HeaderMapping(_Model):
    column_name: str = Field(alias='columnName')
    column_index: int = Field(alias='columnIndex')


class HeaderMappingInfo(_Model):
    header_mappings: list[HeaderMapping] = Field(alias='headerMappings')


class ExecuteImportRequest(_Model):
    loyalty_import_id: str = Field(alias='loyaltyImportId', min_length=1)
    header_mapping_info: HeaderMappingInfo = Field(alias='headerMappingInfo')


@dataclass(frozen=True)
class ImportTiming:
    """When an import happened by the emulator's clock: what a load run measures lag against."""

    import_id: str
    site: str
    file_name: str
    file_size: int
    rows: int
    created_at: float
    executed_at: float | None
    # The scheduled time of its last transition, IMPORTED or FAILED (None: not finished yet).
    finished_at: float | None
    status: str


def rfc3339(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


@dataclass
class Upload:
    upload_id: str
    file_path: str
    token: str
    file_name: str | None = None
    content: bytes | None = None


@dataclass
class _Import:
    id: str
    seq: int
    created_at: float
    file_url: str
    file_name: str
    file_size: int
    parsed: ParseOutcome
    status: str = 'INITIATED'
    revision: int = 1
    updated_at: float = 0.0
    schedule: list[tuple[float, str]] = field(default_factory=list)
    parse_waits_for_first_read: bool = False
    async_job_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    mappings: list[dict[str, Any]] | None = None
    email_index: int = 0
    points_index: int = 0
    success_count: int | None = None
    failure_count: int | None = None
    error_file: bytes | None = None
    error_file_token: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    upload_id: str | None = None
    executed_at: float | None = None
    finished_at: float | None = None

    def to_rest(self) -> dict[str, Any]:
        metadata: dict[str, Any] = {'size': self.file_size, 'name': self.file_name, 'url': self.file_url}
        if self.status in ('PARSED', 'IMPORTING', 'IMPORTED') or (
            self.status == 'FAILED' and self.parsed.error is None
        ):
            metadata['header'] = {'values': list(self.parsed.header)}
            metadata['sampleDataRows'] = [{'values': row} for row in self.parsed.sample_rows]
        if self.mappings is not None:
            metadata['headerMappingInfo'] = {'headerMappings': copy.deepcopy(self.mappings)}
        rest: dict[str, Any] = {
            'id': self.id,
            'asyncImportJobId': self.async_job_id,
            'revision': str(self.revision),
            'createdDate': rfc3339(self.created_at),
            'updatedDate': rfc3339(self.updated_at),
            'status': self.status,
            'fileMetadata': metadata,
        }
        if self.status in ('PARSED', 'IMPORTING', 'IMPORTED'):
            rest['parseResult'] = {'parsedRowCount': len(self.parsed.rows)}
        elif self.status == 'FAILED':
            rest['parseResult'] = {'parseErrorReason': self.parsed.error}
        if self.status == 'IMPORTED':
            rest['importResult'] = {
                'errorFileExists': self.error_file is not None,
                'successCount': self.success_count,
                'failureCount': self.failure_count,
            }
        return rest


class Store:
    """Everything the emulator holds. One lock: requests are few and short."""

    def __init__(
        self,
        settings: EmulatorSettings,
        *,
        clock: Callable[[], float],
        origin: str,
        site: str = 'default',
        rows_per_s: float | None = None,
    ) -> None:
        """`site`: the name of the Wix site this store is; `rows_per_s`: its import pace (Pace)."""
        self._settings = settings
        self.site = site
        self._rows_per_s = rows_per_s
        self._clock = clock
        self._origin = origin
        self._lock = threading.RLock()
        self._uploads: dict[str, Upload] = {}
        self._imports: dict[str, _Import] = {}
        self._seq = 0
        self.accounts = Accounts()
        # What each executed import did, by import id: email -> balance before and after.
        self._effects: dict[str, dict[str, BalanceChange]] = {}

    # -- uploads ---------------------------------------------------------------------------
    def create_upload_url(self) -> dict[str, str]:
        upload_id = str(uuid.uuid4())
        upload = Upload(upload_id, f'loyalty-imports/uploads/{upload_id}', secrets.token_urlsafe(24))
        with self._lock:
            self._uploads[upload_id] = upload
        return {
            'filePath': upload.file_path,
            'uploadUrl': f'{self.upload_base(upload_id)}?token={upload.token}',
        }

    def upload_base(self, upload_id: str) -> str:
        return f'{self._origin}{UPLOAD_PATH_PREFIX}{upload_id}'

    def check_upload_token(self, upload_id: str, token: str | None) -> None:
        with self._lock:
            upload = self._uploads.get(upload_id)
            if upload is None or token is None or not secrets.compare_digest(upload.token, token):
                raise WixApiError(403, ErrorCode.UPLOAD_TOKEN_INVALID, 'The upload URL is not valid')
            if upload.content is not None:
                raise WixApiError(403, ErrorCode.UPLOAD_TOKEN_INVALID, 'The upload URL has already been used')

    def store_upload(self, upload_id: str, token: str | None, file_name: str, content: bytes) -> None:
        with self._lock:
            self.check_upload_token(upload_id, token)
            upload = self._uploads[upload_id]
            upload.file_name = file_name
            upload.content = content

    def holds_upload(self, upload_id: str) -> bool:
        with self._lock:
            return upload_id in self._uploads

    def holds_import(self, import_id: str) -> bool:
        with self._lock:
            return import_id in self._imports

    def uploaded_files(self) -> dict[str, bytes]:
        with self._lock:
            return {u.file_path: u.content for u in self._uploads.values() if u.content is not None}

    def _find_upload(self, file_url: str) -> Upload | None:
        for upload in self._uploads.values():
            if file_url == upload.file_path:
                return upload
        # The upload URL itself (with or without its query) also names the file.
        path = urlsplit(file_url).path
        if path.startswith(UPLOAD_PATH_PREFIX):
            return self._uploads.get(path.removeprefix(UPLOAD_PATH_PREFIX))
        return None

    # -- imports ---------------------------------------------------------------------------
    def create_import(self, body: object) -> dict[str, Any]:
        request = _validate(CreateImportRequest, body)
        with self._lock:
            upload = self._find_upload(request.file_url)
            content = None if upload is None else upload.content
            uploaded_name = None if upload is None else upload.file_name
        if content is None:
            raise WixApiError(400, ErrorCode.FILE_NOT_UPLOADED, 'fileUrl does not name an uploaded file')
        # Parsed outside the lock: a 10 MB file takes a moment and other calls should not wait.
        parsed = parse_file(content)
        with self._lock:
            now = self._clock()
            self._seq += 1
            record = _Import(
                id=str(uuid.uuid4()),
                seq=self._seq,
                created_at=now,
                updated_at=now,
                file_url=request.file_url,
                file_name=self._stored_name(request.file_name or uploaded_name or 'file.csv'),
                file_size=request.file_size if request.file_size is not None else len(content),
                parsed=parsed,
                upload_id=None if upload is None else upload.upload_id,
            )
            if self._settings.parse_starts_on_first_read:
                record.parse_waits_for_first_read = True
            else:
                self._schedule_parse(record, now)
            self._imports[record.id] = record
            return {'loyaltyImport': record.to_rest()}

    def _stored_name(self, sent: str) -> str:
        # Wix's SDK types fileMetadata.name as a read-only GUID: 'guid' mode never echoes the name sent.
        return str(uuid.uuid4()) if self._settings.file_name_mode == 'guid' else sent

    def _schedule_parse(self, record: _Import, start: float) -> None:
        delay = self._parse_time(record)
        record.schedule = [(start + delay / 2, 'PARSING'), (start + delay, 'PARSE_DONE')]

    def get_import(self, import_id: str | None) -> dict[str, Any]:
        with self._lock:
            record = self._get(import_id)
            answer = {'loyaltyImport': record.to_rest()}
            if record.parse_waits_for_first_read:
                # This first read saw the import unparsed; the parse delay counts from here.
                record.parse_waits_for_first_read = False
                self._schedule_parse(record, self._clock())
            return answer

    def execute_import(self, body: object) -> dict[str, Any]:
        request = _validate(ExecuteImportRequest, body)
        with self._lock:
            record = self._get(request.loyalty_import_id)
            if record.status != 'PARSED':
                raise WixApiError(
                    400,
                    ErrorCode.INVALID_LOYALTY_IMPORT_STATUS,
                    f'The import can only be executed when PARSED; it is {record.status}',
                )
            email_index, points_index = _check_mappings(
                request.header_mapping_info, len(record.parsed.header)
            )
            now = self._clock()
            record.mappings = [
                m.model_dump(by_alias=True) for m in request.header_mapping_info.header_mappings
            ]
            record.email_index, record.points_index = email_index, points_index
            self._step(record, now, 'IMPORTING')
            record.executed_at = now
            record.schedule.append((now + self._import_time(record), 'IMPORT_DONE'))
            return {'loyaltyImport': record.to_rest()}

    def error_file_url(self, import_id: str | None) -> dict[str, str]:
        with self._lock:
            record = self._get(import_id)
            if record.error_file is None:
                raise WixApiError(404, ErrorCode.ERROR_FILE_NOT_FOUND, 'This import has no error file')
            return {
                'url': f'{self._origin}{ERROR_FILE_PATH_PREFIX}{record.id}?token={record.error_file_token}'
            }

    def error_file(self, import_id: str, token: str | None) -> bytes:
        with self._lock:
            self._advance()
            record = self._imports.get(import_id)
            if record is None or record.error_file is None:
                raise WixApiError(404, ErrorCode.ERROR_FILE_NOT_FOUND, 'No such error file')
            if token is None or not secrets.compare_digest(token, record.error_file_token):
                raise WixApiError(403, ErrorCode.PERMISSION_DENIED, 'The download URL is not valid')
            return record.error_file

    def query(self, body: object) -> dict[str, Any]:
        request = q.parse_query_request(body)
        paging = request.query.cursor_paging or q.CursorPaging()
        if paging.cursor:
            # A cursor carries the filter and sort it was issued for, like Wix's cursors do.
            state = q.decode_cursor(paging.cursor)
            again = q.parse_query_request(
                {'query': {'filter': state.get('filter'), 'sort': state.get('sort')}}
            )
            query_filter, sort, offset = again.query.filter, again.query.sort, state['offset']
            limit = paging.limit or int(state.get('limit', q.DEFAULT_LIMIT))
        else:
            query_filter, sort, offset = request.query.filter, request.query.sort, 0
            limit = paging.limit or q.DEFAULT_LIMIT
        with self._lock:
            self._advance()
            items = sorted(self._imports.values(), key=lambda r: r.seq)
            rest = [r.to_rest() for r in items]
        if query_filter:
            rest = [item for item in rest if q.matches(query_filter, item)]
        if not sort:
            rest.reverse()  # the default, createdDate DESC: newest first, ties too
        specs = (
            [(s.field_name, s.order) for s in sort]
            if sort
            else [(d['fieldName'], d['order']) for d in q.DEFAULT_SORT]
        )
        for field_name, order in reversed(specs):
            rest.sort(key=partial(q.sort_key, field_name=field_name), reverse=order == 'DESC')
        page = rest[offset : offset + limit]
        has_next = offset + limit < len(rest)
        state_base = {
            'filter': query_filter,
            'sort': [s.model_dump(by_alias=True) for s in sort] if sort else None,
            'limit': limit,
        }
        return {
            'loyaltyImports': page,
            'pagingMetadata': {
                'count': len(page),
                'cursors': {
                    'next': q.encode_cursor({**state_base, 'offset': offset + limit}) if has_next else None,
                    'prev': q.encode_cursor({**state_base, 'offset': max(0, offset - limit)})
                    if offset > 0
                    else None,
                },
                'hasNext': has_next,
            },
        }

    def snapshot(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            self._advance()
            return {r.id: r.to_rest() for r in sorted(self._imports.values(), key=lambda r: r.seq)}

    def timings(self) -> dict[str, ImportTiming]:
        """Every import's timeline by the emulator's clock, statuses advanced to now."""
        with self._lock:
            self._advance()
            return {
                r.id: ImportTiming(
                    import_id=r.id,
                    site=self.site,
                    file_name=r.file_name,
                    file_size=r.file_size,
                    rows=len(r.parsed.rows),
                    created_at=r.created_at,
                    executed_at=r.executed_at,
                    finished_at=r.finished_at,
                    status=r.status,
                )
                for r in sorted(self._imports.values(), key=lambda r: r.seq)
            }

    def upload_of(self, import_id: str) -> str | None:
        """The upload id an import was created from (its upload URL named it)."""
        with self._lock:
            record = self._imports.get(import_id)
            return None if record is None else record.upload_id

    def balances_snapshot(self) -> dict[str, int]:
        with self._lock:
            self._advance()
            return self.accounts.balances()

    # -- loyalty accounts ------------------------------------------------------------------
    def seed_balances(self, balances: dict[str, int]) -> None:
        with self._lock:
            self.accounts.seed(balances, self._clock())

    def import_effects(self) -> dict[str, dict[str, BalanceChange]]:
        with self._lock:
            self._advance()
            return {import_id: dict(changes) for import_id, changes in self._effects.items()}

    def search_accounts(self, body: object) -> dict[str, Any]:
        with self._lock:
            return self.accounts.search(body, self._accounts_view_at(), self._settings.accounts_page_max)

    def query_accounts(self, body: object) -> dict[str, Any]:
        with self._lock:
            return self.accounts.query(body, self._accounts_view_at(), self._settings.accounts_page_max)

    def count_accounts(self, body: object) -> dict[str, Any]:
        with self._lock:
            return self.accounts.count(body, self._accounts_view_at())

    def program_totals(self) -> dict[str, Any]:
        with self._lock:
            return self.accounts.program_totals(self._accounts_view_at())

    def _accounts_view_at(self) -> float:
        self._advance()
        return self._clock() - self._settings.accounts_lag_s

    # -- times -----------------------------------------------------------------------------
    def _parse_time(self, record: _Import) -> float:
        pace = self._settings.pace
        if pace is None:
            return self._settings.parse_delay_s
        seconds = pace.parse_base_s + pace.parse_s_per_mb * record.file_size / 1_000_000
        return seconds * self._jitter(pace, record, 'parse')

    def _import_time(self, record: _Import) -> float:
        pace = self._settings.pace
        if pace is None:
            return self._settings.import_delay_s
        rows_per_s = self._rows_per_s or pace.rows_per_s
        seconds = pace.import_base_s + len(record.parsed.rows) / rows_per_s
        return seconds * self._jitter(pace, record, 'import')

    def _jitter(self, pace: Pace, record: _Import, kind: str) -> float:
        # Seeded by what identifies this time (not by call order across threads): reproducible.
        draw = random.Random(f'{pace.seed}/{self.site}/{record.seq}/{kind}').random()  # noqa: S311 - not crypto
        return 1.0 + pace.jitter * (2.0 * draw - 1.0)

    # -- internals -------------------------------------------------------------------------
    def _get(self, import_id: str | None) -> _Import:
        self._advance()
        record = self._imports.get(import_id or '')
        if record is None:
            raise WixApiError(404, ErrorCode.LOYALTY_IMPORT_NOT_FOUND, 'No loyalty import with this id')
        return record

    def _advance(self) -> None:
        now = self._clock()
        for record in self._imports.values():
            while record.schedule and record.schedule[0][0] <= now:
                at, step = record.schedule.pop(0)
                self._apply(record, at, step)

    def _apply(self, record: _Import, at: float, step: str) -> None:
        if step == 'PARSING':
            self._step(record, at, 'PARSING')
        elif step == 'PARSE_DONE':
            self._step(record, at, 'FAILED' if record.parsed.error else 'PARSED')
            if record.parsed.error:
                record.finished_at = at
        elif step == 'IMPORT_DONE':
            outcome = import_rows(
                record.parsed.header,
                record.parsed.rows,
                email_index=record.email_index,
                points_index=record.points_index,
                # A seeded account's owner is a contact, whatever the settings say.
                is_known_contact=lambda email: (
                    self._settings.is_known_contact(email) or self.accounts.has(email)
                ),
            )
            record.success_count, record.failure_count = outcome.success_count, outcome.failure_count
            record.error_file = outcome.error_file
            self._effects[record.id] = self.accounts.apply_import(
                outcome.balances, at, self._settings.import_mode
            )
            self._step(record, at, 'IMPORTED')
            record.finished_at = at

    @staticmethod
    def _step(record: _Import, at: float, status: str) -> None:
        record.status = status
        record.revision += 1
        record.updated_at = max(at, record.updated_at)


def _check_mappings(info: HeaderMappingInfo, columns: int) -> tuple[int, int]:
    mappings = info.header_mappings
    names = sorted(m.column_name for m in mappings)
    if names != ['EMAIL', 'POINTS']:
        raise WixApiError(
            400, ErrorCode.INVALID_HEADER_MAPPING, 'Exactly two mappings are needed: one EMAIL and one POINTS'
        )
    indexes = {m.column_name: m.column_index for m in mappings}
    for name, index in indexes.items():
        if not 0 <= index < columns:
            raise WixApiError(
                400,
                ErrorCode.INVALID_HEADER_MAPPING,
                f'{name} columnIndex {index} is outside the {columns} columns',
            )
    if indexes['EMAIL'] == indexes['POINTS']:
        raise WixApiError(400, ErrorCode.INVALID_HEADER_MAPPING, 'EMAIL and POINTS must be different columns')
    return indexes['EMAIL'], indexes['POINTS']


def _validate(model: type[_M], body: object) -> _M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = '.'.join(str(p) for p in first['loc'])
        raise WixApiError(400, ErrorCode.INVALID_ARGUMENT, f'{where}: {first["msg"]}') from exc
