"""A large file inspected as a stream of record blocks, written as parts: the small path's result."""

from __future__ import annotations

import csv
import io
import random
from typing import Any

import pytest

from loyalty_import.inspection import inspect_csv
from loyalty_import.inspection.large import BalanceDigest, LargeInspection, inspect_large, record_blocks
from loyalty_import.inspection.models import Decision, IssueKind, Refusal, RefusalCode, ReviewCode
from loyalty_import.inspection.parts import Part, split_normalized

BLOCK = 16 * 1024
PART_FILE = 96 * 1024  # parts of at most 32 KiB (the 64 KiB margin)


def _csv(rows: list[list[str]], *, delimiter: str = ',', bom: bool = False, title: str = '') -> bytes:
    text = io.StringIO()
    if title:
        text.write(title + '\r\n')
    csv.writer(text, delimiter=delimiter, lineterminator='\r\n').writerows(rows)
    return (('\ufeff' if bom else '') + text.getvalue()).encode('utf-8')


def _export(n: int, *, seed: int = 3) -> list[list[str]]:
    rnd = random.Random(seed)
    rows = [['Email', 'First Name', 'Points Balance', 'Note']]
    for i in range(n):
        note = rnd.choice(['', 'call\nback', 'a; b', 'said "hi"', 'x'])
        rows.append(
            [f'customer{i}@example.com', rnd.choice(['Ann', 'Zoë', 'José']), str(rnd.randrange(9000)), note]
        )
    return rows


def _pieces(data: bytes, size: int = 5000) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def _large(data: bytes, **kwargs: Any) -> tuple[LargeInspection, list[Part]]:
    parts: list[Part] = []
    result = inspect_large(
        _pieces(data), sink=parts.append, block_bytes=BLOCK, max_file_bytes=PART_FILE, **kwargs
    )
    return result, parts


@pytest.mark.parametrize(
    ('delimiter', 'bom', 'title'),
    [(';', True, 'Loyalty report 2026-12-01'), (';', False, 'sep=;'), (',', False, ''), ('\t', True, '')],
)
def test_the_parts_are_what_the_small_path_would_split(delimiter: str, bom: bool, title: str) -> None:
    data = _csv(_export(6000), delimiter=delimiter, bom=bom, title=title)
    large, parts = _large(data)
    small = inspect_csv(data)
    expected = list(
        split_normalized(
            small.normalized.content,
            email_index=small.normalized.email_index,
            points_index=small.normalized.points_index,
            max_file_bytes=PART_FILE,
        )
    )
    assert len(parts) >= 3
    assert [p.content for p in parts] == [p.content for p in expected]
    assert large.parts == [p.rows for p in parts]
    assert sum(large.parts) == large.rows == small.rows == 6000
    assert large.mapping == small.mapping
    assert large.decision is Decision.AUTO
    for part in parts:
        assert part.content.startswith(b'Email,Points Balance,First Name\r\n')
        assert len(part.content) <= PART_FILE - 64 * 1024


def test_blocks_end_after_whole_records_only() -> None:
    data = _csv(_export(3000))
    blocks = list(record_blocks(_pieces(data, 777), block_bytes=4096))
    assert b''.join(blocks) == data
    assert len(blocks) > 10
    for block in blocks:
        assert block.count(b'"') % 2 == 0  # no quoted cell (with its line break) is cut
        assert block.endswith(b'\r\n')
        assert list(csv.reader(io.StringIO(block.decode(), newline='')))  # each block parses alone


def test_a_quote_that_never_closes_is_refused() -> None:
    data = b'email,points\r\n"a@example.com,1\r\n' + b'b@example.com,2\r\n' * 2000
    with pytest.raises(Refusal) as refused:
        list(record_blocks([data], block_bytes=1024))
    assert refused.value.code is RefusalCode.NOT_A_CSV


def test_a_file_past_the_source_limit_is_refused_while_it_streams() -> None:
    data = _csv(_export(2000))
    with pytest.raises(Refusal) as refused:
        _large(data, max_source_bytes=len(data) - 1)
    assert refused.value.code is RefusalCode.FILE_TOO_LARGE


def test_two_balances_for_one_email_in_different_blocks_ask_a_person() -> None:
    rows = _export(4000)
    rows.append(['customer5@example.com', 'Ann', str(int(rows[6][2]) + 1), ''])  # row 5's email, far below
    large, _ = _large(_csv(rows))
    assert large.decision is Decision.REVIEW
    assert [r.code for r in large.reasons] == [ReviewCode.CONFLICTING_DUPLICATES]
    assert large.conflicting_emails == 1


def test_invalid_rows_past_the_head_count_for_the_whole_file() -> None:
    rows = _export(6000)
    for row in rows[2000::4]:  # none in the head block; a quarter of the rows below it
        row[0] = 'not an address'
    large, _ = _large(_csv(rows))
    assert inspect_csv(_csv(rows[:300])).decision is Decision.AUTO  # the head alone is clean
    assert large.decision is Decision.REVIEW
    assert ReviewCode.MANY_INVALID_ROWS in [r.code for r in large.reasons]
    invalid = large.validation.count(IssueKind.INVALID_EMAIL)
    assert invalid == len(rows[2000::4])
    small = inspect_csv(_csv(rows)).validation
    assert small.count(IssueKind.INVALID_EMAIL) == invalid
    # The file's own line numbers, not a block's: the small path's examples (a record spanning two
    # lines, a quoted line break in it, may be named by either of its lines).
    [issue] = large.validation.issues
    [expected] = small.issues
    assert len(issue.examples) == len(expected.examples) == 5
    for got, want in zip(issue.examples, expected.examples, strict=True):
        assert got.value == want.value
        assert want.line <= got.line <= want.line + 1


def test_mostly_invalid_rows_below_the_head_refuse_the_file() -> None:
    rows = _export(6000)
    for row in rows[1500:]:
        row[0] = 'nobody'
    with pytest.raises(Refusal) as refused:
        _large(_csv(rows))
    assert refused.value.code is RefusalCode.TOO_MANY_INVALID_ROWS


def test_the_fingerprint_is_the_balances_in_any_order() -> None:
    rows = _export(5000)
    shuffled = [rows[0], *random.Random(1).sample(rows[1:], len(rows) - 1)]
    first, _ = _large(_csv(rows))
    again, _ = _large(_csv(shuffled, delimiter=';'))
    assert first.content_fingerprint == again.content_fingerprint
    rows[100][2] = str(int(rows[100][2]) + 1)
    changed, _ = _large(_csv(rows))
    assert changed.content_fingerprint != first.content_fingerprint


def test_the_digest_tells_repeats_from_conflicts() -> None:
    digest = BalanceDigest()
    for email, points in [('a@x.com', 1), ('a@x.com', 1), ('b@x.com', 2), ('b@x.com', 3), ('c@x.com', 4)]:
        digest.add(email, points)
    assert digest.nbytes == 5 * 16
    conflicts, repeats, _ = digest.settle()
    assert (conflicts, repeats) == (1, 1)
