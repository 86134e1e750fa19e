"""Pre-flight validation of every row, in ONE streaming pass that also writes the normalized file.

The pass reads rows from csv.reader in chunks and checks each chunk with C-level bulk operations
(join, count, set) so that a clean chunk costs a few calls, not a Python loop per cell; only a
chunk that fails a bulk check is walked row by row to count and locate its problems.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice, repeat
from operator import itemgetter, setitem
from typing import Protocol

from loyalty_import.inspection.models import (
    MAX_CELL_CHARS,
    Example,
    Issue,
    IssueKind,
    ValidationSummary,
)
from loyalty_import.inspection.normalize import OutputWriter
from loyalty_import.inspection.values import SPACES, NumberFormat, is_email, parse_points

MAX_EXAMPLES = 5
_EXAMPLE_CHARS = 80
_CHUNK_ROWS = 256
# One regex call checks a whole chunk of addresses joined by '\n' (possessive, so it never
# backtracks); a chunk that fails it takes the exact per-row path.
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]"
_ASCII_EMAIL = rf'{_ATOM}++(?:\.{_ATOM}++)*+@(?:[A-Za-z0-9-]++\.)++[A-Za-z]{{2,}}+'
_EMAIL_LINES = re.compile(rf'{_ASCII_EMAIL}(?:\n{_ASCII_EMAIL})*+')
_PLAIN_INTS = re.compile(r'[0-9]{1,9}(?:\n[0-9]{1,9})*+')
_FORMULA_START = ('=', '@', '+', '-')
# 'DF', and 'DS' followed by anything but N or D, counted as two searches that start on the rare
# class (F or S) and look behind for the D: a search starting on D (every cell) is twice as slow.
# Matches never overlap (each needs a D just before its F or S), so the counts add up exactly.
_FORMULA_F = re.compile(rb'F(?<=DF)')
_FORMULA_S = re.compile(rb'S[^ND](?<=DS.)')
_FORMULA_S_AT_START = re.compile(rb'S[^ND]')
_NUMERIC_CHARS = frozenset('0123456789 ().-+')


class RowReader(Protocol):
    """A csv.reader: rows, and the physical line it has read up to (for example line numbers)."""

    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...

    def __next__(self) -> list[str]: ...


@dataclass
class PassPlan:
    width: int
    email: int
    points: int
    number_format: NumberFormat
    write: bool
    keep: list[int]
    header_out: list[str] | None
    check_cells: bool  # walk every cell for length and formulas (the byte-level scans cannot)
    comma_free: bool = False  # no cell holds a comma (normalize.cells_hold_no_comma)
    quote_free: bool = False  # no cell holds a quote or a line break (normalize.cells_hold_no_quote)
    # Also write EMAIL and POINTS alone (these columns of `keep`), for a rewrite projected to come
    # out too large for Wix: the pass then has the reduced file too, at a tenth of its cost.
    narrow: list[int] | None = None


@dataclass
class PassResult:
    rows: int = 0
    invalid_rows: int = 0
    dirty: bool = False
    oversized_columns: set[int] = field(default_factory=set)
    content: bytes | None = None
    narrow_content: bytes | None = None  # the file with only `PassPlan.narrow`, when asked for
    sample_rows: list[list[str]] = field(default_factory=list)
    last_row: list[str] = field(default_factory=list)
    counts: dict[IssueKind, int] = field(default_factory=dict)
    examples: dict[IssueKind, list[Example]] = field(default_factory=dict)

    def add(self, kind: IssueKind, line: int, value: str, count: int = 1) -> None:
        self.counts[kind] = self.counts.get(kind, 0) + count
        examples = self.examples.setdefault(kind, [])
        if len(examples) < MAX_EXAMPLES:
            examples.append(Example(line=line, value=value[:_EXAMPLE_CHARS]))

    def summary(self) -> ValidationSummary:
        issues = [
            Issue(kind=kind, count=self.counts[kind], examples=self.examples.get(kind, []))
            for kind in IssueKind
            if self.counts.get(kind)
        ]
        return ValidationSummary(
            rows=self.rows,
            valid_rows=self.rows - self.invalid_rows,
            invalid_rows=self.invalid_rows,
            issues=issues,
        )


class _Pass:
    def __init__(self, plan: PassPlan) -> None:
        self.plan = plan
        self.result = PassResult()
        self.keys: list[str] = []  # every valid email, lower-cased, in file order
        self.chunk_keys: list[tuple[int, Sequence[int]]] = []  # (first index in keys, their lines)
        self.writer = (
            OutputWriter(comma_free=plan.comma_free, quote_free=plan.quote_free) if plan.write else None
        )
        self.get_email = itemgetter(plan.email)
        self.get_points = itemgetter(plan.points)
        self.keep = None if plan.keep == list(range(plan.width)) else itemgetter(*plan.keep)
        self.narrow_writer = None
        if plan.write and plan.narrow is not None:
            self.narrow_writer = OutputWriter(comma_free=plan.comma_free, quote_free=plan.quote_free)
            self.get_narrow = itemgetter(*plan.narrow)
            if plan.header_out is not None:
                self.narrow_writer.writerows([list(self.get_narrow(plan.header_out))])
        sep = plan.number_format.thousands
        # At most two separators: nine digits, so a matching chunk needs no length check.
        group = None if sep is None else rf'[0-9]{{1,3}}+(?:{re.escape(sep)}[0-9]{{3}}+){{0,2}}+'
        self._grouped = None if group is None else re.compile(rf'{group}(?:\n{group})*+')
        if self.writer is not None and plan.header_out is not None:
            self.writer.writerows([self._project(plan.header_out)])

    def _project(self, row: list[str]) -> list[str]:
        if self.keep is None:
            return row
        picked = self.keep(row)
        return list(picked) if isinstance(picked, tuple) else [picked]

    def chunk(self, rows: list[list[str]], lines: Sequence[int]) -> None:
        plan = self.plan
        result = self.result
        width = plan.width
        if set(map(len, rows)) != {width}:
            rows, lines = self._fix_widths(rows, lines)
            if not rows:
                return
        n = len(rows)
        result.rows += n
        bad: set[int] = set()
        emails = list(map(self.get_email, rows))
        joined = '\n'.join(emails)
        # A range of line numbers means one physical line per row: no cell holds a line break.
        one_line = isinstance(lines, range)
        if (one_line or joined.count('\n') == n - 1) and _EMAIL_LINES.fullmatch(joined) is not None:
            lowered = joined.lower()  # for ASCII a table copy; str.islower() is several times slower
            self._remember(emails if lowered == joined else lowered.split('\n'), lines)
        else:
            self._emails(rows, lines, bad)
        joined = '\n'.join(map(self.get_points, rows))
        # Without a line count, a cell '12\n34' would pass as two numbers.
        plain = (one_line or joined.count('\n') == n - 1) and _PLAIN_INTS.fullmatch(joined) is not None
        if not plain and not self._grouped_points(rows, joined, one_line):
            self._points(rows, list(map(self.get_points, rows)), lines, bad)
        # A copy: writing may leave quoted cells in the rows; taken before an oversized cell is blanked
        # (a quote never closed makes one: causes.refuse_unterminated_quote reads it).
        result.last_row = list(rows[-1])
        if plan.check_cells:
            self._cells(rows, lines)
        result.invalid_rows += len(bad)
        if len(result.sample_rows) < 5:
            result.sample_rows.extend(self._project(list(row)) for row in rows[: 5 - len(result.sample_rows)])
        self._write(rows, one_line)

    def _write(self, rows: list[list[str]], one_line: bool) -> None:
        plan = self.plan
        if self.narrow_writer is not None and plan.narrow is not None:
            narrow = list(map(list, map(self.get_narrow, rows)))  # before: writing spends the rows
            self.narrow_writer.write_block(narrow, len(plan.narrow), single_line=one_line)
        if self.writer is not None:
            out = rows if self.keep is None else list(map(self._project, rows))
            self.writer.write_block(out, len(plan.keep), single_line=one_line)

    def _fix_widths(self, rows: list[list[str]], lines: Sequence[int]) -> tuple[list[list[str]], list[int]]:
        width = self.plan.width
        kept_rows, kept_lines = [], []
        for row, line in zip(rows, lines, strict=True):
            if not row or (len(row) == 1 and not row[0].strip()):
                self.result.dirty = True  # a blank line: dropped from the upload
                continue
            if len(row) != width:
                self.result.dirty = True
                if len(row) > width and not any(cell.strip() for cell in row[width:]):
                    row = row[:width]  # noqa: PLW2901 - a trailing delimiter: nothing is lost
                else:
                    self.result.add(IssueKind.RAGGED_ROW, line, f'{len(row)} cells, expected {width}')
                    row = (row + [''] * width)[:width]  # noqa: PLW2901
            kept_rows.append(row)
            kept_lines.append(line)
        return kept_rows, kept_lines

    def _emails(self, rows: list[list[str]], lines: Sequence[int], bad: set[int]) -> None:
        email = self.plan.email
        keys: list[str] = []
        key_lines: list[int] = []
        for i, row in enumerate(rows):
            raw = row[email]
            value = raw.strip(SPACES)
            if not value:
                self.result.add(IssueKind.BLANK_EMAIL, lines[i], raw)
                bad.add(i)
                continue
            if not is_email(value):
                self.result.add(IssueKind.INVALID_EMAIL, lines[i], raw)
                bad.add(i)
                continue
            if value != raw:
                row[email] = value
                self.result.dirty = True
            keys.append(value.lower())
            key_lines.append(lines[i])
        self._remember(keys, key_lines)

    def _remember(self, keys: list[str], lines: Sequence[int]) -> None:
        # Duplicates are found once, at the end, from one set built in C: a set grown chunk by
        # chunk costs twice as many hash-table visits.
        self.chunk_keys.append((len(self.keys), lines))
        self.keys.extend(keys)

    def _duplicates(self) -> None:
        if len(set(self.keys)) == len(self.keys):
            return
        seen: set[str] = set()
        starts = [start for start, _ in self.chunk_keys]
        for index, key in enumerate(self.keys):
            if key in seen:
                start, lines = self.chunk_keys[bisect_right(starts, index) - 1]
                self.result.add(IssueKind.DUPLICATE_EMAIL, lines[index - start], key)
            else:
                seen.add(key)

    def _grouped_points(self, rows: list[list[str]], joined: str, one_line: bool) -> bool:
        """A whole chunk of '1.234'-style balances, ungrouped in bulk; False sends it to the per-row path.

        `joined`: the chunk's POINTS cells joined by '\n'; `one_line`: no cell holds a line break.
        """
        sep = self.plan.number_format.thousands
        if sep is None or self._grouped is None:
            return False
        if self._grouped.fullmatch(joined) is None:
            return False
        plain = joined.replace(sep, '').split('\n')
        if not one_line and len(plain) != len(rows):
            return False  # a cell holds a line break: the per-row path reports it
        # One C-level loop instead of a Python one: row[column] = value for every row.
        deque(map(setitem, rows, repeat(self.plan.points, len(rows)), plain), maxlen=0)
        self.result.dirty = True
        return True

    def _points(self, rows: list[list[str]], points: list[str], lines: Sequence[int], bad: set[int]) -> None:
        column = self.plan.points
        fmt = self.plan.number_format
        for i, value in enumerate(points):
            if value.isdigit() and value.isascii() and len(value) <= 9:
                continue
            problem, normalized = parse_points(value, fmt)
            if problem is not None:
                self.result.add(problem, lines[i], value)
                bad.add(i)
            elif normalized != value:
                rows[i][column] = normalized
                self.result.dirty = True

    def _cells(self, rows: list[list[str]], lines: Sequence[int]) -> None:
        plan = self.plan
        for i, row in enumerate(rows):
            for column, cell in enumerate(row):
                if len(cell) > MAX_CELL_CHARS:
                    self.result.add(
                        IssueKind.OVERSIZED_CELL,
                        lines[i],
                        f'column {column} (counting from 0): {len(cell)} characters',
                    )
                    self.result.dirty = True
                    if column in (plan.email, plan.points):
                        row[column] = ''  # already counted as an invalid email/points value
                    else:
                        self.result.oversized_columns.add(column)
                elif cell[:1] in _FORMULA_START and is_formula(cell):
                    self.result.add(IssueKind.FORMULA_CELL, lines[i], cell)

    def finish(self) -> PassResult:
        self._duplicates()
        self.keys.clear()
        if self.writer is not None:
            self.result.content = self.writer.getvalue()
        if self.narrow_writer is not None:
            self.result.narrow_content = self.narrow_writer.getvalue()
        return self.result


def is_formula(cell: str) -> bool:
    """Starts like a spreadsheet formula; signed numbers and phone numbers ('+1 555...') do not count."""
    if not cell or cell[0] not in _FORMULA_START:
        return False
    if cell[0] in '+-':
        return len(cell) > 1 and not set(cell[1:]) <= _NUMERIC_CHARS  # a lone '-' means 'no value'
    return True


def run_pass(head: list[tuple[int, list[str]]], reader: RowReader, plan: PassPlan) -> PassResult:
    """Validate (and write, when `plan.write`) the already-read `head` rows, then the rest of `reader`."""
    state = _Pass(plan)
    for start in range(0, len(head), _CHUNK_ROWS):
        part = head[start : start + _CHUNK_ROWS]
        state.chunk([row for _, row in part], [line for line, _ in part])
    while True:
        before = reader.line_num
        rows = list(islice(reader, _CHUNK_ROWS))
        if not rows:
            break
        after = reader.line_num
        lines: Sequence[int]
        if after - before == len(rows):
            lines = range(before + 1, after + 1)
        else:
            lines = _lines_with_multiline_cells(rows, before)
            if not plan.check_cells:
                plan.check_cells = True  # a cell spanning lines may be longer than any line
                state.chunk(rows, lines)
                plan.check_cells = False
                continue
        state.chunk(rows, lines)
    return state.finish()


def _lines_with_multiline_cells(rows: list[list[str]], before: int) -> list[int]:
    lines = []
    line = before
    for row in rows:
        lines.append(line + 1)
        line += 1 + sum(cell.count('\n') for cell in row)
    return lines


# --- byte-level scans (ASCII-compatible encodings): one C-speed look at the whole file ------------


@dataclass(frozen=True)
class FormulaStarts:
    """What one byte-level look at the whole file found (see `count_formula_starts`)."""

    at_or_equals: int  # cells starting with '=' or '@'
    signs: int  # cells starting with '+' or '-' that are not a signed number or phone number
    c1_bytes: bool  # a byte in 0x80-0x9f: where cp1252 and latin-1 differ


def count_formula_starts(data: bytes, start: int, delimiter: str) -> FormulaStarts:
    """Turn bytes into classes and count the cells that start like a formula, without walking cells.

    Classes: D = delimiter, line end or quote (an opening quote belongs with its delimiter);
    F = '=' or '@'; S = '+' or '-'; N = what a number or phone number continues with; C = a byte in
    0x80-0x9f. Counted: 'DF', and 'DS' followed by anything but N or D.
    """
    table = bytearray(b'x' * 256)
    for byte in range(0x80, 0xA0):
        table[byte] = ord('C')
    for byte in (ord(delimiter), 10, 13, ord('"')):
        table[byte] = ord('D')
    for byte in b'=@':
        table[byte] = ord('F')
    for byte in b'+-':
        table[byte] = ord('S')
    for byte in b'0123456789 ().':
        table[byte] = ord('N')
    classes = data.translate(bytes(table))
    view = memoryview(classes)[start:]  # no copy; the look-behinds cannot see the BOM before it
    starts = FormulaStarts(
        at_or_equals=len(_FORMULA_F.findall(view)) + classes.startswith(b'F', start),
        signs=len(_FORMULA_S.findall(view)) + (_FORMULA_S_AT_START.match(view) is not None),
        c1_bytes=classes.find(b'C', start) != -1,
    )
    view.release()
    return starts


def formula_scan(
    data: bytes, start: int, delimiter: str, emails: int, starts: FormulaStarts | None = None
) -> tuple[int, list[Example]]:
    """Count cells starting like a formula (ASCII-compatible encodings) and locate the first ones.

    '=' anywhere, or more '@' than the `emails` valid addresses hold, means '=' and '@' count;
    otherwise every '@' sits inside an address and only signs can start a formula. `starts`: the
    counts already taken by `count_formula_starts` (they do not depend on `emails`).
    """
    if starts is None:
        if b'+' not in data and b'-' not in data and b'=' not in data and data.count(b'@') == emails:
            return 0, []
        starts = count_formula_starts(data, start, delimiter)
    count = starts.signs
    # Only when some cell starts with '=' or '@' does it matter whether every '@' is in an address.
    if starts.at_or_equals and (b'=' in data or data.count(b'@') != emails):
        count += starts.at_or_equals
    if not count:
        return 0, []
    sep = re.escape(delimiter.encode())
    pattern = re.compile(
        rb'(?:^|(?<=['
        + sep
        + rb'\r\n]))"?(?:[=@]|[+\-](?![0-9 ().\-]*"?(?:['
        + sep
        + rb'\r\n]|$)))[^'
        + sep
        + rb'\r\n]*',
        re.MULTILINE,
    )
    examples = []
    for match in pattern.finditer(data, start):
        line = data.count(b'\n', 0, match.start()) + 1
        examples.append(Example(line=line, value=match.group(0)[:_EXAMPLE_CHARS].decode('utf-8', 'replace')))
        if len(examples) >= MAX_EXAMPLES:
            break
    return count, examples


def has_line_longer_than(data: bytes, limit: int, newline: bytes = b'\n') -> bool:
    """Exact, without splitting: jump to the LAST newline within reach until one is out of reach."""
    pos, end = 0, len(data)
    while end - pos > limit:
        last = data.rfind(newline, pos, pos + limit + 1)
        if last == -1:
            return True
        pos = last + 1
    return False


def refusal_rows(result: PassResult) -> bool:
    """Most rows cannot be imported: the chosen columns are wrong or the file is broken."""
    return result.rows > 0 and result.invalid_rows * 2 > result.rows


__all__ = [
    'FormulaStarts',
    'PassPlan',
    'PassResult',
    'count_formula_starts',
    'formula_scan',
    'has_line_longer_than',
    'is_formula',
    'run_pass',
]
