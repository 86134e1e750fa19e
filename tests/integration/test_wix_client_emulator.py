"""The Wix client against the local Wix emulator: the whole flow, under faults, in both auth modes."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Literal

import httpx
import pytest

from loyalty_import.wix import (
    ApiKeyAuth,
    ImportStatus,
    LoyaltyImport,
    OAuthAppAuth,
    RetryPolicy,
    WixAuthError,
    WixClient,
    WixNotFound,
    WixValidationError,
)
from loyalty_import.wix.flow import upload, upload_and_create
from wix_emulator import EmulatorSettings, Fault, WixEmulator

UNKNOWN_CONTACT = 'ghost@example.com'
CSV = (
    'Name,Email,Points balance,Redeemed points\n'
    'Alice,alice@example.com,120,30\n'
    f'Ghost,{UNKNOWN_CONTACT},50,0\n'
    'Bob,bob@example.com,75,5\n'
).encode()
EMAIL_COLUMN, POINTS_COLUMN = 1, 2
# Shorter than the emulator fixture's slow_s (1.5 s), so a SLOW answer is a client timeout.
TIMEOUT = httpx.Timeout(connect=1.0, read=0.5, write=1.0, pool=1.0)
FAST_RETRY = RetryPolicy(max_attempts=8, max_total_s=30, base_delay_s=0.01, max_delay_s=0.05)

# One or more faults on every endpoint, each followed by normal answers.
FAULTS_EVERYWHERE: dict[str, list[Fault | None]] = {
    'oauth_token': [Fault.HTTP_500, Fault.RESPONSE_LOST],
    'create_upload_url': [Fault.HTTP_429, Fault.RESPONSE_LOST],
    'upload_file': [Fault.HTTP_503, Fault.SLOW],  # SLOW: stored, answer too late; the token is then used up
    'create_import': [Fault.HTTP_500, Fault.RESPONSE_LOST],
    'get_import': [Fault.HTTP_503, Fault.SLOW, Fault.DROP],
    'execute_import': [Fault.HTTP_429, Fault.RESPONSE_LOST],
    'get_error_file_url': [Fault.HTTP_500, Fault.SLOW],
    'query_imports': [Fault.DROP, Fault.HTTP_503],
    'download_error_file': [Fault.HTTP_503, Fault.RESPONSE_LOST],
}

AuthFactory = Callable[[WixEmulator], ApiKeyAuth | OAuthAppAuth]


def api_key_auth(emu: WixEmulator) -> ApiKeyAuth:
    return ApiKeyAuth(api_key=emu.credentials.api_key, site_id=emu.credentials.site_id)


def oauth_app_auth(emu: WixEmulator) -> OAuthAppAuth:
    creds = emu.credentials
    return OAuthAppAuth(app_id=creds.app_id, app_secret=creds.app_secret, instance_id=creds.instance_id)


AUTH_MODES = pytest.mark.parametrize('make_auth', [api_key_auth, oauth_app_auth], ids=['api_key', 'oauth'])


@pytest.fixture
def connect(wix_emulator: WixEmulator) -> Iterator[Callable[[ApiKeyAuth | OAuthAppAuth], WixClient]]:
    clients: list[WixClient] = []

    def make(auth: ApiKeyAuth | OAuthAppAuth) -> WixClient:
        client = WixClient(
            wix_emulator.base_url,
            auth,
            oauth_token_url=wix_emulator.oauth_token_url,
            retry=FAST_RETRY,
            timeout=TIMEOUT,
        )
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def wait_until(client: WixClient, import_id: str, status: ImportStatus) -> LoyaltyImport:
    """The import once it reaches `status` or a terminal one (waiting longer could not change that)."""
    give_up_at = time.monotonic() + 10.0
    while True:
        current = client.get_import(import_id)
        if current.status is status or current.status.is_terminal:
            return current
        assert time.monotonic() < give_up_at, f'import {import_id} still {current.status}, awaited {status}'
        time.sleep(0.02)


def run_full_flow(client: WixClient) -> tuple[LoyaltyImport, bytes]:
    """upload -> create -> wait PARSED -> execute -> wait IMPORTED -> error-file URL -> download."""
    created = upload_and_create(client, 'balances.csv', CSV)
    parsed = wait_until(client, created.id, ImportStatus.PARSED)
    assert parsed.status is ImportStatus.PARSED
    client.execute_import(created.id, EMAIL_COLUMN, POINTS_COLUMN)
    imported = wait_until(client, created.id, ImportStatus.IMPORTED)
    error_file = client.download(client.get_error_file_url(created.id))
    return imported, error_file


def assert_imported_once(emu: WixEmulator, imported: LoyaltyImport, error_file: bytes) -> None:
    assert imported.status is ImportStatus.IMPORTED
    assert imported.import_result is not None
    assert (imported.import_result.success_count, imported.import_result.failure_count) == (2, 1)
    assert imported.import_result.error_file_exists is True
    assert UNKNOWN_CONTACT.encode() in error_file
    assert emu.count('create_import') == 1
    assert emu.count('execute_import') == 1
    assert list(emu.imports) == [imported.id]
    assert emu.balances == {'alice@example.com': 120, 'bob@example.com': 75}


@AUTH_MODES
def test_full_flow_without_faults(
    make_auth: AuthFactory,
    wix_emulator: WixEmulator,
    connect: Callable[[ApiKeyAuth | OAuthAppAuth], WixClient],
) -> None:
    # GIVEN a client in either auth mode
    client = connect(make_auth(wix_emulator))
    # WHEN the whole Wix flow runs
    imported, error_file = run_full_flow(client)
    # THEN the file is imported once, with the right columns, and its error file names the unknown contact
    assert_imported_once(wix_emulator, imported, error_file)
    assert all(entry.fault is None for entry in wix_emulator.requests)


@AUTH_MODES
def test_full_flow_completes_with_faults_on_every_endpoint(
    make_auth: AuthFactory,
    wix_emulator: WixEmulator,
    connect: Callable[[ApiKeyAuth | OAuthAppAuth], WixClient],
) -> None:
    # GIVEN 429s, 5xx, slow answers, dropped connections and lost responses scripted on every endpoint
    for endpoint, faults in FAULTS_EVERYWHERE.items():
        wix_emulator.faults.script(endpoint, faults)
    client = connect(make_auth(wix_emulator))
    # WHEN the whole Wix flow runs
    imported, error_file = run_full_flow(client)
    # THEN it completes, with exactly one create and one execute that took effect
    assert_imported_once(wix_emulator, imported, error_file)
    # AND every scripted fault was really met (apart from the token endpoint in API key mode)
    met = {entry.endpoint for entry in wix_emulator.requests if entry.fault is not None}
    expected = set(FAULTS_EVERYWHERE) - ({'oauth_token'} if make_auth is api_key_auth else set())
    assert met == expected
    assert {endpoint: wix_emulator.faults.pending(endpoint) for endpoint in expected} == dict.fromkeys(
        expected, 0
    )
    # AND the create whose response was lost was found again rather than repeated
    creates = [entry for entry in wix_emulator.requests if entry.endpoint == 'create_import']
    assert [entry.fault for entry in creates] == [Fault.HTTP_500, Fault.RESPONSE_LOST]


def test_random_faults_on_every_endpoint_still_import_exactly_once(
    wix_emulator: WixEmulator, connect: Callable[[ApiKeyAuth | OAuthAppAuth], WixClient]
) -> None:
    # GIVEN every endpoint fails a third of its requests (seeded), in all the ways that cost no timeout
    kinds = [Fault.HTTP_429, Fault.HTTP_500, Fault.HTTP_503, Fault.DROP, Fault.RESPONSE_LOST]
    for seed, endpoint in enumerate(FAULTS_EVERYWHERE):
        wix_emulator.faults.random(endpoint, kinds[seed % len(kinds)], probability=0.33, seed=seed)
    client = connect(oauth_app_auth(wix_emulator))
    # WHEN the whole flow runs
    imported, error_file = run_full_flow(client)
    # THEN it still imports exactly once
    assert_imported_once(wix_emulator, imported, error_file)
    assert any(entry.fault is not None for entry in wix_emulator.requests)


def test_an_expired_oauth_token_is_refreshed(
    wix_emulator: WixEmulator, connect: Callable[[ApiKeyAuth | OAuthAppAuth], WixClient]
) -> None:
    # GIVEN an OAuth client that has a token, which then expires at Wix
    client = connect(oauth_app_auth(wix_emulator))
    created = upload_and_create(client, 'balances.csv', CSV)
    wix_emulator.expire_tokens()
    # WHEN the flow goes on
    wait_until(client, created.id, ImportStatus.PARSED)
    client.execute_import(created.id, EMAIL_COLUMN, POINTS_COLUMN)
    imported = wait_until(client, created.id, ImportStatus.IMPORTED)
    # THEN Wix's 401 led to exactly one new token, and the import finished
    assert imported.status is ImportStatus.IMPORTED
    assert wix_emulator.count('oauth_token') == 2
    rejected = [entry for entry in wix_emulator.requests if entry.status == 401]
    assert len(rejected) == 1
    assert wix_emulator.count('execute_import') == 1


def test_wrong_credentials_are_an_auth_error(
    wix_emulator: WixEmulator, connect: Callable[[ApiKeyAuth | OAuthAppAuth], WixClient]
) -> None:
    creds = wix_emulator.credentials
    # GIVEN a wrong API key, a key for another site, and a wrong app secret
    wrong_key = connect(ApiKeyAuth(api_key='IST.wrong', site_id=creds.site_id))
    other_site = connect(ApiKeyAuth(api_key=creds.api_key, site_id='another-site'))
    wrong_secret = connect(
        OAuthAppAuth(app_id=creds.app_id, app_secret='wrong', instance_id=creds.instance_id)
    )
    # THEN each call is refused with the status Wix uses, as WixAuthError
    statuses = []
    for client in (wrong_key, other_site, wrong_secret):
        with pytest.raises(WixAuthError) as raised:
            client.query_imports()
        statuses.append(raised.value.status_code)
    assert statuses == [401, 403, 401]
    assert wix_emulator.count('query_imports') == 0


def test_typed_errors_carry_wix_codes(
    wix_emulator: WixEmulator, connect: Callable[[ApiKeyAuth | OAuthAppAuth], WixClient]
) -> None:
    client = connect(api_key_auth(wix_emulator))
    # GIVEN an import that is not parsed yet
    wix_emulator.faults.clear()
    created = upload_and_create(client, 'balances.csv', CSV)
    # WHEN it is read under an unknown id, and executed with a column past the header
    with pytest.raises(WixNotFound) as not_found:
        client.get_import('00000000-0000-0000-0000-000000000000')
    parsed = wait_until(client, created.id, ImportStatus.PARSED)
    with pytest.raises(WixValidationError) as invalid:
        client.execute_import(parsed.id, EMAIL_COLUMN, 40)
    # THEN each error has Wix's status and applicationError code
    assert not_found.value.status_code == 404
    assert not_found.value.code
    assert invalid.value.status_code == 400
    assert invalid.value.code
    assert wix_emulator.count('execute_import') == 0


def test_a_second_execute_is_never_sent_twice(
    wix_emulator: WixEmulator, connect: Callable[[ApiKeyAuth | OAuthAppAuth], WixClient]
) -> None:
    # GIVEN an import already executed
    client = connect(api_key_auth(wix_emulator))
    created = upload_and_create(client, 'balances.csv', CSV)
    wait_until(client, created.id, ImportStatus.PARSED)
    first = client.execute_import(created.id, EMAIL_COLUMN, POINTS_COLUMN)
    # WHEN the same execute is called again (a duplicated Lambda invocation)
    second = client.execute_import(created.id, EMAIL_COLUMN, POINTS_COLUMN)
    # THEN Wix's refusal is recognised, the same import is returned, and only one execute took effect
    assert second.id == first.id
    assert second.status in {ImportStatus.IMPORTING, ImportStatus.IMPORTED}
    assert wix_emulator.count('execute_import') == 1


def test_query_pages_with_a_cursor(
    wix_emulator: WixEmulator, connect: Callable[[ApiKeyAuth | OAuthAppAuth], WixClient]
) -> None:
    # GIVEN three imports
    client = connect(api_key_auth(wix_emulator))
    ids = [upload_and_create(client, f'file{n}.csv', CSV).id for n in range(3)]
    # WHEN they are read two per page, newest first
    first = client.query_imports(sort=[{'fieldName': 'createdDate', 'order': 'DESC'}], limit=2)
    assert first.next_cursor is not None
    second = client.query_imports(limit=2, cursor=first.next_cursor)
    # THEN the pages hold all three, in order, and the last page says so
    assert [i.id for i in first.loyalty_imports + second.loyalty_imports] == ids[::-1]
    assert second.next_cursor is None
    by_status = client.query_imports(filter={'status': {'$in': ['INITIATED', 'PARSING', 'PARSED']}})
    assert {i.id for i in by_status.loyalty_imports} == set(ids)


class SecretCollectingTransport(httpx.HTTPTransport):
    """The real transport, noting every token that crosses it, so the test knows what must not be logged."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: set[str] = set()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        for name in ('Authorization',):
            if name in request.headers:
                self.secrets.add(request.headers[name])
        self.secrets.update(value for key, value in request.url.params.multi_items() if key == 'token')
        response = super().handle_request(request)
        if request.url.path.endswith('/oauth2/token') and response.status_code == 200:
            response.read()
            self.secrets.add(response.json()['access_token'])
        if request.url.path.endswith('/wixmp-upload-url') and response.status_code == 200:
            response.read()
            self.secrets.update(httpx.URL(response.json()['uploadUrl']).params.get_list('token'))
        return response


def test_no_secret_reaches_the_logs_end_to_end(
    wix_emulator: WixEmulator, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN everything logged at DEBUG, and an OAuth client meeting faults on every endpoint
    caplog.set_level(logging.DEBUG)
    for endpoint, faults in FAULTS_EVERYWHERE.items():
        wix_emulator.faults.script(endpoint, faults)
    transport = SecretCollectingTransport()
    creds = wix_emulator.credentials
    with WixClient(
        wix_emulator.base_url,
        oauth_app_auth(wix_emulator),
        oauth_token_url=wix_emulator.oauth_token_url,
        retry=FAST_RETRY,
        timeout=TIMEOUT,
        transport=transport,
    ) as client:
        # WHEN the whole flow runs
        imported, _ = run_full_flow(client)
    # THEN no credential, access token or URL token was logged or printed
    captured = capsys.readouterr()
    logged = caplog.text + captured.out + captured.err + ''.join(repr(r.__dict__) for r in caplog.records)
    secrets = {creds.api_key, creds.app_secret, *transport.secrets}
    assert imported.status is ImportStatus.IMPORTED
    assert len(transport.secrets) >= 4  # access tokens, upload tokens, the error file's token
    assert [secret for secret in secrets if secret in logged] == []


NAME_MODES = pytest.mark.parametrize('file_name_mode', ['echo', 'guid'])


@NAME_MODES
def test_a_lost_create_is_adopted_whatever_name_wix_gives_the_file(
    file_name_mode: Literal['echo', 'guid'],
) -> None:
    # GIVEN an emulator that echoes the file name, or names each import with a GUID (the SDK's typing),
    # and loses the response of the first create (which takes effect)
    settings = EmulatorSettings(parse_delay_s=0.02, import_delay_s=0.02, file_name_mode=file_name_mode)
    with WixEmulator(settings) as emu:
        emu.faults.script('create_import', [Fault.RESPONSE_LOST])
        with WixClient(
            emu.base_url,
            api_key_auth(emu),
            oauth_token_url=emu.oauth_token_url,
            retry=FAST_RETRY,
            timeout=TIMEOUT,
        ) as client:
            # WHEN the file is uploaded and its import created
            file_path = upload(client, 'balances.csv', CSV)
            created = client.create_import(file_path, 'balances.csv', len(CSV))
        # THEN the import the lost create made is adopted: one create took effect, one import exists
        assert emu.count('create_import') == 1
        assert list(emu.imports) == [created.id]
        assert created.file_metadata is not None
        assert created.file_metadata.url == file_path
        assert (created.file_metadata.name == 'balances.csv') is (file_name_mode == 'echo')


@NAME_MODES
def test_the_lookup_tells_two_uploads_of_the_same_name_and_size_apart(
    file_name_mode: Literal['echo', 'guid'],
) -> None:
    # GIVEN two imports of the same file, same name and size, from two uploads
    settings = EmulatorSettings(parse_delay_s=0.02, import_delay_s=0.02, file_name_mode=file_name_mode)
    with WixEmulator(settings) as emu:
        with WixClient(
            emu.base_url,
            api_key_auth(emu),
            oauth_token_url=emu.oauth_token_url,
            retry=FAST_RETRY,
            timeout=TIMEOUT,
        ) as client:
            since = datetime.now(UTC)
            paths = [upload(client, 'balances.csv', CSV) for _ in range(2)]
            made = [client.create_import(path, 'balances.csv', len(CSV)) for path in paths]
            # WHEN a later run looks for the import of each upload, and of one never created from
            found = [client.find_created_import([path], len(CSV), since) for path in paths]
            other_size = client.find_created_import(paths, len(CSV) + 1, since)
            never = client.find_created_import([upload(client, 'balances.csv', CSV)], len(CSV), since)
        # THEN each upload finds its own import, and nothing else is taken for one
        assert [f.id if f else None for f in found] == [m.id for m in made]
        assert other_size is None
        assert never is None
