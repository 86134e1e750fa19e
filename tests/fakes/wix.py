"""A small recording fake of Wix behind httpx.MockTransport (what the Wix client unit tests talk to)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from loyalty_import.wix import OAuthAppAuth, WixClient
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
#   ACTED_500 / ACTED_502 / ...: do the action, then answer that 5xx.
LOST = 'lost'
DROP = 'drop'
CONNECT = 'connect'
ACTED_500 = 'acted:500'
ACTED_502 = 'acted:502'
ACTED_504 = 'acted:504'
Outcome = int | str | tuple[int, dict[str, str]]


@dataclass
class Seen:
    endpoint: str
    request: httpx.Request

    @property
    def json(self) -> Any:
        return json.loads(self.request.content)


@dataclass
class FakeWix:
    """Just enough of Wix to exercise the client: imports in memory, scripted faults, every request kept."""

    requests: list[Seen] = field(default_factory=list)
    imports: dict[str, dict[str, Any]] = field(default_factory=dict)
    script: dict[str, list[Outcome]] = field(default_factory=dict)
    valid_tokens: set[str] = field(default_factory=set)
    token_ttl_s: float = 14400
    issued_tokens: list[str] = field(default_factory=list)
    now: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    # What get_import reports right after an execute took effect.
    status_after_execute: str = 'IMPORTING'
    error_body: dict[str, Any] = field(
        default_factory=lambda: {
            'message': 'scripted failure',
            'details': {'applicationError': {'code': 'SCRIPTED', 'description': 'scripted failure'}},
        }
    )

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def count(self, endpoint: str) -> int:
        return sum(1 for seen in self.requests if seen.endpoint == endpoint)

    def of(self, endpoint: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.endpoint == endpoint]

    def add_import(self, status: str = 'PARSED', **overrides: Any) -> dict[str, Any]:
        self.now += timedelta(seconds=1)
        record: dict[str, Any] = {
            'id': str(uuid.uuid4()),
            'status': status,
            'revision': '1',
            'createdDate': self.now.isoformat().replace('+00:00', 'Z'),
            'updatedDate': self.now.isoformat().replace('+00:00', 'Z'),
            'fileMetadata': {'name': 'balances.csv', 'size': 42, 'url': 'loyalty-imports/uploads/f1'},
        }
        record.update(overrides)
        self.imports[record['id']] = record
        return record

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
        scripted = self.script.get(endpoint)
        outcome = scripted.pop(0) if scripted else None
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
                    'filePath': 'loyalty-imports/uploads/f1',
                    'uploadUrl': f'https://{UPLOAD_HOST}/up/f1?token={UPLOAD_TOKEN}',
                },
            )
        if endpoint in ('upload_file', 'download'):
            return httpx.Response(200, content=b'row,reason\n')
        if endpoint == 'create_import':
            body = json.loads(request.content)
            record = self.add_import(
                'INITIATED',
                fileMetadata={
                    'name': body.get('fileName'),
                    'size': body.get('fileSize'),
                    'url': body['fileUrl'],
                },
            )
            return httpx.Response(200, json={'loyaltyImport': record})
        if endpoint in ('get_import', 'get_error_file_url'):
            record_or_none = self.imports.get(request.url.params.get('loyaltyImportId', ''))
            if record_or_none is None:
                return httpx.Response(404, json={'message': 'no such import'})
            if endpoint == 'get_error_file_url':
                return httpx.Response(
                    200, json={'url': 'https://files.test/errors.csv?token=file-token-SECRET'}
                )
            return httpx.Response(200, json={'loyaltyImport': record_or_none})
        if endpoint == 'execute_import':
            body = json.loads(request.content)
            record = self.imports[body['loyaltyImportId']]
            if record['status'] != 'PARSED':
                return httpx.Response(
                    400,
                    json={
                        'message': 'Import is not PARSED',
                        'details': {
                            'applicationError': {'code': 'INVALID_STATUS', 'description': 'not parsed'}
                        },
                    },
                )
            record['status'] = self.status_after_execute
            record['fileMetadata']['headerMappingInfo'] = body['headerMappingInfo']
            return httpx.Response(200, json={'loyaltyImport': record})
        # query_imports: a single page, filter on createdDate >= only (enough for the client's use)
        body = json.loads(request.content)
        items = list(self.imports.values())
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
