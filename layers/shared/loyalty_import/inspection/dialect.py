"""The CSV dialect (delimiter, line ends), sniffed from a bounded sample, never the whole file."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass

from loyalty_import.inspection.models import Refusal, RefusalCode

DELIMITERS = (',', ';', '\t', '|')
_SAMPLE_CHARS = 64 * 1024
_MAX_SAMPLE_CHARS = 1024 * 1024
_SNIFF_ROWS = 200


_MARKUP = re.compile(r'\s*<(?:!doctype|html|\?xml|table|head|body|meta|div)\b', re.IGNORECASE)
_JSON = re.compile(r'\s*(?:\[\s*[{\["]|\{\s*")')


def refuse_other_formats(sample: str) -> None:
    """HTML, XML and JSON saved as .csv: some of their lines split on commas, but they are not tables."""
    if _MARKUP.match(sample):
        raise Refusal(
            RefusalCode.NOT_A_CSV, 'This is an HTML/XML document, not a CSV file: export the table as CSV.'
        )
    if _JSON.match(sample):
        raise Refusal(RefusalCode.NOT_A_CSV, 'This is JSON, not a CSV file: export the data as CSV.')


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    skip_lines: int  # an Excel 'sep=;' line
    line_end: str  # '\r\n', '\n' or '\r' (the first one seen)


def sample_text(text: str) -> tuple[str, bool]:
    """The first complete lines of `text` (at least ~10 lines when they are long); truncated?"""
    size = _SAMPLE_CHARS
    while size < _MAX_SAMPLE_CHARS and len(text) > size and text.count('\n', 0, size) < 10:
        size *= 4
    if len(text) <= size:
        return text, False
    cut = max(text.rfind('\n', 0, size), text.rfind('\r', 0, size))
    return text[: cut + 1 if cut > 0 else size], True


def sniff(sample: str, truncated: bool) -> Dialect:
    """Pick the delimiter whose split gives the most consistent number of columns (most columns on a tie)."""
    skip = 0
    first_line = sample.split('\n', 1)[0].strip()
    if first_line.lower().startswith('sep=') and len(first_line) == 5:
        return Dialect(first_line[4], 1, _line_end(sample))
    best: tuple[float, int, str] = (-1.0, 0, ',')
    for delimiter in DELIMITERS:
        widths = [len(row) for row in _rows(sample, delimiter, truncated) if row]
        if not widths:
            continue
        width, hits = Counter(widths).most_common(1)[0]
        consistency = hits / len(widths) if width > 1 else 0.0
        candidate = (consistency, width, delimiter)
        if candidate[:2] > best[:2]:
            best = candidate
    return Dialect(best[2], skip, _line_end(sample))


def _rows(sample: str, delimiter: str, truncated: bool) -> list[list[str]]:
    rows = []
    reader = csv.reader(io.StringIO(sample, newline=''), delimiter=delimiter)
    try:
        for row in reader:
            rows.append(row)
            if len(rows) >= _SNIFF_ROWS:
                return rows
    except csv.Error:
        return rows
    return rows[:-1] if truncated and len(rows) > 1 else rows


def _line_end(sample: str) -> str:
    lf = sample.find('\n')
    cr = sample.find('\r')
    if cr == -1 or (lf != -1 and lf < cr):
        return '\n'
    return '\r\n' if sample[cr : cr + 2] == '\r\n' else '\r'
