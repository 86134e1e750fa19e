"""Create every Wix import of a file that needs several (docs/large-files.md), each exactly once.

The parts' uploads are written to S3 first (`<results>/<file>.parts.0001.csv`...), then planned on
the ONE record (`transitions.parts_planned`) before any create. Each part is created as the
importer creates one import: its create attempt and upload path are recorded before the create
(`part_create_attempted`), and a redelivery or a crash after Wix accepted it adopts that import
(`find_created_import` over the part's own upload paths and size) rather than creating another; a
part with a `wixImportId` is never created again. The record gets its `wixImportId` (the first
part's) and CREATED once the last part is created (`transitions.part_created`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from loyalty_import.pipeline import transitions
from loyalty_import.pipeline.crosscheck import preview_rows
from loyalty_import.pipeline.guards.balances import pairs_from_normalized
from loyalty_import.pipeline.guards.snapshot import keep_upload
from loyalty_import.pipeline.models import ImportPart, ImportRecord, RecordStatus, StatusChange
from loyalty_import.pipeline.observability import logger
from loyalty_import.pipeline.results import results_key
from loyalty_import.pipeline.steps.dropped_file import wix_file_name
from loyalty_import.wix.flow import upload
from loyalty_import.wix.models import LoyaltyImport

if TYPE_CHECKING:
    from loyalty_import.pipeline.steps.importer import ImporterDeps


def part_name(index: int) -> str:
    """The part's suffix beside the source (and in its name at Wix)."""
    return f'parts.{index:04d}.csv'


def part_source_id(parent: str, index: int) -> str:
    """The pk of part `index`'s own record."""
    return f'{parent}#part-{index:04d}'


def plan_parts(
    record: ImportRecord, contents: Sequence[bytes], rows: Sequence[int], deps: ImporterDeps
) -> ImportRecord:
    """Write each part's upload under the results prefix and record the plan (kept if already made)."""
    if record.parts:
        return record  # a redelivery: the first plan, with whatever it created, stands
    planned = []
    for index, (content, count) in enumerate(zip(contents, rows, strict=True), start=1):
        key = results_key(deps.settings, record, part_name(index))
        uri = deps.storage.write(record.bucket, key, content, content_type='text/csv; charset=utf-8')
        planned.append(
            ImportPart(
                index=index,
                rows=count,
                bytes=len(content),
                file=uri,
                source_id=part_source_id(record.pk, index),
            )
        )
    logger.info('parts planned', parts=len(planned), rows=sum(rows))
    return transitions.advance(record, transitions.parts_planned(planned), records=deps.records)


def create_parts(record: ImportRecord, deps: ImporterDeps) -> ImportRecord:
    """Create each planned part's Wix import that has none yet (adopting an earlier attempt's).

    WixUnavailable is raised (Lambda's retry resumes at the next part without an id); the caller
    ends the record on any other WixError, as for one import.
    """
    for part in list(record.parts or []):
        if part.wix_import_id is not None:
            continue
        created = _created_by_an_earlier_attempt(record, part, deps)
        if created is None:
            wix = deps.wix(record.site)
            content = _part_content(record, part, deps)
            name = wix_file_name(record).removesuffix('.csv') + '.' + part_name(part.index)
            file_path = upload(wix, name, content)
            attempt = transitions.part_create_attempted(part.index, deps.clock.now(), file_path)
            record = transitions.advance(record, attempt, records=deps.records)
            if record.is_final:
                return record
            created = wix.create_import(file_path, name, len(content))
        logger.info('Wix import of a part created', part=part.index, import_id=created.id)
        _part_record(record, part, created, deps)
        record = transitions.advance(
            record, transitions.part_created(part.index, created, at=deps.clock.now()), records=deps.records
        )
    return record


def _part_content(record: ImportRecord, part: ImportPart, deps: ImporterDeps) -> bytes:
    """The part's upload as written by `plan_parts` (one part in memory at a time)."""
    if part.file is None:  # pragma: no cover - plan_parts always writes it
        raise ValueError(f'part {part.index} has no upload')
    key = part.file.removeprefix(f's3://{record.bucket}/')
    limit = deps.settings.max_file_bytes
    return deps.storage.read(record.bucket, key, None, max_bytes=limit).content


def _created_by_an_earlier_attempt(
    record: ImportRecord, part: ImportPart, deps: ImporterDeps
) -> LoyaltyImport | None:
    """The part's import an earlier invocation created but never recorded (as for one import)."""
    if part.create_attempted_at is None or not part.create_file_paths:
        return None
    found = deps.wix(record.site).find_created_import(
        part.create_file_paths, part.bytes, part.create_attempted_at
    )
    if found is not None:
        logger.info('adopting the Wix import an earlier attempt created', part=part.index, import_id=found.id)
    return found


def _part_record(record: ImportRecord, part: ImportPart, created: LoyaltyImport, deps: ImporterDeps) -> None:
    """The part's own record, CREATED with its import, its uploaded pairs kept for its snapshot.

    Written before the file's record names the import: a part with a `wixImportId` always has it.
    """
    pk = part.source_id or part_source_id(record.pk, part.index)
    child = deps.records.get(pk)
    if child is not None and child.wix_import_id is not None:
        return
    content = _part_content(record, part, deps)
    if child is None:
        child = _new_part_record(record, part, pk, content, deps)
        if not deps.records.create(child):
            child = deps.records.get(pk) or child
    pairs = pairs_from_normalized(content, 0, 1)  # the upload: EMAIL first, POINTS second
    kept = keep_upload(child, created.id, pairs, storage=deps.storage, settings=deps.settings)
    mark = transitions.created(created, at=deps.clock.now())
    transitions.advance(child, kept, mark, records=deps.records)


def _new_part_record(
    record: ImportRecord, part: ImportPart, pk: str, content: bytes, deps: ImporterDeps
) -> ImportRecord:
    now = deps.clock.now()
    return ImportRecord(
        pk=pk,
        parent=record.pk,
        source_uri=record.source_uri,
        bucket=record.bucket,
        key=record.key,
        file_name=record.file_name,
        site=record.site,
        version_id=record.version_id,
        etag=record.etag,
        size=part.bytes,
        s3_event_time=record.s3_event_time,
        status=RecordStatus.RECEIVED,
        status_history=[StatusChange(status=RecordStatus.RECEIVED, at=now)],
        mapping=record.mapping,
        expected_header=record.expected_header,
        expected_sample_rows=preview_rows(content),
        normalized_size=len(content),
        create_attempted_at=part.create_attempted_at,
        create_file_paths=list(part.create_file_paths),
        created_at=now,
        updated_at=now,
    )
