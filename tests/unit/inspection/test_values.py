# ruff: noqa: RUF001 - names, digits and headers in other scripts are the point of these tests
from __future__ import annotations

import pytest

from loyalty_import.inspection.models import IssueKind
from loyalty_import.inspection.values import NumberFormat, is_email, number_stats, parse_points


@pytest.mark.parametrize(
    ('value', 'valid'),
    [
        ('ann@example.com', True),
        ("o'brien+loyalty@mail.example.co.uk", True),
        ('müller@example.de', True),
        ('ann@example', False),
        ('ann example.com', False),
        ('@example.com', False),
        ('ann@@example.com', False),
        ('ann@example..com', False),
        ('', False),
        ('a' * 250 + '@example.com', False),
    ],
)
def test_email_validity(value: str, valid: bool) -> None:
    assert is_email(value) is valid


def test_number_stats_find_the_thousands_separator_of_a_column() -> None:
    # GIVEN balances grouped with dots / WHEN analysed / THEN '.' groups thousands, all are whole numbers
    stats = number_stats(['1.234', '56', '12.500', '7', '1.000.000'])
    assert stats.thousands == '.'
    assert stats.int_share(NumberFormat(thousands='.')) == 1.0


def test_a_separator_also_used_as_decimal_point_is_not_a_thousands_separator() -> None:
    # GIVEN money with decimal commas / WHEN analysed / THEN decimals, no thousands separator
    stats = number_stats(['1,234', '12,50', '3,99'])
    assert stats.thousands is None
    assert stats.decimal == 3


@pytest.mark.parametrize(
    ('value', 'fmt', 'problem', 'normalized'),
    [
        ('1200', NumberFormat(), None, '1200'),
        ('1,234', NumberFormat(thousands=','), None, '1234'),
        ('1 234', NumberFormat(thousands=' '), None, '1234'),
        ('1\u00a0234', NumberFormat(thousands=' '), None, '1234'),
        ('1\u202f234', NumberFormat(thousands=' '), None, '1234'),
        ('１，２００', NumberFormat(thousands=','), None, '1200'),
        ('1,250 pts', NumberFormat(thousands=','), None, '1250'),
        ('150.00', NumberFormat(zero_fraction=True), None, '150'),
        (' 42 ', NumberFormat(), None, '42'),
        ('', NumberFormat(), IssueKind.BLANK_POINTS, ''),
        ('N/A', NumberFormat(), IssueKind.BLANK_POINTS, 'N/A'),
        ('-5', NumberFormat(), IssueKind.NEGATIVE_POINTS, '-5'),
        ('(5)', NumberFormat(), IssueKind.NEGATIVE_POINTS, '(5)'),
        ('12.5', NumberFormat(), IssueKind.NON_INTEGER_POINTS, '12.5'),
        ('abc', NumberFormat(), IssueKind.NON_INTEGER_POINTS, 'abc'),
        ('99999999999', NumberFormat(), IssueKind.OVERFLOW_POINTS, '99999999999'),
        ('9' * 100_000, NumberFormat(), IssueKind.OVERFLOW_POINTS, '9' * 100_000),
    ],
)
def test_points_cells_are_validated_and_normalized(
    value: str, fmt: NumberFormat, problem: IssueKind | None, normalized: str
) -> None:
    # GIVEN a POINTS cell / WHEN parsed / THEN its problem, or the plain integer Wix gets
    assert parse_points(value, fmt) == (problem, normalized)
