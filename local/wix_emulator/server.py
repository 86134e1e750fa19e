"""The HTTP face of the emulator: routing, auth, sites, rate limit, fault injection and the request log."""

from __future__ import annotations

import json
import logging
import select
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from wix_emulator.accounts import ACCOUNTS_PREFIX, BalanceChange
from wix_emulator.auth import Authenticator
from wix_emulator.errors import ErrorCode, WixApiError, error_body
from wix_emulator.faults import Fault, FaultPlan
from wix_emulator.ratelimit import RATE_LIMITED_ENDPOINTS, SlidingWindowLimiter
from wix_emulator.settings import Credentials, EmulatorSettings
from wix_emulator.store import ERROR_FILE_PATH_PREFIX, UPLOAD_PATH_PREFIX, ImportTiming, Store

logger = logging.getLogger('wix_emulator')

DEFAULT_SITE = 'default'
API_PREFIX = '/_api/loyalty-imports'
OAUTH_TOKEN_PATH = '/oauth2/token'  # noqa: S105 - a path, not a secret
ROUTES: dict[tuple[str, str], str] = {
    ('POST', API_PREFIX + '/v1/loyalty-imports/wixmp-upload-url'): 'create_upload_url',
    ('POST', API_PREFIX + '/v1/loyalty-imports'): 'create_import',
    ('GET', API_PREFIX + '/v1/loyalty-imports'): 'get_import',
    ('POST', API_PREFIX + '/v1/loyalty-imports/execute'): 'execute_import',
    ('GET', API_PREFIX + '/v1/loyalty-imports/error-file-download-url'): 'get_error_file_url',
    ('POST', API_PREFIX + '/v1/loyalty-imports/query'): 'query_imports',
    ('POST', OAUTH_TOKEN_PATH): 'oauth_token',
    ('POST', ACCOUNTS_PREFIX + '/v1/accounts/search'): 'search_accounts',
    ('POST', ACCOUNTS_PREFIX + '/v1/accounts/query'): 'query_accounts',
    ('POST', ACCOUNTS_PREFIX + '/v1/accounts/count'): 'count_accounts',
    ('GET', ACCOUNTS_PREFIX + '/v1/accounts/program-totals'): 'get_program_totals',
}
PREFIX_ROUTES: dict[tuple[str, str], str] = {
    ('PUT', UPLOAD_PATH_PREFIX): 'upload_file',
    ('GET', ERROR_FILE_PATH_PREFIX): 'download_error_file',
}
# Calls made with the file's own URL token, not with Wix credentials.
_UNAUTHENTICATED = frozenset({'oauth_token', 'upload_file', 'download_error_file'})
# Bodies up to this size are read even when refused, so the client sees the 413 rather than a reset.
_DRAIN_LIMIT = 64 * 1024 * 1024
_FAULT_STATUS = {Fault.HTTP_429: 429, Fault.HTTP_500: 500, Fault.HTTP_503: 503}
_FAULT_CODE = {
    Fault.HTTP_429: (ErrorCode.TOO_MANY_REQUESTS, 'Too many requests'),
    Fault.HTTP_500: (ErrorCode.INTERNAL_ERROR, 'Internal server error'),
    Fault.HTTP_503: (ErrorCode.UNAVAILABLE, 'Service temporarily unavailable'),
}


@dataclass(frozen=True)
class LoggedRequest:
    endpoint: str  # a contract endpoint key, 'oauth_token', 'download_error_file' or 'unknown'
    method: str
    path: str  # with any URL token redacted
    status: int | None  # None when no response was sent (DROP, RESPONSE_LOST)
    fault: Fault | None
    acted: bool  # the action took effect (state changed or data served), answered or not
    at: float
    request_id: str = ''  # the X-Wix-Request-Id the answer carried (or would have)
    site: str | None = None  # the site the call was for (None: unknown, e.g. refused credentials)
    subject: str | None = None  # the upload id or import id it was about, when it names one
    rate_limited: bool = False  # answered 429 by the site's rate limit (not by an injected fault)


@dataclass(frozen=True)
class _Response:
    status: int
    body: bytes
    content_type: str = 'application/json'
    headers: tuple[tuple[str, str], ...] = ()


def _json(status: int, payload: object, headers: tuple[tuple[str, str], ...] = ()) -> _Response:
    return _Response(status, json.dumps(payload).encode(), headers=headers)


def route(method: str, path: str) -> str | None:
    endpoint = ROUTES.get((method, path))
    if endpoint is not None:
        return endpoint
    for (route_method, prefix), name in PREFIX_ROUTES.items():
        if method == route_method and path.startswith(prefix) and len(path) > len(prefix):
            return name
    return None


def _redacted(path: str, query: str) -> str:
    if not query:
        return path
    pairs = [(k, 'REDACTED' if k == 'token' else v) for k, v in parse_qsl(query, keep_blank_values=True)]
    return f'{path}?{urlencode(pairs)}'


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    emulator: WixEmulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (its read timeout) resets the connection: no traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = 'HTTP/1.1'
    timeout = 60  # idle keep-alive connections give their thread back eventually

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle + delayed ACK add ~40 ms each.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    def do_PUT(self) -> None:
        self._handle()

    def do_DELETE(self) -> None:
        self._handle()

    def log_message(self, format: str, *args: Any) -> None:
        # The request log and the `wix_emulator` logger replace http.server's stderr lines.
        return

    def _handle(self) -> None:
        emulator = self.server.emulator
        at = emulator.clock()
        request_id = str(uuid.uuid4())
        url = urlsplit(self.path)
        endpoint = route(self.command, url.path)
        fault = emulator.faults.next_fault(endpoint) if endpoint else None
        body, too_large = self._read_body(emulator.settings.max_file_bytes)
        site, refused = self._who(endpoint, url.path)
        response: _Response | None = None  # None: close the connection without answering
        acted = rate_limited = False
        if fault in _FAULT_STATUS:
            response = self._fault_response(fault, emulator.settings.retry_after_s)
        elif fault != Fault.DROP:
            retry_after = emulator.admit(site, endpoint)
            rate_limited = retry_after is not None
            if retry_after is not None:
                response = _json(
                    429,
                    error_body(ErrorCode.TOO_MANY_REQUESTS, 'Too many requests for this site'),
                    (('Retry-After', str(retry_after)),),
                )
            else:
                response = self._act(endpoint, url.query, body, too_large, site=site, refused=refused)
            acted = 200 <= response.status < 300
        subject = None if response is None else _subject(endpoint, url, body, response)
        if fault == Fault.RESPONSE_LOST:
            response = None
        # Logged before answering: once a client has its answer, a test reading the log sees the call.
        emulator.record(
            LoggedRequest(
                endpoint=endpoint or 'unknown',
                method=self.command,
                path=_redacted(url.path, url.query),
                status=None if response is None else response.status,
                fault=fault,
                acted=acted,
                at=at,
                request_id=request_id,
                site=site,
                subject=subject,
                rate_limited=rate_limited,
            )
        )
        if response is None:
            self.close_connection = True
            return
        if fault == Fault.SLOW and self._client_gave_up(emulator.settings.slow_s):
            self.close_connection = True
            return
        self._send(response, request_id)

    def _client_gave_up(self, at_most_s: float) -> bool:
        """Hold a SLOW answer until the client closes the connection (it timed out): True then.

        Waiting for the client's own timeout, rather than a fixed delay meant to exceed it, makes
        "slower than the client" hold however busy the machine is. `at_most_s` only guards against
        a client that never gives up: past it (False), the answer is sent late.
        """
        emulator = self.server.emulator
        deadline = time.monotonic() + at_most_s
        while not emulator.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            # Short slices only so that stop() is noticed; the close itself wakes select at once.
            readable, _, _ = select.select([self.connection], [], [], min(remaining, 0.1))
            if not readable:
                continue
            try:
                if self.connection.recv(1, socket.MSG_PEEK) == b'':
                    return True  # end of stream: the client closed its side
            except OSError:
                return True  # reset: the client is gone
            # It sent more (a next request) instead of giving up: just hold until at_most_s.
            emulator.stopping.wait(max(0.0, deadline - time.monotonic()))
            return False
        return False

    def _read_body(self, max_bytes: int) -> tuple[bytes, bool]:
        length_header = self.headers.get('Content-Length')
        if length_header is None:
            return b'', False
        try:
            length = int(length_header)
        except ValueError:
            self.close_connection = True
            return b'', False
        if length > _DRAIN_LIMIT:
            self.close_connection = True
            return b'', True
        body = self.rfile.read(length)
        if length > max_bytes:
            return b'', True
        return body, False

    @staticmethod
    def _fault_response(fault: Fault, retry_after_s: int) -> _Response:
        code, description = _FAULT_CODE[fault]
        headers = (('Retry-After', str(retry_after_s)),) if fault == Fault.HTTP_429 else ()
        return _json(_FAULT_STATUS[fault], error_body(code, description), headers)

    def _who(self, endpoint: str | None, path: str) -> tuple[str | None, WixApiError | None]:
        """The site a call is for, and why its credentials were refused (raised when dispatched).

        An upload or an error-file download carries no credentials: its URL names the site's file.
        """
        emulator = self.server.emulator
        if endpoint == 'upload_file':
            return emulator.site_holding(upload_id=path.removeprefix(UPLOAD_PATH_PREFIX)), None
        if endpoint == 'download_error_file':
            return emulator.site_holding(import_id=path.removeprefix(ERROR_FILE_PATH_PREFIX)), None
        if endpoint is None or endpoint in _UNAUTHENTICATED:
            return None, None
        try:
            return emulator.authenticator.check(self.headers), None
        except WixApiError as exc:
            return None, exc

    def _act(
        self,
        endpoint: str | None,
        query: str,
        body: bytes,
        too_large: bool,
        *,
        site: str | None,
        refused: WixApiError | None,
    ) -> _Response:
        try:
            if endpoint is not None and refused is not None:
                raise refused
            return self._dispatch(endpoint, parse_qs(query), body, too_large, site)
        except WixApiError as exc:
            return _json(exc.status, exc.body())
        except Exception:  # a bug in the emulator must still answer like a server, not hang the client
            logger.exception('emulator error', extra={'endpoint': endpoint})
            return _json(500, error_body(ErrorCode.INTERNAL_ERROR, 'Emulator error'))

    def _dispatch(
        self,
        endpoint: str | None,
        params: dict[str, list[str]],
        body: bytes,
        too_large: bool,
        site: str | None,
    ) -> _Response:
        emulator = self.server.emulator
        store = emulator.site_store(site)
        if endpoint is None:
            raise WixApiError(
                404, ErrorCode.NOT_FOUND, f'No route for {self.command} {urlsplit(self.path).path}'
            )

        def param(name: str) -> str | None:
            values = params.get(name)
            return values[0] if values else None

        path = urlsplit(self.path).path
        # Endpoints whose whole input is a JSON body, and those that name one import in the query.
        by_body: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            'oauth_token': emulator.authenticator.issue_token,
            'create_import': store.create_import,
            'execute_import': store.execute_import,
            'query_imports': store.query,
            'search_accounts': store.search_accounts,
            'query_accounts': store.query_accounts,
            'count_accounts': store.count_accounts,
        }
        by_import_id: dict[str, Callable[[str], dict[str, Any]]] = {
            'get_import': store.get_import,
            'get_error_file_url': store.error_file_url,
        }
        if endpoint in by_body:
            return _json(200, by_body[endpoint](_parse_json(body)))
        if endpoint in by_import_id:
            return _json(200, by_import_id[endpoint](_required(param('loyaltyImportId'), 'loyaltyImportId')))
        if endpoint == 'get_program_totals':
            return _json(200, store.program_totals())
        if endpoint == 'create_upload_url':
            _parse_json(body, allow_empty=True)
            return _json(200, store.create_upload_url())
        if endpoint == 'upload_file':
            return self._upload(store, path.removeprefix(UPLOAD_PATH_PREFIX), param, body, too_large)
        if endpoint == 'download_error_file':
            content = store.error_file(path.removeprefix(ERROR_FILE_PATH_PREFIX), param('token'))
            return _Response(200, content, content_type='text/csv; charset=utf-8')
        raise WixApiError(
            404, ErrorCode.NOT_FOUND, 'No such endpoint'
        )  # pragma: no cover - ROUTES is exhaustive

    def _upload(
        self,
        store: Store,
        upload_id: str,
        param: Callable[[str], str | None],
        body: bytes,
        too_large: bool,
    ) -> _Response:
        if self.headers.get('Authorization'):
            # The upload host is not Wix's API: sending the API key there would leak it.
            raise WixApiError(
                400, ErrorCode.UNEXPECTED_AUTHORIZATION, 'Send no Authorization header to an upload URL'
            )
        store.check_upload_token(upload_id, param('token'))
        if self.headers.get('Content-Length') is None:
            raise WixApiError(411, ErrorCode.LENGTH_REQUIRED, 'Content-Length is required')
        if too_large:
            limit = self.server.emulator.settings.max_file_bytes
            raise WixApiError(413, ErrorCode.FILE_TOO_LARGE, f'The file is larger than {limit} bytes')
        file_name = _required(param('filename'), 'filename')
        store.store_upload(upload_id, param('token'), file_name, body)
        return _json(200, {})

    def _send(self, response: _Response, request_id: str) -> None:
        try:
            self.send_response(response.status)
            self.send_header('Content-Type', response.content_type)
            self.send_header('Content-Length', str(len(response.body)))
            # Every Wix answer names its request (the SDK quotes it in its errors).
            self.send_header('X-Wix-Request-Id', request_id)
            for name, value in response.headers:
                self.send_header(name, value)
            if self.close_connection:
                self.send_header('Connection', 'close')
            self.end_headers()
            self.wfile.write(response.body)
        except (BrokenPipeError, ConnectionResetError):
            # The client gave up (e.g. timed out on a SLOW answer): nothing left to tell it.
            self.close_connection = True


def _subject(endpoint: str | None, url: Any, body: bytes, response: _Response) -> str | None:
    """The upload or import id a served call was about (what a load run attributes calls by)."""
    if endpoint == 'upload_file':
        return str(url.path).removeprefix(UPLOAD_PATH_PREFIX)
    if endpoint == 'download_error_file':
        return str(url.path).removeprefix(ERROR_FILE_PATH_PREFIX)
    try:
        if endpoint == 'create_upload_url':
            return str(json.loads(response.body)['filePath']).rsplit('/', 1)[-1]
        if endpoint == 'create_import':
            return str(json.loads(response.body)['loyaltyImport']['id'])
        if endpoint == 'execute_import':
            return str(json.loads(body)['loyaltyImportId'])
    except (ValueError, KeyError, TypeError):
        return None
    if endpoint in ('get_import', 'get_error_file_url'):
        values = parse_qs(str(url.query)).get('loyaltyImportId')
        return values[0] if values else None
    return None


def _parse_json(body: bytes, *, allow_empty: bool = False) -> Any:
    if not body.strip():
        if allow_empty:
            return {}
        raise WixApiError(400, ErrorCode.INVALID_ARGUMENT, 'A JSON body is required')
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise WixApiError(400, ErrorCode.INVALID_ARGUMENT, 'The body is not valid JSON') from exc


def _required(value: str | None, name: str) -> str:
    if not value:
        raise WixApiError(400, ErrorCode.INVALID_ARGUMENT, f'Query parameter {name} is required')
    return value


@dataclass
class Site:
    """One Wix site the emulator serves: its credentials, its state, its rate limit and pace."""

    name: str
    credentials: Credentials
    rows_per_s: float | None = None  # its import pace when the settings have a Pace (None: Pace's)
    store: Store | None = None  # set while the emulator runs
    limiter: SlidingWindowLimiter | None = None

    def running_store(self) -> Store:
        if self.store is None:
            raise RuntimeError('the emulator is not started')
        return self.store


class WixEmulator:
    """A Wix Loyalty Imports API on 127.0.0.1. Use as a context manager, or start()/stop().

    It serves one site (`credentials`, `store`: the 'default' site) and any more a caller adds with
    `add_site(name)`, each with its own credentials, imports, accounts and rate limit.
    """

    def __init__(
        self,
        settings: EmulatorSettings | None = None,
        *,
        port: int = 0,
        credentials: Credentials | None = None,
        clock: Callable[[], float] = time.time,
        accounts: Mapping[str, int] | None = None,
    ) -> None:
        """`accounts`: balances (email -> points) the site already has, each with a loyalty account."""
        self.settings = settings or EmulatorSettings()
        self._seeded = dict(accounts or {})
        self._seeded_sites: dict[str, dict[str, int]] = {}
        self.credentials = credentials or Credentials()
        self.clock = clock
        self.faults = FaultPlan()
        self.authenticator = Authenticator(
            self.credentials, token_ttl_s=self.settings.token_ttl_s, clock=clock, site=DEFAULT_SITE
        )
        self.stopping = threading.Event()
        self._port = port
        self._log: list[LoggedRequest] = []
        self._log_lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._sites: dict[str, Site] = {DEFAULT_SITE: Site(DEFAULT_SITE, self.credentials)}
        self._sites_lock = threading.Lock()
        self._origin = ''

    # -- sites -----------------------------------------------------------------------------
    def add_site(
        self,
        name: str,
        *,
        rows_per_s: float | None = None,
        accounts: Mapping[str, int] | None = None,
    ) -> Credentials:
        """Serve one more site; returns its fake credentials (its own API key, site id, instance id).

        The app (app_id, app_secret) is the default site's: one Wix app installed on many sites,
        each installation its own instance. Before or after start().
        """
        if rows_per_s is not None and rows_per_s <= 0:
            raise ValueError('rows_per_s must be positive')
        base = self.credentials
        credentials = Credentials(app_id=base.app_id, app_secret=base.app_secret)
        site = Site(name, credentials, rows_per_s=rows_per_s)
        with self._sites_lock:
            if name in self._sites:
                raise ValueError(f'a site named {name!r} exists already')
            self.authenticator.add_site(name, credentials)
            self._sites[name] = site
            self._seeded_sites[name] = dict(accounts or {})
            if self._server is not None:
                self._open_site(site)
        return credentials

    @property
    def sites(self) -> dict[str, Site]:
        """Every site served, by name ('default' first)."""
        with self._sites_lock:
            return dict(self._sites)

    def site(self, name: str) -> Site:
        with self._sites_lock:
            found = self._sites.get(name)
        if found is None:
            raise KeyError(f'no site named {name!r}')
        return found

    def site_store(self, name: str | None) -> Store:
        """The named site's store; the default site's for None (a call whose site is unknown)."""
        return self.site(name or DEFAULT_SITE).running_store()

    def site_holding(self, *, upload_id: str = '', import_id: str = '') -> str | None:
        """The site whose store holds this upload or import (None: none does)."""
        for name, site in self.sites.items():
            store = site.store
            if store is not None and (
                (upload_id and store.holds_upload(upload_id)) or (import_id and store.holds_import(import_id))
            ):
                return name
        return None

    def admit(self, site: str | None, endpoint: str | None) -> int | None:
        """None: the site's rate limit lets this call through. Else the Retry-After seconds."""
        if site is None or endpoint not in RATE_LIMITED_ENDPOINTS:
            return None
        limiter = self.site(site).limiter
        return None if limiter is None else limiter.admit()

    def timings(self) -> dict[str, ImportTiming]:
        """Every site's imports' timelines (created, executed, finished) by import id."""
        merged: dict[str, ImportTiming] = {}
        for site in self.sites.values():
            merged.update(site.running_store().timings())
        return merged

    def _open_site(self, site: Site) -> None:
        site.store = Store(
            self.settings, clock=self.clock, origin=self._origin, site=site.name, rows_per_s=site.rows_per_s
        )
        limit = self.settings.rate_limit_per_min
        site.limiter = None if limit is None else SlidingWindowLimiter(limit, clock=self.clock)
        seeded = self._seeded if site.name == DEFAULT_SITE else self._seeded_sites.get(site.name, {})
        site.store.seed_balances(dict(seeded))

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> WixEmulator:
        if self._server is not None:
            raise RuntimeError('the emulator is already running')
        server = _Server(('127.0.0.1', self._port), _Handler)
        server.emulator = self
        host, port = server.server_address[:2]
        self._origin = f'http://{host!s}:{port}'
        with self._sites_lock:
            for site in self._sites.values():
                self._open_site(site)
            self._server = server
        # A short poll interval keeps stop() quick: tests start and stop one emulator per test.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={'poll_interval': 0.02}, name='wix-emulator', daemon=True
        )
        self._thread.start()
        logger.info('wix emulator started', extra={'origin': self.origin})
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self.stopping.set()
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> WixEmulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------
    @property
    def origin(self) -> str:
        server = self._running()
        host, port = server.server_address[:2]
        return f'http://{host!s}:{port}'

    @property
    def port(self) -> int:
        return int(self._running().server_address[1])

    @property
    def base_url(self) -> str:
        return self.origin + API_PREFIX

    @property
    def oauth_token_url(self) -> str:
        return self.origin + OAUTH_TOKEN_PATH

    @property
    def accounts_base_url(self) -> str:
        """The Loyalty Accounts base (Wix: https://www.wixapis.com/loyalty-accounts)."""
        return self.origin + ACCOUNTS_PREFIX

    # -- what tests look at ----------------------------------------------------------------
    @property
    def store(self) -> Store:
        """The default site's store."""
        return self.site(DEFAULT_SITE).running_store()

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._log_lock:
            return list(self._log)

    def count(self, endpoint: str) -> int:
        """Requests to `endpoint` whose action took effect, whether or not the answer arrived."""
        with self._log_lock:
            return sum(1 for entry in self._log if entry.endpoint == endpoint and entry.acted)

    @property
    def imports(self) -> dict[str, dict[str, Any]]:
        """The LoyaltyImports held, REST shape, by id, statuses advanced to now (copies)."""
        return self.store.snapshot()

    @property
    def balances(self) -> dict[str, int]:
        """Points balance per (lower-cased) email: seeded, then as the imports done so far left it.

        The truth, without `accounts_lag_s`: what a lagging Search Accounts converges to.
        """
        return self.store.balances_snapshot()

    def seed_balances(self, balances: Mapping[str, int]) -> None:
        """Give these emails a loyalty account with this balance (visible at once, whatever the lag)."""
        store = self.site(DEFAULT_SITE).store
        if store is None:
            self._seeded.update(balances)
        else:
            store.seed_balances(dict(balances))

    @property
    def import_effects(self) -> dict[str, dict[str, BalanceChange]]:
        """What each executed import did, by import id: email -> BalanceChange(before, after)."""
        return self.store.import_effects()

    def uploaded_files(self) -> dict[str, bytes]:
        """The content of every completed upload, by filePath."""
        return self.store.uploaded_files()

    def expire_tokens(self) -> None:
        """Expire every OAuth token issued so far: the next call with one gets Wix's 401."""
        self.authenticator.expire_tokens()

    def record(self, entry: LoggedRequest) -> None:
        with self._log_lock:
            self._log.append(entry)
        logger.info(
            'wix request',
            extra={
                'site': entry.site,
                'endpoint': entry.endpoint,
                'method': entry.method,
                'status': entry.status,
                'fault': entry.fault,
                'acted': entry.acted,
            },
        )

    def _running(self) -> _Server:
        if self._server is None:
            raise RuntimeError('the emulator is not started')
        return self._server
