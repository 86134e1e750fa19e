"""upload_and_create and wait_for_status."""

from __future__ import annotations

import pytest

from loyalty_import.wix import ImportStatus, WixClient, WixUnavailable
from loyalty_import.wix.flow import WaitTimedOut, upload_and_create, wait_for_status
from tests.fakes.clock import FakeClock
from tests.fakes.wix import LOST, FakeWix

CSV = b'email,points\na@example.com,10\n'


def test_upload_and_create_uploads_then_creates_from_the_file_path(
    client: WixClient, fake_wix: FakeWix
) -> None:
    # WHEN a file goes through the flow
    created = upload_and_create(client, 'balances.csv', CSV)
    # THEN the three calls ran in order and the import names the uploaded file and its size
    assert [seen.endpoint for seen in fake_wix.requests] == [
        'create_upload_url',
        'upload_file',
        'create_import',
    ]
    assert fake_wix.of('create_import')[0].json == {
        'fileUrl': 'loyalty-imports/uploads/f1',
        'fileName': 'balances.csv',
        'fileSize': len(CSV),
    }
    assert created.status is ImportStatus.INITIATED


def test_an_upload_with_unknown_outcome_starts_over_with_a_new_url(
    client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN the first upload lands but its response is lost, and the single-use URL then refuses a retry
    fake_wix.script['upload_file'] = [LOST, 403]
    # WHEN a file goes through the flow
    upload_and_create(client, 'balances.csv', CSV)
    # THEN a fresh upload URL was used for the second round, and one import was created
    assert [seen.endpoint for seen in fake_wix.requests] == [
        'create_upload_url',
        'upload_file',
        'upload_file',
        'create_upload_url',
        'upload_file',
        'create_import',
    ]
    assert len(fake_wix.imports) == 1


def test_a_refused_upload_without_ambiguity_is_not_retried(client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN the upload URL is refused at once (nothing ambiguous happened)
    fake_wix.script['upload_file'] = [403]
    # WHEN a file goes through the flow
    with pytest.raises(Exception, match='403') as raised:
        upload_and_create(client, 'balances.csv', CSV)
    # THEN it is a permanent error, and no import was created
    assert not isinstance(raised.value, WixUnavailable)
    assert fake_wix.count('create_import') == 0


def test_upload_rounds_are_bounded(client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN every upload ends with its outcome unknown and its URL refusing a retry
    fake_wix.script['upload_file'] = [LOST, 403] * 5
    # WHEN a file goes through the flow
    with pytest.raises(WixUnavailable):
        upload_and_create(client, 'balances.csv', CSV, upload_rounds=2)
    # THEN two rounds were tried, and nothing was created
    assert fake_wix.count('create_upload_url') == 2
    assert fake_wix.count('create_import') == 0


def test_wait_polls_until_a_target_status(client: WixClient, fake_wix: FakeWix, clock: FakeClock) -> None:
    # GIVEN an import that becomes PARSED on the third read
    record = fake_wix.add_import('PARSING')
    statuses = iter(['PARSING', 'PARSING', 'PARSED'])

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        record['status'] = next(statuses)

    # WHEN waiting for PARSED
    done = wait_for_status(
        client, record['id'], {ImportStatus.PARSED}, timeout_s=60, poll_s=2, sleep=sleep, clock=clock
    )
    # THEN it returned the PARSED import after polling every 2 seconds
    assert done.status is ImportStatus.PARSED
    assert clock.sleeps == [2, 2, 2]
    assert fake_wix.count('get_import') == 4


def test_wait_stops_on_a_terminal_status_that_is_not_awaited(
    client: WixClient, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN an import whose parsing failed
    record = fake_wix.add_import('FAILED', parseResult={'parseErrorReason': 'not a CSV'})
    # WHEN waiting for PARSED
    done = wait_for_status(
        client, record['id'], {ImportStatus.PARSED}, timeout_s=60, poll_s=2, sleep=clock.sleep, clock=clock
    )
    # THEN it returns at once with the failure
    assert done.status is ImportStatus.FAILED
    assert done.parse_result is not None
    assert done.parse_result.parse_error_reason == 'not a CSV'
    assert clock.sleeps == []


def test_wait_times_out_with_the_last_import(client: WixClient, fake_wix: FakeWix, clock: FakeClock) -> None:
    # GIVEN an import that stays PARSING
    record = fake_wix.add_import('PARSING')
    # WHEN waiting 5 seconds for PARSED, polling every 2
    with pytest.raises(WaitTimedOut) as raised:
        wait_for_status(
            client, record['id'], {ImportStatus.PARSED}, timeout_s=5, poll_s=2, sleep=clock.sleep, clock=clock
        )
    # THEN it gave up at the deadline, with the last import seen
    assert raised.value.last.status is ImportStatus.PARSING
    assert sum(clock.sleeps) == 5
    assert clock.sleeps == [2, 2, 1]
