"""The emulator's Loyalty Accounts endpoints against Wix's contract, raw HTTP (no product client).

Paths and methods come from `loyalty-accounts-contract.json` (through `RawWixApi.call_accounts`),
and so do the limits and field names asserted here. Time is a fake clock: no test waits.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.clock import FakeClock
from wix_emulator import BalanceChange, EmulatorSettings, ErrorCode, WixEmulator
from wix_emulator.accounts import ACCOUNTS_PREFIX, MAX_LIMIT, QUERY_SORT_MAX, SEARCH_SORT_MAX, contact_id_for
from wix_emulator.server import route
from wix_emulator.testing import RawWixApi

SEEDED = {'ann@example.com': 40, 'bob@example.com': 7, 'cy@example.com': 0}
ACCOUNT_ENDPOINTS = ('search_accounts', 'query_accounts', 'count_accounts', 'get_program_totals')


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def start(clock: FakeClock, accounts: dict[str, int] | None = None, **settings: Any) -> WixEmulator:
    options: dict[str, Any] = {'parse_delay_s': 1, 'import_delay_s': 1, **settings}
    return WixEmulator(EmulatorSettings(**options), clock=clock, accounts=accounts).start()


@pytest.fixture
def emulator(clock: FakeClock) -> Iterator[WixEmulator]:
    emu = start(clock, SEEDED)
    yield emu
    emu.stop()


@pytest.fixture
def api(
    emulator: WixEmulator, wix_contract: dict[str, Any], wix_accounts_contract: dict[str, Any]
) -> Iterator[RawWixApi]:
    with RawWixApi(emulator, wix_contract, accounts_contract=wix_accounts_contract) as raw:
        yield raw


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def search(api: RawWixApi, filter_: dict[str, Any] | None = None, **paging: Any) -> httpx.Response:
    body: dict[str, Any] = {}
    if filter_ is not None:
        body['filter'] = filter_
    if paging:
        body['cursorPaging'] = paging
    return api.call_accounts('search_accounts', json={'search': body})


def assert_wix_error(response: httpx.Response, status: int, code: ErrorCode) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body['details']['applicationError']['code'] == code
    assert body['message']


def import_file(api: RawWixApi, clock: FakeClock, content: bytes) -> str:
    """Upload, parse, execute and finish one import of an Email,Points file; its id."""
    created = api.upload_and_create('balances.csv', content)
    clock.advance(2)
    assert api.execute(created['id'], 0, 1).status_code == 200
    clock.advance(2)
    assert api.get_import(created['id'])['status'] == 'IMPORTED'
    return str(created['id'])


# ---- the contract ---------------------------------------------------------------------------------


def test_paths_methods_and_base_are_the_contracts(
    emulator: WixEmulator, wix_accounts_contract: dict[str, Any]
) -> None:
    # GIVEN the contract's accounts base and the endpoints the emulator serves
    base = httpx.URL(wix_accounts_contract['base_urls']['loyalty_accounts'])
    # THEN the emulator's base has the same path, and each endpoint routes at the contract's path and method
    assert httpx.URL(emulator.accounts_base_url).path == base.path == ACCOUNTS_PREFIX
    for endpoint in ACCOUNT_ENDPOINTS:
        spec = wix_accounts_contract['endpoints'][endpoint]
        assert spec['service'] == 'loyalty_accounts'
        assert route(spec['method'], ACCOUNTS_PREFIX + spec['path']) == endpoint


def test_limits_are_the_contracts(wix_accounts_contract: dict[str, Any]) -> None:
    limits = wix_accounts_contract['limits']
    assert limits['accounts_cursor_page_max'] == MAX_LIMIT
    assert limits['query_sort_max'] == QUERY_SORT_MAX
    assert limits['search_sort_max'] == SEARCH_SORT_MAX


def test_an_account_has_the_contract_field_names(
    api: RawWixApi, wix_accounts_contract: dict[str, Any]
) -> None:
    # WHEN Search and Query each return Ann's account
    searched = ok(search(api, {'contact.email': {'$eq': 'ann@example.com'}}))
    queried = ok(api.call_accounts('query_accounts', json={'query': {}}))
    assert set(searched) == {'accounts', 'pagingMetadata'}
    assert set(queried) == {'loyaltyAccounts', 'pagingMetadata'}
    (account,) = searched['accounts']
    # THEN every field is one of the contract's, the always-present ones are there, and the values fit
    schema = wix_accounts_contract['loyalty_account_fields']
    assert _paths(account) <= _paths(schema)
    assert set(wix_accounts_contract['always_present_fields']) <= _paths(account)
    assert account['points'] == {'balance': 40, 'earned': 40, 'adjusted': 0, 'redeemed': 0, 'expired': 0}
    assert account['contactId'] == account['contact']['id'] == contact_id_for('ann@example.com')
    assert account['contact']['email'] == 'ann@example.com'
    assert account['revision'] == '1'
    assert account['createdDate'].endswith('Z')
    assert account in queried['loyaltyAccounts']
    assert set(searched['pagingMetadata']) == set(wix_accounts_contract['paging_metadata']['cursor'])


def _paths(value: Any, prefix: str = '') -> set[str]:
    if not isinstance(value, dict):
        return {prefix}
    paths: set[str] = set()
    for key, inner in value.items():
        paths |= _paths(inner, f'{prefix}{key}.') if isinstance(inner, dict) else {prefix + key}
    return paths


def test_the_accounts_endpoints_need_wix_credentials(api: RawWixApi) -> None:
    for endpoint in ACCOUNT_ENDPOINTS:
        response = api.call_accounts(endpoint, json={}, headers={'Authorization': 'IST.wrong'})
        assert response.status_code in (401, 403), endpoint


# ---- Search Accounts ------------------------------------------------------------------------------


def test_search_filters_contact_email_with_in_and_eq_ignoring_case(api: RawWixApi) -> None:
    found = ok(search(api, {'contact.email': {'$in': ['ANN@example.com', 'cy@example.com', 'x@y.z']}}))
    assert sorted(a['contact']['email'] for a in found['accounts']) == ['ann@example.com', 'cy@example.com']
    assert ok(search(api, {'contact.email': 'Bob@Example.com'}))['accounts'][0]['points']['balance'] == 7
    assert ok(search(api, {'contact.email': {'$in': []}}))['accounts'] == []


def test_search_pages_by_opaque_cursor_up_to_100(
    clock: FakeClock, wix_contract: dict[str, Any], wix_accounts_contract: dict[str, Any]
) -> None:
    # GIVEN 205 accounts
    many = {f'c{index:03d}@example.com': index for index in range(205)}
    emu = start(clock, many)
    try:
        with RawWixApi(emu, wix_contract, accounts_contract=wix_accounts_contract) as api:
            # WHEN searched 100 at a time, following the cursor alone
            first = ok(search(api, limit=100))
            seen = [a['contact']['email'] for a in first['accounts']]
            body = first
            while body['pagingMetadata']['hasNext']:
                cursor = body['pagingMetadata']['cursors']['next']
                body = ok(
                    api.call_accounts(
                        'search_accounts', json={'search': {'cursorPaging': {'cursor': cursor}}}
                    )
                )
                seen += [a['contact']['email'] for a in body['accounts']]
            # THEN three pages give every account once
            assert first['pagingMetadata']['count'] == 100
            assert body['pagingMetadata']['count'] == 5
            assert sorted(seen) == sorted(many)
            # and more than 100 a page is refused like Wix's validation errors
            assert_wix_error(search(api, limit=101), 400, ErrorCode.INVALID_PAGING)
            assert_wix_error(search(api, limit=0), 400, ErrorCode.INVALID_PAGING)
    finally:
        emu.stop()


def test_search_refuses_what_it_cannot_answer(api: RawWixApi) -> None:
    bad_cursor = {'search': {'cursorPaging': {'cursor': 'not-a-cursor'}}}
    assert_wix_error(api.call_accounts('search_accounts', json=bad_cursor), 400, ErrorCode.INVALID_CURSOR)
    # a field the contract does not list for Search (Query's contactId), an operator Search lacks
    assert_wix_error(search(api, {'contactId': 'x'}), 400, ErrorCode.INVALID_FILTER)
    assert_wix_error(search(api, {'contact.email': {'$nin': ['a@b.c']}}), 400, ErrorCode.INVALID_FILTER)
    assert_wix_error(search(api, {'contact.email': {'$begins': 'a'}}), 400, ErrorCode.INVALID_FILTER)
    # free-text search and aggregations are Wix's, not emulated: refused rather than ignored
    text = {'search': {'search': {'expression': 'ann'}}}
    assert_wix_error(api.call_accounts('search_accounts', json=text), 400, ErrorCode.INVALID_ARGUMENT)
    sort = [{'fieldName': 'points.balance', 'order': 'ASC'}] * (SEARCH_SORT_MAX + 1)
    too_many = api.call_accounts('search_accounts', json={'search': {'sort': sort}})
    assert_wix_error(too_many, 400, ErrorCode.INVALID_SORT)


def test_search_sorts_by_balance(api: RawWixApi) -> None:
    body = {'search': {'sort': [{'fieldName': 'points.balance', 'order': 'DESC'}]}}
    found = ok(api.call_accounts('search_accounts', json=body))['accounts']
    assert [a['points']['balance'] for a in found] == [40, 7, 0]


# ---- Query Loyalty Accounts, Count, Program Totals -----------------------------------------------


def test_query_by_contact_id_and_id_with_in(api: RawWixApi) -> None:
    ann, bob = contact_id_for('ann@example.com'), contact_id_for('bob@example.com')
    query = {'query': {'filter': {'contactId': {'$in': [ann, bob]}}, 'cursorPaging': {'limit': 1}}}
    first = ok(api.call_accounts('query_accounts', json=query))
    assert first['pagingMetadata']['hasNext'] is True
    cursor = first['pagingMetadata']['cursors']['next']
    second = ok(api.call_accounts('query_accounts', json={'query': {'cursorPaging': {'cursor': cursor}}}))
    accounts = first['loyaltyAccounts'] + second['loyaltyAccounts']
    assert {a['contactId'] for a in accounts} == {ann, bob}
    assert second['pagingMetadata']['hasNext'] is False
    by_id = {'query': {'filter': {'id': {'$in': [accounts[0]['id']]}}}}
    assert ok(api.call_accounts('query_accounts', json=by_id))['loyaltyAccounts'] == [accounts[0]]
    # a search cursor is not a query cursor, Query has no email field, and sorts at most 5
    search_cursor = ok(search(api, limit=1))['pagingMetadata']['cursors']['next']
    reused = {'query': {'cursorPaging': {'cursor': search_cursor}}}
    assert_wix_error(api.call_accounts('query_accounts', json=reused), 400, ErrorCode.INVALID_CURSOR)
    by_email = {'query': {'filter': {'contact.email': 'ann@example.com'}}}
    assert_wix_error(api.call_accounts('query_accounts', json=by_email), 400, ErrorCode.INVALID_FILTER)
    sort = [{'fieldName': 'createdDate', 'order': 'ASC'}] * (QUERY_SORT_MAX + 1)
    too_many = api.call_accounts('query_accounts', json={'query': {'sort': sort}})
    assert_wix_error(too_many, 400, ErrorCode.INVALID_SORT)
    assert_wix_error(
        api.call_accounts('query_accounts', json={'query': {'cursorPaging': {'limit': 101}}}),
        400,
        ErrorCode.INVALID_PAGING,
    )


def test_count_and_program_totals(api: RawWixApi, wix_accounts_contract: dict[str, Any]) -> None:
    assert ok(api.call_accounts('count_accounts', json={})) == {'count': 3}
    positive = {'filter': {'points.balance': {'$gt': 0}}}
    assert ok(api.call_accounts('count_accounts', json=positive)) == {'count': 2}
    totals = ok(api.call_accounts('get_program_totals'))
    assert set(totals) == set(wix_accounts_contract['endpoints']['get_program_totals']['response'])
    assert set(totals['points']) == set(
        wix_accounts_contract['endpoints']['get_program_totals']['response']['points']
    )
    assert totals['points']['balance'] == 47
    assert totals['tierTotals'] == [{'id': None, 'numberOfAccounts': 3}]


# ---- what imports do to accounts -----------------------------------------------------------------


def test_an_import_sets_balances_creates_accounts_and_records_its_effect(
    api: RawWixApi, clock: FakeClock
) -> None:
    # GIVEN Ann (40) and Bob (7) with accounts, Dee a contact without one
    content = b'Email,Points\r\nann@example.com,90\r\nbob@example.com,7\r\ndee@example.com,5\r\n'
    # WHEN an import sets Ann to 90, Bob to 7 (unchanged) and Dee to 5
    import_id = import_file(api, clock, content)
    # THEN the balances are the file's, Dee has a new account, and the effect is recorded per email
    assert api.emulator.balances == {**SEEDED, 'ann@example.com': 90, 'dee@example.com': 5}
    assert api.emulator.import_effects[import_id] == {
        'ann@example.com': BalanceChange('ann@example.com', 40, 90),
        'bob@example.com': BalanceChange('bob@example.com', 7, 7),
        'dee@example.com': BalanceChange('dee@example.com', None, 5),
    }
    found = {a['contact']['email']: a for a in ok(search(api))['accounts']}
    # the revision moved only where the balance did; a set balance is an adjustment
    assert (found['ann@example.com']['revision'], found['bob@example.com']['revision']) == ('2', '1')
    assert found['ann@example.com']['points'] == {
        'balance': 90,
        'earned': 40,
        'adjusted': 50,
        'redeemed': 0,
        'expired': 0,
    }
    assert found['dee@example.com']['revision'] == '1'
    # and ids are stable: a second import changes Ann again under the same account id
    before_id = found['ann@example.com']['id']
    import_file(api, clock, b'Email,Points\r\nann@example.com,10\r\n')
    again = ok(search(api, {'contact.email': 'ann@example.com'}))['accounts'][0]
    assert (again['id'], again['revision'], again['points']['balance']) == (before_id, '3', 10)


def test_add_mode_adds_the_files_points_to_the_balance(
    clock: FakeClock, wix_contract: dict[str, Any], wix_accounts_contract: dict[str, Any]
) -> None:
    # GIVEN a Wix whose imports add instead of set
    emu = start(clock, {'ann@example.com': 40}, import_mode='add')
    try:
        with RawWixApi(emu, wix_contract, accounts_contract=wix_accounts_contract) as api:
            # WHEN Ann's 90 and a new Dee's 5 are imported
            import_id = import_file(
                api, clock, b'Email,Points\r\nann@example.com,90\r\ndee@example.com,5\r\n'
            )
            # THEN Ann has 130, not 90: what a verification must catch
            assert emu.balances == {'ann@example.com': 130, 'dee@example.com': 5}
            assert emu.import_effects[import_id]['ann@example.com'] == BalanceChange(
                'ann@example.com', 40, 130
            )
    finally:
        emu.stop()


def test_reads_lag_behind_an_import_by_the_configured_seconds(
    clock: FakeClock, wix_contract: dict[str, Any], wix_accounts_contract: dict[str, Any]
) -> None:
    # GIVEN account reads 10 s behind, and an import that sets Ann to 90 and creates Dee
    emu = start(clock, {'ann@example.com': 40}, accounts_lag_s=10)
    try:
        with RawWixApi(emu, wix_contract, accounts_contract=wix_accounts_contract) as api:
            import_file(api, clock, b'Email,Points\r\nann@example.com,90\r\ndee@example.com,5\r\n')

            def seen() -> dict[str, int]:
                return {a['contact']['email']: a['points']['balance'] for a in ok(search(api))['accounts']}

            # WHEN read at once / THEN Search still shows the balances from before the import
            assert seen() == {'ann@example.com': 40}
            assert ok(api.call_accounts('count_accounts', json={})) == {'count': 1}
            assert emu.balances == {'ann@example.com': 90, 'dee@example.com': 5}  # the truth, no lag
            # and once the lag has passed (the import finished 1 s ago, at execute + import_delay_s)
            clock.advance(8.9)
            assert seen() == {'ann@example.com': 40}
            clock.advance(0.2)
            assert seen() == {'ann@example.com': 90, 'dee@example.com': 5}
    finally:
        emu.stop()


def test_seeded_accounts_are_contacts_and_can_be_added_after_start(
    clock: FakeClock, wix_contract: dict[str, Any], wix_accounts_contract: dict[str, Any]
) -> None:
    # GIVEN a Wix where only Zed is a listed contact, and Ann seeded after start
    emu = start(clock, known_contacts=frozenset({'zed@example.com'}))
    try:
        emu.seed_balances({'Ann@Example.com': 3})
        with RawWixApi(emu, wix_contract, accounts_contract=wix_accounts_contract) as api:
            # WHEN both are imported
            import_file(api, clock, b'Email,Points\r\nann@example.com,4\r\nzed@example.com,1\r\n')
            # THEN Ann, as the owner of an account, is a contact too
            assert emu.balances == {'ann@example.com': 4, 'zed@example.com': 1}
        with pytest.raises(ValueError, match='non-negative'):
            emu.seed_balances({'bad@example.com': -1})
    finally:
        emu.stop()
