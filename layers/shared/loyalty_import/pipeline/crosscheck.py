"""Before executing, check that Wix parsed the uploaded file the way the inspection wrote it.

Executing with column indexes into a header Wix read differently (another delimiter, a shifted
column) would load the wrong column as every customer's balance, the worst failure this product
can have; so any disagreement stops the import before execute.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from loyalty_import.pipeline.codes import ErrorCode
from loyalty_import.pipeline.models import RecordError
from loyalty_import.wix.models import LoyaltyImport

# What Wix reports back (see the API facts): header <= 100 columns; <= 5 sample rows of <= 20 values;
# cells of at most 1000 characters.
MAX_HEADER_COLUMNS = 100
MAX_SAMPLE_ROWS = 5
MAX_SAMPLE_VALUES = 20
MAX_CELL_CHARS = 1000


def _cells(values: Sequence[str], limit: int) -> list[str]:
    cells = [value.strip()[:MAX_CELL_CHARS] for value in values[:limit]]
    while cells and not cells[-1]:  # trailing empty cells carry no information
        cells.pop()
    return cells


def _show(values: Sequence[str]) -> str:
    text = ', '.join(repr(value) for value in values[:8])
    return f'[{text}{", ..." if len(values) > 8 else ""}]'


def check_parsed_file(
    wix_import: LoyaltyImport,
    *,
    expected_header: Sequence[str],
    expected_sample_rows: Sequence[Sequence[str]],
    email_index: int,
    points_index: int,
) -> RecordError | None:
    """None when Wix's parsed header and sample rows agree with the normalized file; else why not."""
    metadata = wix_import.file_metadata
    header = metadata.header.values if metadata and metadata.header else []
    if not header:
        return RecordError(
            code=ErrorCode.HEADER_MISMATCH, message='Wix reported no header for the parsed file.'
        )
    wix_header = _cells(header, MAX_HEADER_COLUMNS)
    ours = _cells(expected_header, MAX_HEADER_COLUMNS)
    if wix_header != ours:
        return RecordError(
            code=ErrorCode.HEADER_MISMATCH,
            message=f'Wix parsed the header as {_show(wix_header)}, the pipeline wrote {_show(ours)}.',
        )
    if max(email_index, points_index) >= len(header):
        return RecordError(
            code=ErrorCode.HEADER_MISMATCH, message=f'Wix parsed only {len(header)} header columns.'
        )
    samples = metadata.sample_data_rows if metadata else []
    # expected_sample_rows holds the file's first (at most 5) data rows, so Wix cannot see more.
    if len(samples) > len(expected_sample_rows):
        return RecordError(
            code=ErrorCode.HEADER_MISMATCH, message='Wix reported more sample rows than the file has.'
        )
    for number, (wix_row, our_row) in enumerate(zip(samples, expected_sample_rows, strict=False), start=1):
        theirs = _cells(wix_row.values, MAX_SAMPLE_VALUES)
        mine = _cells(our_row, MAX_SAMPLE_VALUES)
        if theirs != mine:
            return RecordError(
                code=ErrorCode.HEADER_MISMATCH,
                message=f'Wix parsed data row {number} as {_show(theirs)}, the pipeline wrote {_show(mine)}.',
            )
    return None


def preview_rows(content: bytes, limit: int = MAX_SAMPLE_ROWS) -> list[list[str]]:
    """The first non-blank data rows of a UTF-8 comma CSV, as Wix reports its sample rows."""
    text = io.TextIOWrapper(io.BytesIO(content), encoding='utf-8-sig', errors='replace', newline='')
    rows: list[list[str]] = []
    reader = csv.reader(text)
    next(reader, None)  # the header
    for row in reader:
        if any(cell.strip() for cell in row):
            rows.append(row[:MAX_SAMPLE_VALUES])
            if len(rows) == limit:
                break
    return rows
