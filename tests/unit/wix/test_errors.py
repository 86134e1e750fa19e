"""HTTP statuses and Wix error bodies become typed errors carrying Wix's applicationError."""

from __future__ import annotations

import httpx
import pytest

from loyalty_import.wix import (
    WixAuthError,
    WixClient,
    WixError,
    WixNotFound,
    WixRateLimited,
    WixUnavailable,
    WixValidationError,
)
from tests.fakes.wix import ClientFactory, FakeWix


@pytest.mark.parametrize(
    ('status', 'error_type'),
    [
        (400, WixValidationError),
        (422, WixValidationError),
        (401, WixAuthError),
        (403, WixAuthError),
        (404, WixNotFound),
        (409, WixError),
    ],
)
def test_status_maps_to_a_typed_error_with_wix_code_and_message(
    status: int, error_type: type[WixError], client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN Wix answers with its standard error body
    fake_wix.error_body = {
        'message': 'Loyalty import is not in PARSED status',
        'details': {
            'applicationError': {'code': 'INVALID_IMPORT_STATUS', 'description': 'status is IMPORTED'}
        },
    }
    fake_wix.script['query_imports'] = [status]
    # WHEN a call fails that way
    with pytest.raises(error_type) as raised:
        client.query_imports()
    # THEN the error is the exact type, with the status, Wix's code and message
    assert type(raised.value) is error_type
    assert raised.value.status_code == status
    assert raised.value.code == 'INVALID_IMPORT_STATUS'
    assert raised.value.message == 'Loyalty import is not in PARSED status: status is IMPORTED'
    assert 'INVALID_IMPORT_STATUS' in str(raised.value)


def test_a_missing_import_is_not_found(client: WixClient) -> None:
    with pytest.raises(WixNotFound) as raised:
        client.get_import('no-such-id')
    assert raised.value.status_code == 404
    assert raised.value.message == 'no such import'


def test_an_error_without_a_wix_body_still_has_a_message(make_client: ClientFactory) -> None:
    # GIVEN a proxy answering with HTML
    client = make_client(
        transport=httpx.MockTransport(lambda request: httpx.Response(403, text='<html>no</html>'))
    )
    # WHEN a call fails
    with pytest.raises(WixAuthError) as raised:
        client.query_imports()
    # THEN the error names the endpoint and status instead
    assert raised.value.code is None
    assert raised.value.message == 'Wix query_imports answered HTTP 403'


def test_a_success_with_an_unexpected_body_is_a_wix_error(make_client: ClientFactory) -> None:
    client = make_client(transport=httpx.MockTransport(lambda request: httpx.Response(200, json={'nope': 1})))
    with pytest.raises(WixError, match='unexpected response from Wix get_import'):
        client.get_import('i1')


def test_rate_limited_is_unavailable_for_step_functions() -> None:
    # THEN the Step Functions Retry on WixUnavailable also covers rate limiting
    assert issubclass(WixRateLimited, WixUnavailable)
    assert WixUnavailable.__name__ == 'WixUnavailable'
    assert not issubclass(WixValidationError, WixUnavailable)


def test_a_transport_error_that_is_not_transient_is_not_retried(make_client: ClientFactory) -> None:
    # GIVEN a URL scheme httpx cannot speak
    calls: list[httpx.Request] = []

    def unsupported(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.UnsupportedProtocol('Request URL has an unsupported protocol', request=request)

    client = make_client(transport=httpx.MockTransport(unsupported))
    # WHEN it is downloaded
    with pytest.raises(WixError) as raised:
        client.download('ftp://files.test/errors.csv')
    # THEN it failed once, as a permanent error
    assert not isinstance(raised.value, WixUnavailable)
    assert len(calls) == 1


def test_a_too_large_upload_is_a_validation_error(client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN the upload host refuses the file as too large
    fake_wix.script['upload_file'] = [413]
    # WHEN it is uploaded
    with pytest.raises(WixValidationError) as raised:
        client.upload_file('https://upload.test/up/f1?token=t', 'big.csv', b'x')
    # THEN it is a validation error, not retried
    assert raised.value.status_code == 413
    assert fake_wix.count('upload_file') == 1


def test_downloads_follow_redirects_but_api_calls_do_not(make_client: ClientFactory) -> None:
    # GIVEN a file URL that redirects to a CDN, and an API that (wrongly) redirects too
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host == 'cdn.test':
            return httpx.Response(200, content=b'row,reason\n')
        return httpx.Response(302, headers={'Location': 'https://cdn.test/errors.csv'})

    client = make_client(transport=httpx.MockTransport(handler))
    # WHEN the file is downloaded, and an API call is made
    content = client.download('https://files.test/errors.csv?token=t')
    with pytest.raises(WixError) as raised:
        client.query_imports()
    # THEN the download reached the CDN without credentials, and the API call did not leave Wix
    assert content == b'row,reason\n'
    assert [r.url.host for r in seen] == ['files.test', 'cdn.test', 'wix.test']
    assert all('Authorization' not in r.headers for r in seen[:2])
    assert raised.value.status_code == 302
