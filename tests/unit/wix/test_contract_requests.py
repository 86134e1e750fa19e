"""Every request the client sends, pinned against the Wix contract
(tests/fixtures/shared/wix/loyalty-imports-contract.json)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from loyalty_import.wix import WixClient, WixValidationError
from tests.fakes.clock import FakeClock
from tests.fakes.wix import (
    API_KEY,
    BASE_URL,
    SITE_ID,
    UPLOAD_HOST,
    UPLOAD_TOKEN,
    ClientFactory,
    FakeWix,
    oauth_auth,
)

BASE_PATH = httpx.URL(BASE_URL).path


def endpoint_spec(contract: dict[str, Any], name: str) -> dict[str, Any]:
    spec: dict[str, Any] = contract['endpoints'][name]
    return spec


def assert_json_shape(sent: Any, spec: Any) -> None:
    """`sent` has exactly the keys the contract names, recursively (list items against its first item)."""
    if isinstance(spec, dict):
        assert isinstance(sent, dict)
        assert set(sent) == set(spec)
        for key, value in sent.items():
            assert_json_shape(value, spec[key])
    elif isinstance(spec, list):
        assert isinstance(sent, list)
        assert sent
        for item in sent:
            assert_json_shape(item, spec[0])


def assert_pinned(seen: httpx.Request, spec: dict[str, Any]) -> None:
    assert seen.method == spec['method']
    assert seen.url.path == BASE_PATH + spec['path']
    assert set(seen.url.params.keys()) == set(spec.get('query', []))
    assert seen.headers['Authorization'] == API_KEY
    assert seen.headers['wix-site-id'] == SITE_ID
    if spec['method'] == 'POST':
        assert seen.headers['Content-Type'] == 'application/json'


def test_create_upload_url_request(
    wix_contract: dict[str, Any], client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN the contract's create_upload_url endpoint
    spec = endpoint_spec(wix_contract, 'create_upload_url')
    # WHEN the client asks for an upload URL
    upload = client.create_upload_url()
    # THEN it sent exactly the contract's request and read both response fields
    (seen,) = fake_wix.of('create_upload_url')
    assert_pinned(seen.request, spec)
    assert seen.json == spec['request']
    assert upload.file_path == 'loyalty-imports/uploads/f1'
    assert upload.upload_url.startswith(f'https://{UPLOAD_HOST}/')
    assert set(spec['response']) == {'filePath', 'uploadUrl'}


def test_upload_puts_raw_bytes_to_the_upload_url_without_authorization(
    wix_contract: dict[str, Any], client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN an upload URL that carries its own token
    spec = endpoint_spec(wix_contract, 'upload_file')
    upload_url = f'https://{UPLOAD_HOST}/up/f1?token={UPLOAD_TOKEN}'
    # WHEN a file is uploaded
    client.upload_file(upload_url, 'my balances.csv', b'email,points\na@x.com,1\n')
    # THEN it is a PUT of the raw bytes, the URL's token kept and the file name added, and no credentials
    (seen,) = fake_wix.of('upload_file')
    request = seen.request
    assert request.method == spec['method']
    assert request.url.path == '/up/f1'
    assert set(request.url.params.keys()) == {'token', *spec['query']}
    assert request.url.params['token'] == UPLOAD_TOKEN
    assert request.url.params['filename'] == 'my balances.csv'
    assert request.headers['Content-Type'] == 'text/csv'
    assert 'Authorization' not in request.headers
    assert 'wix-site-id' not in request.headers
    assert request.content == b'email,points\na@x.com,1\n'


def test_create_import_request(wix_contract: dict[str, Any], client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN the contract's create_import endpoint
    spec = endpoint_spec(wix_contract, 'create_import')
    # WHEN an import is created
    created = client.create_import('loyalty-imports/uploads/f1', 'balances.csv', 42)
    # THEN the body has exactly the contract's fields, and the response's import is returned
    (seen,) = fake_wix.of('create_import')
    assert_pinned(seen.request, spec)
    assert_json_shape(seen.json, spec['request'])
    assert seen.json == {'fileUrl': 'loyalty-imports/uploads/f1', 'fileName': 'balances.csv', 'fileSize': 42}
    assert created.id in fake_wix.imports
    assert spec['response'] == ['loyaltyImport']


def test_get_import_sends_the_id_as_a_query_parameter(
    wix_contract: dict[str, Any], client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN an existing import
    record = fake_wix.add_import('PARSED')
    spec = endpoint_spec(wix_contract, 'get_import')
    # WHEN it is read
    loyalty_import = client.get_import(record['id'])
    # THEN the id travels as ?loyaltyImportId=, not as a path segment
    (seen,) = fake_wix.of('get_import')
    assert_pinned(seen.request, spec)
    assert seen.request.url.params['loyaltyImportId'] == record['id']
    assert seen.request.content == b''
    assert loyalty_import.id == record['id']


def test_execute_request_has_exactly_two_mappings(
    wix_contract: dict[str, Any], client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN a parsed import
    record = fake_wix.add_import('PARSED')
    spec = endpoint_spec(wix_contract, 'execute_import')
    # WHEN it is executed with EMAIL in column 1 and POINTS in column 3
    executed = client.execute_import(record['id'], email_index=1, points_index=3)
    # THEN the body is the contract's shape with one EMAIL and one POINTS mapping
    (seen,) = fake_wix.of('execute_import')
    assert_pinned(seen.request, spec)
    assert_json_shape(seen.json, spec['request'])
    assert seen.json == {
        'loyaltyImportId': record['id'],
        'headerMappingInfo': {
            'headerMappings': [
                {'columnName': 'EMAIL', 'columnIndex': 1},
                {'columnName': 'POINTS', 'columnIndex': 3},
            ]
        },
    }
    names = {m['columnName'] for m in seen.json['headerMappingInfo']['headerMappings']}
    assert names == set(wix_contract['column_names'])
    assert executed.status == 'IMPORTING'


def test_error_file_url_request(wix_contract: dict[str, Any], client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN an imported import with an error file
    record = fake_wix.add_import('IMPORTED')
    spec = endpoint_spec(wix_contract, 'get_error_file_url')
    # WHEN its error-file URL is asked for
    url = client.get_error_file_url(record['id'])
    # THEN the id is a query parameter and the response's url is returned
    (seen,) = fake_wix.of('get_error_file_url')
    assert_pinned(seen.request, spec)
    assert seen.request.url.params['loyaltyImportId'] == record['id']
    assert url.startswith('https://files.test/errors.csv')
    assert spec['response'] == ['url']


def test_query_request_with_filter_sort_and_cursor(
    wix_contract: dict[str, Any], client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN the contract's query endpoint
    spec = endpoint_spec(wix_contract, 'query_imports')
    fake_wix.add_import('IMPORTED')
    # WHEN imports are queried with every option
    page = client.query_imports(
        filter={'status': 'IMPORTED'},
        sort=[{'fieldName': 'createdDate', 'order': 'DESC'}],
        limit=10,
        cursor='abc',
    )
    # THEN the body is {"query": {"filter", "sort", "cursorPaging"}} exactly
    (seen,) = fake_wix.of('query_imports')
    assert_pinned(seen.request, spec)
    assert set(seen.json) == set(spec['request'])
    assert set(seen.json['query']) == set(spec['request']['query'])
    assert_json_shape(seen.json['query']['sort'], spec['request']['query']['sort'])
    assert_json_shape(seen.json['query']['cursorPaging'], spec['request']['query']['cursorPaging'])
    assert seen.json['query']['filter'] == {'status': 'IMPORTED'}
    assert seen.json['query']['sort'] == [{'fieldName': 'createdDate', 'order': 'DESC'}]
    assert seen.json['query']['cursorPaging'] == {'limit': 10, 'cursor': 'abc'}
    assert [i.status for i in page.loyalty_imports] == ['IMPORTED']
    assert set(spec['response']) == {'loyaltyImports', 'pagingMetadata'}


def test_query_without_options_sends_only_paging(client: WixClient, fake_wix: FakeWix) -> None:
    # WHEN imports are queried with defaults
    client.query_imports()
    # THEN only cursorPaging with the maximum limit is sent
    (seen,) = fake_wix.of('query_imports')
    assert seen.json == {'query': {'cursorPaging': {'limit': 100}}}


@pytest.mark.parametrize('limit', [0, 101])
def test_query_limit_outside_1_to_100_is_refused_before_sending(
    limit: int, client: WixClient, fake_wix: FakeWix
) -> None:
    # WHEN a page size Wix would refuse is asked for
    with pytest.raises(WixValidationError):
        client.query_imports(limit=limit)
    # THEN nothing was sent
    assert fake_wix.requests == []


def test_download_sends_no_credentials(client: WixClient, fake_wix: FakeWix) -> None:
    # WHEN a Wix file URL is downloaded
    content = client.download('https://files.test/errors.csv?token=file-token-SECRET')
    # THEN the bytes come back and no Authorization header left the client
    (seen,) = fake_wix.of('download')
    assert content == fake_wix.error_file
    assert 'Authorization' not in seen.request.headers
    assert seen.request.url.params['token'] == 'file-token-SECRET'


def test_oauth_token_request_and_bearer_header(
    wix_contract: dict[str, Any], make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN a client with the OAuth app credentials
    client = make_client(oauth_auth(clock))
    # WHEN any call is made
    client.query_imports()
    # THEN the token request is the contract's, and the call carries the access token
    (token_call,) = fake_wix.of('oauth_token')
    assert token_call.request.method == 'POST'
    expected = wix_contract['auth']['oauth_app']['token_request']
    assert set(token_call.json) == set(expected)
    assert token_call.json['grant_type'] == expected['grant_type']
    assert token_call.json['client_id'] == 'app-0001'
    assert token_call.json['instance_id'] == 'instance-0001'
    (query,) = fake_wix.of('query_imports')
    assert query.request.headers['Authorization'] == fake_wix.issued_tokens[0]
    assert 'wix-site-id' not in query.request.headers


def test_api_key_headers_are_the_contracts(
    wix_contract: dict[str, Any], client: WixClient, fake_wix: FakeWix
) -> None:
    # WHEN a call is made with an API key
    client.query_imports()
    # THEN the request carries exactly the contract's auth headers
    (seen,) = fake_wix.of('query_imports')
    for header in wix_contract['auth']['api_key']['headers']:
        assert header in seen.request.headers
    assert seen.request.headers['Authorization'] == API_KEY
    assert seen.request.headers['wix-site-id'] == SITE_ID


def test_every_contract_endpoint_is_exercised(
    wix_contract: dict[str, Any], client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN a parsed import
    record = fake_wix.add_import('PARSED')
    # WHEN each operation is called once
    upload = client.create_upload_url()
    client.upload_file(upload.upload_url, 'a.csv', b'x')
    client.create_import(upload.file_path, 'a.csv', 1)
    client.get_import(record['id'])
    client.execute_import(record['id'], 0, 1)
    client.get_error_file_url(record['id'])
    client.query_imports()
    # THEN every contract endpoint was hit exactly once
    assert sorted(seen.endpoint for seen in fake_wix.requests) == sorted(wix_contract['endpoints'])
