"""The Wix emulator against the contract: paths, field names, auth, uploads, statuses, imports.

Driven with plain httpx (`wix_emulator.testing.RawWixApi`), not the product's client, and with a
hand-moved clock wherever a status transition matters, so nothing here depends on timing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from tests.fakes.clock import FakeClock
from wix_emulator import MAX_FILE_BYTES, EmulatorSettings, ErrorCode, WixEmulator
from wix_emulator.parsing import MAX_CELL_CHARS, MAX_HEADER_COLUMNS, MAX_SAMPLE_ROWS, MAX_SAMPLE_VALUES
from wix_emulator.server import API_PREFIX, OAUTH_TOKEN_PATH, route
from wix_emulator.testing import RawWixApi, execute_body

PARSE_DELAY_S = 10.0
IMPORT_DELAY_S = 20.0
HEADER = ['Name', 'Email', 'Points balance', 'Redeemed points', 'Last activity']
EMAIL, POINTS = 1, 2


def csv_bytes(rows: list[list[str]], header: list[str] | None = None) -> bytes:
    out = io.StringIO(newline='')
    writer = csv.writer(out, lineterminator='\r\n')
    writer.writerow(HEADER if header is None else header)
    writer.writerows(rows)
    return out.getvalue().encode('utf-8')


GOOD_ROWS = [
    ['Ann', 'ann@example.com', '120', '30', '2024-01-02'],
    ['Bob', 'bob@example.com', '0', '0', '2024-02-03'],
]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[WixEmulator]:
    settings = EmulatorSettings(
        parse_delay_s=PARSE_DELAY_S,
        import_delay_s=IMPORT_DELAY_S,
        unknown_contacts=frozenset({'Ghost@Example.com'}),
        token_ttl_s=3600,
    )
    with WixEmulator(settings, clock=clock) as emu:
        yield emu


@pytest.fixture
def api(emulator: WixEmulator, wix_contract: dict[str, Any]) -> Iterator[RawWixApi]:
    with RawWixApi(emulator, wix_contract) as raw:
        yield raw


def parsed(api: RawWixApi, clock: FakeClock, content: bytes, name: str = 'balances.csv') -> dict[str, Any]:
    created = api.upload_and_create(name, content)
    clock.advance(PARSE_DELAY_S)
    return api.get_import(created['id'])


def imported(api: RawWixApi, clock: FakeClock, content: bytes) -> dict[str, Any]:
    loyalty_import = parsed(api, clock, content)
    assert api.execute(loyalty_import['id'], EMAIL, POINTS).status_code == 200
    clock.advance(IMPORT_DELAY_S)
    return api.get_import(loyalty_import['id'])


def assert_wix_error(response: httpx.Response, status: int, code: ErrorCode) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {'message', 'details'}
    assert body['message']
    assert body['details']['applicationError']['code'] == code
    assert body['details']['applicationError']['description']


def assert_fields_within(value: Any, schema: Any, where: str = '$') -> None:
    """Every field in `value` exists in the contract schema, with the contract's type."""
    if isinstance(schema, dict):
        assert isinstance(value, dict), where
        assert set(value) <= set(schema), f'{where}: fields not in the contract: {set(value) - set(schema)}'
        for key, sub in value.items():
            assert_fields_within(sub, schema[key], f'{where}.{key}')
    elif isinstance(schema, list):
        assert isinstance(value, list), where
        for index, item in enumerate(value):
            assert_fields_within(item, schema[0], f'{where}[{index}]')
    elif schema == 'string':
        assert isinstance(value, str), where
    elif schema == 'int':
        assert isinstance(value, int), where
        assert not isinstance(value, bool), where
    elif schema == 'bool':
        assert isinstance(value, bool), where
    else:  # pragma: no cover - a contract type this test does not know yet
        pytest.fail(f'{where}: unknown contract type {schema!r}')


def leaf_paths(value: Any, prefix: str = '') -> set[str]:
    if isinstance(value, dict):
        return set().union(*(leaf_paths(v, f'{prefix}.{k}' if prefix else k) for k, v in value.items()))
    if isinstance(value, list) and value:
        return leaf_paths(value[0], prefix + '[]')
    return {prefix}


# -- contract: limits, paths, field names --------------------------------------------------------


def test_limits_are_the_contracts(wix_contract: dict[str, Any]) -> None:
    # GIVEN the contract's limits / WHEN compared with the emulator's / THEN they agree
    assert wix_contract['max_file_bytes'] == MAX_FILE_BYTES == EmulatorSettings().max_file_bytes
    assert wix_contract['max_header_columns'] == MAX_HEADER_COLUMNS
    assert wix_contract['max_cell_chars'] == MAX_CELL_CHARS
    assert wix_contract['max_sample_rows'] == MAX_SAMPLE_ROWS
    assert MAX_SAMPLE_VALUES == 20  # the API page: "up to 5 rows, each at most 20 values"


def test_every_contract_endpoint_is_routed_with_its_method(wix_contract: dict[str, Any]) -> None:
    # GIVEN the contract's endpoints (the upload goes to the URL the emulator hands out)
    endpoints = {k: v for k, v in wix_contract['endpoints'].items() if k != 'upload_file'}
    # WHEN each method+path is routed / THEN it reaches the endpoint of the same name
    for name, spec in endpoints.items():
        assert route(spec['method'], API_PREFIX + spec['path']) == name
        assert route('DELETE', API_PREFIX + spec['path']) is None
    assert wix_contract['base_url'].endswith(API_PREFIX)
    assert wix_contract['oauth_token_url'].endswith(OAUTH_TOKEN_PATH)


def test_urls_are_on_loopback(emulator: WixEmulator, wix_contract: dict[str, Any]) -> None:
    # GIVEN a running emulator / WHEN its URLs are read / THEN they mirror Wix's, on 127.0.0.1
    base = httpx.URL(emulator.base_url)
    assert base.host == '127.0.0.1'
    assert base.path == httpx.URL(wix_contract['base_url']).path
    assert httpx.URL(emulator.oauth_token_url).path == httpx.URL(wix_contract['oauth_token_url']).path


def test_every_response_uses_the_contract_field_names(
    api: RawWixApi, clock: FakeClock, wix_contract: dict[str, Any]
) -> None:
    endpoints = wix_contract['endpoints']
    schema = wix_contract['loyalty_import_fields']
    # GIVEN a file with one row that fails, taken through the whole flow
    upload = api.call('create_upload_url', json=endpoints['create_upload_url']['request'])
    content = csv_bytes([*GOOD_ROWS, ['Gus', 'ghost@example.com', '5', '0', '']])
    assert api.upload(upload.json()['uploadUrl'], 'balances.csv', content).status_code == 200
    create_body = {'fileUrl': upload.json()['filePath'], 'fileName': 'balances.csv', 'fileSize': len(content)}
    assert set(create_body) == set(endpoints['create_import']['request'])
    created = api.call('create_import', json=create_body)
    clock.advance(PARSE_DELAY_S)
    import_id = created.json()['loyaltyImport']['id']
    got_parsed = api.call('get_import', params={endpoints['get_import']['query'][0]: import_id})
    body = execute_body(import_id, EMAIL, POINTS)
    assert set(body) == set(endpoints['execute_import']['request'])
    mapping_keys = set(endpoints['execute_import']['request']['headerMappingInfo']['headerMappings'][0])
    assert all(set(m) == mapping_keys for m in body['headerMappingInfo']['headerMappings'])
    executed = api.call('execute_import', json=body)
    clock.advance(IMPORT_DELAY_S)
    got_imported = api.call('get_import', params={'loyaltyImportId': import_id})
    error_url = api.call(
        'get_error_file_url', params={endpoints['get_error_file_url']['query'][0]: import_id}
    )
    queried = api.query(
        {'filter': {'status': 'IMPORTED'}, 'sort': [{'fieldName': 'createdDate', 'order': 'DESC'}]}
    )
    # WHEN the answers are compared with the contract
    answers = {
        'create_upload_url': upload,
        'create_import': created,
        'get_import': got_imported,
        'execute_import': executed,
        'get_error_file_url': error_url,
        'query_imports': queried,
    }
    # THEN each has exactly the contract's top-level fields
    for name, response in answers.items():
        assert response.status_code == 200, (name, response.text)
        assert set(response.json()) == set(endpoints[name]['response']), name
    # AND every LoyaltyImport only uses contract fields, with the contract's types
    for loyalty_import in [
        created.json()['loyaltyImport'],
        got_parsed.json()['loyaltyImport'],
        executed.json()['loyaltyImport'],
        got_imported.json()['loyaltyImport'],
        *queried.json()['loyaltyImports'],
    ]:
        assert_fields_within(loyalty_import, schema)
        assert loyalty_import['status'] in wix_contract['statuses']
    # AND an IMPORTED import fills every contract field but the parse error
    assert leaf_paths(got_imported.json()['loyaltyImport']) == leaf_paths(schema) - {
        'parseResult.parseErrorReason'
    }
    assert set(queried.json()['pagingMetadata']) == {'count', 'cursors', 'hasNext'}
    assert set(queried.json()['pagingMetadata']['cursors']) == {'next', 'prev'}


def test_oauth_token_answer_has_the_contract_fields(api: RawWixApi, wix_contract: dict[str, Any]) -> None:
    oauth = wix_contract['auth']['oauth_app']
    creds = api.emulator.credentials
    # GIVEN the contract's token request, filled with the emulator's app credentials
    values = {
        'grant_type': 'client_credentials',
        'client_id': creds.app_id,
        'client_secret': creds.app_secret,
        'instance_id': creds.instance_id,
    }
    assert set(values) == set(oauth['token_request'])
    # WHEN a token is requested
    response = api.oauth_token(values)
    # THEN the answer carries exactly the contract's fields, and the token opens the API
    assert response.status_code == 200
    assert set(response.json()) == set(oauth['token_response'])
    assert response.json()['expires_in'] == 3600
    token_headers = {name: response.json()['access_token'] for name in oauth['headers']}
    assert api.call('create_upload_url', json={}, headers=token_headers).status_code == 200


# -- auth -----------------------------------------------------------------------------------------


def test_api_key_with_site_id_is_accepted(api: RawWixApi, wix_contract: dict[str, Any]) -> None:
    # GIVEN the headers the contract names for API-key auth
    names = list(wix_contract['auth']['api_key']['headers'])
    creds = api.emulator.credentials
    headers = dict(zip(names, [creds.api_key, creds.site_id], strict=True))
    # WHEN / THEN a call with them succeeds
    assert api.call('create_upload_url', json={}, headers=headers).status_code == 200


@pytest.mark.parametrize(
    ('headers', 'status', 'code'),
    [
        pytest.param({}, 401, ErrorCode.UNAUTHENTICATED, id='no-authorization'),
        pytest.param(
            {'Authorization': 'IST.wrong', 'wix-site-id': 'SITE'},
            401,
            ErrorCode.UNAUTHENTICATED,
            id='bad-key',
        ),
        pytest.param({'Authorization': 'KEY'}, 403, ErrorCode.MISSING_SITE_ID, id='no-site-id'),
        pytest.param(
            {'Authorization': 'KEY', 'wix-site-id': 'other'},
            403,
            ErrorCode.PERMISSION_DENIED,
            id='other-site',
        ),
    ],
)
def test_bad_api_key_auth_gets_wix_errors(
    api: RawWixApi, headers: dict[str, str], status: int, code: ErrorCode
) -> None:
    # GIVEN headers with something wrong (KEY / SITE stand for the emulator's real values)
    creds = api.emulator.credentials
    filled = {k: v.replace('KEY', creds.api_key).replace('SITE', creds.site_id) for k, v in headers.items()}
    # WHEN each API endpoint is called with them
    responses = [
        api.call('create_upload_url', json={}, headers=filled),
        api.call('create_import', json={'fileUrl': 'x/y/z'}, headers=filled),
        api.call('get_import', params={'loyaltyImportId': 'x'}, headers=filled),
        api.call('execute_import', json=execute_body('x', 0, 1), headers=filled),
        api.call('get_error_file_url', params={'loyaltyImportId': 'x'}, headers=filled),
        api.call('query_imports', json={'query': {}}, headers=filled),
    ]
    # THEN every one is refused Wix's way and nothing happened
    for response in responses:
        assert_wix_error(response, status, code)
    assert not any(entry.acted for entry in api.emulator.requests)


def token_request(emulator: WixEmulator, **overrides: str) -> dict[str, str]:
    creds = emulator.credentials
    body = {
        'grant_type': 'client_credentials',
        'client_id': creds.app_id,
        'client_secret': creds.app_secret,
        'instance_id': creds.instance_id,
    }
    return {**body, **overrides}


@pytest.mark.parametrize(
    ('overrides', 'status', 'code'),
    [
        pytest.param({'client_secret': 'nope'}, 401, ErrorCode.INVALID_CLIENT, id='wrong-secret'),
        pytest.param({'client_id': 'nope'}, 401, ErrorCode.INVALID_CLIENT, id='wrong-app'),
        pytest.param({'instance_id': 'nope'}, 401, ErrorCode.INVALID_CLIENT, id='wrong-instance'),
        pytest.param({'grant_type': 'password'}, 400, ErrorCode.INVALID_ARGUMENT, id='wrong-grant'),
    ],
)
def test_bad_token_requests_are_refused(
    api: RawWixApi, overrides: dict[str, str], status: int, code: ErrorCode
) -> None:
    # GIVEN / WHEN a token request with one wrong value / THEN Wix's error, no token
    assert_wix_error(api.oauth_token(token_request(api.emulator, **overrides)), status, code)


def test_token_request_missing_a_field_is_refused(api: RawWixApi) -> None:
    body = token_request(api.emulator)
    del body['instance_id']
    assert_wix_error(api.oauth_token(body), 400, ErrorCode.INVALID_ARGUMENT)


def test_oauth_token_expires_after_its_ttl(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN a fresh token
    token = api.oauth_token(token_request(api.emulator)).json()['access_token']
    headers = {'Authorization': token}
    # WHEN the clock passes just under, then exactly at its lifetime
    clock.advance(3599)
    before = api.call('create_upload_url', json={}, headers=headers)
    clock.advance(1)
    after = api.call('create_upload_url', json={}, headers=headers)
    # THEN it works until then, and is refused as expired from then on
    assert before.status_code == 200
    assert_wix_error(after, 401, ErrorCode.TOKEN_EXPIRED)


def test_expire_tokens_expires_every_issued_token_but_not_new_ones(api: RawWixApi) -> None:
    # GIVEN a token in use
    old = api.oauth_token(token_request(api.emulator)).json()['access_token']
    assert api.call('create_upload_url', json={}, headers={'Authorization': old}).status_code == 200
    # WHEN a test expires the tokens
    api.emulator.expire_tokens()
    # THEN the old one gets a 401 and a newly issued one works
    assert_wix_error(
        api.call('create_upload_url', json={}, headers={'Authorization': old}), 401, ErrorCode.TOKEN_EXPIRED
    )
    new = api.oauth_token(token_request(api.emulator)).json()['access_token']
    assert api.call('create_upload_url', json={}, headers={'Authorization': new}).status_code == 200


def test_credentials_are_random_per_emulator_and_hidden_from_repr() -> None:
    # GIVEN two emulators (not started: credentials exist from construction)
    first, second = WixEmulator(), WixEmulator()
    # WHEN / THEN they share no secret, and the repr shows none
    assert first.credentials.api_key != second.credentials.api_key
    assert first.credentials.app_secret != second.credentials.app_secret
    assert first.credentials.site_id != second.credentials.site_id
    assert first.credentials.api_key not in repr(first.credentials)
    assert first.credentials.app_secret not in repr(first.credentials)


# -- upload ---------------------------------------------------------------------------------------


def test_upload_url_token_is_one_time(api: RawWixApi, wix_contract: dict[str, Any]) -> None:
    # GIVEN an upload URL with its token in the query string
    upload = api.create_upload_url()
    assert set(upload) == set(wix_contract['endpoints']['create_upload_url']['response'])
    assert httpx.URL(upload['uploadUrl']).params.get('token')
    # WHEN it is used twice
    first = api.upload(upload['uploadUrl'], 'a.csv', b'Email,Points\r\na@example.com,1\r\n')
    second = api.upload(upload['uploadUrl'], 'a.csv', b'Email,Points\r\nb@example.com,2\r\n')
    # THEN the first stores the bytes and the second is refused without replacing them
    assert first.status_code == 200
    assert_wix_error(second, 403, ErrorCode.UPLOAD_TOKEN_INVALID)
    assert api.emulator.uploaded_files() == {upload['filePath']: b'Email,Points\r\na@example.com,1\r\n'}


def test_upload_with_a_wrong_token_is_refused(api: RawWixApi) -> None:
    upload_url = httpx.URL(api.create_upload_url()['uploadUrl']).copy_set_param('token', 'forged')
    assert_wix_error(api.upload(str(upload_url), 'a.csv', b'x'), 403, ErrorCode.UPLOAD_TOKEN_INVALID)
    assert api.emulator.uploaded_files() == {}


def test_upload_refuses_an_authorization_header(api: RawWixApi) -> None:
    # GIVEN an upload URL / WHEN the API key is sent along to it / THEN refused: it would leak the key
    upload = api.create_upload_url()
    response = api.upload(
        upload['uploadUrl'], 'a.csv', b'x', headers={'Authorization': api.headers['Authorization']}
    )
    assert_wix_error(response, 400, ErrorCode.UNEXPECTED_AUTHORIZATION)


def test_upload_needs_a_filename(api: RawWixApi) -> None:
    upload = api.create_upload_url()
    response = api.http.put(upload['uploadUrl'], content=b'Email,Points\r\n')
    assert_wix_error(response, 400, ErrorCode.INVALID_ARGUMENT)


def test_upload_over_the_contract_limit_is_refused_and_the_token_kept(
    api: RawWixApi, wix_contract: dict[str, Any]
) -> None:
    limit = wix_contract['max_file_bytes']
    upload = api.create_upload_url()
    # WHEN one byte more than the contract's limit is sent
    too_big = api.upload(upload['uploadUrl'], 'big.csv', b'a' * (limit + 1))
    # THEN a 413 in Wix's shape; the URL still takes a file of exactly the limit
    assert_wix_error(too_big, 413, ErrorCode.FILE_TOO_LARGE)
    assert api.upload(upload['uploadUrl'], 'big.csv', b'a' * limit).status_code == 200
    assert len(api.emulator.uploaded_files()[upload['filePath']]) == limit


# -- create / get / async statuses -----------------------------------------------------------------


def test_create_refuses_a_file_that_was_not_uploaded(api: RawWixApi) -> None:
    # GIVEN an upload URL never used, and a path never handed out
    upload = api.create_upload_url()
    # WHEN imports are created from them / THEN 400, and no import exists
    for file_url in (upload['filePath'], 'loyalty-imports/uploads/nope', upload['uploadUrl']):
        response = api.call('create_import', json={'fileUrl': file_url, 'fileName': 'a.csv', 'fileSize': 1})
        assert_wix_error(response, 400, ErrorCode.FILE_NOT_UPLOADED)
    assert api.emulator.imports == {}


@pytest.mark.parametrize(
    'body',
    [
        pytest.param({}, id='no-fileUrl'),
        pytest.param({'fileUrl': 'ab'}, id='fileUrl-too-short'),
        pytest.param({'file_url': 'x/y/z'}, id='snake-case-field'),
        pytest.param({'fileUrl': 'x/y/z', 'fileSize': 'big'}, id='fileSize-not-int'),
    ],
)
def test_create_refuses_malformed_bodies(api: RawWixApi, body: dict[str, Any]) -> None:
    assert_wix_error(api.call('create_import', json=body), 400, ErrorCode.INVALID_ARGUMENT)


def test_create_accepts_the_upload_url_as_file_url(api: RawWixApi) -> None:
    # GIVEN a file uploaded / WHEN the import names it by its upload URL rather than its path
    upload = api.create_upload_url()
    content = csv_bytes(GOOD_ROWS)
    api.upload(upload['uploadUrl'], 'balances.csv', content)
    created = api.create_import(upload['uploadUrl'].split('?')[0], 'balances.csv', len(content))
    # THEN it is created from that file
    assert created['fileMetadata'] == {
        'size': len(content),
        'name': 'balances.csv',
        'url': upload['uploadUrl'].split('?')[0],
    }


def test_import_goes_initiated_parsing_parsed_with_revisions_and_dates(
    api: RawWixApi, clock: FakeClock
) -> None:
    # GIVEN an uploaded file with seven data rows, one wider than twenty columns
    wide_header = [*HEADER, *(f'extra{i}' for i in range(20))]
    rows = [[f'n{i}', f'p{i}@example.com', str(i), '0', '', *('x' * 20)] for i in range(7)]
    content = csv_bytes(rows, header=wide_header)
    # WHEN it is created and the clock passes half, then all of the parse delay
    created = api.upload_and_create('balances.csv', content)
    right_after = api.get_import(created['id'])
    clock.advance(PARSE_DELAY_S / 2)
    parsing = api.get_import(created['id'])
    clock.advance(PARSE_DELAY_S / 2)
    done = api.get_import(created['id'])
    # THEN INITIATED -> PARSING -> PARSED, each step a new revision and updatedDate
    assert [created['status'], right_after['status'], parsing['status'], done['status']] == [
        'INITIATED',
        'INITIATED',
        'PARSING',
        'PARSED',
    ]
    assert [created['revision'], parsing['revision'], done['revision']] == ['1', '2', '3']
    dates = [
        datetime.fromisoformat(x['updatedDate'].replace('Z', '+00:00')) for x in (created, parsing, done)
    ]
    assert dates == sorted(dates)
    assert len(set(dates)) == 3
    assert done['createdDate'] == created['createdDate'] == created['updatedDate']
    assert datetime.fromisoformat(done['createdDate'].replace('Z', '+00:00')).tzinfo is not None
    # AND PARSED shows the header, five sample rows of at most twenty values, and the row count
    assert done['fileMetadata']['header'] == {'values': wide_header}
    assert done['fileMetadata']['sampleDataRows'] == [{'values': row[:20]} for row in rows[:5]]
    assert done['parseResult'] == {'parsedRowCount': 7}
    assert 'importResult' not in done


def test_a_parse_that_starts_on_first_read_is_unparsed_at_that_read_however_late(
    clock: FakeClock, wix_contract: dict[str, Any]
) -> None:
    # GIVEN an emulator whose parse delay counts from an import's first read
    settings = EmulatorSettings(parse_delay_s=PARSE_DELAY_S, parse_starts_on_first_read=True)
    with WixEmulator(settings, clock=clock) as emulator, RawWixApi(emulator, wix_contract) as api:
        created = api.upload_and_create('balances.csv', csv_bytes(GOOD_ROWS))

        # WHEN the first read comes long after the parse delay, and later ones follow
        clock.advance(PARSE_DELAY_S * 10)
        first = api.get_import(created['id'])
        clock.advance(PARSE_DELAY_S / 2)
        halfway = api.get_import(created['id'])
        clock.advance(PARSE_DELAY_S / 2)
        done = api.get_import(created['id'])

    # THEN the first read still finds it unparsed, and the parse takes its delay from there
    assert [first['status'], halfway['status'], done['status']] == ['INITIATED', 'PARSING', 'PARSED']


def test_get_unknown_import_is_a_wix_404(api: RawWixApi) -> None:
    response = api.call('get_import', params={'loyaltyImportId': 'no-such-import'})
    assert_wix_error(response, 404, ErrorCode.LOYALTY_IMPORT_NOT_FOUND)


def test_get_without_an_id_is_a_400(api: RawWixApi) -> None:
    assert_wix_error(api.call('get_import'), 400, ErrorCode.INVALID_ARGUMENT)


def test_two_creates_of_one_file_make_two_imports(api: RawWixApi) -> None:
    # GIVEN one uploaded file / WHEN create is called twice / THEN Wix makes two imports: the
    # reason a client must not retry a create blindly
    content = csv_bytes(GOOD_ROWS)
    path = api.upload_file('balances.csv', content)
    first = api.create_import(path, 'balances.csv', len(content))
    second = api.create_import(path, 'balances.csv', len(content))
    assert first['id'] != second['id']
    assert set(api.emulator.imports) == {first['id'], second['id']}


# -- execute ----------------------------------------------------------------------------------------


def test_execute_before_parsed_is_refused(api: RawWixApi) -> None:
    created = api.upload_and_create('balances.csv', csv_bytes(GOOD_ROWS))
    response = api.execute(created['id'], EMAIL, POINTS)
    assert_wix_error(response, 400, ErrorCode.INVALID_LOYALTY_IMPORT_STATUS)
    assert api.get_import(created['id'])['status'] == 'INITIATED'
    assert api.emulator.count('execute_import') == 0


def test_execute_twice_is_refused_the_second_time(api: RawWixApi, clock: FakeClock) -> None:
    loyalty_import = parsed(api, clock, csv_bytes(GOOD_ROWS))
    first = api.execute(loyalty_import['id'], EMAIL, POINTS)
    second = api.execute(loyalty_import['id'], EMAIL, POINTS)
    assert first.status_code == 200
    assert first.json()['loyaltyImport']['status'] == 'IMPORTING'
    assert_wix_error(second, 400, ErrorCode.INVALID_LOYALTY_IMPORT_STATUS)
    assert api.emulator.count('execute_import') == 1


def test_execute_of_a_failed_import_is_refused(api: RawWixApi, clock: FakeClock) -> None:
    loyalty_import = parsed(api, clock, b'\xff\xfeE\x00')
    assert loyalty_import['status'] == 'FAILED'
    assert_wix_error(api.execute(loyalty_import['id'], 0, 1), 400, ErrorCode.INVALID_LOYALTY_IMPORT_STATUS)


def test_execute_unknown_import_is_a_404(api: RawWixApi) -> None:
    assert_wix_error(api.execute('no-such-import', 0, 1), 404, ErrorCode.LOYALTY_IMPORT_NOT_FOUND)


@pytest.mark.parametrize(
    'mappings',
    [
        pytest.param([{'columnName': 'EMAIL', 'columnIndex': 1}], id='only-email'),
        pytest.param([], id='none'),
        pytest.param(
            [
                {'columnName': 'EMAIL', 'columnIndex': 1},
                {'columnName': 'POINTS', 'columnIndex': 2},
                {'columnName': 'POINTS', 'columnIndex': 3},
            ],
            id='three',
        ),
        pytest.param(
            [{'columnName': 'EMAIL', 'columnIndex': 1}, {'columnName': 'EMAIL', 'columnIndex': 2}],
            id='two-emails',
        ),
        pytest.param(
            [{'columnName': 'EMAIL', 'columnIndex': 1}, {'columnName': 'BALANCE', 'columnIndex': 2}],
            id='bad-name',
        ),
        pytest.param(
            [{'columnName': 'EMAIL', 'columnIndex': 1}, {'columnName': 'POINTS', 'columnIndex': 5}],
            id='past-header',
        ),
        pytest.param(
            [{'columnName': 'EMAIL', 'columnIndex': -1}, {'columnName': 'POINTS', 'columnIndex': 2}],
            id='negative',
        ),
        pytest.param(
            [{'columnName': 'EMAIL', 'columnIndex': 2}, {'columnName': 'POINTS', 'columnIndex': 2}],
            id='same-column',
        ),
    ],
)
def test_execute_validates_the_mappings(
    api: RawWixApi, clock: FakeClock, mappings: list[dict[str, Any]]
) -> None:
    # GIVEN a PARSED import with five columns
    loyalty_import = parsed(api, clock, csv_bytes(GOOD_ROWS))
    # WHEN executed with a wrong set of mappings
    body = {'loyaltyImportId': loyalty_import['id'], 'headerMappingInfo': {'headerMappings': mappings}}
    response = api.call('execute_import', json=body)
    # THEN a 400 with Wix's code, and the import is still PARSED
    assert_wix_error(response, 400, ErrorCode.INVALID_HEADER_MAPPING)
    assert api.get_import(loyalty_import['id'])['status'] == 'PARSED'


def test_execute_refuses_a_malformed_body(api: RawWixApi, clock: FakeClock) -> None:
    loyalty_import = parsed(api, clock, csv_bytes(GOOD_ROWS))
    body = {'loyaltyImportId': loyalty_import['id'], 'headerMappings': []}
    assert_wix_error(api.call('execute_import', json=body), 400, ErrorCode.INVALID_ARGUMENT)


def test_execute_goes_importing_then_imported(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN a PARSED import
    loyalty_import = parsed(api, clock, csv_bytes(GOOD_ROWS))
    # WHEN executed and the import delay passes
    executed = api.execute(loyalty_import['id'], EMAIL, POINTS).json()['loyaltyImport']
    clock.advance(IMPORT_DELAY_S - 1)
    still = api.get_import(loyalty_import['id'])
    clock.advance(1)
    done = api.get_import(loyalty_import['id'])
    # THEN IMPORTING until then, IMPORTED after, the mapping kept, the counts filled
    assert (executed['status'], still['status'], done['status']) == ('IMPORTING', 'IMPORTING', 'IMPORTED')
    assert (executed['revision'], done['revision']) == ('4', '5')
    assert done['fileMetadata']['headerMappingInfo'] == {
        'headerMappings': [
            {'columnName': 'EMAIL', 'columnIndex': EMAIL},
            {'columnName': 'POINTS', 'columnIndex': POINTS},
        ]
    }
    assert done['importResult'] == {'errorFileExists': False, 'successCount': 2, 'failureCount': 0}
    assert api.emulator.balances == {'ann@example.com': 120, 'bob@example.com': 0}


def test_failed_rows_go_to_the_error_file(api: RawWixApi, clock: FakeClock) -> None:
    # GIVEN rows that each fail in a different way, between two good ones
    rows = [
        GOOD_ROWS[0],
        ['Gus', 'GHOST@example.COM', '5', '0', ''],  # unknown contact, in another case
        ['Nan', 'not-an-email', '5', '0', ''],
        ['Neg', 'neg@example.com', '-3', '0', ''],
        ['Dec', 'dec@example.com', '12.5', '0', ''],
        ['Emp', 'emp@example.com', '', '0', ''],
        ['Short', 'short@example.com'],
        GOOD_ROWS[1],
    ]
    # WHEN imported
    done = imported(api, clock, csv_bytes(rows))
    # THEN two successes, six failures, and an error file
    assert done['importResult'] == {'errorFileExists': True, 'successCount': 2, 'failureCount': 6}
    url = api.error_file_url(done['id'])
    assert url.status_code == 200
    # AND the file, fetched with no Authorization, lists row number, status, reason and the row
    download = api.http.get(url.json()['url'])
    assert download.status_code == 200
    assert download.headers['content-type'].startswith('text/csv')
    table = list(csv.reader(io.StringIO(download.text)))
    assert table[0] == ['Row', 'Status', 'Error reason', *HEADER]
    assert [(r[0], r[1], r[2].split(':')[0], r[3:]) for r in table[1:]] == [
        ('2', 'FAILED', 'CONTACT_NOT_FOUND', rows[1]),
        ('3', 'FAILED', 'INVALID_EMAIL', rows[2]),
        ('4', 'FAILED', 'INVALID_POINTS', rows[3]),
        ('5', 'FAILED', 'INVALID_POINTS', rows[4]),
        ('6', 'FAILED', 'INVALID_POINTS', rows[5]),
        ('7', 'FAILED', 'INVALID_POINTS', rows[6]),
    ]
    assert api.emulator.balances == {'ann@example.com': 120, 'bob@example.com': 0}


def test_known_contacts_setting_limits_who_exists(wix_contract: dict[str, Any], clock: FakeClock) -> None:
    # GIVEN an emulator where only Ann is a contact
    settings = EmulatorSettings(
        parse_delay_s=1, import_delay_s=1, known_contacts=frozenset({'ANN@example.com'})
    )
    with WixEmulator(settings, clock=clock) as emu, RawWixApi(emu, wix_contract) as raw:
        loyalty_import = raw.upload_and_create('balances.csv', csv_bytes(GOOD_ROWS))
        clock.advance(1)
        raw.execute(loyalty_import['id'], EMAIL, POINTS)
        clock.advance(1)
        # WHEN / THEN Bob fails as unknown
        done = raw.get_import(loyalty_import['id'])
    assert done['importResult'] == {'errorFileExists': True, 'successCount': 1, 'failureCount': 1}


def test_no_error_file_when_every_row_succeeds(api: RawWixApi, clock: FakeClock) -> None:
    done = imported(api, clock, csv_bytes(GOOD_ROWS))
    assert done['importResult']['errorFileExists'] is False
    assert_wix_error(api.error_file_url(done['id']), 404, ErrorCode.ERROR_FILE_NOT_FOUND)


def test_error_file_url_of_unknown_or_unfinished_import(api: RawWixApi, clock: FakeClock) -> None:
    loyalty_import = parsed(api, clock, csv_bytes(GOOD_ROWS))
    assert_wix_error(api.error_file_url('no-such-import'), 404, ErrorCode.LOYALTY_IMPORT_NOT_FOUND)
    assert_wix_error(api.error_file_url(loyalty_import['id']), 404, ErrorCode.ERROR_FILE_NOT_FOUND)


def test_error_file_download_needs_its_token(api: RawWixApi, clock: FakeClock) -> None:
    done = imported(api, clock, csv_bytes([['Gus', 'ghost@example.com', '1', '0', '']]))
    url = httpx.URL(api.error_file_url(done['id']).json()['url'])
    assert_wix_error(api.http.get(url.copy_set_param('token', 'forged')), 403, ErrorCode.PERMISSION_DENIED)
    assert_wix_error(api.http.get(url.copy_remove_param('token')), 403, ErrorCode.PERMISSION_DENIED)


def test_unknown_path_is_a_wix_404(api: RawWixApi) -> None:
    response = api.http.get(api.emulator.base_url + '/v2/nothing', headers=api.headers)
    assert_wix_error(response, 404, ErrorCode.NOT_FOUND)
    assert api.emulator.requests[-1].endpoint == 'unknown'
