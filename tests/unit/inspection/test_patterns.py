"""Character classes written as complements (fast to compile) match exactly what the ranges did."""

from __future__ import annotations

import re

import pytest

from loyalty_import.inspection import decoding, values

EVERY_CODE_POINT = ''.join(map(chr, range(0x110000)))


def _matched(pattern: str) -> list[int]:
    return [m.start() for m in re.finditer(pattern, EVERY_CODE_POINT)]


@pytest.mark.parametrize(
    ('complement', 'ranges'),
    [
        (values._ATOM_CHAR, r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-\u00a1-\uffff]"),
        (values._ALNUM, r'[A-Za-z0-9\u00a1-\uffff]'),
        (values._ALNUM_DASH, r'[A-Za-z0-9\u00a1-\uffff\-]'),
        (values._ALPHA, r'[A-Za-z\u00a1-\uffff]'),
        (decoding._WORD_SPAN.pattern[:-1], r'[0-9A-Za-z_\x80-\U0010ffff]'),
    ],
)
def test_a_complement_class_matches_every_code_point_its_ranges_match(complement: str, ranges: str) -> None:
    # WHEN both classes are run over every code point / THEN they match the same ones
    assert _matched(complement) == _matched(ranges)


@pytest.mark.parametrize(
    ('value', 'valid'),
    [
        ('jose.nunez@example.com', True),
        ('zoë+loyalty@exämple.de', True),
        ("o'brien@mail.example.co.uk", True),
        ('a@b.c', False),
        ('a..b@example.com', False),
        ('a@-example.com', False),
        ('a@example-.com', False),
        ('a b@example.com', False),
        ('a@example.c0m', False),
        ('ユーザー@例え.テスト', True),
        ('a@exa\U0001f600mple.com', False),
    ],
)
def test_the_email_check_reads_addresses_as_before(value: str, valid: bool) -> None:
    assert values.is_email(value) is valid
