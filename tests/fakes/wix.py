"""The one fake Wix of the unit tests: its imports in memory, every call kept, failures scripted.

Two doors onto the same imports. `transport()` is Wix's HTTP API behind httpx.MockTransport: the
Wix client's tests talk to it. The WixPort methods (`create_upload_url` ... `download`) are what
the pipeline's steps call on a Wix client: the pipeline's tests hand the fake itself to the steps.

An import a test puts in place (`add_import`) stays where the test puts it (`status_after_execute`
once executed). An import created through either door goes the way Wix takes a file: INITIATED,
PARSING until it has been read `parse_after` times, then PARSED (or FAILED with `parse_error`),
with `header` and `sample_rows` as what Wix read of the file; executed, it is IMPORTED at once with
`success_count` and `failure_count`.
"""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from loyalty_import.wix import OAuthAppAuth, WixClient
from loyalty_import.wix.accounts import AccountBalance
from loyalty_import.wix.errors import WixError, WixNotFound
from loyalty_import.wix.models import LoyaltyImport, UploadUrl
from tests.fakes.clock import FakeClock

BASE_URL = 'https://wix.test/_api/loyalty-imports'
TOKEN_URL = 'https://wix.test/oauth2/token'
UPLOAD_HOST = 'upload.test'
API_KEY = 'api-key-SECRET-1234567890'
SITE_ID = 'site-0001'
APP_ID = 'app-0001'
APP_SECRET = 'app-secret-SECRET-abcdef'
INSTANCE_ID = 'instance-0001'
UPLOAD_TOKEN = 'upload-token-SECRET-xyz'

ROUTES = {
    ('POST', '/_api/loyalty-imports/v1/loyalty-imports/wixmp-upload-url'): 'create_upload_url',
    ('POST', '/_api/loyalty-imports/v1/loyalty-imports'): 'create_import',
    ('GET', '/_api/loyalty-imports/v1/loyalty-imports'): 'get_import',
    ('POST', '/_api/loyalty-imports/v1/loyalty-imports/execute'): 'execute_import',
    ('GET', '/_api/loyalty-imports/v1/loyalty-imports/error-file-download-url'): 'get_error_file_url',
    ('POST', '/_api/loyalty-imports/v1/loyalty-imports/query'): 'query_imports',
    ('POST', '/oauth2/token'): 'oauth_token',
}

# Scripted outcomes, one per request to an endpoint, before it behaves normally:
#   an int: answer that HTTP status with a Wix error body, doing nothing;
#   LOST: do the action, then fail as if the response never arrived (read timeout);
#   DROP: the connection drops before anything is done;
#   CONNECT: the connection cannot be opened;
#   (status, headers): answer that status with those headers;
#   ACTED_500 / ACTED_502 / ...: do the action, then answer that 5xx;
#   an exception: raise it (through the WixPort door: what the client would have raised).
LOST = 'lost'
DROP = 'drop'
CONNECT = 'connect'
ACTED_500 = 'acted:500'
ACTED_502 = 'acted:502'
ACTED_504 = 'acted:504'
Outcome = int | str | tuple[int, dict[str, str]] | Exception
UPLOAD_FILE_PATH = 'loyalty-imports/uploads/f1'
ERROR_FILE_URL = 'https://files.test/errors.csv?token=file-token-SECRET'


@dataclass
class Seen:
    endpoint: str
    request: httpx.Request

    @property
    def json(self) -> Any:
        return json.loads(self.request.content)


@dataclass
class FakeWix:
    """Wix for unit tests: see the module's docstring for its two doors and how imports move."""

    requests: list[Seen] = field(default_factory=list)  # what came through the HTTP door
    calls: list[str] = field(default_factory=list)  # every call through either door, by endpoint
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id, in Wix's REST shape
    script: dict[str, list[Outcome]] = field(default_factory=dict)
    valid_tokens: set[str] = field(default_factory=set)
    token_ttl_s: float = 14400
    issued_tokens: list[str] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    # What get_import reports right after an execute of an import a test put in place took effect.
    status_after_execute: str = 'IMPORTING'
    error_body: dict[str, Any] = field(
        default_factory=lambda: {
            'message': 'scripted failure',
            'details': {'applicationError': {'code': 'SCRIPTED', 'description': 'scripted failure'}},
        }
    )
    # What Wix makes of a file it is given (imports created through either door).
    header: list[str] = field(default_factory=lambda: ['email', 'points'])
    sample_rows: list[list[str]] = field(default_factory=lambda: [['ann@example.com', '10']])
    parse_after: int = 0
    success_count: int = 1
    failure_count: int = 0
    parse_error: str | None = None
    error_file: bytes = (
        b'Row,Status,Error reason,email,points\r\n1,FAILED,CONTACT_NOT_FOUND,ghost@example.com,5\r\n'
    )
    uploads: list[bytes] = field(default_factory=list)
    # fileMetadata.name of a created import: 'echo' the fileName sent, or 'guid' (the SDK's typing);
    # kept_url: what Wix keeps as fileMetadata.url instead of the fileUrl sent (None: that fileUrl).
    file_name_mode: str = 'echo'
    kept_url: str | None = None
    executed_with: list[tuple[str, int, int]] = field(default_factory=list)  # (id, email, points)
    # Reads of each created import so far (the imports that move on their own).
    reads: dict[str, int] = field(default_factory=dict)
    # Loyalty accounts (Search Accounts through the WixPort door): balance by lower-cased email.
    # Executing a created import applies its last upload to them: 'set' (as Wix documents it) or
    # 'add'; the `search_lag` account searches after an execute still see the balances before it.
    accounts: dict[str, int] = field(default_factory=dict)
    import_mode: str = 'set'
    search_lag: int = 0
    searched: list[list[str]] = field(default_factory=list)
    _stale_accounts: dict[str, int] | None = None
    _stale_reads_left: int = 0
    _mapping: tuple[int, int] | None = None  # the last WixPort execute's (email, points) indexes

    @property
    def errors(self) -> dict[str, list[Outcome]]:
        """The script, under the name the pipeline's tests give it (they script exceptions)."""
        return self.script

    def count(self, endpoint: str) -> int:
        return self.calls.count(endpoint)

    def of(self, endpoint: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.endpoint == endpoint]

    def add_import(self, status: str = 'PARSED', **overrides: Any) -> dict[str, Any]:
        self.now += timedelta(seconds=1)
        record: dict[str, Any] = {
            'id': f'imp-{len(self.imports) + 1}',
            'status': status,
            'revision': '1',
            'createdDate': self.now.isoformat().replace('+00:00', 'Z'),
            'updatedDate': self.now.isoformat().replace('+00:00', 'Z'),
            'fileMetadata': {'name': 'balances.csv', 'size': 42, 'url': UPLOAD_FILE_PATH},
        }
        record.update(overrides)
        self.imports[record['id']] = record
        return record

    def set_status(self, import_id: str, status: str) -> None:
        self._stored(import_id)['status'] = status

    # -- what both doors do ---------------------------------------------------------------------

    def _create(self, file_url: str, file_name: str | None, file_size: int | None) -> dict[str, Any]:
        name = str(uuid.uuid4()) if self.file_name_mode == 'guid' else file_name
        url = self.kept_url or file_url
        record = self.add_import('INITIATED', fileMetadata={'name': name, 'size': file_size, 'url': url})
        self.reads[record['id']] = 0
        return self._view(record['id'])

    def _read(self, import_id: str) -> dict[str, Any]:
        record = self._stored(import_id)
        if import_id in self.reads:
            self.reads[import_id] += 1
            if record['status'] in {'INITIATED', 'PARSING'}:
                parsed = self.reads[import_id] > self.parse_after
                record['status'] = ('FAILED' if self.parse_error else 'PARSED') if parsed else 'PARSING'
        return self._view(import_id)

    def _execute(self, import_id: str, mapping: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """Execute; None (and nothing done) unless the import is PARSED."""
        record = self._stored(import_id)
        if record['status'] != 'PARSED':
            return None
        record['status'] = 'IMPORTED' if import_id in self.reads else self.status_after_execute
        if import_id in self.reads and self.uploads:
            self._apply(self.uploads[-1], mapping)
        if mapping is not None:
            record['fileMetadata']['headerMappingInfo'] = mapping
        return self._view(import_id)

    def _apply(self, upload: bytes, mapping: dict[str, Any] | None) -> None:
        """What an import does to the accounts: each row's balance, set (or added); new accounts made."""
        email_index, points_index = 0, 1
        for column in (mapping or {}).get('headerMappings', []) or []:
            if column.get('columnName') == 'EMAIL':
                email_index = column['columnIndex']
            elif column.get('columnName') == 'POINTS':
                points_index = column['columnIndex']
        if self._mapping is not None:
            email_index, points_index = self._mapping
        self._stale_accounts, self._stale_reads_left = dict(self.accounts), self.search_lag
        rows = list(csv.reader(io.StringIO(upload.decode('utf-8'))))[1:]
        for row in rows:
            email, points = row[email_index].strip().lower(), int(row[points_index])
            added = self.accounts.get(email, 0) + points if self.import_mode == 'add' else points
            self.accounts[email] = added

    def _stored(self, import_id: str) -> dict[str, Any]:
        if import_id not in self.imports:
            raise WixNotFound('no such import', status_code=404)
        return self.imports[import_id]

    def _view(self, import_id: str) -> dict[str, Any]:
        """The import as Wix answers it (a created one with what Wix read of its file)."""
        view: dict[str, Any] = json.loads(json.dumps(self.imports[import_id]))
        status = view['status']
        if import_id in self.reads and status in {'PARSED', 'IMPORTING', 'IMPORTED', 'FAILED'}:
            view['fileMetadata'].update(
                header={'values': self.header}, sampleDataRows=[{'values': row} for row in self.sample_rows]
            )
            view['parseResult'] = {'parsedRowCount': self.success_count + self.failure_count}
            if self.parse_error and status == 'FAILED':
                view['parseResult'] = {'parseErrorReason': self.parse_error}
            if status == 'IMPORTED':
                view['importResult'] = {
                    'successCount': self.success_count,
                    'failureCount': self.failure_count,
                    'errorFileExists': self.failure_count > 0,
                }
        return view

    # -- the WixPort door (what the pipeline's steps call) -------------------------------------

    def _call(self, endpoint: str) -> None:
        self.calls.append(endpoint)
        pending = self.script.get(endpoint)
        outcome = pending.pop(0) if pending else None
        if isinstance(outcome, Exception):
            raise outcome
        assert outcome is None, f'{endpoint}: only exceptions can be scripted for a WixPort call'

    def create_upload_url(self) -> UploadUrl:
        self._call('create_upload_url')
        return UploadUrl(
            file_path=UPLOAD_FILE_PATH, upload_url=f'https://{UPLOAD_HOST}/up/f1?token={UPLOAD_TOKEN}'
        )

    def upload_file(self, upload_url: str, file_name: str, content: bytes) -> None:
        self._call('upload_file')
        self.uploads.append(content)

    def create_import(self, file_url: str, file_name: str, file_size: int) -> LoyaltyImport:
        self._call('create_import')
        return LoyaltyImport.model_validate(self._create(file_url, file_name, file_size))

    def find_created_import(
        self, file_urls: str | Sequence[str], file_size: int, created_since: datetime
    ) -> LoyaltyImport | None:
        self._call('find_created_import')
        urls = {file_urls} if isinstance(file_urls, str) else set(file_urls)
        for import_id, record in self.imports.items():
            meta = record['fileMetadata']
            if meta.get('url') in urls and meta.get('size') == file_size:
                return LoyaltyImport.model_validate(self._view(import_id))
        return None

    def get_import(self, import_id: str) -> LoyaltyImport:
        self._call('get_import')
        return LoyaltyImport.model_validate(self._read(import_id))

    def execute_import(self, import_id: str, email_index: int, points_index: int) -> LoyaltyImport:
        self._call('execute_import')
        self._mapping = (email_index, points_index)
        executed = self._execute(import_id)
        if executed is None:
            status = self.imports[import_id]['status']
            raise WixError(f'cannot execute an import in {status}', status_code=400)
        self.executed_with.append((import_id, email_index, points_index))
        return LoyaltyImport.model_validate(executed)

    def get_error_file_url(self, import_id: str) -> str:
        self._call('get_error_file_url')
        self._stored(import_id)
        return ERROR_FILE_URL

    def download(self, url: str) -> bytes:
        self._call('download')
        return self.error_file

    def find_accounts(self, emails: Sequence[str]) -> list[AccountBalance]:
        self._call('find_accounts')
        wanted = [email.strip().lower() for email in emails]
        self.searched.append(wanted)
        accounts = self.accounts
        if self._stale_accounts is not None and self._stale_reads_left > 0:
            self._stale_reads_left -= 1
            accounts = self._stale_accounts
        return [
            AccountBalance(
                email=email,
                account_id=f'acc-{email}',
                contact_id=f'contact-{email}',
                balance=accounts[email],
                revision='1',
            )
            for email in dict.fromkeys(wanted)
            if email in accounts
        ]

    def count_accounts(self) -> int:
        self._call('count_accounts')
        return len(self.accounts)

    # -- the HTTP door (what the Wix client talks to) -------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        endpoint = (
            'upload_file'
            if request.url.host == UPLOAD_HOST
            else ROUTES.get((request.method, request.url.path))
        )
        if endpoint is None and request.url.host == 'files.test':
            endpoint = 'download'
        assert endpoint is not None, f'unexpected request {request.method} {request.url.path}'
        self.requests.append(Seen(endpoint, request))
        self.calls.append(endpoint)
        scripted = self.script.get(endpoint)
        outcome = scripted.pop(0) if scripted else None
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == DROP:
            raise httpx.RemoteProtocolError(
                'Server disconnected without sending a response.', request=request
            )
        if outcome == CONNECT:
            raise httpx.ConnectError('[Errno 111] Connection refused', request=request)
        if isinstance(outcome, int):
            return httpx.Response(outcome, json=self.error_body)
        if isinstance(outcome, tuple):
            return httpx.Response(outcome[0], headers=outcome[1], json=self.error_body)
        if endpoint not in ('oauth_token', 'upload_file', 'download'):
            denied = self._check_auth(request)
            if denied is not None:
                return denied
        response = self._act(endpoint, request)
        if outcome == LOST:
            raise httpx.ReadTimeout('timed out', request=request)
        if isinstance(outcome, str) and outcome.startswith('acted:'):
            return httpx.Response(int(outcome.removeprefix('acted:')), json=self.error_body)
        return response

    def _check_auth(self, request: httpx.Request) -> httpx.Response | None:
        token = request.headers.get('Authorization')
        if token == API_KEY:
            return None if request.headers.get('wix-site-id') == SITE_ID else httpx.Response(403, json={})
        if token in self.valid_tokens:
            return None
        return httpx.Response(
            401,
            json={'message': 'token expired', 'details': {'applicationError': {'code': 'TOKEN_EXPIRED'}}},
        )

    def _act(self, endpoint: str, request: httpx.Request) -> httpx.Response:
        if endpoint == 'oauth_token':
            token = f'access-token-SECRET-{len(self.issued_tokens)}'
            self.issued_tokens.append(token)
            self.valid_tokens.add(token)
            return httpx.Response(200, json={'access_token': token, 'expires_in': self.token_ttl_s})
        if endpoint == 'create_upload_url':
            return httpx.Response(
                200,
                json={
                    'filePath': UPLOAD_FILE_PATH,
                    'uploadUrl': f'https://{UPLOAD_HOST}/up/f1?token={UPLOAD_TOKEN}',
                },
            )
        if endpoint == 'upload_file':
            self.uploads.append(request.content)
            return httpx.Response(200, content=b'')
        if endpoint == 'download':
            return httpx.Response(200, content=self.error_file)
        if endpoint == 'create_import':
            body = json.loads(request.content)
            created = self._create(body['fileUrl'], body.get('fileName'), body.get('fileSize'))
            return httpx.Response(200, json={'loyaltyImport': created})
        if endpoint in ('get_import', 'get_error_file_url'):
            import_id = request.url.params.get('loyaltyImportId', '')
            if import_id not in self.imports:
                return httpx.Response(404, json={'message': 'no such import'})
            if endpoint == 'get_error_file_url':
                return httpx.Response(200, json={'url': ERROR_FILE_URL})
            return httpx.Response(200, json={'loyaltyImport': self._read(import_id)})
        if endpoint == 'execute_import':
            body = json.loads(request.content)
            executed = self._execute(body['loyaltyImportId'], body['headerMappingInfo'])
            if executed is None:
                return httpx.Response(
                    400,
                    json={
                        'message': 'Import is not PARSED',
                        'details': {
                            'applicationError': {'code': 'INVALID_STATUS', 'description': 'not parsed'}
                        },
                    },
                )
            return httpx.Response(200, json={'loyaltyImport': executed})
        # query_imports: a single page, filter on createdDate >= only (enough for the client's use)
        body = json.loads(request.content)
        items = [self._view(import_id) for import_id in self.imports]
        since = (body['query'].get('filter') or {}).get('createdDate', {}).get('$gte')
        if since is not None:
            bound = datetime.fromisoformat(since.replace('Z', '+00:00'))
            items = [
                i for i in items if datetime.fromisoformat(i['createdDate'].replace('Z', '+00:00')) >= bound
            ]
        return httpx.Response(
            200, json={'loyaltyImports': items, 'pagingMetadata': {'count': len(items), 'hasNext': False}}
        )


ClientFactory = Callable[..., WixClient]


def oauth_auth(clock: FakeClock) -> OAuthAppAuth:
    return OAuthAppAuth(app_id=APP_ID, app_secret=APP_SECRET, instance_id=INSTANCE_ID, clock=clock)
