"""Fault injection per endpoint, and the request log tests assert on."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.clock import FakeClock
from wix_emulator import ENDPOINTS, EmulatorSettings, ErrorCode, Fault, WixEmulator
from wix_emulator.faults import FaultPlan
from wix_emulator.testing import RawWixApi

CONTENT = b'Email,Points\r\nann@example.com,10\r\nghost@example.com,5\r\n'
ACCOUNT_BODIES: dict[str, Any] = {
    'search_accounts': {'search': {'filter': {'contact.email': {'$in': ['ann@example.com']}}}},
    'query_accounts': {'query': {}},
    'count_accounts': {},
    'get_program_totals': None,
}
ACTIONLESS = [Fault.HTTP_429, Fault.HTTP_500, Fault.HTTP_503, Fault.DROP]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[WixEmulator]:
    settings = EmulatorSettings(
        parse_delay_s=1,
        import_delay_s=1,
        unknown_contacts=frozenset({'ghost@example.com'}),
        slow_s=0.3,
        retry_after_s=7,
    )
    with WixEmulator(settings, clock=clock) as emu:
        yield emu


@pytest.fixture
def api(
    emulator: WixEmulator, wix_contract: dict[str, Any], wix_accounts_contract: dict[str, Any]
) -> Iterator[RawWixApi]:
    with RawWixApi(emulator, wix_contract, accounts_contract=wix_accounts_contract) as raw:
        yield raw


def call_endpoint(api: RawWixApi, clock: FakeClock, endpoint: str) -> Callable[[], httpx.Response]:
    """Prepares state so that one request to `endpoint` succeeds; returns that request."""
    creds = api.emulator.credentials
    if endpoint in ACCOUNT_BODIES:
        return lambda: api.call_accounts(endpoint, json=ACCOUNT_BODIES[endpoint])
    if endpoint == 'oauth_token':
        body = {
            'grant_type': 'client_credentials',
            'client_id': creds.app_id,
            'client_secret': creds.app_secret,
            'instance_id': creds.instance_id,
        }
        return lambda: api.oauth_token(body)
    if endpoint == 'create_upload_url':
        return lambda: api.call('create_upload_url', json={})
    if endpoint == 'upload_file':
        upload_url = api.create_upload_url()['uploadUrl']
        return lambda: api.upload(upload_url, 'a.csv', CONTENT)
    if endpoint == 'query_imports':
        return lambda: api.query({})
    path = api.upload_file('a.csv', CONTENT)
    if endpoint == 'create_import':
        return lambda: api.call('create_import', json={'fileUrl': path, 'fileName': 'a.csv', 'fileSize': 1})
    import_id = api.create_import(path, 'a.csv', len(CONTENT))['id']
    if endpoint == 'get_import':
        return lambda: api.call('get_import', params={'loyaltyImportId': import_id})
    clock.advance(1)
    if endpoint == 'execute_import':
        return lambda: api.execute(import_id, 0, 1)
    assert api.execute(import_id, 0, 1).status_code == 200
    clock.advance(1)
    if endpoint == 'get_error_file_url':
        return lambda: api.error_file_url(import_id)
    url = api.error_file_url(import_id).json()['url']
    assert endpoint == 'download_error_file'
    return lambda: api.http.get(url)


def test_every_endpoint_can_be_faulted() -> None:
    # GIVEN the endpoint names of the contract plus the two extra ones / THEN all are known
    assert set(ENDPOINTS) == {
        'create_upload_url',
        'upload_file',
        'create_import',
        'get_import',
        'execute_import',
        'get_error_file_url',
        'query_imports',
        'oauth_token',
        'download_error_file',
        'search_accounts',
        'query_accounts',
        'count_accounts',
        'get_program_totals',
    }


def test_endpoint_names_cover_the_contract(
    wix_contract: dict[str, Any], wix_accounts_contract: dict[str, Any]
) -> None:
    assert set(wix_contract['endpoints']) <= set(ENDPOINTS)
    # The accounts endpoints the emulator serves carry the accounts contract's names.
    assert set(ACCOUNT_BODIES) <= set(wix_accounts_contract['endpoints'])


@pytest.mark.parametrize('endpoint', ENDPOINTS)
@pytest.mark.parametrize('fault', [Fault.HTTP_500, Fault.HTTP_503])
def test_5xx_answers_wix_style_and_does_nothing(
    api: RawWixApi, clock: FakeClock, endpoint: str, fault: Fault
) -> None:
    # GIVEN an endpoint whose next request gets a 5xx
    request = call_endpoint(api, clock, endpoint)
    before = api.emulator.imports
    api.emulator.faults.script(endpoint, [fault])
    # WHEN it is called twice
    faulted, normal = request(), request()
    # THEN the first is the fault in Wix's shape, with no effect; the second is served
    assert faulted.status_code == {Fault.HTTP_500: 500, Fault.HTTP_503: 503}[fault]
    assert faulted.json()['details']['applicationError']['code'] in {
        ErrorCode.INTERNAL_ERROR,
        ErrorCode.UNAVAILABLE,
    }
    assert normal.status_code == 200, normal.text
    entries = [e for e in api.emulator.requests if e.endpoint == endpoint]
    assert (entries[-2].fault, entries[-2].status, entries[-2].acted) == (fault, faulted.status_code, False)
    assert (entries[-1].fault, entries[-1].status, entries[-1].acted) == (None, 200, True)
    if endpoint == 'create_import':
        assert len(api.emulator.imports) == len(before) + 1


def test_429_carries_retry_after_and_does_nothing(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN create_import scripted to be rate limited
    request = call_endpoint(api, clock, 'create_import')
    api.emulator.faults.script('create_import', [Fault.HTTP_429])
    # WHEN called
    response = request()
    # THEN 429 with the configured Retry-After, Wix's body, and no import created
    assert response.status_code == 429
    assert response.headers['Retry-After'] == '7'
    assert response.json()['details']['applicationError']['code'] == ErrorCode.TOO_MANY_REQUESTS
    assert api.emulator.imports == {}
    assert api.emulator.count('create_import') == 0


@pytest.mark.parametrize('endpoint', ENDPOINTS)
def test_drop_closes_without_answer_or_action(api: RawWixApi, clock: FakeClock, endpoint: str) -> None:
    # GIVEN an endpoint whose next request is dropped
    request = call_endpoint(api, clock, endpoint)
    api.emulator.faults.script(endpoint, [Fault.DROP])
    # WHEN called / THEN the connection closes with no response
    with pytest.raises(httpx.RemoteProtocolError):
        request()
    # AND nothing happened, and the same call then succeeds once
    last = [e for e in api.emulator.requests if e.endpoint == endpoint][-1]
    assert (last.fault, last.status, last.acted) == (Fault.DROP, None, False)
    assert request().status_code == 200
    assert api.emulator.count(endpoint) == 1


def test_drop_of_create_creates_nothing(api: RawWixApi, clock: FakeClock) -> None:
    request = call_endpoint(api, clock, 'create_import')
    api.emulator.faults.script('create_import', [Fault.DROP])
    with pytest.raises(httpx.RemoteProtocolError):
        request()
    assert api.emulator.imports == {}


def test_response_lost_does_the_create_then_drops_the_answer(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN create_import whose response will be lost
    request = call_endpoint(api, clock, 'create_import')
    api.emulator.faults.script('create_import', [Fault.RESPONSE_LOST])
    # WHEN called / THEN the client sees a dropped connection
    with pytest.raises(httpx.RemoteProtocolError):
        request()
    # BUT the import exists, and the log says the action took effect without an answer
    assert len(api.emulator.imports) == 1
    last = api.emulator.requests[-1]
    assert (last.endpoint, last.fault, last.status, last.acted) == (
        'create_import',
        Fault.RESPONSE_LOST,
        None,
        True,
    )
    assert api.emulator.count('create_import') == 1


def test_response_lost_on_execute_leaves_it_executed(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN a PARSED import whose execute answer will be lost
    request = call_endpoint(api, clock, 'execute_import')
    api.emulator.faults.script('execute_import', [Fault.RESPONSE_LOST])
    # WHEN executed / THEN no answer, but it is IMPORTING and a blind retry is refused
    with pytest.raises(httpx.RemoteProtocolError):
        request()
    (loyalty_import,) = api.emulator.imports.values()
    assert loyalty_import['status'] == 'IMPORTING'
    retry = request()
    assert retry.status_code == 400
    assert retry.json()['details']['applicationError']['code'] == ErrorCode.INVALID_LOYALTY_IMPORT_STATUS
    assert api.emulator.count('execute_import') == 1


def test_response_lost_on_upload_uses_up_the_token(api: RawWixApi, clock: FakeClock) -> None:
    request = call_endpoint(api, clock, 'upload_file')
    api.emulator.faults.script('upload_file', [Fault.RESPONSE_LOST])
    with pytest.raises(httpx.RemoteProtocolError):
        request()
    assert list(api.emulator.uploaded_files().values()) == [CONTENT]
    assert request().status_code == 403


def test_slow_acts_at_once_and_answers_after_slow_s(api: RawWixApi) -> None:
    # GIVEN an uploaded file, and create_import scripted SLOW (0.3 s here) twice
    path = api.upload_file('a.csv', CONTENT)
    body = {'fileUrl': path, 'fileName': 'a.csv', 'fileSize': len(CONTENT)}
    api.emulator.faults.script('create_import', [Fault.SLOW, Fault.SLOW])
    # WHEN a client with a shorter read timeout calls it
    with pytest.raises(httpx.ReadTimeout):
        api.call('create_import', json=body, timeout=0.05)
    # THEN the import was created all the same
    assert len(api.emulator.imports) == 1
    # AND a patient client gets the normal answer
    patient = api.call('create_import', json=body)
    assert patient.status_code == 200
    assert patient.json()['loyaltyImport']['id'] in api.emulator.imports
    assert len(api.emulator.imports) == 2
    assert [e.fault for e in api.emulator.requests if e.endpoint == 'create_import'] == [
        Fault.SLOW,
        Fault.SLOW,
    ]


def test_script_entries_are_used_in_order_then_normal(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN a script with a gap (None = answer normally)
    request = call_endpoint(api, clock, 'get_import')
    api.emulator.faults.script('get_import', [Fault.HTTP_503, None, Fault.HTTP_500])
    # WHEN called four times / THEN 503, 200, 500, 200
    assert [request().status_code for _ in range(4)] == [503, 200, 500, 200]
    assert api.emulator.faults.pending('get_import') == 0


def test_faults_are_per_endpoint_and_clearable(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN faults scripted on get_import only
    request = call_endpoint(api, clock, 'get_import')
    api.emulator.faults.script('get_import', [Fault.HTTP_503, Fault.HTTP_503])
    api.emulator.faults.random('get_import', Fault.HTTP_500, probability=1.0)
    # WHEN another endpoint is called / THEN it is unaffected
    assert api.query({}).status_code == 200
    # WHEN the faults are cleared / THEN get_import answers normally again
    api.emulator.faults.clear()
    assert request().status_code == 200


def test_random_faults_follow_the_seed_and_probability() -> None:
    # GIVEN two plans with the same seed, and the extremes of probability
    first, second, never, always = FaultPlan(), FaultPlan(), FaultPlan(), FaultPlan()
    first.random('get_import', Fault.HTTP_503, probability=0.3, seed=1)
    second.random('get_import', Fault.HTTP_503, probability=0.3, seed=1)
    never.random('get_import', Fault.HTTP_503, probability=0.0, seed=1)
    always.random('get_import', Fault.DROP, probability=1.0)
    # WHEN each decides 200 requests
    draws = [[plan.next_fault('get_import') for _ in range(200)] for plan in (first, second, never, always)]
    # THEN same seed, same sequence, roughly 30% faulted; 0 never, 1 always
    assert draws[0] == draws[1]
    assert 30 <= draws[0].count(Fault.HTTP_503) <= 90
    assert set(draws[0]) == {Fault.HTTP_503, None}
    assert set(draws[2]) == {None}
    assert set(draws[3]) == {Fault.DROP}


def test_random_faults_over_http(api: RawWixApi, clock: FakeClock) -> None:
    request = call_endpoint(api, clock, 'get_import')
    api.emulator.faults.random('get_import', Fault.HTTP_503, probability=0.5, seed=3)
    statuses = [request().status_code for _ in range(40)]
    assert set(statuses) == {200, 503}


def test_a_script_wins_over_a_random_rule() -> None:
    plan = FaultPlan()
    plan.random('query_imports', Fault.HTTP_500, probability=1.0)
    plan.script('query_imports', [None])
    assert [plan.next_fault('query_imports') for _ in range(2)] == [None, Fault.HTTP_500]


@pytest.mark.parametrize(
    'configure',
    [
        pytest.param(lambda plan: plan.script('get_imports', [Fault.DROP]), id='unknown-endpoint'),
        pytest.param(lambda plan: plan.random('get_import', Fault.DROP, probability=1.5), id='probability'),
    ],
)
def test_bad_fault_configuration_is_refused(configure: Callable[[FaultPlan], None]) -> None:
    with pytest.raises(ValueError, match=r'endpoint|probability'):
        configure(FaultPlan())


# -- the request log -------------------------------------------------------------------------------


def test_log_records_each_request_and_redacts_url_tokens(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN a short flow
    upload = api.create_upload_url()
    api.upload(upload['uploadUrl'], 'a.csv', CONTENT)
    created = api.create_import(upload['filePath'], 'a.csv', len(CONTENT))
    api.get_import(created['id'])
    # WHEN the log is read
    log = api.emulator.requests
    # THEN one entry per request, in order, with method, status and acted; no token in any path
    assert [(e.endpoint, e.method, e.status, e.fault, e.acted) for e in log] == [
        ('create_upload_url', 'POST', 200, None, True),
        ('upload_file', 'PUT', 200, None, True),
        ('create_import', 'POST', 200, None, True),
        ('get_import', 'GET', 200, None, True),
    ]
    token = httpx.URL(upload['uploadUrl']).params['token']
    assert all(token not in e.path for e in log)
    assert 'filename=a.csv' in log[1].path
    assert f'loyaltyImportId={created["id"]}' in log[3].path
    assert [e.at for e in log] == [clock.now] * 4


def test_count_only_counts_requests_that_took_effect(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN an execute refused, one lost after acting, and one refused as a repeat
    request = call_endpoint(api, clock, 'execute_import')
    api.emulator.faults.script('execute_import', [Fault.HTTP_503, Fault.RESPONSE_LOST])
    statuses = [request().status_code]
    with pytest.raises(httpx.RemoteProtocolError):
        request()
    statuses.append(request().status_code)
    # WHEN counted / THEN only the one that executed counts
    assert statuses == [503, 400]
    assert api.emulator.count('execute_import') == 1
    assert len([e for e in api.emulator.requests if e.endpoint == 'execute_import']) == 3


def test_log_is_complete_under_concurrent_requests(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN one import, read by eight threads at once (one pooled client), ten times each
    request = call_endpoint(api, clock, 'get_import')
    api.emulator.faults.random('get_import', Fault.HTTP_503, probability=0.5, seed=7)
    statuses: list[int] = []
    lock = threading.Lock()

    def reader() -> None:
        for _ in range(10):
            status = request().status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    # WHEN they run at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # THEN every request is in the log exactly once, and count() agrees with the 200s
    entries = [e for e in api.emulator.requests if e.endpoint == 'get_import']
    assert len(entries) == len(statuses) == 80
    assert sorted(e.status for e in entries if e.status is not None) == sorted(statuses)
    assert api.emulator.count('get_import') == statuses.count(200)
