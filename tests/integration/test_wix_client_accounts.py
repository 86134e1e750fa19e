"""The Wix client's Loyalty Accounts reads against the emulator: batches, paging, retries, counts."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest

from loyalty_import.wix import (
    AccountBalance,
    ApiKeyAuth,
    RetryPolicy,
    WixAuthError,
    WixClient,
    WixError,
    WixRateLimited,
)
from loyalty_import.wix.flow import upload_and_create
from tests.fakes.clock import FakeClock
from wix_emulator import EmulatorSettings, Fault, WixEmulator
from wix_emulator.accounts import account_id_for, contact_id_for

FAST_RETRY = RetryPolicy(max_attempts=4, max_total_s=10, base_delay_s=0.0, max_delay_s=0.0)
TIMEOUT = httpx.Timeout(connect=1.0, read=2.0, write=1.0, pool=1.0)
Client = Callable[..., WixClient]


@pytest.fixture
def client_for() -> Iterator[Client]:
    opened: list[WixClient] = []

    def make(emu: WixEmulator, *, api_key: str | None = None, accounts: bool = True) -> WixClient:
        auth = ApiKeyAuth(api_key=api_key or emu.credentials.api_key, site_id=emu.credentials.site_id)
        client = WixClient(
            emu.base_url,
            auth,
            oauth_token_url=emu.oauth_token_url,
            accounts_base_url=emu.accounts_base_url if accounts else None,
            retry=FAST_RETRY,
            timeout=TIMEOUT,
        )
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.close()


def emails(count: int, domain: str = 'shop.example') -> list[str]:
    return [f'customer{index:04d}@{domain}' for index in range(count)]


def test_find_accounts_asks_100_emails_a_call_and_returns_each_account_once(client_for: Client) -> None:
    # GIVEN a site where 230 of 250 file emails have an account
    seeded = {email: index * 3 for index, email in enumerate(emails(230))}
    with WixEmulator(EmulatorSettings(), accounts=seeded) as emu:
        client = client_for(emu)
        # WHEN the client looks up all 250 (plus a repeat in another case)
        found = client.find_accounts([*emails(250), 'CUSTOMER0001@shop.example'])
        # THEN 3 Search Accounts calls (100, 100, 50 distinct emails) found exactly the 230
        assert emu.count('search_accounts') == 3
        assert len(found) == 230
        by_email = {row.email: row for row in found}
        assert {email: row.balance for email, row in by_email.items()} == seeded
        # with Wix's ids and revision
        first = by_email['customer0000@shop.example']
        assert first == AccountBalance(
            email='customer0000@shop.example',
            account_id=account_id_for('customer0000@shop.example'),
            contact_id=contact_id_for('customer0000@shop.example'),
            balance=0,
            revision='1',
        )


def test_emails_without_an_account_are_absent_and_case_does_not_matter(client_for: Client) -> None:
    # GIVEN one account, spelled in lower case
    with WixEmulator(EmulatorSettings(), accounts={'ann@example.com': 40}) as emu:
        client = client_for(emu)
        # WHEN the file spells it otherwise, next to emails Wix does not know
        found = client.find_accounts([' Ann@Example.COM ', 'nobody@example.com', '', 'ghost@example.com'])
        # THEN only Ann comes back, lower-cased
        assert [(row.email, row.balance) for row in found] == [('ann@example.com', 40)]
        # and nothing at all is asked for no emails
        assert client.find_accounts([]) == []
        assert emu.count('search_accounts') == 1


def test_find_accounts_follows_cursors_while_wix_says_has_next(client_for: Client) -> None:
    # GIVEN a Wix that serves at most 7 accounts a page
    seeded = dict.fromkeys(emails(30), 5)
    with WixEmulator(EmulatorSettings(accounts_page_max=7), accounts=seeded) as emu:
        client = client_for(emu)
        # WHEN 30 emails (one batch) are looked up
        found = client.find_accounts(emails(30))
        # THEN the client read ceil(30 / 7) = 5 pages, the later ones by cursor alone
        assert sorted(row.email for row in found) == sorted(seeded)
        assert emu.count('search_accounts') == 5


def test_accounts_an_import_created_are_found_with_their_new_balance(client_for: Client) -> None:
    # GIVEN an executed import of two contacts without an account (a fake clock drives the statuses)
    clock = FakeClock()
    with WixEmulator(EmulatorSettings(parse_delay_s=1, import_delay_s=1), clock=clock) as emu:
        client = client_for(emu)
        content = b'Email,Points\r\nann@example.com,12\r\nbob@example.com,0\r\n'
        created = upload_and_create(client, 'a.csv', content)
        clock.advance(2)
        client.execute_import(created.id, 0, 1)
        clock.advance(2)
        assert client.get_import(created.id).status == 'IMPORTED'
        # WHEN their balances are read back
        found = client.find_accounts(['ann@example.com', 'bob@example.com'])
        # THEN both accounts exist with the file's balances
        assert {row.email: row.balance for row in found} == {'ann@example.com': 12, 'bob@example.com': 0}


def test_count_and_program_balance(client_for: Client) -> None:
    # GIVEN three accounts
    with WixEmulator(EmulatorSettings(), accounts={'a@x.com': 1, 'b@x.com': 20, 'c@x.com': 300}) as emu:
        client = client_for(emu)
        # WHEN counted and totalled / THEN Count Accounts and Get Program Totals answer, one call each
        assert client.count_accounts() == 3
        assert client.program_balance() == 321
        assert (emu.count('count_accounts'), emu.count('get_program_totals')) == (1, 1)


def test_transient_failures_are_retried_like_every_other_read(client_for: Client) -> None:
    # GIVEN a Search Accounts that first answers 503, drops the connection, then 429
    with WixEmulator(EmulatorSettings(retry_after_s=0), accounts={'a@x.com': 1}) as emu:
        emu.faults.script('search_accounts', [Fault.HTTP_503, Fault.DROP, Fault.HTTP_429])
        emu.faults.script('count_accounts', [Fault.HTTP_500])
        client = client_for(emu)
        # WHEN looked up / THEN the fourth attempt answers
        assert [row.email for row in client.find_accounts(['a@x.com'])] == ['a@x.com']
        assert client.count_accounts() == 1
        # and a rate limit that outlives the retries is WixRateLimited
        emu.faults.script('search_accounts', [Fault.HTTP_429] * FAST_RETRY.max_attempts)
        with pytest.raises(WixRateLimited) as raised:
            client.find_accounts(['a@x.com'])
        assert raised.value.endpoint == 'search_accounts'


def test_auth_and_configuration_errors_are_typed(client_for: Client) -> None:
    with WixEmulator(EmulatorSettings(), accounts={'a@x.com': 1}) as emu:
        # GIVEN a wrong API key / THEN Wix's 401 is WixAuthError, not retried
        with pytest.raises(WixAuthError):
            client_for(emu, api_key='IST.wrong').find_accounts(['a@x.com'])
        assert len([r for r in emu.requests if r.endpoint == 'search_accounts']) == 1
        # GIVEN a client built without the accounts base / THEN it refuses before sending
        with pytest.raises(WixError, match='Loyalty Accounts base URL'):
            client_for(emu, accounts=False).count_accounts()


def test_a_lagging_search_returns_the_balances_from_before_the_import(client_for: Client) -> None:
    # GIVEN a Wix whose account reads lag 30 s behind, and an import that set Ann from 40 to 90
    clock = FakeClock()
    settings = EmulatorSettings(parse_delay_s=1, import_delay_s=1, accounts_lag_s=30)
    with WixEmulator(settings, clock=clock, accounts={'ann@example.com': 40}) as emu:
        client = client_for(emu)
        created = upload_and_create(client, 'a.csv', b'Email,Points\r\nann@example.com,90\r\n')
        clock.advance(2)
        client.execute_import(created.id, 0, 1)
        clock.advance(2)
        assert client.get_import(created.id).status == 'IMPORTED'
        # WHEN read back at once / THEN the old balance; once the lag has passed, the new one
        assert [row.balance for row in client.find_accounts(['ann@example.com'])] == [40]
        clock.advance(30)
        assert [(row.balance, row.revision) for row in client.find_accounts(['ann@example.com'])] == [
            (90, '2')
        ]
