"""A source file past Wix's 10 MB, inspected as a stream and written as parts (never whole in memory).

large = inspect_large(chunks, sink=parts.append)   # chunks: the S3 body, in pieces; raises Refusal

The file is cut into blocks of whole records (`record_blocks`: a line break outside quotes). The
first block is the head: `inspect_csv` decides the encoding, the delimiter, the header and the
EMAIL/POINTS columns on it exactly as on a small file (its decoding, sniffing and inference read
at most the first MB and 300 rows anyway). Every later block is the head's header lines plus its
own records, inspected with the head's columns named: the same per-row validation and
normalization. Their normalized rows go through one `PartSplitter` into parts that each fit a Wix
import, handed to `sink` as they fill (the caller stores them: nothing reaches Wix here).

The whole-file checks hold over every block: the invalid-rows share is summed; one balance per
customer and the content fingerprint use 16 bytes a row (hashed email, hashed email+points), kept
in 256 buckets by email hash and settled bucket by bucket at the end. Only when the whole file has
passed does the caller send a part to Wix.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from loyalty_import.inspection import inspect_csv
from loyalty_import.inspection.decision import MAX_WRONG_VALUES_SHARE
from loyalty_import.inspection.header import count_preamble
from loyalty_import.inspection.models import (
    MAX_FILE_BYTES,
    Decision,
    Example,
    Inspection,
    Issue,
    IssueKind,
    Reason,
    Refusal,
    RefusalCode,
    ReviewCode,
    ValidationSummary,
)
from loyalty_import.inspection.parts import Part, PartSplitter, name_columns, part_limit

MAX_SOURCE_BYTES = 200 * 1024 * 1024
# A block of records: the head's size too. Large enough for the inference (it reads 1 MB and 300
# rows), small enough that a block, its normalized copy and one part stay a few tens of MB.
BLOCK_BYTES = 4 * 1024 * 1024
# A quote never closed within this many blocks: the file is broken (or holds a stray '"').
_MAX_OPEN_BLOCKS = 4
_EXAMPLES = 5
_BUCKETS = 256
_WRONG_VALUES = (IssueKind.INVALID_EMAIL, IssueKind.NON_INTEGER_POINTS, IssueKind.NEGATIVE_POINTS)
# A byte-level cut is only sound where '"' and the line break are single bytes of their own.
_NOT_BYTE_CUTTABLE = ('utf-16', 'utf-32')


def record_blocks(
    stream: Iterable[bytes], *, block_bytes: int = BLOCK_BYTES, max_source_bytes: int = MAX_SOURCE_BYTES
) -> Iterator[bytes]:
    """The stream's bytes in blocks of about `block_bytes`, each ending after a whole record.

    A line break ends a record when the quotes before it are balanced (a quoted cell's line break
    does not); blocks start balanced, so each block's own count decides.
    """
    pending = bytearray()
    total = 0
    newline = b''
    for data in stream:
        total += len(data)
        if total > max_source_bytes:
            raise Refusal(
                RefusalCode.FILE_TOO_LARGE,
                f'The file is more than {max_source_bytes:,} bytes, the most this pipeline imports. '
                'Split it into smaller files.',
            )
        pending += data
        newline = newline or _newline(pending)
        while len(pending) >= block_bytes:
            cut = _record_end(pending, block_bytes, newline)
            if cut is None:
                if len(pending) > _MAX_OPEN_BLOCKS * block_bytes:
                    raise Refusal(
                        RefusalCode.NOT_A_CSV, 'A quoted cell never ends: the file cannot be read as CSV.'
                    )
                break
            yield bytes(pending[:cut])
            del pending[:cut]
    if pending:
        yield bytes(pending)


def _newline(data: bytearray) -> bytes:
    if b'\n' in data:
        return b'\n'
    return b'\r' if b'\r' in data else b''


def _record_end(data: bytearray, near: int, newline: bytes) -> int | None:
    """The end of the last whole record before `near` (else the first after it); None: not yet."""
    if not newline:
        return None
    pos = data.rfind(newline, 0, near)
    quotes = data.count(b'"', 0, pos + 1) if pos >= 0 else 0
    while pos >= 0:
        if quotes % 2 == 0:
            return pos + 1
        before = data.rfind(newline, 0, pos)
        quotes -= data.count(b'"', before + 1, pos + 1)
        pos = before
    pos = data.find(newline, near)
    quotes = data.count(b'"', 0, pos + 1) if pos >= 0 else 0
    while pos >= 0:
        if quotes % 2 == 0:
            return pos + 1
        after = data.find(newline, pos + 1)
        if after < 0:
            return None
        quotes += data.count(b'"', pos + 1, after + 1)
        pos = after
    return None


def header_prefix(head: bytes, inspection: Inspection) -> bytes:
    """The head's bytes before its first data row: BOM, 'sep=' line, title lines and the header."""
    bom = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    text = head[bom:].decode(inspection.encoding, errors='replace')
    consumed = [0]

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=''):
            consumed[0] += len(line)
            yield line

    reader = csv.reader(lines(), delimiter=inspection.delimiter)
    first = text.split('\n', 1)[0].strip().lower()
    if first.startswith('sep=') and len(first) == 5:
        next(reader, None)
    rows: list[tuple[int, list[str]]] = []
    for row in reader:
        if row and (len(row) > 1 or row[0].strip()):
            rows.append((consumed[0], row))
        if len(rows) >= 50:
            break
    keep = count_preamble([row for _, row in rows]) + inspection.has_header
    end = rows[keep - 1][0] if keep else 0
    if keep == 0 and text.startswith('sep='):
        end = len(text.split('\n', 1)[0]) + 1
    return head[: bom + len(text[:end].encode(inspection.encoding))]


class BalanceDigest:
    """One balance per customer and the fingerprint over every row, at 16 bytes a row.

    Each row adds its hashed email and hashed (email, points) to the bucket its email hash picks;
    `settle` reads one bucket at a time: the emails with two balances, the rows repeating one, and
    a SHA-256 over every bucket's sorted distinct balances (the same balances in any row order
    give the same fingerprint).
    """

    def __init__(self) -> None:
        self._buckets = [bytearray() for _ in range(_BUCKETS)]

    def add(self, email: str, points: int) -> None:
        key = hashlib.blake2b(email.encode('utf-8'), digest_size=8).digest()
        pair = hashlib.blake2b(f'{email}\t{points}'.encode(), digest_size=8).digest()
        self._buckets[key[0]] += key + pair

    @property
    def nbytes(self) -> int:
        return sum(len(bucket) for bucket in self._buckets)

    def settle(self) -> tuple[int, int, str]:
        """(emails with conflicting balances, rows repeating a balance, fingerprint)."""
        conflicts = repeats = 0
        digest = hashlib.sha256()
        for bucket in self._buckets:
            balances: dict[bytes, set[bytes]] = {}
            rows = 0
            for at in range(0, len(bucket), 16):
                balances.setdefault(bytes(bucket[at : at + 8]), set()).add(bytes(bucket[at + 8 : at + 16]))
                rows += 1
            distinct = sorted(pair for pairs in balances.values() for pair in pairs)
            conflicts += sum(1 for pairs in balances.values() if len(pairs) > 1)
            repeats += rows - len(distinct)
            digest.update(b''.join(distinct))
        return conflicts, repeats, digest.hexdigest()


class LargeInspection(Inspection):
    """The head's inspection (mapping, columns, encoding), with the whole file's counts and parts."""

    parts: list[int]  # the rows of each part, in order
    part_bytes: list[int]
    content_fingerprint: str
    conflicting_emails: int = 0


@dataclass
class _Totals:
    rows: int = 0
    valid: int = 0
    invalid: int = 0
    counts: dict[IssueKind, int] = field(default_factory=dict)
    examples: dict[IssueKind, list[Example]] = field(default_factory=dict)

    def add(self, summary: ValidationSummary, line_shift: int) -> None:
        self.rows += summary.rows
        self.valid += summary.valid_rows
        self.invalid += summary.invalid_rows
        for issue in summary.issues:
            self.counts[issue.kind] = self.counts.get(issue.kind, 0) + issue.count
            kept = self.examples.setdefault(issue.kind, [])
            for example in issue.examples[: _EXAMPLES - len(kept)]:
                kept.append(Example(line=example.line + line_shift, value=example.value))

    def summary(self) -> ValidationSummary:
        issues = [
            Issue(kind=kind, count=n, examples=self.examples.get(kind, [])) for kind, n in self.counts.items()
        ]
        return ValidationSummary(
            rows=self.rows, valid_rows=self.valid, invalid_rows=self.invalid, issues=issues
        )


@dataclass(frozen=True)
class _Plan:
    """What the head decided, for every later block."""

    head: Inspection
    prefix: bytes
    prefix_lines: int
    points_names: tuple[str, ...]


def inspect_large(
    stream: Iterable[bytes],
    *,
    sink: Callable[[Part], None],
    email_column: str | int | None = None,
    points_column: str | int | None = None,
    points_names: tuple[str, ...] = (),
    max_file_bytes: int = MAX_FILE_BYTES,
    max_source_bytes: int = MAX_SOURCE_BYTES,
    block_bytes: int = BLOCK_BYTES,
    keep_names: bool = True,
) -> LargeInspection:
    """Inspect a large file block by block; each part to `sink` as it fills. Raises Refusal.

    The caller sends nothing to Wix unless this returns with `decision` 'auto': a refusal or a
    review found in the last block still stops the whole file. `keep_names`: the parts carry the
    name columns (by header) beside EMAIL and POINTS.
    """
    blocks = record_blocks(stream, block_bytes=block_bytes, max_source_bytes=max_source_bytes)
    first = next(blocks, b'')
    head = inspect_csv(
        first,
        email_column=email_column,
        points_column=points_column,
        max_file_bytes=_room(first),
        points_names=points_names,
    )
    if head.encoding.lower().startswith(_NOT_BYTE_CUTTABLE):
        raise Refusal(
            RefusalCode.FILE_TOO_LARGE,
            f'A file over {max_file_bytes:,} bytes must be UTF-8 (or a one-byte code page); this one is '
            f'{head.encoding}. Save it as "CSV UTF-8" and upload it again.',
        )
    prefix = header_prefix(first, head)
    plan = _Plan(head, prefix, prefix.count(b'\n') or prefix.count(b'\r'), points_names)
    normalized = head.normalized
    names = name_columns(normalized.header, exclude=(normalized.email_index, normalized.points_index))
    names = names if keep_names else []
    columns = [normalized.email_index, normalized.points_index, *names]
    splitter = PartSplitter(normalized.header, columns, names, part_limit(max_file_bytes))
    state = _Stream(splitter, sink, BalanceDigest(), _Totals())
    state.take(head, line_shift=0)
    lines_before = first.count(b'\n') or first.count(b'\r')
    for block in blocks:
        inspection = _inspect_block(plan, block)
        state.take(inspection, line_shift=lines_before - plan.prefix_lines)
        lines_before += block.count(b'\n') or block.count(b'\r')
    return state.finish(head)


def _room(*data: bytes) -> int:
    """A bound no block reaches: a block is never narrowed to EMAIL and POINTS on its own (the
    parts keep the same columns for every block) nor refused FILE_TOO_LARGE."""
    return max(MAX_FILE_BYTES, 4 * sum(map(len, data)))


def _inspect_block(plan: _Plan, block: bytes) -> Inspection:
    """A later block with the head's header lines, its columns named as the head chose them."""
    head = plan.head
    inspection = inspect_csv(
        plan.prefix + block,
        email_column=head.mapping.email,
        points_column=head.mapping.points,
        max_file_bytes=_room(plan.prefix, block),
        points_names=plan.points_names,
    )
    same = (
        inspection.has_header == head.has_header
        and inspection.normalized.header == head.normalized.header
        and inspection.normalized.email_index == head.normalized.email_index
    )
    if not same:
        raise Refusal(
            RefusalCode.NOT_A_CSV,
            'The file reads differently further down (another header or other columns): '
            'export it again as one table.',
        )
    return inspection


@dataclass
class _Stream:
    splitter: PartSplitter
    sink: Callable[[Part], None]
    digest: BalanceDigest
    totals: _Totals
    parts: list[Part] = field(default_factory=list)
    part_sizes: list[int] = field(default_factory=list)

    def _emit(self, part: Part | None) -> None:
        if part is not None:
            self.sink(part)
            # Only the counts are kept: the part's bytes are the sink's.
            self.parts.append(Part(b'', part.rows, part.first_row, part.names_dropped))
            self.part_sizes.append(len(part.content))

    def take(self, inspection: Inspection, *, line_shift: int) -> None:
        self.totals.add(inspection.validation, line_shift)
        normalized = inspection.normalized
        email_at, points_at = normalized.email_index, normalized.points_index
        reader = csv.reader(io.StringIO(normalized.content.decode('utf-8'), newline=''))
        next(reader, None)
        for row in reader:
            if not row:
                continue
            self._emit(self.splitter.add(row))
            if len(row) > max(email_at, points_at):
                self._balance(row[email_at], row[points_at])

    def _balance(self, email_cell: str, points_cell: str) -> None:
        email = email_cell.strip().lower()
        try:
            points = int(points_cell.strip())
        except ValueError:
            return  # Wix refuses that row too (balances.pairs_from_normalized)
        if email:
            self.digest.add(email, points)

    def finish(self, head: Inspection) -> LargeInspection:
        self._emit(self.splitter.finish())
        conflicts, _repeats, fingerprint = self.digest.settle()
        summary = self.totals.summary()
        reasons = _whole_file_reasons(head.reasons, summary, conflicts)
        return LargeInspection(
            **head.model_dump(exclude={'validation', 'rows', 'reasons', 'decision', 'normalized'}),
            normalized=head.normalized.model_copy(update={'content': b''}),
            validation=summary,
            rows=summary.rows,
            reasons=reasons,
            decision=Decision.REVIEW if reasons else Decision.AUTO,
            parts=[part.rows for part in self.parts],
            part_bytes=list(self.part_sizes),
            content_fingerprint=fingerprint,
            conflicting_emails=conflicts,
        )


def _whole_file_reasons(head: list[Reason], summary: ValidationSummary, conflicts: int) -> list[Reason]:
    """The head's reasons, and those only the whole file shows (decision.py's, over every row)."""
    if summary.rows and summary.invalid_rows * 2 > summary.rows:
        raise Refusal(
            RefusalCode.TOO_MANY_INVALID_ROWS,
            f'{summary.invalid_rows:,} of {summary.rows:,} rows cannot be imported.',
        )
    reasons = list(head)
    wrong = sum(summary.count(kind) for kind in _WRONG_VALUES)
    if wrong > summary.rows * MAX_WRONG_VALUES_SHARE and not _has(reasons, ReviewCode.MANY_INVALID_ROWS):
        message = f'{wrong:,} of {summary.rows:,} rows hold an invalid email or balance: the right columns?'
        reasons.append(Reason(code=ReviewCode.MANY_INVALID_ROWS, message=message))
    if conflicts and not _has(reasons, ReviewCode.CONFLICTING_DUPLICATES):
        message = f"{conflicts:,} emails appear with different balances: which one is the customer's?"
        reasons.append(Reason(code=ReviewCode.CONFLICTING_DUPLICATES, message=message))
    return reasons


def _has(reasons: list[Reason], code: ReviewCode) -> bool:
    return any(reason.code is code for reason in reasons)
