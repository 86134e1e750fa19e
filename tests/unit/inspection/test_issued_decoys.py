"""Issued / granted / given / awarded totals are decoys in every supported language: they count the
points handed out over time, not what the customer holds now ('Points issued' beside 'Points balance',
'付与ポイント' beside '保有ポイント').
"""

from __future__ import annotations

import pytest

from loyalty_import.inspection.vocabulary import PointsHeader, classify_points_header
from tests.unit.inspection.helpers import BALANCES, PEOPLE, REDEEMED, inspect_rows

OWN = [email for _, email in PEOPLE]
# Handed out so far: what is left plus what was spent (always at least the balance).
ISSUED = [str(int(b) + int(r)) for b, r in zip(BALANCES, REDEEMED, strict=True)]


def _file(header: list[str], columns: dict[str, list[str]]) -> list[list[str]]:
    rows = [header]
    for i, (name, _) in enumerate(PEOPLE):
        rows.append([columns[column][i] if column in columns else name for column in header])
    return rows


@pytest.mark.parametrize(
    ('header', 'balance', 'issued'),
    [
        (['Name', 'Email', 'Points issued', 'Points balance'], 3, 2),  # en
        (['Name', 'Email', 'Granted points', 'Available points'], 3, 2),
        (['Name', 'Email', 'Current points', 'Points awarded'], 2, 3),
        (['Name', 'E-Mail', 'Vergebene Punkte', 'Punktestand'], 3, 2),  # de
        (['Name', 'E-Mail', 'Aktuelle Punkte', 'Ausgegebene Punkte'], 2, 3),
        (['Name', 'E-Mail', 'Gewährte Punkte', 'Verfügbare Punkte'], 3, 2),
        (['Nom', 'Courriel', 'Points attribués', 'Solde de points'], 3, 2),  # fr
        (['Nombre', 'Correo', 'Puntos otorgados', 'Saldo de puntos'], 3, 2),  # es
        (['Nome', 'E-mail', 'Pontos concedidos', 'Saldo de pontos'], 3, 2),  # pt
        (['Nome', 'Email', 'Punti assegnati', 'Saldo punti'], 3, 2),  # it
        (['Naam', 'E-mail', 'Toegekende punten', 'Puntensaldo'], 3, 2),  # nl
        (['שם', 'אימייל', 'נקודות שהוענקו', 'יתרת נקודות'], 3, 2),  # he
        (['氏名', 'メールアドレス', '付与ポイント', '保有ポイント'], 3, 2),  # ja
        (['氏名', 'メールアドレス', '現在のポイント', '発行ポイント'], 2, 3),
        (['氏名', 'メールアドレス', '累計付与', 'ポイント残高'], 3, 2),
        (['Imię', 'Email', 'Przyznane punkty', 'Saldo punktów'], 3, 2),  # pl
        (['Jméno', 'Email', 'Udělené body', 'Zůstatek bodů'], 3, 2),  # cs
        (['Имя', 'Email', 'Выданные баллы', 'Баланс баллов'], 3, 2),  # ru
    ],
)
def test_the_issued_total_is_a_decoy_beside_the_balance(header: list[str], balance: int, issued: int) -> None:
    # GIVEN the current balance beside the total handed out, both whole numbers
    columns = {header[1]: OWN, header[balance]: BALANCES, header[issued]: ISSUED}
    # WHEN inspected
    inspection = inspect_rows(_file(header, columns))
    # THEN the balance is POINTS; the issued total lost as not the current balance
    assert inspection.mapping.points == balance
    assert inspection.points.runner_up is not None
    assert inspection.points.runner_up.column == issued
    assert 'not the current balance' in inspection.points.runner_up.why_lost


@pytest.mark.parametrize(
    'name',
    [
        'Points issued',
        'Granted points',
        'Points given',
        'Awarded points',
        'Allocated points',
        'Points distributed',
        'vergebene Punkte',
        'ausgegebene Punkte',  # issued, or spent: a decoy either way
        'zugeteilte Punkte',
        'Punktevergabe',
        'points attribués',
        'points accordés',
        'points octroyés',
        'points émis',
        'puntos otorgados',
        'puntos concedidos',
        'puntos asignados',
        'pontos concedidos',
        'pontos atribuídos',
        'punti assegnati',
        'punti attribuiti',
        'punti erogati',
        'toegekende punten',
        'verstrekte punten',
        'gegeven punten',
        'נקודות שהוענקו',
        'נקודות שהונפקו',
        '付与ポイント',
        '発行ポイント',
        '累計付与',
        '進呈ポイント',
        'przyznane punkty',
        'przydzielone punkty',
        'udělené body',
        'přidělené body',
        'выданные баллы',
        'начисленные баллы',
    ],
)
def test_issued_granted_given_awarded_are_decoys(name: str) -> None:
    assert classify_points_header(name)[0] is PointsHeader.DECOY


@pytest.mark.parametrize(
    'name',
    [
        '保有ポイント',
        '現在のポイント',
        'ポイント残高',
        'Saldo de pontos',
        'Puntensaldo',
        'נקודות ניתנות למימוש',
        'Gegevens',
    ],
)
def test_balances_and_look_alikes_are_not_read_as_issued(name: str) -> None:
    # 'ניתנות למימוש' (redeemable) and 'Gegevens' (Dutch: data) are not 'given'
    assert classify_points_header(name)[0] is not PointsHeader.DECOY
