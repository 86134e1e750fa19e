"""Integral decimals are whole numbers: '120.0', '1,234.00', '1.234,00' as spreadsheets and dataframes
export balances count as points, and reach Wix as plain integers; money (cents, currency signs) does not.
"""

# ruff: noqa: RUF001 - headers in other scripts are the point of these tests
from __future__ import annotations

import pytest

from loyalty_import.inspection import Refusal, RefusalCode, inspect_csv
from loyalty_import.inspection.models import IssueKind
from loyalty_import.inspection.values import NumberFormat, number_stats, parse_points
from tests.unit.inspection.helpers import PEOPLE, csv_text, inspect_rows, people_rows

# What the balances 1200, 0, 350, 15, 4096... look like as each export writes them.
PANDAS = [
    '1200.0',
    '0.0',
    '350.0',
    '15.0',
    '4096.0',
    '250.0',
    '75.0',
    '1000.0',
    '40.0',
    '2210.0',
    '5.0',
    '860.0',
]
EXCEL_US = [
    '1,200.00',
    '0.00',
    '350.00',
    '15.00',
    '4,096.00',
    '250.00',
    '75.00',
    '1,000.00',
    '40.00',
    '2,210.00',
]
EXCEL_DE = [
    '1.200,00',
    '0,00',
    '350,00',
    '15,00',
    '4.096,00',
    '250,00',
    '75,00',
    '1.000,00',
    '40,00',
    '2.210,00',
]
EXCEL_FR = [
    '1 200,00',
    '0,00',
    '350,00',
    '15,00',
    '4 096,00',
    '250,00',
    '75,00',
    '1 000,00',
    '40,00',
    '2 210,00',
]
PLAIN = ['1200', '0', '350', '15', '4096', '250', '75', '1000', '40', '2210']


def _uploaded_points(rows: list[list[str]], **kwargs: object) -> list[str]:
    inspection = inspect_rows(rows, **kwargs)
    index = inspection.normalized.points_index
    lines = inspection.normalized.content.decode('utf-8').splitlines()[1:]
    return [line.split(',')[index] for line in lines]


@pytest.mark.parametrize(
    ('header', 'values'),
    [
        (['Email', 'Points'], PANDAS),  # a dataframe's float column
        (['email', 'points_balance'], PANDAS),
        (['Email', 'Points balance'], EXCEL_US),
        (['E-Mail', 'Punktestand'], EXCEL_DE),
        (['Courriel', 'Solde de points'], EXCEL_FR),
        (['Correo', 'Saldo de puntos'], EXCEL_DE),
        (['メールアドレス', 'ポイント残高'], EXCEL_US),
    ],
)
def test_integral_decimals_are_the_balance_and_reach_wix_as_plain_integers(
    header: list[str], values: list[str]
) -> None:
    # GIVEN a balance column written with a zero fraction / WHEN inspected
    emails = [email for _, email in PEOPLE]
    rows = people_rows(['Name', *header], {header[0]: emails, header[1]: values})
    inspection = inspect_rows(rows)
    # THEN it is POINTS, every row is importable and Wix gets the integers
    assert (inspection.mapping.email, inspection.mapping.points) == (1, 2)
    assert inspection.validation.invalid_rows == 0
    expected = [_plain(values[i % len(values)]) for i in range(len(PEOPLE))]
    assert _uploaded_points(rows) == expected


def _plain(value: str) -> str:
    """The integer a person reads: '1,200.00' -> '1200', '1.200,00' -> '1200', '1200.0' -> '1200'."""
    return value[: max(value.rfind('.'), value.rfind(','))].replace(',', '').replace('.', '').replace(' ', '')


def test_a_dataframe_float_balance_beside_an_integer_decoy_is_still_the_balance() -> None:
    # GIVEN pandas' 'Available points' (floats) beside 'Earned points' (ints) / WHEN inspected
    rows = people_rows(
        ['Email', 'Available points', 'Earned points'], {'Available points': PANDAS, 'Earned points': PLAIN}
    )
    inspection = inspect_rows(rows)
    # THEN the float column is the balance, not the one that happens to be written as integers
    assert inspection.mapping.points == 1
    assert _uploaded_points(rows)[:3] == ['1200', '0', '350']


def test_a_one_place_zero_fraction_is_whole_even_under_a_plain_balance_header() -> None:
    # GIVEN 'Balance' written 120.0 (no cents: not how money is written) / WHEN inspected / THEN points
    rows = people_rows(['Email', 'Balance'], {'Balance': PANDAS})
    assert inspect_rows(rows).mapping.points == 1


def test_a_headerless_dataframe_export_is_mapped_by_content() -> None:
    # GIVEN a headerless file email,float balance / WHEN inspected / THEN mapped, integers uploaded
    rows = [[email, PANDAS[i % len(PANDAS)]] for i, (_, email) in enumerate(PEOPLE)]
    inspection = inspect_rows(rows)
    assert (inspection.mapping.email, inspection.mapping.points) == (0, 1)
    assert inspection.normalized.content.decode().splitlines()[1].endswith(',1200')


def test_a_non_zero_fraction_in_a_long_integral_column_is_one_invalid_row() -> None:
    # GIVEN 60 balances written '.0', one of them 12.5 / WHEN inspected
    rows = [['Email', 'Points']] + [[f'member{i}@example.com', f'{i * 10}.0'] for i in range(60)]
    rows[7][1] = '12.5'
    inspection = inspect_rows(rows)
    # THEN the column is the balance and 12.5 is reported, never rounded
    assert inspection.mapping.points == 1
    assert inspection.validation.count(IssueKind.NON_INTEGER_POINTS) == 1
    assert inspection.validation.issues[0].examples[0].value == '12.5'


@pytest.mark.parametrize(
    ('header', 'values'),
    [
        (['Email', 'Balance'], ['12.50', '3.99', '100.00', '7.25']),  # cents
        (['Email', 'Balance'], ['100.00', '250.00', '35.00', '1,200.00']),  # two places, no points header
        (['Email', 'Guthaben'], ['12,50', '3,99', '100,00', '7,25']),
        (['Email', 'Saldo'], ['$12.00', '$3.00', '$100.00', '$7.00']),  # currency signs
    ],
)
def test_money_looking_columns_still_count_against_points(header: list[str], values: list[str]) -> None:
    # GIVEN a column written like money and nothing else / WHEN inspected / THEN no balance is found
    with pytest.raises(Refusal) as refused:
        inspect_rows(people_rows(header, {header[1]: values}))
    assert refused.value.code is RefusalCode.NO_POINTS_COLUMN


def test_points_written_as_money_beside_a_money_value_keep_the_points() -> None:
    # GIVEN 'Points Value' (money with cents) beside 'Points Balance' ('1250.00') / WHEN inspected
    values = ['12.50', '3.99', '100.25', '7.10']
    rows = people_rows(
        ['Email', 'Points Value', 'Points Balance'], {'Points Value': values, 'Points Balance': EXCEL_US}
    )
    # THEN the balance, not the money
    assert inspect_rows(rows).mapping.points == 2


@pytest.mark.parametrize(
    ('values', 'thousands'),
    [(EXCEL_US, ','), (EXCEL_DE, '.'), (EXCEL_FR, ' '), (['1\u202f200,00', '35,00', '1\u202f000,00'], ' ')],
)
def test_number_stats_see_the_grouping_of_integral_decimals(values: list[str], thousands: str) -> None:
    # GIVEN grouped balances with a zero fraction / WHEN analysed / THEN grouping found, all whole
    stats = number_stats(values)
    assert stats.thousands == thousands
    assert stats.zero_fraction == stats.decimal == len(values)
    assert stats.int_share(NumberFormat(thousands=thousands, zero_fraction=True)) == 1.0


@pytest.mark.parametrize(
    ('value', 'fmt', 'problem', 'normalized'),
    [
        ('120.0', NumberFormat(zero_fraction=True), None, '120'),
        ('1,234.00', NumberFormat(thousands=',', zero_fraction=True), None, '1234'),
        ('1.234,00', NumberFormat(thousands='.', zero_fraction=True), None, '1234'),
        ('1 234,00', NumberFormat(thousands=' ', zero_fraction=True), None, '1234'),
        ('１，２３４．００', NumberFormat(thousands=',', zero_fraction=True), None, '1234'),
        ('1,234.00 pts', NumberFormat(thousands=',', zero_fraction=True), None, '1234'),
        ('12.5', NumberFormat(zero_fraction=True), IssueKind.NON_INTEGER_POINTS, '12.5'),
        (
            '1,234.50',
            NumberFormat(thousands=',', zero_fraction=True),
            IssueKind.NON_INTEGER_POINTS,
            '1,234.50',
        ),
        (
            '1,234,00',
            NumberFormat(thousands=',', zero_fraction=True),
            IssueKind.NON_INTEGER_POINTS,
            '1,234,00',
        ),
        (
            '1.234,00',
            NumberFormat(thousands=',', zero_fraction=True),
            IssueKind.NON_INTEGER_POINTS,
            '1.234,00',
        ),
        ('120.0', NumberFormat(), IssueKind.NON_INTEGER_POINTS, '120.0'),
        ('-120.0', NumberFormat(zero_fraction=True), IssueKind.NEGATIVE_POINTS, '-120.0'),
        (
            '3,000,000,000.00',
            NumberFormat(thousands=',', zero_fraction=True),
            IssueKind.OVERFLOW_POINTS,
            '3,000,000,000.00',
        ),
    ],
)
def test_integral_decimal_cells_are_validated_and_normalized(
    value: str, fmt: NumberFormat, problem: IssueKind | None, normalized: str
) -> None:
    # GIVEN a POINTS cell of a column of integral decimals / WHEN parsed / THEN its problem or integer
    assert parse_points(value, fmt) == (problem, normalized)


def test_a_semicolon_export_with_decimal_commas_uploads_integers() -> None:
    # GIVEN a German Excel export (';', '1.234,00') / WHEN inspected / THEN comma CSV with integers
    rows = [['Kunde', 'E-Mail', 'Punktestand']] + [
        [name, email, EXCEL_DE[i % len(EXCEL_DE)]] for i, (name, email) in enumerate(PEOPLE)
    ]
    inspection = inspect_csv(csv_text(rows, delimiter=';').encode('utf-8-sig'))
    assert inspection.mapping.points == 2
    assert inspection.normalized.content.decode().splitlines()[1] == 'José Núñez,jose.nunez@example.com,1200'
