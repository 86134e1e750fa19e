from __future__ import annotations

import pytest

from loyalty_import.inspection import Refusal, RefusalCode
from loyalty_import.inspection.models import Decision, ReviewCode, Role
from tests.unit.inspection.helpers import BALANCES, REDEEMED, inspect_rows, people_rows


def test_the_balance_wins_over_redeemed_and_lifetime_decoys() -> None:
    # GIVEN a balance among point-number decoys (the decoys listed first)
    rows = people_rows(
        ['Name', 'Email', 'Redeemed points', 'Lifetime points', 'Points balance'],
        {'Redeemed points': REDEEMED, 'Lifetime points': BALANCES[::-1], 'Points balance': BALANCES},
    )
    # WHEN inspected
    inspection = inspect_rows(rows)
    # THEN the balance is POINTS, and the explanation names a runner-up that lost
    assert (inspection.mapping.email, inspection.mapping.points) == (1, 4)
    assert 'balance' in inspection.points.why
    assert inspection.points.runner_up is not None


def test_other_peoples_emails_are_never_the_customer_email() -> None:
    # GIVEN the contact owner's address listed before the customer's
    rows = people_rows(['Contact owner', 'Name', 'Email', 'Points'], {'Points': BALANCES})
    for row in rows[1:]:
        row[0] = 'sales.rep@agency.example.com'
    # WHEN inspected / THEN the customer's column is EMAIL
    assert inspect_rows(rows).mapping.email == 2


def test_two_balance_candidates_too_close_to_call_are_refused_with_both() -> None:
    # GIVEN 'Points' and 'Balance' holding different numbers
    rows = people_rows(['Email', 'Points', 'Balance'], {'Points': BALANCES, 'Balance': REDEEMED})
    # WHEN inspected / THEN refused AMBIGUOUS_POINTS naming both columns
    with pytest.raises(Refusal) as refused:
        inspect_rows(rows)
    assert refused.value.code is RefusalCode.AMBIGUOUS_POINTS
    assert {c.column for c in refused.value.candidates} == {1, 2}


def test_two_candidate_columns_with_identical_values_are_not_ambiguous() -> None:
    # GIVEN the same balance exported twice under two names
    rows = people_rows(['Email', 'Points', 'Balance'], {'Points': BALANCES, 'Balance': BALANCES})
    # WHEN inspected / THEN mapped (either column is right) and the runner-up says why it lost
    inspection = inspect_rows(rows)
    assert inspection.mapping.points in (1, 2)
    assert inspection.points.runner_up is not None
    assert 'same values' in inspection.points.runner_up.why_lost


def test_two_plain_email_columns_are_ambiguous() -> None:
    # GIVEN two unrelated-looking email columns with different addresses
    rows = people_rows(['E-mail', 'Email address', 'Points'], {'Points': BALANCES})
    for i, row in enumerate(rows[1:]):
        row[1] = f'other{i}@example.com'
    with pytest.raises(Refusal) as refused:
        inspect_rows(rows)
    assert refused.value.code is RefusalCode.AMBIGUOUS_EMAIL


def test_money_columns_are_not_points_even_when_named_balance() -> None:
    # GIVEN a 'Balance' of money (two decimals) and no points column
    rows = people_rows(['Email', 'Balance'], {'Balance': ['12.50', '3.99', '100.00', '7.25']})
    with pytest.raises(Refusal) as refused:
        inspect_rows(rows)
    assert refused.value.code is RefusalCode.NO_POINTS_COLUMN


def test_a_file_without_email_addresses_is_refused() -> None:
    # GIVEN names and balances but no addresses
    rows = people_rows(['Name', 'Points'], {'Points': BALANCES})
    # WHEN inspected / THEN refused NO_EMAIL_COLUMN
    with pytest.raises(Refusal) as refused:
        inspect_rows(rows)
    assert refused.value.code is RefusalCode.NO_EMAIL_COLUMN


def test_a_file_whose_only_numbers_are_ids_orders_and_zip_codes_is_refused() -> None:
    # GIVEN numeric columns that are not balances
    rows = people_rows(
        ['Customer ID', 'Email', 'Orders', 'Zip'],
        {
            'Customer ID': [str(10_000 + i) for i in range(12)],
            'Orders': ['3', '1', '7'],
            'Zip': ['02134', '10001'],
        },
    )
    with pytest.raises(Refusal) as refused:
        inspect_rows(rows)
    assert refused.value.code is RefusalCode.NO_POINTS_COLUMN


def test_a_headerless_file_is_mapped_by_content() -> None:
    # GIVEN no header: name, email, balance
    rows = people_rows(['Name', 'Email', 'Points'], {'Points': BALANCES})[1:]
    # WHEN inspected / THEN mapped by content, with a lower confidence than a named column
    inspection = inspect_rows(rows)
    assert not inspection.has_header
    assert (inspection.mapping.email, inspection.mapping.points) == (1, 2)
    assert inspection.confidence < 0.9


def test_a_headerless_file_with_two_number_columns_is_put_to_a_person_with_both() -> None:
    # GIVEN no header, and two columns of whole numbers either of which could be the balance
    rows = people_rows(['Name', 'Email', 'A', 'B'], {'A': BALANCES, 'B': REDEEMED})[1:]
    # WHEN inspected
    inspection = inspect_rows(rows)
    # THEN a person decides (never an import on its own), choosing between the two
    assert inspection.decision is Decision.REVIEW
    assert sorted(inspection.choices[Role.POINTS][:2]) == [2, 3]
    assert {reason.code for reason in inspection.reasons} >= {ReviewCode.NO_HEADER, ReviewCode.CLOSE_CALL}
