"""The importer and the tasks with several Wix sites: the site is decided before any Wix call, an
unknown site is refused UNKNOWN_SITE (never sent to another site), and the site travels on the record
and the state machine's input to every Wix client a step builds."""

from __future__ import annotations

import json
from functools import partial

import pytest

from loyalty_import.pipeline.guards import fingerprints
from loyalty_import.pipeline.models import PollerInput, RecordStatus, SourceEvent, SourceRef
from loyalty_import.pipeline.ports import WixImports
from loyalty_import.pipeline.review import layouts
from loyalty_import.pipeline.sites import choose_site
from loyalty_import.pipeline.steps.importer import import_object
from loyalty_import.pipeline.steps.poller import poll_import
from tests.fakes.clock import START
from tests.fakes.wix import FakeWix
from tests.unit.pipeline.conftest import World
from tests.unit.pipeline.fakes import BUCKET, csv_bytes

ROWS = [['name', 'email', 'points'], ['Ann', 'ann@example.com', '10'], ['Bob', 'bob@example.com', '20']]
SECRET = {
    'sites': {
        'shop-a': {'mode': 'api_key', 'api_key': 'key-a', 'site_id': 'site-a'},
        'shop-b': {'mode': 'api_key', 'api_key': 'key-b', 'site_id': 'site-b'},
    }
}


def source(key: str) -> SourceEvent:
    return SourceEvent(
        ref=SourceRef(bucket=BUCKET, key=key, version_id='v1', etag='e1'), size=100, event_time=START
    )


def plenty_of_time() -> float:
    return 900.0


@pytest.fixture
def wix() -> FakeWix:
    return FakeWix(header=ROWS[0], sample_rows=ROWS[1:], parse_after=1, success_count=2)


class SiteClients:
    """The Wix provider of a multi-site secret: one client per site, and who asked for which."""

    def __init__(self, wix: FakeWix) -> None:
        self.wix = wix
        self.asked: list[str] = []

    def __call__(self, site: str) -> WixImports:
        assert site in SECRET['sites'], f'a client was built for unknown site {site!r}'
        self.asked.append(site)
        return self.wix


@pytest.fixture
def sites(w: World) -> SiteClients:
    provider = SiteClients(w.wix)
    w.importer.wix = provider
    w.importer.sites = partial(choose_site, SECRET, incoming_prefix='incoming/')
    return provider


@pytest.mark.parametrize(
    ('key', 'looked_for'), [('incoming/shop-c/customers.csv', 'shop-c'), ('incoming/customers.csv', '')]
)
def test_a_file_for_an_unknown_site_is_refused_before_any_wix_call(
    w: World, sites: SiteClients, key: str, looked_for: str
) -> None:
    # GIVEN a multi-site secret without the file's folder (or a file outside any site's folder)
    w.storage.put(key, csv_bytes(ROWS))
    # WHEN the importer processes it
    outcome = import_object(source(key), w.importer, plenty_of_time)
    # THEN it is REJECTED with UNKNOWN_SITE, and no Wix client was built nor any Wix call made
    record = w.records.only()
    assert outcome.status is RecordStatus.REJECTED
    assert record.error is not None
    assert record.error.code == 'UNKNOWN_SITE'
    assert record.site == looked_for
    assert sites.asked == []
    assert w.wix.calls == []
    # AND a rejection report sits beside it under the results prefix
    assert record.report is not None
    report = w.storage.written[record.report].decode()
    assert 'UNKNOWN_SITE' in report
    assert '"sites"' in report
    # AND one notification names the site looked for and how to add it
    (sent,) = w.notifier.sent
    body = json.loads(sent.message)
    assert body['outcome'] == 'REJECTED'
    assert body['site'] == looked_for
    message = body['record']['error']['message']
    assert (
        f'put "{looked_for or "<site>"}": {{"mode": "api_key", "api_key": ..., "site_id": ...}} (or'
        in message
    )
    assert any('"sites"' in step for step in body['nextSteps'])
    expected = {'outcome': 'REJECTED', 'site': looked_for} if looked_for else {'outcome': 'REJECTED'}
    assert sent.attributes == expected


def test_a_file_in_a_sites_folder_goes_to_that_site_and_its_executions_carry_it(
    w: World, sites: SiteClients
) -> None:
    # GIVEN a file in shop-b's folder (any case)
    key = 'incoming/Shop-B/customers.csv'
    w.storage.put(key, csv_bytes(ROWS))
    # WHEN the importer processes it
    outcome = import_object(source(key), w.importer, plenty_of_time)
    # THEN every Wix client it used was shop-b's, and the record says so
    assert outcome.status is RecordStatus.IMPORTING
    assert set(sites.asked) == {'shop-b'}
    record = w.records.only()
    assert record.site == 'shop-b'
    # AND the state machine's input carries the site, so the poller builds shop-b's client too
    (execution,) = w.workflow.executions.values()
    task = PollerInput.model_validate(execution)
    assert task.site == 'shop-b'
    sites.asked.clear()
    poll_import(task, type(w.poller)(wix=sites, max_wait_s=w.poller.max_wait_s, clock=w.poller.clock))
    assert sites.asked == ['shop-b']


def test_an_execution_started_before_sites_existed_polls_the_single_site(w: World) -> None:
    # GIVEN a running execution's input without a site (started by the previous version)
    task = PollerInput.model_validate({'importId': 'imp-1', 'sourceId': 's', 'deadline': 2**40, 'wait': 5})
    # THEN it is the single site's
    assert task.site == 'default'


def test_the_mapping_memory_of_one_sites_folder_never_applies_to_another_site() -> None:
    # The layouts memory is keyed by the file's whole folder: the same header approved for shop-a
    # is another layout for shop-b (and for shop-a's own subfolders).
    header = ['Kunde', 'Wert']
    a = layouts.layout_id(layouts.folder_of('incoming/shop-a/x.csv'), header)
    b = layouts.layout_id(layouts.folder_of('incoming/shop-b/x.csv'), header)
    assert a != b
    assert a == layouts.layout_id(layouts.folder_of('incoming/shop-a/y.csv'), header)


def test_the_same_balances_on_two_sites_are_two_imports_not_already_imported(
    w: World, sites: SiteClients
) -> None:
    # GIVEN the same export dropped for shop-a, then for shop-b
    for key in ('incoming/shop-a/customers.csv', 'incoming/shop-b/customers.csv'):
        w.storage.put(key, csv_bytes(ROWS))
    first = import_object(source('incoming/shop-a/customers.csv'), w.importer, plenty_of_time)
    second = import_object(source('incoming/shop-b/customers.csv'), w.importer, plenty_of_time)
    # THEN both go to Wix: the re-import guard holds balances per site
    assert (first.status, second.status) == (RecordStatus.IMPORTING, RecordStatus.IMPORTING)
    assert w.wix.count('create_import') == 2
    # AND a single-site stack's fingerprints are what they were before sites existed
    pairs = [('ann@example.com', 10)]
    assert fingerprints.content_fingerprint(pairs) == fingerprints.content_fingerprint(pairs, 'default')
    assert fingerprints.content_fingerprint(pairs, 'shop-a') != fingerprints.content_fingerprint(pairs)
