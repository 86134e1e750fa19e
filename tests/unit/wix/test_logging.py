"""What the client logs: the endpoint, status, attempt and duration; never a secret or an upload token."""

from __future__ import annotations

import logging

import pytest

from loyalty_import.wix import ApiKeyAuth, ImportStatus, WixClient
from loyalty_import.wix.flow import upload_and_create
from tests.fakes.clock import FakeClock
from tests.fakes.wix import (
    API_KEY,
    APP_SECRET,
    LOST,
    SITE_ID,
    UPLOAD_TOKEN,
    ClientFactory,
    FakeWix,
    oauth_auth,
)


def run_whole_flow(client: WixClient, fake_wix: FakeWix) -> None:
    created = upload_and_create(client, 'balances.csv', b'email,points\na@example.com,1\n')
    fake_wix.imports[created.id]['status'] = ImportStatus.PARSED.value
    client.execute_import(created.id, 0, 1)
    client.download(client.get_error_file_url(created.id))


@pytest.mark.parametrize('mode', ['api_key', 'oauth'])
def test_no_secret_reaches_the_logs(  # noqa: PLR0917 - pytest fixtures
    mode: str,
    make_client: ClientFactory,
    fake_wix: FakeWix,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN every logger at DEBUG (httpx and httpcore included) and faults that make the client log more
    caplog.set_level(logging.DEBUG)
    auth = ApiKeyAuth(api_key=API_KEY, site_id=SITE_ID) if mode == 'api_key' else oauth_auth(clock)
    client = make_client(auth)
    fake_wix.script = {'upload_file': [503], 'create_import': [LOST], 'execute_import': [500]}
    # WHEN the whole flow runs, with an expired token in the middle for OAuth
    run_whole_flow(client, fake_wix)
    fake_wix.valid_tokens.clear()
    client.query_imports()
    # THEN neither the captured records nor stdout/stderr hold a credential, token or URL token
    captured = capsys.readouterr()
    everything = '\n'.join(
        [caplog.text, captured.out, captured.err, *(repr(record.__dict__) for record in caplog.records)]
    )
    secrets = [API_KEY, APP_SECRET, UPLOAD_TOKEN, 'file-token-SECRET', *fake_wix.issued_tokens]
    assert [secret for secret in secrets if secret in everything] == []
    assert 'SECRET' not in everything
    # AND the client did log its calls (so the check above looked at something)
    assert any(getattr(r, 'endpoint', None) == 'upload_file' for r in caplog.records)


def test_each_attempt_is_logged_with_endpoint_status_attempt_and_duration(
    client: WixClient, fake_wix: FakeWix, caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN a read that fails once
    caplog.set_level(logging.INFO, logger='loyalty_import.wix')
    record = fake_wix.add_import('PARSED')
    fake_wix.script['get_import'] = [503]
    # WHEN it is read
    client.get_import(record['id'])
    # THEN both attempts were logged with their keys, and the retry with its reason
    calls = [r for r in caplog.records if r.getMessage() == 'wix call']
    assert [(r.__dict__['endpoint'], r.__dict__['status'], r.__dict__['attempt']) for r in calls] == [
        ('get_import', 503, 1),
        ('get_import', 200, 2),
    ]
    assert all(isinstance(r.__dict__['duration_ms'], float) for r in calls)
    retried = [r for r in caplog.records if r.getMessage() == 'wix call will be retried']
    assert [r.__dict__['reason'] for r in retried] == ['HTTP 503']
