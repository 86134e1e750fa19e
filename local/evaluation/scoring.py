"""Run the inspection on one input and put what it decided into exactly one category."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from evaluation.expectations import Expectation, Pair

CATEGORIES = (
    'auto_right',
    'auto_wrong',
    'review_right',
    'review_in_choices',
    'review_missing',
    'refused_answerable',
    'refused_rightly',
    'review_should_refuse',
    'error',
)
# The categories an engineer must act on: listed case by case in the report.
WRONG = ('auto_wrong', 'review_missing', 'refused_answerable', 'error')


@dataclass(frozen=True)
class Decision:
    """What the inspection decided: 'auto', 'review', 'refuse' or 'error' (any other exception)."""

    decision: str
    pair: Pair | None = None  # the proposal (auto or review)
    choices: dict[str, list[int]] = field(default_factory=dict)  # 'EMAIL'/'POINTS' -> columns, best first
    code: str = ''  # the refusal code, or the exception's type
    message: str = ''

    def describe(self) -> str:
        if self.decision in ('auto', 'review') and self.pair is not None:
            text = f'{self.decision} EMAIL={self.pair[0]} POINTS={self.pair[1]}'
            if self.decision == 'review':
                email, points = self.choices.get('EMAIL', []), self.choices.get('POINTS', [])
                text += f' choices EMAIL={email} POINTS={points}'
            return text
        if self.decision == 'refuse':
            return f'refuse {self.code}'
        return f'{self.decision} {self.code}: {self.message[:200]}'


def _columns(value: Iterable[Any] | None) -> list[int]:
    return [int(column) for column in value or []]


def decide(data: bytes) -> Decision:
    """The engine's decision on `data`, under the three-tier contract (today's engine: a mapping is auto)."""
    from loyalty_import.inspection import Refusal, inspect_csv  # noqa: PLC0415 - each worker imports it

    try:
        inspection = inspect_csv(data)
    except Refusal as refusal:
        return Decision('refuse', code=str(refusal.code), message=str(refusal.message))
    except Exception as exc:  # noqa: BLE001 - any other exception is what the evaluation reports
        return Decision('error', code=type(exc).__name__, message=str(exc))
    try:
        pair = (int(inspection.mapping.email), int(inspection.mapping.points))
        decision = str(getattr(inspection, 'decision', 'auto'))
        raw_choices = getattr(inspection, 'choices', None)
        if raw_choices is None:
            choices = {'EMAIL': [pair[0]], 'POINTS': [pair[1]]}
        else:
            choices = {str(role): _columns(columns) for role, columns in dict(raw_choices).items()}
    except Exception as exc:  # noqa: BLE001 - a result the contract cannot read is an error too
        return Decision('error', code=type(exc).__name__, message=f'reading the inspection: {exc}')
    if decision not in ('auto', 'review'):
        return Decision('error', pair=pair, code='BadDecision', message=f'decision {decision!r}')
    return Decision(decision, pair=pair, choices=choices)


def classify(expect: Expectation, got: Decision) -> tuple[str, bool]:
    """(category, whether a refusal's code differs from the expected ones)."""
    if got.decision == 'error':
        return 'error', False
    if got.decision == 'refuse':
        if expect.must_refuse or expect.refuse_ok:
            mismatch = expect.refuse_codes is not None and got.code not in expect.refuse_codes
            return 'refused_rightly', mismatch
        return 'refused_answerable', False
    if expect.pair is None:
        return ('auto_wrong' if got.decision == 'auto' else 'review_should_refuse'), False
    if got.decision == 'auto':
        return ('auto_right' if expect.auto_ok and got.pair == expect.pair else 'auto_wrong'), False
    if got.pair == expect.pair:
        return 'review_right', False
    email, points = expect.pair
    if email in got.choices.get('EMAIL', []) and points in got.choices.get('POINTS', []):
        return 'review_in_choices', False
    return 'review_missing', False
