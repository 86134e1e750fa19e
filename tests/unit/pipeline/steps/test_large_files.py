"""A source past MaxFileBytes: streamed, reduced to one upload with the columns Wix needs, imported."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import random

import pytest

from loyalty_import.pipeline.models import RecordStatus, SourceEvent, SourceRef
from loyalty_import.pipeline.steps.importer import ImporterDeps, import_object
from tests.fakes.clock import START
from tests.unit.pipeline.conftest import World
from tests.unit.pipeline.fakes import BUCKET, make_settings

KEY = 'incoming/acme/all-customers.csv'
ROWS = 3000


def _export(rows: int = ROWS) -> list[list[str]]:
    rnd = random.Random(5)
    table = [['Customer', 'Email', 'Points', 'First Name', 'Store']]
    for i in range(rows):
        store = f'Main street {rnd.randrange(100)}, opposite the old station, Springfield'
        table.append([str(10_000 + i), f'c{i}@example.com', str(rnd.randrange(5000)), 'Ann', store])
    return table


def _bytes(table: list[list[str]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator='\n').writerows(table)
    return out.getvalue().encode('utf-8')


def _reduced(table: list[list[str]], columns: list[int]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator='\r\n').writerows([[row[i] for i in columns] for row in table])
    return out.getvalue().encode('utf-8')


def _event(size: int) -> SourceEvent:
    return SourceEvent(
        ref=SourceRef(bucket=BUCKET, key=KEY, version_id='v1', etag='e1'), size=size, event_time=START
    )


def _deps(w: World, max_file_bytes: int, **settings: str) -> ImporterDeps:
    return dataclasses.replace(
        w.importer, settings=make_settings(MAX_FILE_BYTES=str(max_file_bytes), **settings)
    )


def _with_wix(w: World, upload: bytes) -> None:
    """What Wix makes of that upload: its header and rows, every row imported."""
    rows = list(csv.reader(io.StringIO(upload.decode('utf-8'), newline='')))
    w.wix.header, w.wix.sample_rows = rows[0], rows[1:4]  # Wix shows the first rows
    w.wix.parse_after, w.wix.success_count = 1, len(rows) - 1


# A part holds MaxFileBytes less 64 KiB: these bounds fit the upload with the names exactly, only
# the one without them, or neither (about a third of it).
MARGIN = 65_536
WITH_NAMES_FITS = MARGIN + len(_reduced(_export(), [1, 2, 3]))
ONLY_WITHOUT_NAMES_FITS = MARGIN + len(_reduced(_export(), [1, 2]))
NEITHER_FITS = MARGIN + len(_reduced(_export(), [1, 2])) // 3 + 1000


def test_a_large_file_is_streamed_reduced_to_email_points_and_names_and_imported(w: World) -> None:
    table = _export()
    data = _bytes(table)
    upload = _reduced(table, [1, 2, 3])
    assert len(data) > WITH_NAMES_FITS + 100_000  # past MaxFileBytes: the large path
    w.storage.put(KEY, data)
    _with_wix(w, upload)
    outcome = import_object(_event(len(data)), _deps(w, WITH_NAMES_FITS), lambda: 900.0)
    # THEN the file was never read whole, and Wix got one upload: EMAIL, POINTS, the first name
    assert KEY not in w.storage.read_keys
    assert w.storage.streams == 1
    assert w.wix.uploads == [upload]
    assert w.wix.count('create_import') == 1
    record = w.records.only()
    assert w.wix.executed_with == [('imp-1', 0, 1)]
    assert outcome.status is RecordStatus.IMPORTING
    assert record.size == len(data)
    assert record.sha256 == hashlib.sha256(data).hexdigest()  # the source's, not the upload's
    assert record.normalized_size == len(upload)
    # AND the record names the SOURCE's columns, as the head of the file chose them
    assert record.mapping is not None
    assert (record.mapping.email.column, record.mapping.email.name) == (1, 'Email')
    assert (record.mapping.points.column, record.mapping.points.name) == (2, 'Points')
    assert (record.mapping.email_index, record.mapping.points_index) == (0, 1)
    assert record.mapping.email.why is not None
    assert 'chosen by you' not in record.mapping.email.why
    assert record.preflight is not None
    assert (record.preflight['rows'], record.preflight['parts']) == (ROWS, 1)


def test_the_names_are_left_out_when_only_that_fits_one_import(w: World) -> None:
    table = _export()
    data = _bytes(table)
    upload = _reduced(table, [1, 2])
    w.storage.put(KEY, data)
    _with_wix(w, upload)
    import_object(_event(len(data)), _deps(w, ONLY_WITHOUT_NAMES_FITS), lambda: 900.0)
    assert w.storage.streams == 2  # read again without the names
    assert w.wix.uploads == [upload]


def test_a_file_needing_several_imports_becomes_one_wix_import_a_part_on_one_record(w: World) -> None:
    table = _export()
    data = _bytes(table)
    w.storage.put(KEY, data)
    outcome = import_object(_event(len(data)), _deps(w, NEITHER_FITS), lambda: 900.0)
    # THEN 3 parts, each its own Wix import from its own upload (EMAIL, POINTS: read again without
    # the names), every row in exactly one of them, each under its own header
    assert outcome.status is RecordStatus.CREATED
    record = w.records.get(outcome.source_id)
    assert record is not None
    assert record.parts is not None
    assert [part.wix_import_id for part in record.parts] == ['imp-1', 'imp-2', 'imp-3']
    assert record.wix_import_id == 'imp-1'
    assert w.wix.count('create_import') == 3
    assert all(upload.startswith(b'Email,Points\r\n') for upload in w.wix.uploads)
    rows = [line for upload in w.wix.uploads for line in upload.split(b'\r\n')[1:] if line]
    assert rows == _reduced(table, [1, 2]).split(b'\r\n')[1:-1]
    assert sum(part.rows for part in record.parts) == ROWS
    assert record.preflight is not None
    assert record.preflight['parts'] == 3
    # AND ONE execution for the file, named after the first part's import, an item per part on the
    # part's own record; nothing is executed by the importer, nothing notified yet
    assert list(w.workflow.executions) == ['import-imp-1']
    payload = w.workflow.executions['import-imp-1']
    assert payload['sourceId'] == record.pk
    items = payload['parts']
    assert isinstance(items, list)
    assert [(item['importId'], item['sourceId'], item['part']) for item in items] == [
        (f'imp-{i}', f'{record.pk}#part-{i:04d}', i) for i in (1, 2, 3)
    ]
    assert w.wix.executed_with == []
    assert w.notifier.sent == []
    # AND a redelivery creates nothing more and starts no second execution
    again = import_object(_event(len(data)), _deps(w, NEITHER_FITS), lambda: 900.0)
    assert again.duplicate or again.status is RecordStatus.CREATED
    assert w.wix.count('create_import') == 3
    assert len(w.workflow.executions) == 1


def test_two_balances_for_one_customer_refuse_a_large_file_before_wix(w: World) -> None:
    table = _export()
    table.append(['99', 'c7@example.com', str(int(table[8][2]) + 1), 'Ann', 'x'])
    data = _bytes(table)
    w.storage.put(KEY, data)
    import_object(_event(len(data)), _deps(w, WITH_NAMES_FITS), lambda: 900.0)
    record = w.records.only()
    assert record.error is not None
    assert record.error.code == 'NEEDS_REVIEW', record.error.message
    assert record.status is RecordStatus.REJECTED
    assert 'with different points' in record.error.message
    assert 'cannot be reviewed yet' in record.error.message
    assert w.wix.calls == []


@pytest.mark.parametrize('limit', ['150000'])
def test_a_file_past_max_source_bytes_is_refused_unread(w: World, limit: str) -> None:
    data = _bytes(_export())
    w.storage.put(KEY, data)
    import_object(_event(len(data)), _deps(w, NEITHER_FITS, MAX_SOURCE_BYTES=limit), lambda: 900.0)
    record = w.records.only()
    assert record.error is not None
    assert record.error.code == 'FILE_TOO_LARGE'
    assert w.wix.calls == []
