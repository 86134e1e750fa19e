"""A labelled CSV file as a table of cells, and back to bytes in the same encoding and delimiter.

The evaluation's variants are made on the table (`Table.header`, `Table.body`) and written back
with `Table.to_bytes`. A file is only varied when it round-trips: decoded strictly, parsed strictly
by Python's csv module, written back and parsed again to the very same cells (quoting may differ).
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Literal

DELIMITERS = (',', ';', '\t', '|')
# Decoding order when a label names no encoding (utf-16 only with its BOM: it decodes anything).
FALLBACK_ENCODINGS = ('utf-8-sig', 'utf-16', 'cp1252')
EMAIL_RE = re.compile(r'[^@\s,;]+@[^@\s,;]+\.[^@\s,;]+')
_BOMS = {'utf-16-le': b'\xff\xfe', 'utf-16-be': b'\xfe\xff'}
_UTF8_BOM = b'\xef\xbb\xbf'


class NotRoundTrippable(Exception):  # noqa: N818 - a reason to skip the file, not a failure
    """The file cannot be decoded, parsed and written back faithfully: no variants are made of it."""


@dataclass(frozen=True)
class Table:
    """A parsed file: the lines above the table, the header (None: headerless) and the data rows."""

    encoding: str  # how to write it back: a codec name, or 'utf-16-le+bom'/'utf-16-be+bom'
    delimiter: str
    newline: str
    preamble: str  # raw text of title lines (or Excel's sep= line) above the table
    header: list[str] | None
    body: list[list[str]]
    quoting: Literal[0, 1, 2, 3] = (
        csv.QUOTE_MINIMAL
    )  # QUOTE_ALL when the file quotes every cell (Outlook, Salesforce)

    @property
    def width(self) -> int:
        if self.header is not None:
            return len(self.header)
        widths = Counter(len(row) for row in self.body if row)
        return widths.most_common(1)[0][0] if widths else 0

    def with_rows(self, header: list[str] | None, body: list[list[str]]) -> Table:
        return replace(self, header=header, body=body)

    def text(self) -> str:
        buffer = io.StringIO()
        writer = csv.writer(
            buffer, delimiter=self.delimiter, lineterminator=self.newline, quoting=self.quoting
        )
        for row in ([self.header] if self.header is not None else []) + self.body:
            writer.writerow(row)
        return self.preamble + buffer.getvalue()

    def to_bytes(self) -> bytes:
        """The table in its file's encoding; NotRoundTrippable when a cell cannot be encoded in it."""
        text = self.text()
        try:
            if self.encoding.endswith('+bom'):
                codec = self.encoding.removesuffix('+bom')
                return _BOMS[codec] + text.encode(codec)
            return text.encode(self.encoding)
        except UnicodeEncodeError as exc:
            raise NotRoundTrippable(f'a cell cannot be written in {self.encoding}: {exc}') from exc


def decode(data: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding to write it back with); NotRoundTrippable when it does not decode."""
    if encoding:
        try:
            return _decode_named(data, encoding.lower())
        except NotRoundTrippable:
            pass  # the label's encoding does not read it: try the usual ones
    for candidate in FALLBACK_ENCODINGS:
        if candidate == 'utf-16' and not data.startswith((_BOMS['utf-16-le'], _BOMS['utf-16-be'])):
            continue
        try:
            return _decode_named(data, candidate)
        except NotRoundTrippable:
            continue
    raise NotRoundTrippable('not utf-8, utf-16 (with BOM) or cp1252 text')


def _decode_named(data: bytes, encoding: str) -> tuple[str, str]:
    try:
        if encoding in ('utf-16', 'utf-16-be-bom'):
            for codec, bom in _BOMS.items():
                if data.startswith(bom):
                    return data[2:].decode(codec), f'{codec}+bom'
            raise NotRoundTrippable('utf-16 without a BOM')
        if encoding in ('utf-8-sig', 'utf-8', 'utf8'):
            if data.startswith(_UTF8_BOM):
                return data[3:].decode('utf-8'), 'utf-8-sig'
            return data.decode('utf-8'), 'utf-8'
        return data.decode(encoding), encoding
    except (UnicodeDecodeError, LookupError) as exc:
        raise NotRoundTrippable(f'does not decode as {encoding}: {exc}') from exc


def newline_of(text: str) -> str:
    if '\r\n' in text:
        return '\r\n'
    if '\r' in text:
        return '\r'
    return '\n'


def parse(text: str, delimiter: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline=''), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise NotRoundTrippable(f'the csv module cannot parse it strictly: {exc}') from exc


def sniff_delimiter(text: str) -> str:
    """The delimiter giving the most rows of one width (> 1 column); ties: more columns."""
    head = text[: 64 * 1024]
    best: tuple[float, int, str] | None = None
    errors: list[str] = []
    for delimiter in DELIMITERS:
        try:
            rows = [row for row in parse(head, delimiter)[:50] if row]
        except NotRoundTrippable as exc:
            errors.append(str(exc))
            continue
        if not rows:
            continue
        width, count = Counter(len(row) for row in rows).most_common(1)[0]
        if width < 2:
            continue
        score = (count / len(rows), width, delimiter)
        if best is None or score[:2] > best[:2]:
            best = score
    if best is None:
        if errors:
            raise NotRoundTrippable(f'{errors[0]} (and no other delimiter gives a table)')
        raise NotRoundTrippable('no delimiter gives a table of two or more columns')
    return best[2]


def count_preamble(rows: list[list[str]]) -> int:
    """Leading title lines (or a sep= line): up to 5 rows of at most one filled cell above a wider table."""
    filled = [sum(1 for cell in row if cell.strip()) for row in rows]
    count = 0
    while count < min(5, len(rows) - 1) and filled[count] <= 1 and max(filled[count + 1 :], default=0) > 1:
        count += 1
    return count


def looks_like_header(row: list[str]) -> bool:
    """A first row with no email and no whole number in it is a header (only when no label says)."""
    return not any(EMAIL_RE.fullmatch(cell.strip()) or cell.strip().lstrip('-').isdigit() for cell in row)


def read_table(
    data: bytes,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    has_header: bool | None = None,
    preamble_lines: int | None = None,
) -> Table:
    """Parse a file as its label (or manifest) describes it, guessing what is not said."""
    text, write_encoding = decode(data, encoding)
    if '\x00' in text or re.search(r'[\x01-\x08\x0b\x0c\x0e-\x1f]', text):
        raise NotRoundTrippable('control characters: binary data, not a text table')
    delimiter = delimiter or sniff_delimiter(text)
    rows = parse(text, delimiter)
    if preamble_lines is None:
        preamble_lines = count_preamble(rows)
    lines = text.splitlines(keepends=True)
    preamble = ''.join(lines[:preamble_lines])
    rows = parse(text[len(preamble) :], delimiter)
    while rows and not rows[0]:
        rows = rows[1:]
    if not rows:
        raise NotRoundTrippable('no rows')
    if has_header is None:
        has_header = looks_like_header(rows[0])
    header, body = (rows[0], rows[1:]) if has_header else (None, rows)
    table = Table(write_encoding, delimiter, newline_of(text), preamble, header, body)
    if table.width < 2 or not any(body):
        raise NotRoundTrippable('not a table of two or more columns with data rows')
    _check_round_trip(table)
    quoted = replace(table, quoting=csv.QUOTE_ALL)
    if table.to_bytes() != data and quoted.to_bytes() == data:
        return quoted  # written back byte for byte only with every cell quoted
    return table


def _check_round_trip(table: Table) -> None:
    again = parse(table.text()[len(table.preamble) :], table.delimiter)
    expected = ([table.header] if table.header is not None else []) + table.body
    if again != expected:
        raise NotRoundTrippable('written back, it does not parse to the same cells')
    table.to_bytes()
