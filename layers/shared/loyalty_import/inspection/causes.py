"""Refusals that name the cause, not the symptom it leaves in the inference or the row counts.

A quote opened and never closed swallows the rest of the file into one cell: inference then finds
no email column and the pass a handful of rows, but the file is malformed CSV (NOT_A_CSV). Balances
over Wix's 32-bit limit make every row invalid, but the column is the balance: POINTS_OUT_OF_RANGE.
"""

from __future__ import annotations

from loyalty_import.inspection.decoding import Encoding
from loyalty_import.inspection.models import (
    MAX_POINTS,
    IssueKind,
    Refusal,
    RefusalCode,
    RoleChoice,
    column_label,
)
from loyalty_import.inspection.validation import PassResult

_TAIL_BYTES = 1024  # a multiple of 4: a UTF-16 tail stays aligned
_CELL_END = 32  # how much of the cell's end must be the file's end


def refuse_unterminated_quote(data: bytes, encoding: Encoding, row: list[str], end_line: int) -> None:
    """Refuse when `row` (the last one read, ending on physical line `end_line`) ran to the end of the
    file inside a quoted cell: a quote opened and never closed.
    """
    cell = next((c for c in reversed(row) if c), '')  # a short row is padded with blanks after it
    breaks = cell.count('\n') or cell.count('\r')
    if not breaks:
        return
    text = data[-_TAIL_BYTES:].decode(encoding.name, 'ignore')
    # A closed multi-line cell is followed by its closing quote; a swallowing one is the file's end.
    if not text.endswith(cell[-_CELL_END:]) or text.rstrip().endswith('"'):
        return
    opened = max(1, end_line - breaks + cell.endswith(('\n', '\r')))
    raise Refusal(
        RefusalCode.NOT_A_CSV,
        f'Malformed CSV: a quote (") opened on line {opened:,} is never closed, so the rest of the file '
        'reads as one cell and its rows would be lost. Fix or remove that quote, or export the file again.',
    )


def refuse_out_of_range(result: PassResult, points: RoleChoice) -> None:
    """Refuse when most unimportable rows hold a balance larger than Wix can store."""
    overflow = result.counts.get(IssueKind.OVERFLOW_POINTS, 0)
    if overflow * 2 <= result.invalid_rows:
        return
    example = result.examples[IssueKind.OVERFLOW_POINTS][0]
    raise Refusal(
        RefusalCode.POINTS_OUT_OF_RANGE,
        f'{overflow:,} of {result.rows:,} balances in {column_label(points.name, points.column)} are larger '
        f'than Wix can store ({MAX_POINTS:,}), e.g. {example.value!r} on line {example.line:,}. Check the '
        'column (an ID or a phone number?) or the export.',
    )
