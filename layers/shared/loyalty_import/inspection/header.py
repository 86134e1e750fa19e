"""Is the first row a header? Preamble lines before it (report titles) are skipped."""

from __future__ import annotations

from collections import Counter

from loyalty_import.inspection.values import is_email, parse_int
from loyalty_import.inspection.vocabulary import mentions_a_role

_MAX_PREAMBLE = 10


def count_preamble(rows: list[list[str]]) -> int:
    """Leading rows with at most one filled cell ('Report: customers, 2024-05-01') above a wide table."""
    widths = Counter(len(row) for row in rows[: _MAX_PREAMBLE * 5] if row)
    if not widths:
        return 0
    width = widths.most_common(1)[0][0]
    if width < 3:
        return 0
    skip = 0
    for row in rows[:_MAX_PREAMBLE]:
        if sum(1 for cell in row if cell.strip()) > 1:
            break
        skip += 1
    return skip if skip < len(rows) else 0


def is_header(first: list[str], body: list[list[str]]) -> bool:
    """A header names columns: no email addresses, and text where the body holds numbers."""
    cells = [cell.strip() for cell in first]
    if any(is_email(cell) for cell in cells):
        return False
    if any(mentions_a_role(cell) for cell in cells if cell):
        return True
    if not body:
        return True
    numeric_columns = []
    for index in range(len(cells)):
        values = [row[index].strip() for row in body[:50] if index < len(row) and row[index].strip()]
        if values and sum(parse_int(v) is not None for v in values) >= 0.9 * len(values):
            numeric_columns.append(index)
    return not (numeric_columns and all(parse_int(cells[i]) is not None for i in numeric_columns))
