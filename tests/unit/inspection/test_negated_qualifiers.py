"""Negation and "not yet" count against a balance: beside 'Available points', 'Not yet available'
is a decoy, in every language: a negator word before the balance qualifier, a negating prefix on it
('unavailable', 'indisponibles', 'недоступные'), Japanese 未/不可/無 - a rule, not a list of headers.
"""

from __future__ import annotations

import pytest

from loyalty_import.inspection.vocabulary import PointsHeader, classify_points_header
from tests.unit.inspection.helpers import BALANCES, PEOPLE, REDEEMED, inspect_rows

OWN = [email for _, email in PEOPLE]


def _file(header: list[str], columns: dict[str, list[str]]) -> list[list[str]]:
    rows = [header]
    for i, (name, _) in enumerate(PEOPLE):
        rows.append(
            [columns[column][i % len(columns[column])] if column in columns else name for column in header]
        )
    return rows


@pytest.mark.parametrize(
    ('header', 'balance', 'negated'),
    [
        (['Name', 'Email', 'Available points', 'Not yet available'], 2, 3),
        (['Name', 'Email', 'Not available points', 'Available points'], 3, 2),
        (['Name', 'Email', 'Points balance', 'Unavailable points'], 2, 3),
        (['Name', 'E-Mail', 'Verfügbare Punkte', 'Noch nicht verfügbar'], 2, 3),
        (['Name', 'E-Mail', 'Nicht verfügbare Punkte', 'Punktestand'], 3, 2),
        (['Nom', 'Courriel', 'Points disponibles', 'Points non disponibles'], 2, 3),
        (['Nom', 'Courriel', 'Points indisponibles', 'Solde de points'], 3, 2),
        (['Nombre', 'Correo', 'Puntos disponibles', 'Aún no disponibles'], 2, 3),
        (['Nombre', 'Correo', 'No disponibles', 'Saldo de puntos'], 3, 2),
        (['Nome', 'E-mail', 'Pontos disponíveis', 'Ainda não disponíveis'], 2, 3),
        (['Nome', 'Email', 'Punti disponibili', 'Non ancora disponibili'], 2, 3),
        (['Naam', 'E-mail', 'Beschikbare punten', 'Nog niet beschikbaar'], 2, 3),
        (['氏名', 'メールアドレス', '利用可能ポイント', '未確定ポイント'], 2, 3),
        (['氏名', 'メールアドレス', '利用不可ポイント', '保有ポイント'], 3, 2),
        (['Имя', 'Email', 'Доступные баллы', 'Недоступные баллы'], 2, 3),
        (['שם', 'אימייל', 'נקודות זמינות', 'נקודות שטרם זמינות'], 2, 3),
        (['Imię', 'Email', 'Dostępne punkty', 'Niedostępne punkty'], 2, 3),
    ],
)
def test_the_negated_qualifier_is_a_decoy_beside_the_balance(
    header: list[str], balance: int, negated: int
) -> None:
    # GIVEN the spendable balance beside the points not (yet) available, both whole numbers
    columns = {header[1]: OWN, header[balance]: BALANCES, header[negated]: REDEEMED}
    # WHEN inspected
    inspection = inspect_rows(_file(header, columns))
    # THEN the balance is POINTS, without a refusal; the negated column lost as not the balance
    assert inspection.mapping.points == balance
    assert inspection.points.runner_up is not None
    assert inspection.points.runner_up.column == negated
    assert 'not the current balance' in inspection.points.runner_up.why_lost


@pytest.mark.parametrize(
    ('name', 'word'),
    [
        ('Not yet available', 'not available'),
        ('Points not yet available', 'not available'),
        ('noch nicht verfügbar', 'nicht verfugbar'),
        ('nicht verfügbare Punkte', 'nicht verfugbare'),
        ('Punkte (unverfügbar)', 'unverfugbar'),
        ('non disponibles', 'non disponibles'),
        ('points pas encore disponibles', 'pas disponibles'),
        ('aún no disponibles', 'no disponibles'),
        ('Saldo no disponible', 'no disponible'),
        ('Puntos no válidos', 'no validos'),
        ('ainda não disponíveis', 'nao disponiveis'),
        ('Pontos indisponíveis', 'indisponiveis'),
        ('non ancora disponibili', 'non disponibili'),
        ('nog niet beschikbaar', 'niet beschikbaar'),
        ('Onbeschikbare punten', 'onbeschikbare'),
        ('Unconfirmed points', 'unconfirmed'),
        ('Inactive points', 'inactive'),
        ('Nedostupné body', 'nedostupne'),
        ('Баллы не доступны', 'не доступны'),
        ('נקודות לא זמינות', 'לא זמינות'),
        ('未確定', '未確定'),
        ('利用不可', '利用不可'),
        ('使用不可ポイント', '使用不可'),
        ('無効ポイント', '無効'),
    ],
)
def test_a_negator_before_or_on_a_balance_qualifier_makes_a_decoy(name: str, word: str) -> None:
    assert classify_points_header(name) == (PointsHeader.DECOY, word)


@pytest.mark.parametrize(
    'name',
    [
        'Available points',
        'Unused points',  # 'un-' on a decoy word: the balance
        'Unredeemed points',
        'Noch verfügbare Punkte',  # 'still available': no negator
        'Aún disponibles puntos',
        'Points disponibles',
        'Beschikbare punten',
        '保有ポイント',
        '利用可能ポイント',
        'Доступные баллы',
    ],
)
def test_without_a_negation_the_qualifier_still_names_the_balance(name: str) -> None:
    assert classify_points_header(name)[0] is PointsHeader.BALANCE


def test_a_negating_prefix_is_read_only_on_a_qualifier_not_inside_a_noun() -> None:
    # 'Instand' is not 'in' + 'stand' (a balance noun): no negation read
    assert classify_points_header('Instand')[0] is not PointsHeader.DECOY
