"""Several Wix sites in one emulator: isolated state, Wix's per-site rate limit, realistic times."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from tests.fakes.clock import FakeClock
from wix_emulator import (
    Credentials,
    EmulatorSettings,
    ErrorCode,
    Pace,
    WixEmulator,
)
from wix_emulator.testing import RawWixApi

CONTENT = b'Email,Points\r\nann@example.com,10\r\nbob@example.com,5\r\n'


def headers_for(creds: Credentials) -> dict[str, str]:
    return {'Authorization': creds.api_key, 'wix-site-id': creds.site_id}


def error_code(response: Any) -> str:
    return str(response.json()['details']['applicationError']['code'])


def epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace('Z', '+00:00')).timestamp()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def start(clock: FakeClock, **settings: Any) -> WixEmulator:
    return WixEmulator(EmulatorSettings(parse_delay_s=1, import_delay_s=1, **settings), clock=clock)


@pytest.fixture
def two_sites(clock: FakeClock) -> Iterator[tuple[WixEmulator, Credentials]]:
    emulator = start(clock)
    shop_b = emulator.add_site('shop-b')
    with emulator:
        yield emulator, shop_b


def test_each_site_holds_only_its_own_imports(
    two_sites: tuple[WixEmulator, Credentials], wix_contract: dict[str, Any], clock: FakeClock
) -> None:
    emulator, shop_b = two_sites
    # GIVEN one import created on site B (with B's API key and site id)
    with (
        RawWixApi(emulator, wix_contract, headers=headers_for(shop_b)) as site_b,
        RawWixApi(emulator, wix_contract) as default,
    ):
        created = site_b.upload_and_create('b.csv', CONTENT)

        # WHEN the default site is asked for it, and both sites query their imports
        from_default = default.call('get_import', params={'loyaltyImportId': created['id']})
        queried_default = default.query({}).json()['loyaltyImports']
        queried_b = site_b.query({}).json()['loyaltyImports']

    # THEN only site B has it: the default site answers Wix's 404 and lists nothing
    assert from_default.status_code == 404
    assert error_code(from_default) == ErrorCode.LOYALTY_IMPORT_NOT_FOUND
    assert queried_default == []
    assert [item['id'] for item in queried_b] == [created['id']]
    assert emulator.imports == {}
    assert list(emulator.site('shop-b').running_store().snapshot()) == [created['id']]
    # AND the request log names the site of each call, and what it was about
    logged = [(r.endpoint, r.site) for r in emulator.requests if r.endpoint != 'upload_file']
    assert ('create_import', 'shop-b') in logged
    assert ('get_import', 'default') in logged
    create = next(r for r in emulator.requests if r.endpoint == 'create_import')
    assert create.subject == created['id']
    upload = next(r for r in emulator.requests if r.endpoint == 'upload_file')
    assert upload.site == 'shop-b'
    assert upload.subject == emulator.site('shop-b').running_store().upload_of(created['id'])


def test_an_unknown_site_or_another_sites_key_is_refused_as_wix_does(
    two_sites: tuple[WixEmulator, Credentials], wix_contract: dict[str, Any]
) -> None:
    emulator, shop_b = two_sites
    default = emulator.credentials
    cases = {
        'unknown site id': {'Authorization': default.api_key, 'wix-site-id': 'no-such-site'},
        "site B's id with the default key": {'Authorization': default.api_key, 'wix-site-id': shop_b.site_id},
        "the default id with B's key": {'Authorization': shop_b.api_key, 'wix-site-id': default.site_id},
    }
    with RawWixApi(emulator, wix_contract) as api:
        # WHEN each is used for a call
        answers = {
            name: api.call('query_imports', json={'query': {}}, headers=h) for name, h in cases.items()
        }

    # THEN Wix's 403: this key has no access to that site (and nothing is logged as that site's)
    assert {name: r.status_code for name, r in answers.items()} == dict.fromkeys(cases, 403)
    assert {error_code(r) for r in answers.values()} == {ErrorCode.PERMISSION_DENIED}
    assert all(r.site is None for r in emulator.requests)


def test_an_oauth_token_is_for_the_site_of_its_app_instance(
    two_sites: tuple[WixEmulator, Credentials], wix_contract: dict[str, Any]
) -> None:
    emulator, shop_b = two_sites
    with RawWixApi(emulator, wix_contract) as api:
        # GIVEN a token issued for site B's app instance
        token = api.oauth_token(
            {
                'grant_type': 'client_credentials',
                'client_id': shop_b.app_id,
                'client_secret': shop_b.app_secret,
                'instance_id': shop_b.instance_id,
            }
        ).json()['access_token']
        # WHEN an import is created with it
        api.headers = {'Authorization': token}
        created = api.upload_and_create('b.csv', CONTENT)

    # THEN it is site B's (the same app as the default site, another instance)
    assert shop_b.app_id == emulator.credentials.app_id
    assert emulator.site_holding(import_id=created['id']) == 'shop-b'
    assert emulator.imports == {}


def test_past_the_limit_in_sixty_seconds_a_site_gets_429_with_retry_after_and_others_do_not(
    clock: FakeClock, wix_contract: dict[str, Any]
) -> None:
    # GIVEN two sites limited to 3 API calls a minute
    emulator = start(clock, rate_limit_per_min=3)
    shop_b = emulator.add_site('shop-b')
    with (
        emulator,
        RawWixApi(emulator, wix_contract) as default,
        RawWixApi(emulator, wix_contract, headers=headers_for(shop_b)) as site_b,
    ):
        # WHEN the default site calls 3 times at t=0, 10, 20 (one an upload URL, whose upload is free)
        default.upload_file('a.csv', CONTENT)
        clock.advance(10)
        first = [default.query({}).status_code]
        clock.advance(10)
        first.append(default.query({}).status_code)
        over = default.query({})
        # THEN the 4th within 60 s is refused, with the seconds until the first call leaves the window
        assert first == [200, 200]
        assert over.status_code == 429
        assert error_code(over) == ErrorCode.TOO_MANY_REQUESTS
        assert over.headers['Retry-After'] == '40'
        # AND site B, on its own budget, is served
        assert site_b.query({}).status_code == 200
        # AND once the first call is 60 s old, the default site is served again (the 429 did not count)
        clock.advance(40)
        assert default.query({}).status_code == 200
        assert default.query({}).status_code == 429

    log = emulator.requests
    assert [r.rate_limited for r in log if r.status == 429] == [True, True]
    assert sum(1 for r in log if r.site == 'default' and r.endpoint == 'upload_file') == 1


def test_no_rate_limit_unless_set(clock: FakeClock, wix_contract: dict[str, Any]) -> None:
    with start(clock) as emulator, RawWixApi(emulator, wix_contract) as api:
        statuses = {api.query({}).status_code for _ in range(250)}
    assert statuses == {200}


PACE = Pace(parse_base_s=1.0, parse_s_per_mb=2.0, import_base_s=3.0, rows_per_s=100.0, jitter=0.05, seed=7)


def rows_csv(rows: int) -> bytes:
    return ('Email,Points\n' + ''.join(f'c{i}@example.com,{i}\n' for i in range(rows))).encode()


def test_parse_and_import_take_size_dependent_times_per_site_with_a_small_jitter(
    clock: FakeClock, wix_contract: dict[str, Any]
) -> None:
    # GIVEN a Pace, and a site B that imports 4x faster than the default site
    emulator = start(clock, pace=PACE)
    shop_b = emulator.add_site('shop-b', rows_per_s=400.0)
    content = rows_csv(2000)
    with (
        emulator,
        RawWixApi(emulator, wix_contract) as default,
        RawWixApi(emulator, wix_contract, headers=headers_for(shop_b)) as site_b,
    ):
        # WHEN the same 2000-row file is imported on both sites at t0
        t0 = clock.now
        apis = {'default': default, 'shop-b': site_b}
        ids = {name: api.upload_and_create('f.csv', content)['id'] for name, api in apis.items()}
        parse_expected = PACE.parse_base_s + PACE.parse_s_per_mb * len(content) / 1e6
        clock.advance(parse_expected * 0.94)
        early = {name: api.get_import(ids[name])['status'] for name, api in apis.items()}
        clock.advance(parse_expected * 0.12)
        parsed = {name: api.get_import(ids[name]) for name, api in apis.items()}
        executed_at = clock.now
        for name, api in apis.items():
            assert api.execute(ids[name], 0, 1).status_code == 200
        clock.advance((3.0 + 2000 / 400.0) * 1.06)
        b_done = site_b.get_import(ids['shop-b'])
        a_then = default.get_import(ids['default'])
        clock.advance((2000 / 100.0 - 2000 / 400.0) * 1.06)
        a_done = default.get_import(ids['default'])

    # THEN each parse took a + b * bytes (within the jitter): not parsed at -6 %, parsed at +6 %
    assert early == {'default': 'PARSING', 'shop-b': 'PARSING'}
    assert {name: p['status'] for name, p in parsed.items()} == {'default': 'PARSED', 'shop-b': 'PARSED'}
    for answer in parsed.values():
        took = epoch(answer['updatedDate']) - t0
        assert parse_expected * 0.95 <= took <= parse_expected * 1.05
    # AND each import took c + rows / the site's rows per second (updatedDate: that scheduled time)
    assert a_then['status'] == 'IMPORTING'
    assert b_done['status'] == a_done['status'] == 'IMPORTED'
    took_b = epoch(b_done['updatedDate']) - executed_at
    took_a = epoch(a_done['updatedDate']) - executed_at
    assert (3 + 2000 / 400) * 0.95 <= took_b <= (3 + 2000 / 400) * 1.05
    assert (3 + 2000 / 100) * 0.95 <= took_a <= (3 + 2000 / 100) * 1.05
    # AND the emulator recorded when each finished, the moment updatedDate names
    timings = emulator.timings()
    assert timings[ids['shop-b']].finished_at == pytest.approx(epoch(b_done['updatedDate']), abs=1e-3)
    assert timings[ids['default']].finished_at == pytest.approx(epoch(a_done['updatedDate']), abs=1e-3)
    assert timings[ids['default']].executed_at == executed_at
    assert timings[ids['shop-b']].rows == 2000
    assert timings[ids['shop-b']].site == 'shop-b'


def scheduled_import_time(seed: int) -> float:
    clock = FakeClock()
    pace = Pace(import_base_s=10.0, rows_per_s=1e9, jitter=0.05, seed=seed)
    with start(clock, pace=pace) as emulator:
        store = emulator.store
        upload = store.create_upload_url()
        upload_id = upload['filePath'].rsplit('/', 1)[-1]
        token = upload['uploadUrl'].split('token=')[1]
        store.store_upload(upload_id, token, 'f.csv', CONTENT)
        created = store.create_import({'fileUrl': upload['filePath']})['loyaltyImport']
        clock.advance(60)
        store.execute_import(
            {
                'loyaltyImportId': created['id'],
                'headerMappingInfo': {
                    'headerMappings': [
                        {'columnName': 'EMAIL', 'columnIndex': 0},
                        {'columnName': 'POINTS', 'columnIndex': 1},
                    ]
                },
            }
        )
        executed = clock.now
        clock.advance(60)
        finished = emulator.timings()[created['id']].finished_at
    assert finished is not None
    return finished - executed


def test_the_jitter_is_deterministic_for_a_seed_and_differs_between_seeds() -> None:
    times = [scheduled_import_time(seed) for seed in (1, 1, 2)]
    assert times[0] == times[1]
    assert times[0] != times[2]
    assert all(9.5 <= t <= 10.5 for t in times)


def test_without_a_pace_the_fixed_delays_hold(clock: FakeClock, wix_contract: dict[str, Any]) -> None:
    with start(clock) as emulator, RawWixApi(emulator, wix_contract) as api:
        created = api.upload_and_create('big.csv', rows_csv(5000))
        clock.advance(1.0)
        assert api.get_import(created['id'])['status'] == 'PARSED'
