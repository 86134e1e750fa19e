"""The pure side of the balance checks: pairs, undo rows, masking, the shift and its verdict, sampling."""

from __future__ import annotations

import pytest

from loyalty_import.masking import mask_email
from loyalty_import.pipeline.guards import balances
from loyalty_import.pipeline.guards.balances import ShiftThresholds
from loyalty_import.pipeline.guards.verification import sample_rows

THRESHOLDS = ShiftThresholds(drop_share_percent=60, drop_percent=50, jump_factor=20, min_customers=5)


def test_pairs_come_from_the_mapped_columns_of_the_normalized_file() -> None:
    normalized = b'name,Email,points\r\nAnn,Ann@Example.com,10\r\n"Bob, Jr",bob@example.com,-3\r\nx,,4\r\n'
    pairs = balances.pairs_from_normalized(normalized, 1, 2)
    assert pairs == [('ann@example.com', 10), ('bob@example.com', -3)]
    # AND the kept file is an importable two-column CSV that reads back the same
    kept = balances.to_csv(pairs)
    assert kept.startswith(b'Email,Points balance\r\n')
    assert balances.read_csv(kept) == pairs


def test_the_undo_rows_are_the_balances_before_for_customers_with_an_account() -> None:
    pairs = [('ann@example.com', 10), ('new@example.com', 5), ('ann@example.com', 11), ('bob@example.com', 2)]
    assert balances.undo_pairs(pairs, {'ann@example.com': 7, 'bob@example.com': 0}) == [
        ('ann@example.com', 7),
        ('bob@example.com', 0),
    ]


@pytest.mark.parametrize(
    ('email', 'masked'),
    [('john@example.com', 'j***@example.com'), ('a@b.co', 'a***@b.co'), ('not-an-email', '***')],
)
def test_emails_are_masked(email: str, masked: str) -> None:
    assert mask_email(email) == masked


def test_wix_error_file_emails_are_the_rows_not_imported() -> None:
    error_file = b'Row,Status,Error reason,email,points\r\n1,FAILED,CONTACT_NOT_FOUND,Ghost@Example.com,5\r\n'
    assert balances.failed_emails(error_file) == {'ghost@example.com'}


def _customers(count: int) -> list[str]:
    return [f'c{index}@example.com' for index in range(count)]


def test_a_redeemed_column_is_most_customers_losing_most_of_their_balance() -> None:
    emails = _customers(10)
    before = {email: 1000 + index for index, email in enumerate(emails)}
    redeemed = [(email, 100) for email in emails]  # what they spent, not what they hold
    shift = balances.balance_shift(redeemed, before, THRESHOLDS)
    assert (shift.matched, shift.up, shift.down, shift.unchanged) == (10, 0, 10, 0)
    assert shift.median_change == pytest.approx(-904.5)
    assert shift.suspicious is not None
    assert '10 of the 10 customers holding points' in shift.suspicious
    assert all(example.email.startswith('c***@') for example in shift.examples)
    assert len(shift.examples) == balances.MAX_EXAMPLES


def test_a_cents_column_is_balances_jumping_by_orders_of_magnitude() -> None:
    emails = _customers(5)
    before = dict.fromkeys(emails, 120)
    shift = balances.balance_shift([(email, 12000) for email in emails], before, THRESHOLDS)
    assert shift.suspicious is not None
    assert '100 times' in shift.suspicious


def test_ordinary_updates_and_first_imports_are_routine() -> None:
    emails = _customers(10)
    before = dict.fromkeys(emails, 100)
    # some spend (5 of 10 below the 60% share), others earn
    update = [(email, 40 if index < 5 else 130) for index, email in enumerate(emails)]
    assert balances.balance_shift(update, before, THRESHOLDS).suspicious is None
    # a first import: nobody has an account, or their accounts hold nothing yet
    first = [(email, 500) for email in emails]
    assert balances.balance_shift(first, {}, THRESHOLDS).suspicious is None
    empty = balances.balance_shift(first, dict.fromkeys(emails, 0), THRESHOLDS)
    assert empty.suspicious is None
    assert (empty.matched, empty.up) == (10, 10)


def test_a_few_corrected_balances_are_not_a_wrong_column() -> None:
    emails = _customers(4)  # fewer customers holding points than min_customers
    shift = balances.balance_shift([(email, 1) for email in emails], dict.fromkeys(emails, 500), THRESHOLDS)
    assert shift.down == 4
    assert shift.suspicious is None


def test_the_thresholds_are_the_settings() -> None:
    emails = _customers(10)
    before = dict.fromkeys(emails, 100)
    update = [(email, 40 if index < 5 else 100) for index, email in enumerate(emails)]  # 50% drop 60%
    assert balances.balance_shift(update, before, THRESHOLDS).suspicious is None
    stricter = ShiftThresholds(drop_share_percent=50, drop_percent=50, jump_factor=20, min_customers=5)
    assert balances.balance_shift(update, before, stricter).suspicious is not None


def test_a_small_file_is_checked_whole_a_large_one_by_a_seeded_sample_with_its_ends() -> None:
    pairs = [(email, 1) for email in _customers(1000)]
    assert sample_rows(pairs[:5], 200, 'imp-1') == pairs[:5]
    sample = sample_rows(pairs, 200, 'imp-1')
    assert len(sample) == 202
    assert sample[0] == pairs[0]
    assert sample[-1] == pairs[-1]
    assert sample == sample_rows(pairs, 200, 'imp-1')  # the same rows on a retry
    assert sample != sample_rows(pairs, 200, 'imp-2')
