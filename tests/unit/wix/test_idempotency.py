"""The two non-idempotent calls: a lost create is adopted, never repeated; an execute never runs twice."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from loyalty_import.wix import ImportStatus, WixClient, WixUnavailable, WixValidationError
from loyalty_import.wix.client import ADOPTION_CLOCK_SKEW
from tests.fakes.wix import (
    ACTED_500,
    ACTED_502,
    ACTED_504,
    CONNECT,
    DROP,
    LOST,
    UPLOAD_FILE_PATH,
    ClientFactory,
    FakeWix,
)


@pytest.mark.parametrize('fault', [LOST, ACTED_500, ACTED_502, ACTED_504])
def test_a_create_whose_response_was_lost_is_adopted(
    fault: str, client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN Wix creates the import but the response never arrives, or is a 5xx after the work
    fake_wix.script['create_import'] = [fault]
    # WHEN the client creates the import
    created = client.create_import('loyalty-imports/uploads/f1', 'balances.csv', 42)
    # THEN exactly one import exists, and it is the one returned
    assert len(fake_wix.imports) == 1
    assert created.id in fake_wix.imports
    assert fake_wix.count('create_import') == 1


def test_a_5xx_create_that_did_nothing_is_sent_again_after_a_lookup(
    client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN Wix answers 500 without creating anything
    fake_wix.script['create_import'] = [500]
    # WHEN the client creates the import
    created = client.create_import('loyalty-imports/uploads/f1', 'balances.csv', 42)
    # THEN it looked first, found nothing, and created exactly one
    assert [seen.endpoint for seen in fake_wix.requests] == [
        'create_import',
        'query_imports',
        'create_import',
    ]
    assert list(fake_wix.imports) == [created.id]


@pytest.mark.parametrize('fault', [CONNECT, 429])
def test_a_create_that_never_reached_wix_is_simply_retried(
    fault: str | int, client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN the first create cannot connect, or is rate limited (refused before any work)
    fake_wix.script['create_import'] = [fault]
    # WHEN the client creates the import
    client.create_import('loyalty-imports/uploads/f1', 'balances.csv', 42)
    # THEN no lookup was needed, and one import exists
    assert fake_wix.count('query_imports') == 0
    assert fake_wix.count('create_import') == 2
    assert len(fake_wix.imports) == 1


def test_the_lookup_filters_on_created_date_since_the_first_attempt(
    client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN the first create's response is lost
    first_attempt_at = fake_wix.now
    fake_wix.script['create_import'] = [LOST]
    # WHEN the client creates the import
    client.create_import('loyalty-imports/uploads/f1', 'balances.csv', 42)
    # THEN the lookup asked for imports created since the first attempt minus a small skew, oldest first
    (lookup,) = fake_wix.of('query_imports')
    query = lookup.json['query']
    since = datetime.fromisoformat(query['filter']['createdDate']['$gte'].replace('Z', '+00:00'))
    assert first_attempt_at - timedelta(minutes=5) <= since <= first_attempt_at
    assert query['sort'] == [{'fieldName': 'createdDate', 'order': 'ASC'}]


def test_the_lookup_ignores_other_files_and_older_imports(client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN an older import of the same upload, and recent look-alikes: another upload of the same
    # name and size, and the same upload path with another size
    fake_wix.add_import(
        'IMPORTED', fileMetadata={'name': 'balances.csv', 'size': 42, 'url': UPLOAD_FILE_PATH}
    )
    fake_wix.now += timedelta(hours=1)
    other = fake_wix.add_import(
        'PARSED', fileMetadata={'name': 'balances.csv', 'size': 42, 'url': 'loyalty-imports/uploads/f2'}
    )
    same_name_other_size = fake_wix.add_import(
        'PARSED', fileMetadata={'name': 'balances.csv', 'size': 41, 'url': UPLOAD_FILE_PATH}
    )
    # AND the create's response is lost
    fake_wix.script['create_import'] = [LOST]
    # WHEN the client creates the import
    created = client.create_import('loyalty-imports/uploads/f1', 'balances.csv', 42)
    # THEN it adopted the import its own lost create made, not a look-alike
    assert fake_wix.count('create_import') == 1
    assert created.id not in (other['id'], same_name_other_size['id'])
    assert created.created_date is not None
    assert created.file_metadata is not None
    assert (created.file_metadata.url, created.file_metadata.size) == (UPLOAD_FILE_PATH, 42)
    assert created.status is ImportStatus.INITIATED


@pytest.mark.parametrize('kept_url', [UPLOAD_FILE_PATH, f'https://files.example.com/{UPLOAD_FILE_PATH}'])
def test_a_lost_create_is_adopted_by_url_and_size_whatever_name_wix_gives(
    kept_url: str, client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN a Wix that names the file with a GUID (as its SDK types fileMetadata.name) and keeps the
    # filePath as sent or expanded into a URL ending in it; the create's response is lost
    fake_wix.file_name_mode = 'guid'
    fake_wix.kept_url = kept_url
    fake_wix.script['create_import'] = [LOST]
    # WHEN the client creates the import
    created = client.create_import(UPLOAD_FILE_PATH, 'balances.csv', 42)
    # THEN the import its lost create made is adopted: one create, one import
    assert fake_wix.count('create_import') == 1
    assert list(fake_wix.imports) == [created.id]
    assert created.file_metadata is not None
    assert created.file_metadata.name != 'balances.csv'


def test_a_failed_lookup_is_retried_before_any_second_create(client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN the create's response is lost and the first lookup drops too
    fake_wix.script['create_import'] = [LOST]
    fake_wix.script['query_imports'] = [DROP]
    # WHEN the client creates the import
    client.create_import('loyalty-imports/uploads/f1', 'balances.csv', 42)
    # THEN it looked again rather than creating again
    assert [seen.endpoint for seen in fake_wix.requests] == [
        'create_import',
        'query_imports',
        'query_imports',
    ]
    assert len(fake_wix.imports) == 1


def test_creates_that_keep_failing_end_unavailable_with_one_import_at_most(
    client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN every create is done by Wix but its response lost
    fake_wix.script['create_import'] = [LOST] * 10
    fake_wix.script['query_imports'] = [503] * 10
    # WHEN the client creates the import
    with pytest.raises(WixUnavailable):
        client.create_import('loyalty-imports/uploads/f1', 'balances.csv', 42)
    # THEN no second create was sent blindly
    assert fake_wix.count('create_import') == 1
    assert len(fake_wix.imports) == 1


def test_a_lost_execute_is_not_sent_again(client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN a parsed import whose execute takes effect but whose response is lost
    record = fake_wix.add_import('PARSED')
    fake_wix.script['execute_import'] = [LOST]
    # WHEN the client executes it
    executed = client.execute_import(record['id'], 0, 1)
    # THEN it re-read the import, saw it left PARSED, and did not execute again
    assert [seen.endpoint for seen in fake_wix.requests] == ['execute_import', 'get_import']
    assert executed.status is ImportStatus.IMPORTING


@pytest.mark.parametrize('fault', [DROP, 503, (429, {'Retry-After': '1'})])
def test_an_execute_that_did_nothing_is_sent_again_after_a_read(
    fault: object, client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN the first execute fails without taking effect
    record = fake_wix.add_import('PARSED')
    fake_wix.script['execute_import'] = [fault]  # type: ignore[list-item]
    # WHEN the client executes it
    executed = client.execute_import(record['id'], 0, 1)
    # THEN it read the import first (still PARSED), then executed once more
    assert [seen.endpoint for seen in fake_wix.requests] == ['execute_import', 'get_import', 'execute_import']
    assert executed.status is ImportStatus.IMPORTING


def test_a_duplicate_execute_returns_the_running_import(client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN an import already executed with columns 0 and 1 (e.g. by a previous Lambda attempt)
    record = fake_wix.add_import('PARSED')
    client.execute_import(record['id'], 0, 1)
    # WHEN the same execute is called again
    again = client.execute_import(record['id'], 0, 1)
    # THEN Wix's refusal is recognised as "already done" and the import is returned
    assert again.status is ImportStatus.IMPORTING
    assert fake_wix.count('execute_import') == 2
    assert record['status'] == 'IMPORTING'


def test_an_execute_refused_for_another_mapping_raises(client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN an import executed with columns 0 and 1
    record = fake_wix.add_import('PARSED')
    client.execute_import(record['id'], 0, 1)
    # WHEN an execute with another mapping arrives
    with pytest.raises(WixValidationError) as raised:
        client.execute_import(record['id'], 0, 2)
    # THEN Wix's refusal is raised with its code
    assert raised.value.code == 'INVALID_STATUS'


def test_an_execute_before_parsed_is_refused(client: WixClient, fake_wix: FakeWix) -> None:
    record = fake_wix.add_import('PARSING')
    with pytest.raises(WixValidationError):
        client.execute_import(record['id'], 0, 1)


@pytest.mark.parametrize(('email', 'points'), [(2, 2), (-1, 0), (0, -4)])
def test_a_bad_mapping_never_leaves_the_client(
    email: int, points: int, client: WixClient, fake_wix: FakeWix
) -> None:
    # WHEN an execute with an impossible mapping is asked for
    with pytest.raises(WixValidationError, match='refused before sending'):
        client.execute_import('i1', email, points)
    # THEN nothing was sent
    assert fake_wix.requests == []


def test_retried_execute_returns_a_finished_import(make_client: ClientFactory, fake_wix: FakeWix) -> None:
    # GIVEN Wix finishes the import instantly, and the execute's response is lost
    fake_wix.status_after_execute = 'IMPORTED'
    client = make_client()
    record = fake_wix.add_import('PARSED')
    fake_wix.script['execute_import'] = [LOST]
    # WHEN executed
    executed = client.execute_import(record['id'], 0, 1)
    # THEN the finished import is returned, execute sent once
    assert executed.status is ImportStatus.IMPORTED
    assert fake_wix.count('execute_import') == 1


def test_an_impossible_create_never_leaves_the_client(client: WixClient, fake_wix: FakeWix) -> None:
    # WHEN a create with an empty file URL and a negative size is asked for
    with pytest.raises(WixValidationError, match='create_import refused before sending'):
        client.create_import('', 'a.csv', -1)
    # THEN nothing was sent
    assert fake_wix.requests == []


def test_find_created_import_for_a_caller_that_lost_track(client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN an import of the file made by an earlier run, and an older one of the same file
    older = fake_wix.add_import('IMPORTED')
    fake_wix.now += timedelta(hours=1)
    since = fake_wix.now
    recent = fake_wix.add_import('PARSED')
    # WHEN a later run looks for it before creating again
    found = client.find_created_import([UPLOAD_FILE_PATH], 42, since)
    missing = client.find_created_import([UPLOAD_FILE_PATH], 43, since)
    elsewhere = client.find_created_import(['loyalty-imports/uploads/other'], 42, since)
    # THEN the recent import is found (not the older one); another size or upload finds nothing
    assert found is not None
    assert found.id == recent['id'] != older['id']
    assert missing is None
    assert elsewhere is None
    assert fake_wix.count('create_import') == 0


def test_a_later_run_allows_for_the_same_clock_skew_as_a_retry_within_the_call(
    client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN an import Wix stamped a minute before the caller's own record of its create attempt
    made = fake_wix.add_import('PARSED')
    attempted_at = fake_wix.now + timedelta(minutes=1)
    # WHEN a later run looks for it from that attempt time, and from just past the skew
    found = client.find_created_import(UPLOAD_FILE_PATH, 42, attempted_at)
    too_late = client.find_created_import(
        UPLOAD_FILE_PATH, 42, fake_wix.now + ADOPTION_CLOCK_SKEW + timedelta(seconds=1)
    )
    # THEN the one adoption window (ADOPTION_CLOCK_SKEW before the attempt) finds it, and only it
    assert found is not None
    assert found.id == made['id']
    assert too_late is None


def test_the_lookup_follows_the_cursor(make_client: ClientFactory) -> None:
    # GIVEN a query answer over two pages, the file's import on the second
    bodies: list[dict[str, object]] = []

    def item(import_id: str, url: str) -> dict[str, object]:
        return {
            'id': import_id,
            'status': 'PARSED',
            'createdDate': '2026-11-26T10:00:00Z',
            'fileMetadata': {'name': 'balances.csv', 'size': 42, 'url': url},
        }

    def handler(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        bodies.append(body)
        if body['query']['cursorPaging'].get('cursor') is None:
            return httpx.Response(
                200,
                json={
                    'loyaltyImports': [item('other', 'loyalty-imports/uploads/other')],
                    'pagingMetadata': {'count': 1, 'cursors': {'next': 'page-2'}, 'hasNext': True},
                },
            )
        return httpx.Response(
            200, json={'loyaltyImports': [item('mine', UPLOAD_FILE_PATH)], 'pagingMetadata': {'count': 1}}
        )

    client = make_client(transport=httpx.MockTransport(handler))
    # WHEN the file's import is looked for
    found = client.find_created_import(UPLOAD_FILE_PATH, 42, datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    # THEN the second page was read with the cursor alone, and the import found there
    assert found is not None
    assert found.id == 'mine'
    assert bodies[1] == {'query': {'cursorPaging': {'limit': 100, 'cursor': 'page-2'}}}
