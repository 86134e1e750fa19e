"""The Wix Loyalty Imports client: the seven operations, retries, both auth modes, typed errors.

The only module of the package that touches the network. Two rules shape it:
- transient failures (429, 5xx, timeouts, connection errors) are retried within a bounded budget
  (`RetryPolicy`), then raised as `WixUnavailable`;
- the two calls that are not idempotent are never repeated blindly. A create whose outcome is
  unknown is looked up (query) before it is sent again; an execute is re-read (get) before it
  is sent again, and not re-sent once the import has left PARSED.
What is logged: endpoint name, method, status, attempt, duration. Never a URL, header or body.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Final, TypeVar
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from loyalty_import.wix import accounts as acc
from loyalty_import.wix.auth import ApiKeyAuth, OAuthAppAuth
from loyalty_import.wix.errors import (
    WixAuthError,
    WixBudgetExhausted,
    WixError,
    WixNotFound,
    WixRateLimited,
    WixUnavailable,
    WixValidationError,
)
from loyalty_import.wix.models import (
    MAX_PAGE_LIMIT,
    CreateImportRequest,
    CreateUploadUrlRequest,
    CursorPaging,
    ErrorFileUrl,
    ExecuteImportRequest,
    HeaderMappingInfo,
    ImportStatus,
    LoyaltyImport,
    LoyaltyImportEnvelope,
    OAuthTokenRequest,
    OAuthTokenResponse,
    Query,
    QueryImportsRequest,
    QueryPage,
    Sorting,
    UploadUrl,
    WixErrorBody,
)
from loyalty_import.wix.retry import RetryBudget, RetryPolicy, parse_retry_after

logger = logging.getLogger(__name__)

# Connect fails fast (a dead host is retried); read allows Wix a slow moment; write covers a
# 10 MB upload chunk on a slow link.
DEFAULT_TIMEOUT: Final = httpx.Timeout(connect=3.0, read=20.0, write=30.0, pool=5.0)
RETRYABLE_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
# How far before a create attempt (by our clock) an import Wix stamped may still be ours: the clock
# skew between this machine and Wix. The one window of every lost-create lookup, whether the client
# retries within a call or a later run (an importer retry) looks for what an earlier one created.
ADOPTION_CLOCK_SKEW: Final = timedelta(minutes=2)
# Pages of query results read when looking for a create whose response was lost.
_MAX_ADOPTION_PAGES: Final = 10
# Statuses an import only reaches through an execute.
_EXECUTED_STATUSES: Final = frozenset({ImportStatus.IMPORTING, ImportStatus.IMPORTED, ImportStatus.FAILED})

PATHS: Final[Mapping[str, str]] = {
    'create_upload_url': '/v1/loyalty-imports/wixmp-upload-url',
    'create_import': '/v1/loyalty-imports',
    'get_import': '/v1/loyalty-imports',
    'execute_import': '/v1/loyalty-imports/execute',
    'get_error_file_url': '/v1/loyalty-imports/error-file-download-url',
    'query_imports': '/v1/loyalty-imports/query',
}

# Called with the endpoint's name before every attempt of a rate-limited Wix endpoint (see
# `WixClient`): returns when a call may be sent, or raises `WixBudgetExhausted`.
CallBudget = Callable[[str], None]

T = TypeVar('T')
M = TypeVar('M', bound=BaseModel)


class _Transient(Exception):  # noqa: N818 - internal signal, never escapes the client
    """One attempt failed in a way worth retrying. `maybe_acted`: Wix may have done the action."""

    def __init__(
        self,
        reason: str,
        *,
        maybe_acted: bool,
        status_code: int | None = None,
        retry_after_s: float | None = None,
        code: str | None = None,
        budget_empty: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.maybe_acted = maybe_acted
        self.status_code = status_code
        self.retry_after_s = retry_after_s
        self.code = code
        self.budget_empty = budget_empty

    def exhausted(self, endpoint: str, attempts: int) -> WixUnavailable:
        message = f'Wix {endpoint} still failing after {attempts} attempt(s): {self.reason}'
        if self.budget_empty:
            return WixBudgetExhausted(message, endpoint=endpoint, retry_after_s=self.retry_after_s)
        if self.status_code == 429:
            return WixRateLimited(
                message, code=self.code, endpoint=endpoint, retry_after_s=self.retry_after_s
            )
        return WixUnavailable(message, status_code=self.status_code, code=self.code, endpoint=endpoint)


class _RedactUrlQueries(logging.Filter):
    """httpx logs every request URL at INFO; an upload URL's query carries its token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(arg) for arg in record.args)
        return True


def _redacted(value: object) -> object:
    if isinstance(value, httpx.URL) and value.query:
        return str(value.copy_with(query=b'redacted'))
    return value


logging.getLogger('httpx').addFilter(_RedactUrlQueries())


class _TransportPerScheme(httpx.BaseTransport):
    """httpx's default transport, built on the first request of its scheme instead of up front.

    httpx builds its TLS context (certifi's CA bundle, about 20 ms of a cold start) when a client is
    created, whatever it will talk to. Here https gets exactly httpx's default transport (the same
    verification, SSL_CERT_FILE/SSL_CERT_DIR and pool limits), made on the first https request;
    plain http (the Wix emulator, a local run) gets one whose TLS context trusts no certificate,
    so it could only ever fail an https connection, never make one unverified.
    """

    def __init__(self) -> None:
        self._transports: dict[str, httpx.HTTPTransport] = {}
        self._lock = threading.Lock()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._transport(request.url.scheme).handle_request(request)

    def _transport(self, scheme: str) -> httpx.HTTPTransport:
        with self._lock:
            transport = self._transports.get(scheme)
            if transport is None:
                if scheme == 'http':
                    transport = httpx.HTTPTransport(verify=ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
                else:
                    transport = httpx.HTTPTransport()
                self._transports[scheme] = transport
            return transport

    def close(self) -> None:
        with self._lock:
            transports, self._transports = list(self._transports.values()), {}
        for transport in transports:
            transport.close()


class WixClient:
    """A synchronous Wix Loyalty Imports client. Close it (or use it as a context manager)."""

    def __init__(
        self,
        base_url: str,
        auth: ApiKeyAuth | OAuthAppAuth,
        *,
        # Wix's endpoints are deployment settings (template.yaml's WixBaseUrl, WixOAuthTokenUrl,
        # WixAccountsBaseUrl); without accounts_base_url the Loyalty Accounts reads are refused.
        oauth_token_url: str,
        accounts_base_url: str | None = None,
        retry: RetryPolicy | None = None,
        timeout: httpx.Timeout | None = None,
        transport: httpx.BaseTransport | None = None,
        wall_clock: Callable[[], datetime] | None = None,
        # The site's shared call budget: drawn before EVERY attempt of the rate-limited endpoints
        # (the authorized ones; Wix counts requests, retries included), never for the upload to an
        # upload URL, a download or the OAuth token request. Here, in `_send`, so no caller can forget it.
        budget: CallBudget | None = None,
    ) -> None:
        self._base_url = base_url.rstrip('/')
        self._budget = budget
        self._accounts_base_url = accounts_base_url.rstrip('/') if accounts_base_url else None
        self._auth = auth
        self._oauth_token_url = oauth_token_url
        self._retry = retry or RetryPolicy()
        self._wall_clock = wall_clock or _utc_now
        # No default headers: the Authorization header is added per request, so it never reaches
        # the upload URL or a download URL, and redirects are not followed (they could carry it
        # to another host).
        self._http = httpx.Client(
            timeout=timeout or DEFAULT_TIMEOUT,
            transport=transport or _TransportPerScheme(),
            follow_redirects=False,
        )

    # ---- lifecycle -----------------------------------------------------------------------------

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> WixClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # ---- the seven operations ------------------------------------------------------------------

    def create_upload_url(self) -> UploadUrl:
        # Safe to repeat: an unused upload URL costs nothing.
        response = self._call(
            'create_upload_url',
            'POST',
            self._url('create_upload_url'),
            json=CreateUploadUrlRequest().to_wire(),
        )
        return _parse(response, UploadUrl, 'create_upload_url')

    def upload_file(self, upload_url: str, file_name: str, content: bytes) -> None:
        """PUT the bytes to the upload URL, which carries its own token (no Authorization header).

        The token may be single-use: if an attempt's outcome is unknown and the retry is refused,
        the upload is reported as `WixUnavailable`, and the caller starts over with a new upload URL
        (`flow.upload_and_create` does).
        """
        # httpx's `params=` would replace the URL's own query, i.e. drop the token: merge instead.
        url = httpx.URL(upload_url).copy_merge_params({'filename': file_name})
        outcome_unknown = False

        def attempt(number: int) -> None:
            nonlocal outcome_unknown
            try:
                self._send(
                    'upload_file',
                    'PUT',
                    url,
                    attempt=number,
                    content=content,
                    headers={'Content-Type': 'text/csv'},
                    authed=False,
                )
            except _Transient as failure:
                outcome_unknown = outcome_unknown or failure.maybe_acted
                raise
            except (WixAuthError, WixValidationError, WixNotFound) as refused:
                if not outcome_unknown:
                    raise
                raise WixUnavailable(
                    'upload outcome unknown and the upload URL refuses a retry; start over with a new URL',
                    status_code=refused.status_code,
                    code=refused.code,
                    endpoint='upload_file',
                ) from refused

        self._retrying('upload_file', attempt)

    def create_import(self, file_url: str, file_name: str, file_size: int) -> LoyaltyImport:
        """Create the import. A create whose response was lost is found (query) rather than repeated."""
        try:
            request = CreateImportRequest(file_url=file_url, file_name=file_name, file_size=file_size)
        except ValidationError as exc:
            raise _refused_before_sending('create_import', exc) from None
        body = request.to_wire()
        first_sent_at: datetime | None = None
        maybe_created = False

        def attempt(number: int) -> LoyaltyImport:
            nonlocal first_sent_at, maybe_created
            if maybe_created and first_sent_at is not None:
                adopted = self._find_created_import((file_url,), file_size, first_sent_at, number)
                if adopted is not None:
                    logger.info(
                        'wix create adopted',
                        extra={'endpoint': 'create_import', 'import_id': adopted.id, 'attempt': number},
                    )
                    return adopted
            if first_sent_at is None:
                first_sent_at = self._wall_clock()
            try:
                response = self._send(
                    'create_import', 'POST', self._url('create_import'), attempt=number, json=body
                )
            except _Transient as failure:
                maybe_created = maybe_created or failure.maybe_acted
                raise
            return _parse(response, LoyaltyImportEnvelope, 'create_import').loyalty_import

        return self._retrying('create_import', attempt)

    def get_import(self, import_id: str) -> LoyaltyImport:
        return self._retrying('get_import', lambda number: self._get_once(import_id, number))

    def execute_import(self, import_id: str, email_index: int, points_index: int) -> LoyaltyImport:
        """Execute with exactly one EMAIL and one POINTS mapping (0-based columns of the uploaded file).

        Never executes twice: every retry re-reads the import first and returns it once it has left
        PARSED; and when Wix refuses the execute because it already ran with this same mapping (a
        duplicate call), the already-executed import is returned.
        """
        try:
            request = ExecuteImportRequest.for_columns(import_id, email_index, points_index)
        except ValidationError as exc:
            raise _refused_before_sending('execute_import', exc) from None
        body = request.to_wire()
        wanted = request.header_mapping_info

        def attempt(number: int) -> LoyaltyImport:
            if number > 1:
                current = self._get_once(import_id, number)
                if current.status in _EXECUTED_STATUSES:
                    logger.info(
                        'wix execute already took effect',
                        extra={
                            'endpoint': 'execute_import',
                            'import_id': import_id,
                            'status': current.status,
                        },
                    )
                    return current
            try:
                response = self._send(
                    'execute_import', 'POST', self._url('execute_import'), attempt=number, json=body
                )
            except WixValidationError as refused:
                return self._already_executed_or_raise(import_id, wanted, refused, number)
            return _parse(response, LoyaltyImportEnvelope, 'execute_import').loyalty_import

        return self._retrying('execute_import', attempt)

    def get_error_file_url(self, import_id: str) -> str:
        response = self._call(
            'get_error_file_url',
            'GET',
            self._url('get_error_file_url'),
            params={'loyaltyImportId': import_id},
        )
        return _parse(response, ErrorFileUrl, 'get_error_file_url').url

    def download(self, url: str) -> bytes:
        """GET a file Wix links to (e.g. the error file): the URL is self-authorizing, so no Authorization."""
        # Redirects are followed here only: no credentials ride along, and file URLs may point at a CDN.
        return self._call('download', 'GET', httpx.URL(url), authed=False, follow_redirects=True).content

    # ---- Loyalty Accounts (reads, all idempotent) -----------------------------------------------

    def find_accounts(self, emails: Sequence[str]) -> list[acc.AccountBalance]:
        """The loyalty account of each email that has one (Search Accounts, 100 emails a call).

        Emails are compared lower-cased and asked once each; an email without an account is simply
        absent from the answer. Each page is retried like any other read.
        """
        found: dict[str, acc.AccountBalance] = {}
        for batch in acc.email_batches(list(emails)):
            request = acc.SearchAccountsRequest.for_emails(batch)
            for _ in range(acc.MAX_PAGES_PER_BATCH):
                page = self._search_accounts_page(request)
                for account in page.accounts:
                    balance = account.balance()
                    if balance is not None:
                        found.setdefault(balance.account_id, balance)
                cursor = page.next_cursor
                if cursor is None:
                    break
                request = acc.SearchAccountsRequest.next_page(cursor)
            else:
                raise WixError(
                    f'Wix search_accounts still had more pages after {acc.MAX_PAGES_PER_BATCH}',
                    endpoint='search_accounts',
                )
        return list(found.values())

    def count_accounts(self) -> int:
        """How many loyalty accounts the site has (Count Accounts, no filter)."""
        response = self._call('count_accounts', 'POST', self._accounts_url('count_accounts'), json={})
        return _parse(response, acc.AccountCount, 'count_accounts').count

    def program_balance(self) -> int:
        """The points balance outstanding over all accounts (Get Program Totals `points.balance`)."""
        url = self._accounts_url('get_program_totals')
        response = self._call('get_program_totals', 'GET', url)
        return _parse(response, acc.ProgramTotals, 'get_program_totals').points.balance

    def _search_accounts_page(self, request: acc.SearchAccountsRequest) -> acc.SearchAccountsPage:
        url = self._accounts_url('search_accounts')
        response = self._call('search_accounts', 'POST', url, json=request.to_wire())
        return _parse(response, acc.SearchAccountsPage, 'search_accounts')

    def _accounts_url(self, endpoint: str) -> str:
        if self._accounts_base_url is None:
            raise WixError('no Loyalty Accounts base URL was configured', endpoint=endpoint)
        return self._accounts_base_url + acc.ACCOUNT_PATHS[endpoint]

    def query_imports(
        self,
        filter: Mapping[str, Any] | None = None,  # Wix's own name for it
        sort: Sequence[Sorting | Mapping[str, str]] | None = None,
        limit: int = MAX_PAGE_LIMIT,
        cursor: str | None = None,
    ) -> QueryPage:
        body = _query_body(filter, sort, limit, cursor)
        return self._retrying('query_imports', lambda number: self._query_once(body, number))

    def find_created_import(
        self, file_urls: str | Sequence[str], file_size: int, created_since: datetime
    ) -> LoyaltyImport | None:
        """The oldest import created from one of these files (URL and size) since `created_since`, if any.

        `file_urls`: the `fileUrl`s (upload `filePath`s) the caller may have created from; the import
        is matched on what Wix must keep, `fileMetadata.url` and `fileMetadata.size`, never on the
        name (Wix's SDK types `fileMetadata.name` as a read-only GUID: it need not echo `fileName`).
        `created_since` is when the caller began creating, by its own clock (the lookup allows for
        Wix's clock: `ADOPTION_CLOCK_SKEW`). For a caller that may have created an import in an
        earlier run whose outcome it never learnt (e.g. a Lambda retried after a `WixUnavailable`
        from `create_import`): look before creating again.
        """
        urls = (file_urls,) if isinstance(file_urls, str) else tuple(file_urls)
        return self._retrying(
            'query_imports',
            lambda number: self._find_created_import(urls, file_size, created_since, number),
        )

    # ---- non-idempotent helpers ----------------------------------------------------------------

    def _find_created_import(
        self, file_urls: tuple[str, ...], file_size: int, attempted_at: datetime, attempt: int
    ) -> LoyaltyImport | None:
        """The import a lost create made: from one of `file_urls`, same size, since our first attempt.

        The one lost-create adoption, within a call and across runs (`ADOPTION_CLOCK_SKEW` before
        `attempted_at`). Only createdDate is filterable on Wix's side, so the file's URL and size are
        matched here. Each upload has its own `filePath`, so a URL names one upload: two files of the
        same name and size never adopt each other's import. The oldest match wins: it is the first
        create that took effect.
        """
        if not file_urls:
            return None
        since = _as_utc(attempted_at) - ADOPTION_CLOCK_SKEW
        body = _query_body(
            {'createdDate': {'$gte': _rfc3339(since)}},
            [Sorting(field_name='createdDate', order='ASC')],
            MAX_PAGE_LIMIT,
            None,
        )
        matches: list[LoyaltyImport] = []
        for _ in range(_MAX_ADOPTION_PAGES):
            page = self._query_once(body, attempt)
            matches.extend(
                candidate
                for candidate in page.loyalty_imports
                if _is_same_file(candidate, file_urls, file_size) and _created_since(candidate, since)
            )
            if page.next_cursor is None:
                break
            body = _query_body(None, None, MAX_PAGE_LIMIT, page.next_cursor)
        return min(matches, key=_created_key) if matches else None

    def _already_executed_or_raise(
        self, import_id: str, wanted: HeaderMappingInfo, refused: WixValidationError, attempt: int
    ) -> LoyaltyImport:
        current = self._get_once(import_id, attempt)
        recorded = current.file_metadata.header_mapping_info if current.file_metadata else None
        if current.status in _EXECUTED_STATUSES and recorded is not None:
            by_name = {mapping.column_name: mapping.column_index for mapping in recorded.header_mappings}
            if by_name == {'EMAIL': wanted.index_of('EMAIL'), 'POINTS': wanted.index_of('POINTS')}:
                logger.info(
                    'wix execute already took effect',
                    extra={'endpoint': 'execute_import', 'import_id': import_id, 'status': current.status},
                )
                return current
        raise refused

    def _get_once(self, import_id: str, attempt: int) -> LoyaltyImport:
        response = self._send(
            'get_import',
            'GET',
            self._url('get_import'),
            attempt=attempt,
            params={'loyaltyImportId': import_id},
        )
        return _parse(response, LoyaltyImportEnvelope, 'get_import').loyalty_import

    def _query_once(self, body: dict[str, Any], attempt: int) -> QueryPage:
        response = self._send('query_imports', 'POST', self._url('query_imports'), attempt=attempt, json=body)
        return _parse(response, QueryPage, 'query_imports')

    # ---- transport, retries, auth --------------------------------------------------------------

    def _url(self, endpoint: str) -> str:
        return self._base_url + PATHS[endpoint]

    def _call(self, endpoint: str, method: str, url: str | httpx.URL, **kwargs: Any) -> httpx.Response:
        """An idempotent call: every transient failure is simply retried."""
        return self._retrying(
            endpoint, lambda number: self._send(endpoint, method, url, attempt=number, **kwargs)
        )

    def _retrying(self, endpoint: str, attempt_once: Callable[[int], T]) -> T:
        budget: RetryBudget = self._retry.start()
        while True:
            number = budget.begin_attempt()
            try:
                return attempt_once(number)
            except _Transient as failure:
                delay = budget.next_delay_s(failure.retry_after_s)
                if delay is None:
                    logger.warning(
                        'wix call gave up',
                        extra={'endpoint': endpoint, 'attempt': number, 'reason': failure.reason},
                    )
                    raise failure.exhausted(endpoint, number) from failure
                logger.info(
                    'wix call will be retried',
                    extra={
                        'endpoint': endpoint,
                        'attempt': number,
                        'reason': failure.reason,
                        'delay_s': delay,
                    },
                )
                budget.wait(delay)

    def _send(
        self,
        endpoint: str,
        method: str,
        url: str | httpx.URL,
        *,
        attempt: int,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        authed: bool = True,
        follow_redirects: bool = False,
    ) -> httpx.Response:
        """One attempt: a 2xx response, or `_Transient` (retry it), or a typed `WixError` (don't).

        With OAuth, a 401 gets one fresh token and one more try within the same attempt: Wix
        rejected the token, not the request, so nothing was done.
        """
        request = {
            'params': params,
            'json': json,
            'content': content,
            'follow_redirects': follow_redirects,
        }
        token_refreshed = False
        while True:
            if authed:
                self._draw_budget(endpoint)
            request_headers = dict(headers or {})
            token = self._authorize(request_headers) if authed else None
            response = self._request_once(
                endpoint, method, url, attempt=attempt, headers=request_headers, request=request
            )
            if response.is_success:
                return response
            if self._refresh_rejected_token(response.status_code, token, already=token_refreshed):
                token_refreshed = True
                continue
            raise _failure(endpoint, response)

    def _draw_budget(self, endpoint: str) -> None:
        """One token of the site's budget, or `_Transient` (nothing was sent: retried like a 429)."""
        if self._budget is None:
            return
        try:
            self._budget(endpoint)
        except WixBudgetExhausted as empty:
            raise _Transient(
                "the site's Wix call budget is empty",
                maybe_acted=False,
                retry_after_s=empty.retry_after_s,
                budget_empty=True,
            ) from empty

    def _request_once(
        self,
        endpoint: str,
        method: str,
        url: str | httpx.URL,
        *,
        attempt: int,
        headers: dict[str, str],
        request: Mapping[str, Any],
    ) -> httpx.Response:
        """One HTTP exchange, its transport errors sorted into retryable (`_Transient`) or not."""
        started = time.perf_counter()
        try:
            response = self._http.request(method, url, headers=headers, **request)
        except httpx.TimeoutException as exc:
            self._log_attempt(endpoint, method, attempt, started, error=type(exc).__name__)
            # A connect or pool timeout means the request never left.
            sent = not isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout))
            raise _Transient(type(exc).__name__, maybe_acted=sent) from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            self._log_attempt(endpoint, method, attempt, started, error=type(exc).__name__)
            raise _Transient(type(exc).__name__, maybe_acted=not isinstance(exc, httpx.ConnectError)) from exc
        except httpx.TransportError as exc:  # bad URL, proxy or local protocol errors: not transient
            self._log_attempt(endpoint, method, attempt, started, error=type(exc).__name__)
            raise WixError(f'Wix {endpoint} request failed: {type(exc).__name__}', endpoint=endpoint) from exc
        self._log_attempt(endpoint, method, attempt, started, status=response.status_code)
        return response

    def _refresh_rejected_token(self, status: int, token: str | None, *, already: bool) -> bool:
        """Whether a 401 was Wix rejecting our OAuth token (now invalidated: one more try gets a new one)."""
        if status != 401 or token is None or already or not isinstance(self._auth, OAuthAppAuth):
            return False
        self._auth.invalidate(token)
        return True

    def _authorize(self, headers: dict[str, str]) -> str | None:
        if isinstance(self._auth, ApiKeyAuth):
            headers.update(self._auth.static_headers())
            return None
        token = self._auth.access_token(self._fetch_token)
        headers['Authorization'] = token
        return token

    def _fetch_token(self, request: OAuthTokenRequest) -> OAuthTokenResponse:
        try:
            response = self._call(
                'oauth_token', 'POST', self._oauth_token_url, json=request.to_wire(), authed=False
            )
        except (WixValidationError, WixNotFound) as exc:
            # The token endpoint answers 400 to wrong app credentials: that is an auth failure.
            raise WixAuthError(
                exc.message, status_code=exc.status_code, code=exc.code, endpoint='oauth_token'
            ) from exc
        return _parse(response, OAuthTokenResponse, 'oauth_token')

    @staticmethod
    def _log_attempt(
        endpoint: str,
        method: str,
        attempt: int,
        started: float,
        *,
        status: int | None = None,
        error: str | None = None,
    ) -> None:
        logger.info(
            'wix call',
            extra={
                'endpoint': endpoint,
                'method': method,
                'status': status,
                'error': error,
                'attempt': attempt,
                'duration_ms': round((time.perf_counter() - started) * 1000, 1),
            },
        )


# ---- helpers -----------------------------------------------------------------------------------


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec='milliseconds').replace('+00:00', 'Z')


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _created_since(candidate: LoyaltyImport, since: datetime) -> bool:
    return candidate.created_date is not None and _as_utc(candidate.created_date) >= since


def _created_key(candidate: LoyaltyImport) -> datetime:
    return _as_utc(candidate.created_date) if candidate.created_date else datetime.max.replace(tzinfo=UTC)


def _is_same_file(candidate: LoyaltyImport, file_urls: tuple[str, ...], file_size: int) -> bool:
    meta = candidate.file_metadata
    if meta is None or meta.size != file_size or not meta.url:
        return False
    return any(_names_the_file(meta.url, file_url) for file_url in file_urls)


def _names_the_file(kept_url: str, sent_url: str) -> bool:
    """Whether Wix's `fileMetadata.url` names the file a create was sent: that `fileUrl` itself, or a
    URL whose path is (or ends in) the `filePath` sent, should Wix expand the path into a full URL."""
    if kept_url == sent_url:
        return True
    sent_path = urlsplit(sent_url).path.strip('/')
    kept_path = urlsplit(kept_url).path.strip('/')
    return bool(sent_path) and (kept_path == sent_path or kept_path.endswith('/' + sent_path))


def _query_body(
    filter_: Mapping[str, Any] | None,
    sort: Sequence[Sorting | Mapping[str, str]] | None,
    limit: int,
    cursor: str | None,
) -> dict[str, Any]:
    try:
        query = Query(
            filter=dict(filter_) if filter_ is not None else None,
            sort=[item if isinstance(item, Sorting) else Sorting.model_validate(item) for item in sort]
            if sort is not None
            else None,
            cursor_paging=CursorPaging(limit=limit, cursor=cursor),
        )
    except ValidationError as exc:
        raise _refused_before_sending('query_imports', exc) from None
    return QueryImportsRequest(query=query).to_wire()


def _failure(endpoint: str, response: httpx.Response) -> Exception:
    """What a non-2xx response means: `_Transient` (retry it) or a typed `WixError` (don't)."""
    status = response.status_code
    body = _error_body(response)
    if status in RETRYABLE_STATUSES:
        return _Transient(
            f'HTTP {status}',
            # A 429 is refused before any work; a 5xx may come after the work was done.
            maybe_acted=status != 429,
            status_code=status,
            retry_after_s=parse_retry_after(response.headers.get('Retry-After')),
            code=_error_code(body),
        )
    return _typed_error(endpoint, status, body)


def _refused_before_sending(endpoint: str, exc: ValidationError) -> WixValidationError:
    problems = '; '.join(
        f'{".".join(str(part) for part in error["loc"])}: {error["msg"]}' for error in exc.errors()
    )
    return WixValidationError(f'{endpoint} refused before sending: {problems}', endpoint=endpoint)


def _parse(response: httpx.Response, model: type[M], endpoint: str) -> M:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        # Field locations only: a response may hold a token.
        where = ', '.join('.'.join(str(part) for part in error['loc']) for error in exc.errors()[:5])
        raise WixError(
            f'unexpected response from Wix {endpoint} ({where or "not JSON"})',
            status_code=response.status_code,
            endpoint=endpoint,
        ) from None


def _error_body(response: httpx.Response) -> WixErrorBody | None:
    try:
        return WixErrorBody.model_validate_json(response.content)
    except ValidationError:
        return None


def _error_code(body: WixErrorBody | None) -> str | None:
    if body is None or body.details is None or body.details.application_error is None:
        return None
    return body.details.application_error.code


def _typed_error(endpoint: str, status: int, body: WixErrorBody | None) -> WixError:
    code = _error_code(body)
    message = (body.message if body else None) or f'Wix {endpoint} answered HTTP {status}'
    if (
        body
        and body.details
        and body.details.application_error
        and body.details.application_error.description
    ):
        description = body.details.application_error.description
        if description not in message:
            message = f'{message}: {description}'
    error_type: type[WixError]
    if status in (401, 403):
        error_type = WixAuthError
    elif status == 404:
        error_type = WixNotFound
    elif status in (400, 411, 413, 422):
        error_type = WixValidationError
    else:
        error_type = WixError
    return error_type(message, status_code=status, code=code, endpoint=endpoint)
