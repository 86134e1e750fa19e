"""upload_and_create: upload through a fresh URL, then create the import."""

from __future__ import annotations

import pytest

from loyalty_import.wix import ImportStatus, WixClient, WixUnavailable
from loyalty_import.wix.flow import upload_and_create
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
