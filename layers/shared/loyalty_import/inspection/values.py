"""Cell-level checks shared by inference and validation: emails and whole numbers."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from loyalty_import.inspection.models import MAX_POINTS, IssueKind

# The character classes are written as complements: [^...] of what is NOT allowed in the Basic
# Multilingual Plane, plus everything beyond it. re compiles a range such as \u00a1-\uffff with a
# Python loop over its 65,000 code points (11 ms of every cold start for this pattern); the
# complement compiles in a fraction of a millisecond and matches exactly the same characters
# (tests/unit/inspection/test_patterns.py checks every code point).
_BEYOND_BMP = r'\U00010000-\U0010ffff'
# [A-Za-z0-9!#$%&'*+/=?^_`{|}~-] and \u00a1-\uffff
_ATOM_CHAR = rf'[^\x00- "(),.:;<>@\[\\\]\x7f-\xa0{_BEYOND_BMP}]'
_ALNUM = rf'[^\x00-/:-@\[-`{{-\xa0{_BEYOND_BMP}]'  # [A-Za-z0-9] and \u00a1-\uffff
_ALNUM_DASH = rf'[^\x00-,./:-@\[-`{{-\xa0{_BEYOND_BMP}]'  # the same and '-'
_ALPHA = rf'[^\x00-@\[-`{{-\xa0{_BEYOND_BMP}]'  # [A-Za-z] and \u00a1-\uffff
_ATOM = rf'{_ATOM_CHAR}+'
_LABEL = rf'{_ALNUM}(?:{_ALNUM_DASH}*{_ALNUM})?'
EMAIL_PATTERN = rf'{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+{_ALPHA}{{2,}}'
_EMAIL = re.compile(EMAIL_PATTERN)
_MAX_EMAIL = 254
SPACES = ' \t\u00a0\u202f\u2007'
# Thousands separators seen in exports: '1,234' '1.234' '1 234' "1'234" (no-break spaces are
# folded into ' ' by clean_number's NFKC).
THOUSANDS = (',', '.', ' ', "'")
_GROUPED = {sep: re.compile(rf'\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+') for sep in THOUSANDS}
_DECIMAL = re.compile(r'(\d+)([.,])(\d+)')
# A grouped whole part with a fraction, as spreadsheets export: '1,234.00', '1.234,00', '1 234,00'.
_GROUPED_DECIMAL = re.compile(r"(\d{1,3}(?:([,. '])\d{3})(?:\2\d{3})*)([.,])(\d+)")
_CURRENCY = frozenset('$€£¥₪₩₹¢')


def is_email(value: str) -> bool:
    return '@' in value and len(value) <= _MAX_EMAIL and _EMAIL.fullmatch(value) is not None


# Placeholders for 'no value' that exports write into number columns.
_BLANKS = frozenset({'n/a', 'na', 'n.a.', '-', '--', '\u2014', '\u2013', 'null', 'none', 'nan', '#n/a', '?'})
# A unit written after the number: '1,250 pts', '300 Punkte', '1200 ポイント' (full-width digits too).
_UNIT_SUFFIX = re.compile(
    r'\s*(?:pts?|points?|punkte?|puntos?|pontos?|punti|punten|ポイント|p)\.?$', re.IGNORECASE
)


_UNIT_LAST_LETTERS = frozenset('tseoinp')  # how the ASCII units above end ('pts', 'punkte', 'p'...)


def clean_number(value: str) -> str:
    """A number cell reduced to its digits and separators: full-width forms, unit suffixes, placeholders."""
    text = value.strip(SPACES)
    if not text.isascii():
        text = unicodedata.normalize('NFKC', text).strip(SPACES)
    last = text[-1:]
    # An ASCII letter can only end a unit suffix as the last letter of one of them (the non-ASCII
    # letters that match ASCII ones case-insensitively, like the long s, always take the regex).
    if last.isalpha() and (not last.isascii() or last.lower() in _UNIT_LAST_LETTERS):
        text = _UNIT_SUFFIX.sub('', text)
    return '' if text.lower() in _BLANKS else text


def parse_int(value: str) -> int | None:
    """A plain non-negative integer ('1200'), else None."""
    return int(value) if value.isascii() and value.isdigit() else None


@dataclass(frozen=True)
class NumberFormat:
    """How a column writes its whole numbers."""

    thousands: str | None = None  # the grouping separator, if the column uses one
    zero_fraction: bool = False  # integral decimals ('120.0', '1,234.00') count as whole numbers


@dataclass
class NumberStats:
    """What the values of one column look like as numbers (over the inference sample)."""

    nonblank: int = 0
    plain: int = 0
    grouped: int = 0
    negative: int = 0
    decimal: int = 0
    zero_fraction: int = 0  # decimals whose fraction is all zeros: '120.0', '1,234.00'
    cents: int = 0  # of those, written with two or more places ('150.00': money's way, or points')
    currency: int = 0
    leading_zero: int = 0
    thousands: str | None = None

    def int_share(self, fmt: NumberFormat) -> float:
        if not self.nonblank:
            return 0.0
        ints = self.plain + (self.grouped if fmt.thousands else 0)
        if fmt.zero_fraction:
            ints += self.zero_fraction
        return ints / self.nonblank


@dataclass
class _Separators:
    """The separators one column's numbers use: grouping (without and with a fraction), decimal points."""

    grouped_by: dict[str, int] = field(default_factory=dict)  # '1,234': a whole number
    grouped_fraction_by: dict[str, int] = field(default_factory=dict)  # '1,234.00': grouping ','
    decimal_seps: set[str] = field(default_factory=set)


def number_stats(values: list[str]) -> NumberStats:
    stats = NumberStats()
    seps = _Separators()
    for raw in values:
        if raw.isdigit() and raw.isascii():
            # What the general path below concludes for plain ASCII digits, without its calls.
            stats.nonblank += 1
            stats.plain += 1
            stats.leading_zero += len(raw) > 1 and raw[0] == '0'
            continue
        value = clean_number(raw)
        if value:
            stats.nonblank += 1
            _count_written_number(stats, value, seps)
    grouped_by = seps.grouped_by
    if grouped_by or seps.grouped_fraction_by:
        # One separator, never also used as a decimal point in the same column.
        uses = {
            s: grouped_by.get(s, 0) + seps.grouped_fraction_by.get(s, 0) for s in (*grouped_by, *THOUSANDS)
        }
        sep = max(uses, key=lambda s: uses[s])
        if sep not in seps.decimal_seps:
            stats.thousands = sep
            stats.grouped = grouped_by.get(sep, 0)
        else:
            stats.decimal += sum(grouped_by.values())
    return stats


def _count_written_number(stats: NumberStats, value: str, seps: _Separators) -> None:
    """One non-blank cell that is not plain ASCII digits: currency, sign, grouping or decimals."""
    if value[0] in _CURRENCY or value[-1] in _CURRENCY:
        stats.currency += 1
        return
    if value[0] in '-\u2212':
        stats.negative += 1
        value = value[1:]
    if not value[:1].isdigit() or not value[-1:].isdigit():
        return  # text, a date with a trailing zone, an email...: not a number at all
    if value.isascii() and value.isdigit():
        stats.plain += 1
        if len(value) > 1 and value[0] == '0':
            stats.leading_zero += 1
        return
    sep = next((s for s, pattern in _GROUPED.items() if s in value and pattern.fullmatch(value)), None)
    if sep is not None:
        seps.grouped_by[sep] = seps.grouped_by.get(sep, 0) + 1
        return
    fraction = _fraction(value, seps)
    if fraction is None:
        return
    stats.decimal += 1
    if set(fraction) == {'0'}:
        stats.zero_fraction += 1
        stats.cents += len(fraction) >= 2


def _fraction(value: str, seps: _Separators) -> str | None:
    """The digits after the decimal point of '12.5', '1,234.00' (noting the separators), else None."""
    decimal = _DECIMAL.fullmatch(value)
    if decimal:
        seps.decimal_seps.add(decimal.group(2))
        return decimal.group(3)
    grouped = _GROUPED_DECIMAL.fullmatch(value)
    if grouped is None or grouped.group(2) == grouped.group(3):
        return None
    sep = grouped.group(2)
    seps.grouped_fraction_by[sep] = seps.grouped_fraction_by.get(sep, 0) + 1
    seps.decimal_seps.add(grouped.group(3))
    return grouped.group(4)


def parse_points(value: str, fmt: NumberFormat) -> tuple[IssueKind | None, str]:
    """Validate one POINTS cell: (the problem or None, the plain integer to write)."""
    text = clean_number(value)
    if not text:
        return IssueKind.BLANK_POINTS, value
    negative = text[0] in '-\u2212' or (text[0] == '(' and text[-1] == ')')
    body = text.strip('()').lstrip('-\u2212+').strip(SPACES)
    digits = whole_digits(body, fmt)
    if digits is None:
        return IssueKind.NON_INTEGER_POINTS, value
    if len(digits.lstrip('0')) > len(str(MAX_POINTS)):
        return IssueKind.OVERFLOW_POINTS, value  # never int() a megabyte of digits
    number = int(digits)
    if negative and number:
        return IssueKind.NEGATIVE_POINTS, value
    if number > MAX_POINTS:
        return IssueKind.OVERFLOW_POINTS, value
    return None, str(number)


def whole_digits(text: str, fmt: NumberFormat) -> str | None:
    """The plain digits of an unsigned whole number written the column's way ('1,234.00' -> '1234')."""
    if text.isascii() and text.isdigit():
        return text
    sep = fmt.thousands
    if sep and _GROUPED[sep].fullmatch(text):
        return text.replace(sep, '')
    if not fmt.zero_fraction:
        return None
    point = max(text.rfind('.'), text.rfind(','))
    whole, mark, fraction = text[:point], text[point : point + 1], text[point + 1 :]
    if point <= 0 or mark == sep or not (fraction.isascii() and fraction.isdigit()) or fraction.strip('0'):
        return None
    if whole.isascii() and whole.isdigit():
        return whole
    if sep and _GROUPED[sep].fullmatch(whole):
        return whole.replace(sep, '')
    return None
