"""A file imported as several Wix imports (docs/large-files.md): the file's one verdict from its parts.

Pure functions of the record's `parts` (`models.ImportPart`): the finalizer's sums (rows parsed,
imported, failed) and the final status. Every part IMPORTED: the file is IMPORTED. Any part that
did not import: FAILED with PART_FAILED, whose message names the parts that imported (and their
rows) beside the ones that did not, so a failed part never hides what the others set; a part
still unfinished when the file ends (the deadline) ends the file TIMED_OUT, since Wix may still
finish it.
"""

from __future__ import annotations

from collections.abc import Sequence

from loyalty_import.pipeline.codes import ErrorCode
from loyalty_import.pipeline.models import ImportPart, ImportResult, PartStatus, RecordError, RecordStatus


def summed_result(parts: Sequence[ImportPart]) -> ImportResult:
    """Wix's counts over every part that reported them (None while no part has)."""
    results = [part.import_result for part in parts if part.import_result is not None]
    if not results:
        return ImportResult()
    return ImportResult(
        success_count=sum(result.success_count or 0 for result in results),
        failure_count=sum(result.failure_count or 0 for result in results),
        error_file_exists=any(bool(result.error_file_exists) for result in results),
    )


def parsed_rows(parts: Sequence[ImportPart]) -> int | None:
    """The rows Wix parsed over every part (None while no part has reported its parse)."""
    counts = [
        part.parse_result.parsed_row_count
        for part in parts
        if part.parse_result is not None and part.parse_result.parsed_row_count is not None
    ]
    return sum(counts) if counts else None


def outcome(parts: Sequence[ImportPart]) -> tuple[RecordStatus, RecordError | None]:
    """The file's final status from its parts' (see the module's docstring)."""
    if not parts:
        raise ValueError('a file without parts has no parts outcome')
    if all(part.status is PartStatus.IMPORTED for part in parts):
        return RecordStatus.IMPORTED, None
    unfinished = [part for part in parts if not part.status.is_final or part.status is PartStatus.TIMED_OUT]
    failed = [part for part in parts if part.status is PartStatus.FAILED]
    status = RecordStatus.TIMED_OUT if unfinished and not failed else RecordStatus.FAILED
    code = ErrorCode.DEADLINE_EXCEEDED if status is RecordStatus.TIMED_OUT else ErrorCode.PART_FAILED
    return status, RecordError(code=code, message=describe(parts))


def describe(parts: Sequence[ImportPart]) -> str:
    """Which parts imported (rows) and which did not (why), in words: the record's and the message's."""
    imported = [part for part in parts if part.status is PartStatus.IMPORTED]
    others = [part for part in parts if part.status is not PartStatus.IMPORTED]
    done_rows = sum(_imported_rows(part) for part in imported)
    said = [
        f'{len(imported)} of {len(parts)} Wix imports imported'
        + (f' (parts {_numbers(imported)}: {done_rows:,} rows)' if imported else '')
        + '.'
    ]
    said.extend(f'Part {part.index} ({part.rows:,} rows) {_why_not(part)}.' for part in others)
    return ' '.join(said)


def _imported_rows(part: ImportPart) -> int:
    result = part.import_result
    return result.success_count if result is not None and result.success_count is not None else part.rows


def _why_not(part: ImportPart) -> str:
    if part.status is PartStatus.FAILED:
        reason = part.error.message if part.error else 'Wix reported it FAILED'
        return f'failed: {reason}'.rstrip('.')
    if part.status is PartStatus.TIMED_OUT:
        return f'had not finished at the deadline (Wix reported {part.wix_status or "nothing"})'
    return f'had not finished (it was {part.status.value})'


def _numbers(parts: Sequence[ImportPart]) -> str:
    return ', '.join(str(part.index) for part in parts)
