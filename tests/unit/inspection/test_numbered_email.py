"""A numbered email column defers to the unnumbered or first one: 'Email' / 'Email 2', 'E-mail 1' /
'E-mail 3', 'メールアドレス' / 'メールアドレス2'. Address books and CRMs number the columns of a repeated
field; the first is the customer's own address, so such a file is never AMBIGUOUS_EMAIL.
"""

from __future__ import annotations

import pytest

from loyalty_import.inspection.vocabulary import numbered_header
from tests.unit.inspection.helpers import BALANCES, PEOPLE, inspect_rows

OWN = [email for _, email in PEOPLE]
SECOND = [f'second.{i}@alt.example.org' for i in range(len(PEOPLE))]
THIRD = [f'third.{i}@work.example.net' for i in range(len(PEOPLE))]


def _file(header: list[str], columns: dict[str, list[str]]) -> list[list[str]]:
    rows = [header]
    for i, (name, _) in enumerate(PEOPLE):
        rows.append([columns[column][i] if column in columns else name for column in header])
    return rows


@pytest.mark.parametrize(
    ('header', 'own', 'others'),
    [
        # Outlook's contact export: the number sits inside the header.
        (['First Name', 'E-mail Address', 'E-mail 2 Address', 'E-mail 3 Address', 'Points'], 1, [2, 3]),
        # Google Contacts.
        (['Name', 'E-mail 1 - Value', 'E-mail 2 - Value', 'Points balance'], 1, [2]),
        (['Name', 'E-mail 1', 'E-mail 3', 'Points'], 1, [2]),
        (['Name', 'Email', 'Email 2', 'Points'], 1, [2]),
        (['Name', 'email_2', 'email', 'points'], 2, [1]),  # the numbered one first
        (['Name', 'Email (2)', 'Email', 'Points'], 2, [1]),
        (['Name', 'Email 3', 'Email 1', 'Points'], 2, [1]),
        (['Name', 'E-Mail 1', 'E-Mail 2', 'Punktestand'], 1, [2]),  # de
        (['Nom', 'Courriel 1', 'Courriel 2', 'Solde de points'], 1, [2]),  # fr
        (['Nombre', 'Correo electrónico', 'Correo electrónico 2', 'Saldo de puntos'], 1, [2]),  # es
        (['氏名', 'メールアドレス', 'メールアドレス2', 'ポイント残高'], 1, [2]),  # ja, digits attached
        (['氏名', 'メールアドレス１', 'メールアドレス２', 'ポイント残高'], 1, [2]),  # ja, full-width digits
        (['Имя', 'Email 1', 'Email 2', 'Баллы'], 1, [2]),  # ru
    ],
)
def test_the_unnumbered_or_first_numbered_email_is_the_customer(
    header: list[str], own: int, others: list[int]
) -> None:
    # GIVEN a file with the customer's address and numbered further addresses
    columns = {header[own]: OWN, header[-1]: BALANCES}
    for index, values in zip(others, (SECOND, THIRD), strict=False):
        columns[header[index]] = values
    # WHEN inspected
    inspection = inspect_rows(_file(header, columns))
    # THEN the first one is EMAIL, without a refusal, and the others lost for being numbered after it
    assert inspection.mapping.email == own
    assert inspection.mapping.points == len(header) - 1
    runner_up = inspection.email.runner_up
    assert runner_up is not None
    assert runner_up.column in others


def test_a_numbered_column_explains_that_it_defers_to_the_first() -> None:
    # GIVEN 'E-mail 1' and 'E-mail 3' / WHEN inspected / THEN the runner-up says why it lost
    header = ['Name', 'E-mail 1', 'E-mail 3', 'Points']
    inspection = inspect_rows(_file(header, {'E-mail 1': OWN, 'E-mail 3': SECOND, 'Points': BALANCES}))
    assert inspection.email.runner_up is not None
    assert "numbered after 'E-mail 1'" in inspection.email.runner_up.why_lost


def test_numbering_groups_only_headers_that_say_the_same_thing() -> None:
    # GIVEN 'Customer email' beside 'Billing email 2' (another field, not a repeat of it)
    header = ['Name', 'Billing email 2', 'Customer email', 'Points']
    columns = {'Billing email 2': SECOND, 'Customer email': OWN, 'Points': BALANCES}
    # WHEN inspected / THEN the customer's address wins on its own words
    assert inspect_rows(_file(header, columns)).mapping.email == 2


@pytest.mark.parametrize(
    ('name', 'stem', 'number'),
    [
        ('Email', 'email', 0),
        ('Email 2', 'email', 2),
        ('email_2', 'email', 2),
        ('Email (2)', 'email', 2),
        ('E-Mail #1', 'email', 1),
        ('E-mail 3 Address', 'email address', 3),
        ('E-mail 2 - Value', 'email value', 2),
        ('email2', 'email', 2),
        ('メールアドレス２', numbered_header('メールアドレス')[0], 2),
        ('2', '2', 0),  # a bare number is a name, not a numbered field
        ('Email 2 3', 'email 2 3', 0),  # two numbers: no numbering read
        ('Email 2024', 'email 2024', 0),  # a year, not a position
    ],
)
def test_numbered_header_reads_the_position(name: str, stem: str, number: int) -> None:
    assert numbered_header(name) == (stem, number)
