"""What a careful reader expects of a file: a pair of columns, a refusal or either; is auto allowed."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

Pair = tuple[int, int]  # (EMAIL, POINTS), 0-based source columns

NOT_A_BALANCE_FILE = 'NOT_A_BALANCE_FILE'


@dataclass(frozen=True)
class Expectation:
    """`pair` None: the file must be refused. `refuse_ok`: a refusal is an acceptable answer too.

    `refuse_codes` None: any code will do. `auto_ok` False: deciding alone is wrong even with the
    right pair (content alone, a neutral header, flags where a balance should be).
    """

    pair: Pair | None
    refuse_ok: bool = False
    refuse_codes: frozenset[str] | None = None
    auto_ok: bool = True

    @property
    def must_refuse(self) -> bool:
        return self.pair is None

    def describe(self) -> str:
        if self.pair is None:
            codes = '|'.join(sorted(self.refuse_codes)) if self.refuse_codes else 'any code'
            return f'refuse ({codes})'
        text = f'EMAIL={self.pair[0]} POINTS={self.pair[1]}'
        if not self.auto_ok:
            text += ' (review, never auto)'
        if self.refuse_ok:
            codes = '|'.join(sorted(self.refuse_codes)) if self.refuse_codes else 'any code'
            text += f' or refuse ({codes})'
        return text

    def with_pair(self, pair: Pair | None) -> Expectation:
        return replace(self, pair=pair)


def from_answer(answer: dict[str, Any]) -> Expectation:
    """`{"EMAIL": i, "POINTS": j}` or `{"refuse": true, "code"?: "..."}` (samples, layouts, external)."""
    if answer.get('refuse'):
        code = answer.get('code')
        return Expectation(None, refuse_ok=True, refuse_codes=frozenset([str(code)]) if code else None)
    return Expectation((int(answer['EMAIL']), int(answer['POINTS'])))


def from_hostile(spec: dict[str, Any]) -> Expectation:
    """`refusals` (acceptable codes, `*` for any, [] for none) and `mapping` (null: must refuse)."""
    refusals = spec.get('refusals', '*')
    codes = None if refusals == '*' else frozenset(str(code) for code in refusals)
    mapping = spec.get('mapping')
    if mapping is None:
        return Expectation(None, refuse_ok=True, refuse_codes=codes or None)
    pair = (int(mapping['EMAIL']), int(mapping['POINTS']))
    return Expectation(pair, refuse_ok=refusals == '*' or bool(codes), refuse_codes=codes or None)
