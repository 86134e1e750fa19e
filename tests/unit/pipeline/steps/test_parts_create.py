"""Every Wix import of a file of several parts created exactly once, recorded on the one record."""

from __future__ import annotations

import pytest

from loyalty_import.pipeline import transitions
from loyalty_import.pipeline.models import ImportPart, ImportRecord, RecordStatus, SourceEvent, SourceRef
from loyalty_import.pipeline.steps.parts_create import create_parts, plan_parts
from loyalty_import.wix.errors import WixUnavailable
from loyalty_import.wix.models import LoyaltyImport
from tests.fakes.clock import START
from tests.unit.pipeline.conftest import World
from tests.unit.pipeline.fakes import BUCKET

KEY = 'incoming/large-export.csv'
# Three parts of different sizes: the fake Wix keeps one upload path, so adoption tells them by size.
CONTENTS = [b'EMAIL,POINTS\r\n' + b'a@example.com,1\r\n' * n for n in (3, 2, 1)]


def _planned(w: World) -> ImportRecord:
    ref = SourceRef(bucket=BUCKET, key=KEY, version_id='v1')
    record = ImportRecord.new(SourceEvent(ref=ref, size=30_000_000), now=START)
    assert w.records.create(record)
    return plan_parts(record, CONTENTS, [3, 2, 1], w.importer)


def _parts(record: ImportRecord) -> list[ImportPart]:
    assert record.parts is not None
    return record.parts


def test_each_part_is_written_then_created_once_and_the_record_is_created_last(w: World) -> None:
    record = _planned(w)
    # THEN the uploads are beside the source under the results prefix, planned before any create
    files = [part.file for part in _parts(record)]
    assert files == [f's3://{BUCKET}/results/large-export.csv.parts.{i:04d}.csv' for i in (1, 2, 3)]
    assert [w.storage.written[str(uri)] for uri in files] == CONTENTS
    assert w.wix.count('create_import') == 0
    # WHEN the parts are created
    record = create_parts(record, w.importer)
    # THEN each has its own import from its own upload, and the record is CREATED with the first's id
    assert [part.wix_import_id for part in _parts(record)] == ['imp-1', 'imp-2', 'imp-3']
    assert w.wix.uploads == CONTENTS
    assert record.wix_import_id == 'imp-1'
    assert record.status is RecordStatus.CREATED
    assert all(part.create_file_paths for part in _parts(record))
    # AND a redelivery plans nothing new and creates nothing
    again = plan_parts(record, [b'other'], [1], w.importer)
    again = create_parts(again, w.importer)
    assert w.wix.count('create_import') == 3
    assert [part.file for part in _parts(again)] == files


def test_a_create_whose_answer_was_lost_is_adopted_not_repeated(w: World) -> None:
    record = _planned(w)
    original = w.wix.create_import
    calls = {'n': 0}

    def lose_the_second(file_url: str, file_name: str, file_size: int) -> LoyaltyImport:
        calls['n'] += 1
        created = original(file_url, file_name, file_size)
        if calls['n'] == 2:
            raise WixUnavailable('the answer never came')
        return created

    w.wix.create_import = lose_the_second  # type: ignore[method-assign]
    # WHEN the second part's create reaches Wix but its answer is lost (the invocation fails)
    with pytest.raises(WixUnavailable):
        create_parts(record, w.importer)
    stored = w.records.get(record.pk)
    assert stored is not None
    assert [part.wix_import_id for part in _parts(stored)] == ['imp-1', None, None]
    assert stored.wix_import_id is None  # the importer creates again on the retry
    # AND Lambda's retry runs it again
    record = create_parts(stored, w.importer)
    # THEN part 2 adopts the import Wix made, part 3 is created, nothing twice
    assert [part.wix_import_id for part in _parts(record)] == ['imp-1', 'imp-2', 'imp-3']
    assert len(w.wix.imports) == 3
    assert record.status is RecordStatus.CREATED


def test_each_part_has_its_own_record_that_never_notifies(w: World) -> None:
    record = create_parts(_planned(w), w.importer)
    # THEN each part's record is CREATED with its own import and kept pairs (for its snapshot)
    children = [w.records.get(str(part.source_id)) for part in _parts(record)]
    assert [child.pk if child else None for child in children] == [
        f'{record.pk}#part-{i:04d}' for i in (1, 2, 3)
    ]
    for index, child in enumerate(children, start=1):
        assert child is not None
        assert (child.parent, child.wix_import_id, child.status) == (
            record.pk,
            f'imp-{index}',
            RecordStatus.CREATED,
        )
        assert child.upload_file == f's3://{BUCKET}/results/large-export.csv.imp-{index}.upload.csv'
        assert child.expected_sample_rows == [['a@example.com', '1']] * (4 - index)
    # AND a part's record that ends (e.g. its cross-check failed) sends no notification of its own
    child = children[1]
    assert child is not None
    transitions.finish(
        child,
        transitions.failed('HEADER_MISMATCH', 'no'),
        records=w.records,
        notifier=w.notifier,
        now=w.clock.as_clock().now,
    )
    ended = w.records.get(child.pk)
    assert ended is not None
    assert ended.status is RecordStatus.FAILED
    assert w.notifier.sent == []
