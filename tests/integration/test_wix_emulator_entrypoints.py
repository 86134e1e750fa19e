"""The two ways to get an emulator: the pytest fixture, and the `wix-emulator` command."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from wix_emulator import WixEmulator
from wix_emulator.__main__ import _parser, main
from wix_emulator.faults import Fault
from wix_emulator.pytest_plugin import UNKNOWN_CONTACT
from wix_emulator.testing import RawWixApi


def wait_for(api: RawWixApi, import_id: str, statuses: set[str]) -> dict[str, Any]:
    """Polls a real-clock emulator; bounded in time so a stuck status fails instead of hanging."""
    deadline = time.monotonic() + 10
    while True:
        loyalty_import = api.get_import(import_id)
        if loyalty_import['status'] in statuses or time.monotonic() > deadline:
            return loyalty_import
        time.sleep(0.005)


def test_fixture_gives_a_fast_running_emulator(
    wix_emulator: WixEmulator, wix_contract: dict[str, Any]
) -> None:
    # GIVEN the fixture's emulator (real clock, millisecond delays)
    assert wix_emulator.settings.parse_delay_s < 0.1
    assert wix_emulator.settings.import_delay_s < 0.1
    with RawWixApi(wix_emulator, wix_contract) as api:
        content = f'Email,Points\r\nann@example.com,7\r\n{UNKNOWN_CONTACT},3\r\n'.encode()
        # WHEN a file goes through the whole flow
        created = api.upload_and_create('a.csv', content)
        parsed = wait_for(api, created['id'], {'PARSED', 'FAILED'})
        assert api.execute(created['id'], 0, 1).status_code == 200
        done = wait_for(api, created['id'], {'IMPORTED', 'FAILED'})
    # THEN it ends IMPORTED, the fixture's unknown contact failing
    assert parsed['status'] == 'PARSED'
    assert done['importResult'] == {'errorFileExists': True, 'successCount': 1, 'failureCount': 1}
    assert wix_emulator.balances == {'ann@example.com': 7}


def test_cli_options_reach_the_settings() -> None:
    # GIVEN / WHEN the command line is parsed / THEN every option lands where it should
    argv = '--port 9999 --parse-delay 0.5 --unknown-contact a@x.io --unknown-contact b@x.io'
    args = _parser().parse_args([*argv.split(), '--fault', 'get_import=HTTP_503:0.25', '--seed', '4'])
    assert (args.port, args.parse_delay, args.unknown_contact) == (9999, 0.5, ['a@x.io', 'b@x.io'])
    assert args.fault == [('get_import', Fault.HTTP_503, 0.25)]
    assert args.seed == 4


@pytest.mark.parametrize('rule', ['get_import=HTTP_503', 'nowhere=DROP:0.5', 'get_import=BOOM:0.5'])
def test_cli_refuses_bad_fault_rules(rule: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        _parser().parse_args(['--fault', rule])
    assert 'fault' in capsys.readouterr().err


@pytest.fixture
def cli() -> Iterator[subprocess.Popen[str]]:
    command = [sys.executable, '-m', 'wix_emulator', '--port', '0', '--parse-delay', '0.01']
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)  # noqa: S603
    yield process
    if process.poll() is None:  # pragma: no cover - only when the test failed before stopping it
        process.kill()
        process.wait(timeout=10)


def test_cli_prints_urls_and_credentials_and_stops_on_ctrl_c(cli: subprocess.Popen[str]) -> None:
    # GIVEN the command started on a free port
    assert cli.stdout is not None
    printed: dict[str, str] = {}
    for _ in range(6):
        line = cli.stdout.readline()
        for pair in line.split():
            key, _, value = pair.partition('=')
            if value:
                printed[key] = value
    # WHEN its printed base URL and API key are used
    base_url = printed['WIX_BASE_URL']
    headers = {'Authorization': printed['api_key'], 'wix-site-id': printed['site_id']}
    response = httpx.post(base_url + '/v1/loyalty-imports/wixmp-upload-url', json={}, headers=headers)
    token = httpx.post(
        printed['WIX_OAUTH_TOKEN_URL'],
        json={
            'grant_type': 'client_credentials',
            'client_id': printed['app_id'],
            'client_secret': printed['app_secret'],
            'instance_id': printed['instance_id'],
        },
    )
    cli.send_signal(signal.SIGINT)
    out = cli.communicate(timeout=10)[0]
    # THEN it listens on loopback only, the printed credentials work, and Ctrl-C stops it cleanly
    assert httpx.URL(base_url).host == '127.0.0.1'
    assert printed['WIX_ACCOUNTS_BASE_URL'] == base_url.replace('/_api/loyalty-imports', '/loyalty-accounts')
    assert response.status_code == 200
    assert token.status_code == 200
    assert 'stopped' in out
    assert cli.returncode == 0


def test_cli_on_a_busy_port_exits_with_a_message() -> None:
    # GIVEN a port something already listens on
    with socket.socket() as busy:
        busy.bind(('127.0.0.1', 0))
        busy.listen()
        port = busy.getsockname()[1]
        # WHEN the emulator is started on it / THEN it exits naming the port, not with a traceback
        with pytest.raises(SystemExit, match=f'127.0.0.1:{port}'):
            main(['--port', str(port)])
