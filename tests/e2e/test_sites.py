"""Several Wix sites in one rehearsed stack (docs/sites.md): each file goes to its own folder's
site with that site's credentials and draws on that site's call budget; a file for a site the
secret does not have is refused UNKNOWN_SITE with nothing sent to Wix.

Until the emulator holds one store per site, the sites here are the one emulated site reached with
different credentials (an API key, the OAuth app, a wrong key), which is what tells them apart.
"""

from __future__ import annotations

from typing import Any

import boto3

from rehearsal import Rehearsal
from rehearsal.harness import emulator_site
from tests.e2e.conftest import FOLLOW_S, Rehearse
from tests.e2e.test_imports import csv_bytes, failures
from wix_emulator import WixEmulator


def budget_tokens(rehearsal: Rehearsal, site: str) -> float | None:
    dynamodb: Any = boto3.client('dynamodb', region_name=rehearsal.config.region)
    item = dynamodb.get_item(
        TableName=rehearsal.resource('SitesTable'), Key={'pk': {'S': f'budget#{site}'}}, ConsistentRead=True
    ).get('Item')
    return float(item['tokens']['N']) if item else None


def customers(prefix: str, count: int = 5) -> list[tuple[str, int]]:
    return [(f'{prefix}{n}@example.com', n * 10) for n in range(1, count + 1)]


def test_each_site_imports_with_its_own_credentials_and_budget_and_an_unknown_site_reaches_no_wix(
    rehearse: Rehearse, wix_emulator: WixEmulator
) -> None:
    # GIVEN one stack whose secret holds three sites: an API key, the OAuth app, and a wrong key
    credentials = wix_emulator.credentials
    wrong_key = {**emulator_site(credentials), 'api_key': 'IST.not-this-sites-key'}
    sites = {
        'shop-a': emulator_site(credentials),
        'shop-b': emulator_site(credentials, 'oauth'),
        'shop-wrong': wrong_key,
    }
    rehearsal = rehearse(wix_emulator, sites=sites, WixCallsPerMinute='180')
    a, b, wrong = customers('a'), customers('b'), customers('w')

    # WHEN a file is dropped in each site's folder at once
    drops = {
        'shop-a': rehearsal.drop('shop-a/balances.csv', csv_bytes(a)),
        'shop-b': rehearsal.drop('Shop-B/balances.csv', csv_bytes(b)),
        'shop-wrong': rehearsal.drop('shop-wrong/balances.csv', csv_bytes(wrong)),
    }
    outcomes = {site: rehearsal.follow(drop, timeout_s=FOLLOW_S) for site, drop in drops.items()}

    # THEN each record names its site, and each site's file reached Wix with that site's credentials:
    # the API key's and the OAuth app's imported, the wrong key's failed on its own key (never
    # imported through another site's credentials)
    for site, outcome in outcomes.items():
        assert outcome.finished, f'{site}: {outcome.status}; {failures(rehearsal)}'
        assert outcome.record is not None
        assert outcome.record.site == site
        assert [message.attributes.get('site') for message in outcome.notifications] == [site]
    assert outcomes['shop-a'].status == 'IMPORTED'
    assert outcomes['shop-b'].status == 'IMPORTED'
    failed = outcomes['shop-wrong'].record
    assert failed is not None
    assert failed.status.value == 'FAILED'
    assert failed.error is not None
    assert failed.error.code == 'WIX_AUTH_FAILED'
    assert wix_emulator.balances == dict(a + b)
    assert wix_emulator.count('oauth_token') >= 1  # only shop-b authenticates as the app
    # AND every site's calls drew on its own budget in the sites table
    for site in sites:
        left = budget_tokens(rehearsal, site)
        assert left is not None, site
        assert left < 180, site

    # WHEN a file is dropped in the folder of a site the secret does not have
    before = len(wix_emulator.requests)
    unknown = rehearsal.follow(
        rehearsal.drop('shop-z/balances.csv', csv_bytes(customers('z'))), timeout_s=FOLLOW_S
    )

    # THEN it is refused UNKNOWN_SITE, notified once naming the site, and Wix saw no request at all
    assert unknown.finished, failures(rehearsal)
    record = unknown.record
    assert record is not None
    assert record.status.value == 'REJECTED'
    assert record.error is not None
    assert record.error.code == 'UNKNOWN_SITE'
    assert 'shop-z' in record.error.message
    assert [message.attributes for message in unknown.notifications] == [
        {'outcome': 'REJECTED', 'site': 'shop-z'}
    ]
    assert len(wix_emulator.requests) == before
    assert budget_tokens(rehearsal, 'shop-z') is None


def test_a_sites_budget_holds_its_wix_requests_to_the_rate_and_an_empty_budget_only_delays(
    rehearse: Rehearse, wix_emulator: WixEmulator
) -> None:
    # GIVEN a site whose budget is 30 calls a minute (a burst of 3, then a token every 2 s)
    per_minute = 30
    rehearsal = rehearse(
        wix_emulator,
        sites={'shop-a': emulator_site(wix_emulator.credentials)},
        WixCallsPerMinute=str(per_minute),
    )
    # WHEN six files are dropped at once: more calls than the burst (about 7 each)
    drops = [rehearsal.drop(f'shop-a/f{n}.csv', csv_bytes(customers(f'f{n}-'))) for n in range(6)]
    outcomes = [rehearsal.follow(drop, timeout_s=FOLLOW_S) for drop in drops]

    # THEN every file was imported: waiting for tokens delayed them, it failed none
    assert [outcome.status for outcome in outcomes] == ['IMPORTED'] * 6, failures(rehearsal)
    counted = sorted(
        request.at
        for request in wix_emulator.requests
        if request.endpoint not in ('upload_file', 'oauth_token', 'download_error_file')
    )
    assert len(counted) > per_minute  # the budget ran empty and was waited for
    # AND in no stretch of time did Wix see more than the burst plus the refill (a token of slack
    # for the moment between taking a token and the request arriving)
    rate = per_minute / 60
    for first, start in enumerate(counted):
        for last in range(first, len(counted)):
            allowed = per_minute / 10 + rate * (counted[last] - start) + 1
            assert last - first + 1 <= allowed, (first, last)
