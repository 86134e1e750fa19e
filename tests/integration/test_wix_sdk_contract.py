"""Wix's own JavaScript SDK against the emulator: where the two disagree, the emulator is wrong.

`local/wix_sdk_check/check.cjs` runs `@wix/sdk` and `@wix/auto_sdk_loyalty_imports` (exact versions
in `local/wix_sdk_check/package.json`, installed by `make install` into .venv/tools/wix-sdk) against
an emulator on 127.0.0.1: all six import methods with both auth strategies (ApiKeyStrategy and
AppStrategy's client credentials), the query builder's operators, sorting and cursor paging. Its
global fetch sends https://www.wixapis.com/... to the emulator and refuses any other host. This
test checks the JSON it prints against the emulator's own records and request log.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pytest

from wix_emulator import EmulatorSettings, WixEmulator

ROOT = Path(__file__).resolve().parents[2]
CHECK_DIR = ROOT / 'local' / 'wix_sdk_check'
SCRIPT = CHECK_DIR / 'check.cjs'
SDK_DIR = ROOT / '.venv' / 'tools' / 'wix-sdk'
PINS: dict[str, str] = json.loads((CHECK_DIR / 'package.json').read_text())['dependencies']
UNKNOWN_CONTACT = 'ghost@example.com'
CSV = f'Name,Email,Points balance\nAlice,alice@example.com,120\nGhost,{UNKNOWN_CONTACT},5\n'
EXTRA_IMPORTS = 3  # left PARSED beside the two flows' IMPORTED ones
SDK_TIMEOUT_S = 60
API = '/_api/loyalty-imports/v1/loyalty-imports'
SIX_METHODS = {
    ('POST', API + '/wixmp-upload-url'),
    ('POST', API),
    ('GET', API),
    ('POST', API + '/execute'),
    ('GET', API + '/error-file-download-url'),
    ('POST', API + '/query'),
}

Record = dict[str, Any]


def _node() -> str:
    node = shutil.which('node')
    if node is None or not (SDK_DIR / 'node_modules' / '@wix' / 'sdk').is_dir():
        pytest.fail(
            'the Wix SDK check needs node and the pinned SDK: run `make install` (npm ci into .venv/tools)'
        )
    return node


def run_sdk(emu: WixEmulator) -> dict[str, Any]:
    creds = emu.credentials
    config = {
        'origin': emu.origin,
        'apiKey': creds.api_key,
        'siteId': creds.site_id,
        'appId': creds.app_id,
        'appSecret': creds.app_secret,
        'instanceId': creds.instance_id,
        'csv': CSV,
        'emailColumn': 1,
        'pointsColumn': 2,
        'extraImports': EXTRA_IMPORTS,
        'gapMs': 15,
    }
    env = {
        'PATH': os.environ.get('PATH', ''),
        'WIX_SDK_CHECK': json.dumps(config),
        'WIX_SDK_DIR': str(SDK_DIR),
    }
    done = subprocess.run(  # noqa: S603 - our own script, a fixed argv
        [_node(), str(SCRIPT)], env=env, capture_output=True, text=True, timeout=SDK_TIMEOUT_S, check=False
    )
    lines = done.stdout.strip().splitlines()
    assert lines, f'the SDK check printed nothing (exit {done.returncode}): {done.stderr[-2000:]}'
    result: dict[str, Any] = json.loads(lines[-1])
    assert 'fatal' not in result, f'an SDK call failed: {json.dumps(result, indent=1)[:4000]}'
    assert done.returncode == 0, done.stderr[-2000:]
    return result


@pytest.fixture(scope='module', params=['echo', 'guid'])
def file_name_mode(request: pytest.FixtureRequest) -> Literal['echo', 'guid']:
    mode: Literal['echo', 'guid'] = request.param
    return mode


@pytest.fixture(scope='module')
def checked(file_name_mode: Literal['echo', 'guid']) -> tuple[dict[str, Any], WixEmulator]:
    settings = EmulatorSettings(
        parse_delay_s=0.05,
        import_delay_s=0.05,
        unknown_contacts=frozenset({UNKNOWN_CONTACT}),
        file_name_mode=file_name_mode,
    )
    # One SDK run per name mode (about a second), checked by every test below.
    with WixEmulator(settings) as emu:
        result = run_sdk(emu)
    return result, emu


def _created(record: Record) -> datetime:
    return datetime.fromisoformat(record['createdDate'].replace('Z', '+00:00'))


def _sdk_view(record: Record) -> Record:
    """The emulator's REST record as the SDK hands it to its caller: `_id`, `_createdDate`, ..."""
    renamed = {'id': '_id', 'createdDate': '_createdDate', 'updatedDate': '_updatedDate'}
    return {renamed.get(key, key): value for key, value in record.items()}


def test_the_pinned_sdk_ran(checked: tuple[dict[str, Any], WixEmulator]) -> None:
    result, _ = checked
    assert result['sdkVersions'] == PINS


@pytest.mark.parametrize('auth', ['apiKey', 'app'])
def test_all_six_methods_agree_with_the_emulators_records(
    checked: tuple[dict[str, Any], WixEmulator], auth: str, file_name_mode: str
) -> None:
    result, emu = checked
    flow = result['flows'][auth]
    steps = flow['steps']
    record = emu.imports[flow['id']]
    # The upload URL and file path the SDK got are the emulator's; the import was made from that path.
    assert (
        steps['createLoyaltyImportFileUrl']['filePath'] == flow['filePath'] == record['fileMetadata']['url']
    )
    assert flow['filePath'] in emu.uploaded_files()
    # Each answer, as the SDK returns it, is the emulator's record at that step, renamed the SDK's way.
    assert steps['imported'] == _sdk_view(record)
    assert steps['imported']['importResult'] == {
        'errorFileExists': True,
        'successCount': 1,
        'failureCount': 1,
    }
    assert steps['createLoyaltyImport']['_id'] == flow['id']
    assert steps['getLoyaltyImport']['status'] == 'PARSED'
    assert steps['executeLoyaltyImport']['status'] == 'IMPORTING'
    assert steps['executeLoyaltyImport']['fileMetadata']['headerMappingInfo'] == {
        'headerMappings': [
            {'columnName': 'EMAIL', 'columnIndex': 1},
            {'columnName': 'POINTS', 'columnIndex': 2},
        ]
    }
    assert UNKNOWN_CONTACT in steps['errorFile']
    assert flow['id'] in steps['queryLoyaltyImports']
    # fileMetadata.name: what was sent, or a GUID of the emulator's own.
    name = record['fileMetadata']['name']
    if file_name_mode == 'echo':
        assert name == f'sdk-{auth}.csv'
    else:
        assert str(uuid.UUID(name)) == name
    # An unknown id is the SDK's error with Wix's 404, code and the answer's X-Wix-Request-Id.
    missing = steps['missing']
    assert missing['ok'] is False
    assert missing['error']['status'] == 404
    assert missing['error']['details']['applicationError']['code'] == 'LOYALTY_IMPORT_NOT_FOUND'
    assert missing['error']['requestId'] in {entry.request_id for entry in emu.requests}


@pytest.mark.parametrize('auth', ['apiKey', 'app'])
def test_both_auth_strategies_reach_all_six_methods(
    checked: tuple[dict[str, Any], WixEmulator], auth: str
) -> None:
    result, emu = checked
    calls = [call for call in result['calls'] if call['auth'] == auth]
    assert {(call['method'], call['path']) for call in calls} >= SIX_METHODS
    tokens = [call for call in calls if call['path'] == '/oauth2/token']
    # AppStrategy asks the token endpoint once (client credentials) and reuses the token.
    assert len(tokens) == (1 if auth == 'app' else 0)
    if tokens:
        assert tokens[0]['body'] == {
            'grant_type': 'client_credentials',
            'client_id': emu.credentials.app_id,
            'client_secret': emu.credentials.app_secret,
            'instance_id': emu.credentials.instance_id,
        }


def test_every_sdk_call_is_in_the_emulators_log_with_its_request_id(
    checked: tuple[dict[str, Any], WixEmulator],
) -> None:
    result, emu = checked
    logged = {entry.request_id: entry for entry in emu.requests}
    for call in result['calls']:
        entry = logged.get(call['requestId'])
        assert entry is not None, call
        assert (entry.method, entry.path.split('?')[0], entry.status) == (
            call['method'],
            call['path'],
            call['status'],
        )
    refused = [call for call in result['calls'] if call['status'] != 200]
    # Only the two refusals the check asks for: the unknown id (once per auth) and the six sorts.
    assert sorted(call['status'] for call in refused) == [400, 404, 404]


def _expected_queries(records: list[Record]) -> dict[str, list[Record]]:
    """What each of the script's queries must return, from the emulator's records alone."""
    oldest_first = sorted(records, key=_created)
    newest_first = oldest_first[::-1]
    pivot = _created(oldest_first[len(oldest_first) // 2])

    def where(keep: Callable[[Record], bool]) -> list[Record]:
        return [record for record in newest_first if keep(record)]

    by_status_then_newest = sorted(newest_first, key=lambda r: r['status'])  # stable: newest first within
    five = sorted(oldest_first, key=lambda r: r['updatedDate'], reverse=True)
    five = sorted(five, key=lambda r: r['status'])
    return {
        'default': newest_first,
        'eq': where(lambda r: r['status'] == 'IMPORTED'),
        'ne': where(lambda r: r['status'] != 'IMPORTED'),
        'in': where(lambda r: r['status'] in ('PARSED', 'IMPORTED')),
        'exists': where(lambda r: r.get('status') is not None),
        'hasSome': where(lambda r: r['status'] == 'PARSED'),
        'gt': where(lambda r: _created(r) > pivot),
        'ge': where(lambda r: _created(r) >= pivot),
        'lt': where(lambda r: _created(r) < pivot),
        'le': where(lambda r: _created(r) <= pivot),
        'and': where(lambda r: r['status'] == 'PARSED' and _created(r) >= pivot),
        'ascending': oldest_first,
        'descending': newest_first,
        'statusThenNewest': by_status_then_newest,
        'fiveSorts': five,
    }


def test_the_query_builder_agrees_with_the_emulators_records(
    checked: tuple[dict[str, Any], WixEmulator],
) -> None:
    result, emu = checked
    records = list(emu.imports.values())
    assert len(records) == 2 + EXTRA_IMPORTS
    assert len({record['createdDate'] for record in records}) == len(records), 'createdDates must differ'
    queries = result['queries']
    for name, expected in _expected_queries(records).items():
        answer = queries[name]
        assert answer['ok'], (name, answer)
        assert answer['ids'] == [record['id'] for record in expected], (name, answer['sent'])
        # The builder's first page asks for 50.
        assert answer['sent'][0]['query']['cursorPaging'] == {'limit': 50}, name
    assert queries['hasSome']['sent'][0]['query']['filter'] == {'status': {'$hasSome': ['PARSED']}}
    assert queries['default']['sent'][0]['query'].get('sort') is None
    assert len(queries['fiveSorts']['sent'][0]['query']['sort']) == 5


def test_six_sort_entries_are_refused_as_wix_refuses_them(
    checked: tuple[dict[str, Any], WixEmulator],
) -> None:
    result, _ = checked
    six = result['queries']['sixSorts']
    assert len(six['sent'][0]['query']['sort']) == 6
    assert six['ok'] is False
    assert six['error']['status'] == 400
    (violation,) = six['error']['details']['validationError']['fieldViolations']
    assert (violation['violatedRule'], violation['data']) == ('MAX_SIZE', {'threshold': 5})
    assert violation['field'].endswith('sort')  # the SDK rewrites `query.` to its own argument path


def test_cursor_paging_walks_every_import_once_and_back(checked: tuple[dict[str, Any], WixEmulator]) -> None:
    result, emu = checked
    paging = result['queries']['paging']
    oldest_first = [record['id'] for record in sorted(emu.imports.values(), key=_created)]
    pages = paging['pages']
    assert [page['ids'] for page in pages] == [
        oldest_first[i : i + 2] for i in range(0, len(oldest_first), 2)
    ]
    assert [page['hasNext'] for page in pages] == [True] * (len(pages) - 1) + [False]
    assert [page['hasPrev'] for page in pages] == [False] + [True] * (len(pages) - 1)
    assert paging['back'] == pages[-2]['ids']
    # The first page carries the query; the later ones the cursor (and the page size) alone.
    first, *later = paging['sent']
    assert first['query']['sort'] == [{'fieldName': 'createdDate', 'order': 'ASC'}]
    assert first['query']['cursorPaging'] == {'limit': 2}
    assert all(set(body['query']) == {'cursorPaging'} for body in later)
    assert all(set(body['query']['cursorPaging']) == {'cursor', 'limit'} for body in later)
