# ruff: noqa: RUF001 - names, digits and headers in other scripts are the point of these tests
from __future__ import annotations

import pytest

from loyalty_import.inspection.vocabulary import (
    EmailHeader,
    PointsHeader,
    classify_email_header,
    classify_points_header,
    correct_typos,
    normalize_header,
)


@pytest.mark.parametrize(
    ('raw', 'normalized'),
    [
        ('\ufeffE-Mail', 'email'),
        ('currentBalance', 'current balance'),
        ('loyaltyProgramID', 'loyalty program id'),
        ('POINTS_BALANCE', 'points balance'),
        ('  Punktestand (aktuell) ', 'punktestand aktuell'),
        ('Adresse électronique', 'adresse electronique'),
        ('ＥＭＡＩＬ', 'email'),
    ],
)
def test_headers_are_normalized_for_case_accents_punctuation_and_camel_case(
    raw: str, normalized: str
) -> None:
    # GIVEN a header as exports write it / WHEN normalized / THEN one plain lower-case form remains
    assert normalize_header(raw) == normalized


@pytest.mark.parametrize(
    ('header', 'expected'),
    [
        ('Email', EmailHeader.OWN),
        ('E-Mail-Adresse', EmailHeader.OWN),
        ('Customer email', EmailHeader.OWN),
        ('Courriel', EmailHeader.OWN),
        ('Correo electrónico', EmailHeader.OWN),
        ('メールアドレス', EmailHeader.OWN),
        ('דוא"ל', EmailHeader.OWN),
        ('Billing Email', EmailHeader.QUALIFIED),
        ('Contact owner', EmailHeader.OTHER_PERSON),
        ('Secondary Email', EmailHeader.OTHER_PERSON),
        ('Referrer email', EmailHeader.OTHER_PERSON),
        ('Staff member email', EmailHeader.OTHER_PERSON),
        ('E-Mail Mitarbeiter', EmailHeader.OTHER_PERSON),
        ('担当者メール', EmailHeader.OTHER_PERSON),
        ('Name', EmailHeader.NONE),
    ],
)
def test_email_headers_tell_the_customer_from_other_people(header: str, expected: EmailHeader) -> None:
    # GIVEN an email-ish header / WHEN classified / THEN whose address it is shows
    assert classify_email_header(header)[0] is expected


@pytest.mark.parametrize(
    ('header', 'expected'),
    [
        ('Points balance', PointsHeader.BALANCE),
        ('Available points', PointsHeader.BALANCE),
        ('Spendable points', PointsHeader.BALANCE),
        ('Punktestand', PointsHeader.BALANCE),
        ('Solde de points', PointsHeader.BALANCE),
        ('Saldo puntos', PointsHeader.BALANCE),
        ('Pontos disponíveis', PointsHeader.BALANCE),
        ('Saldo punti', PointsHeader.BALANCE),
        ('Puntensaldo', PointsHeader.BALANCE),
        ('יתרת נקודות', PointsHeader.BALANCE),
        ('ポイント残高', PointsHeader.BALANCE),
        ('利用可能ポイント', PointsHeader.BALANCE),
        ('Points', PointsHeader.UNIT),
        ('Punkte', PointsHeader.UNIT),
        ('Balance', PointsHeader.BALANCE_WORD),
        ('currentBalance', PointsHeader.BALANCE_WORD),
        ('Redeemed points', PointsHeader.DECOY),
        ('Points Spent', PointsHeader.DECOY),
        ('Lifetime Points', PointsHeader.DECOY),
        ('Pending', PointsHeader.DECOY),
        ('Total Points Earned', PointsHeader.DECOY),
        ('Expired points', PointsHeader.DECOY),
        ('Reserved points', PointsHeader.DECOY),
        ('Gesamtpunkte', PointsHeader.DECOY),
        ('累計ポイント', PointsHeader.DECOY),
        ('נקודות שנצברו', PointsHeader.DECOY),
        ('Credits Balance', PointsHeader.MONEY),
        ('Store credit', PointsHeader.MONEY),
        ('Amount (€)', PointsHeader.MONEY),
        ('Customer ID', PointsHeader.OTHER),
        ('PLZ', PointsHeader.OTHER),
        ('Phone', PointsHeader.OTHER),
        ('Total Orders', PointsHeader.DECOY),
        ('Orders', PointsHeader.OTHER),
        ('Name', PointsHeader.NONE),
    ],
)
def test_points_headers_separate_the_balance_from_decoys(header: str, expected: PointsHeader) -> None:
    # GIVEN a numeric column's header / WHEN classified / THEN balance, unit, decoy, money or other
    assert classify_points_header(header)[0] is expected


def test_typed_headers_with_one_swap_or_missing_letter_are_read_as_meant() -> None:
    # GIVEN typos a person makes / WHEN corrected / THEN they read as the intended words
    assert correct_typos('ponits balance') == 'points balance'
    assert correct_typos('redeemd points') == 'redeemed points'
    # AND a different word one substitution away is left alone
    assert correct_typos('gmail') == 'gmail'
