"""What Wix does with an uploaded file: parse it as UTF-8 comma CSV, then import its rows."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_HEADER_COLUMNS = 100
MAX_CELL_CHARS = 1000
MAX_SAMPLE_ROWS = 5
MAX_SAMPLE_VALUES = 20
MAX_REASON_CHARS = 1000

# Deliberately simple: one @, something on each side, a dot in the domain, no spaces.
_EMAIL = re.compile(r'^[^@\s]+@[^@\s]+\.[^@\s.]+$')
_NON_NEGATIVE_INT = re.compile(r'^[0-9]+$')


@dataclass(frozen=True)
class ParseOutcome:
    """Either `error` is set (the import goes FAILED) or the header and rows are."""

    error: str | None = None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)

    @property
    def sample_rows(self) -> list[list[str]]:
        return [row[:MAX_SAMPLE_VALUES] for row in self.rows[:MAX_SAMPLE_ROWS]]


def _failed(reason: str) -> ParseOutcome:
    return ParseOutcome(error=reason[:MAX_REASON_CHARS])


def parse_file(content: bytes) -> ParseOutcome:
    if not content.strip():
        return _failed('The file is empty')
    try:
        # A UTF-8 BOM is still UTF-8 (Excel writes one); anything else that is not UTF-8 fails.
        text = content.decode('utf-8-sig')
    except UnicodeDecodeError as exc:
        return _failed(f'The file is not UTF-8 encoded (invalid byte at position {exc.start})')
    if '\x00' in text:
        return _failed('The file contains NUL characters')
    try:
        records = [row for row in csv.reader(io.StringIO(text, newline=''), strict=True) if row]
    except csv.Error as exc:
        return _failed(f'The file is not a valid CSV: {exc}')
    if not records or not any(cell.strip() for cell in records[0]):
        return _failed('The file has no header row')
    header = records[0]
    if len(header) > MAX_HEADER_COLUMNS:
        return _failed(f'The header has {len(header)} columns; at most {MAX_HEADER_COLUMNS} are allowed')
    for line, row in enumerate(records, start=1):
        for cell in row:
            if len(cell) > MAX_CELL_CHARS:
                return _failed(f'Record {line} has a value longer than {MAX_CELL_CHARS} characters')
    rows = [row for row in records[1:] if any(cell.strip() for cell in row)]
    if not rows:
        return _failed('The file has a header but no data rows')
    return ParseOutcome(header=header, rows=rows)


@dataclass(frozen=True)
class ImportOutcome:
    success_count: int
    failure_count: int
    error_file: bytes | None
    balances: dict[str, int]


def import_rows(
    header: list[str],
    rows: list[list[str]],
    *,
    email_index: int,
    points_index: int,
    is_known_contact: Callable[[str], bool],
) -> ImportOutcome:
    """Sets each known contact's balance; every other row is a failure listed in the error file."""
    balances: dict[str, int] = {}
    failures: list[tuple[int, str, list[str]]] = []
    for number, row in enumerate(rows, start=1):
        email = row[email_index].strip() if email_index < len(row) else ''
        points = row[points_index].strip() if points_index < len(row) else ''
        reason = _row_error(email, points, is_known_contact)
        if reason is None:
            balances[email.lower()] = int(points)
        else:
            failures.append((number, reason, row))
    return ImportOutcome(
        success_count=len(rows) - len(failures),
        failure_count=len(failures),
        error_file=_error_file(header, failures) if failures else None,
        balances=balances,
    )


def _row_error(email: str, points: str, is_known_contact: Callable[[str], bool]) -> str | None:
    if not _EMAIL.match(email):
        return 'INVALID_EMAIL: the email is missing or not a valid address'
    if not _NON_NEGATIVE_INT.match(points):
        return 'INVALID_POINTS: points must be a non-negative integer'
    if not is_known_contact(email):
        return 'CONTACT_NOT_FOUND: no contact in the loyalty program has this email'
    return None


def _error_file(header: list[str], failures: list[tuple[int, str, list[str]]]) -> bytes:
    """Row number (1 = first data row), status, reason, then the row as it was uploaded."""
    out = io.StringIO(newline='')
    writer = csv.writer(out, lineterminator='\r\n')
    writer.writerow(['Row', 'Status', 'Error reason', *header])
    for number, reason, row in failures:
        writer.writerow([number, 'FAILED', reason, *row])
    return out.getvalue().encode('utf-8')
