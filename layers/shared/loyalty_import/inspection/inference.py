"""Which column is the customer's EMAIL and which the current POINTS balance: header + content.

Every column is scored for both roles over a bounded sample of rows. A header class sets the base
(an explicit 'Points balance' beats a bare 'Points', which beats a bare 'Balance'); the content
multiplies it down (share of valid emails / whole numbers; IDs, phones, ZIP codes, years, flags
and constants count against). Decoys (earned, spent, redeemed, pending, lifetime, total...),
money and other people's emails are never candidates. Two candidates closer than MARGIN are a
refusal, unless they hold the same values: this module never guesses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from loyalty_import.inspection.models import (
    Candidate,
    Refusal,
    RefusalCode,
    Role,
    RoleChoice,
    RunnerUp,
    column_label,
)
from loyalty_import.inspection.values import (
    SPACES,
    NumberFormat,
    NumberStats,
    clean_number,
    is_email,
    number_stats,
    whole_digits,
)
from loyalty_import.inspection.vocabulary import (
    EmailHeader,
    PointsHeader,
    classify_email_header,
    classify_points_header,
    numbered_header,
)

MARGIN = 0.1
MIN_EMAIL_SHARE = 0.6
MIN_INT_SHARE = 0.9
_EMAIL_BASE = {EmailHeader.OWN: 0.95, EmailHeader.QUALIFIED: 0.85, EmailHeader.NONE: 0.6}
_POINTS_BASE = {
    PointsHeader.BALANCE: 0.95,
    PointsHeader.UNIT: 0.9,
    PointsHeader.BALANCE_WORD: 0.85,
    PointsHeader.OTHER_UNIT: 0.6,  # a balance in stamps, coins...: a person decides
}
_HEADERLESS_POINTS_BASE = 0.5
_NAMED = (PointsHeader.BALANCE, PointsHeader.UNIT, PointsHeader.BALANCE_WORD)
_DATE = re.compile(r'\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}(?:[ T].*)?')


@dataclass
class Evidence:
    """One column's case for each role."""

    index: int
    name: str
    kind: str = 'text'
    email_score: float = 0.0
    email_why: str = ''
    points_score: float = 0.0
    points_why: str = ''
    number_format: NumberFormat = field(default_factory=NumberFormat)
    email_keys: tuple[str, ...] = ()
    points_keys: tuple[int | None, ...] = ()
    # What the decision reads (inspection.decision): the header's class for each role (NONE when
    # the file has no header), the share of valid addresses, and a doubt about the numbers.
    email_header: EmailHeader = EmailHeader.NONE
    points_header: PointsHeader = PointsHeader.NONE
    email_share: float = 0.0
    points_doubt: str = ''


def column_name(header: list[str] | None, index: int) -> str:
    if header is not None and index < len(header) and header[index].strip():
        return header[index].strip().replace('\ufeff', '')
    return f'column {index}'  # as --email-column/--points-column take it


def analyse(
    header: list[str] | None, sample: list[list[str]], width: int, points_names: tuple[str, ...] = ()
) -> list[Evidence]:
    """Every column's case for both roles; `points_names`: what the program calls its points."""
    evidence = [_analyse_column(header, sample, index, points_names) for index in range(width)]
    if header is not None:
        _defer_numbered_emails(evidence)
    return evidence


def _defer_numbered_emails(evidence: list[Evidence]) -> None:
    """'Email' and 'Email 2', 'E-mail 1' and 'E-mail 3': the unnumbered or lowest-numbered one is theirs."""
    groups: dict[str, list[tuple[int, Evidence]]] = {}
    for e in evidence:
        if e.email_score > 0:
            stem, number = numbered_header(e.name)
            groups.setdefault(stem, []).append((number, e))
    for members in groups.values():
        members.sort(key=lambda member: (member[0], member[1].index))
        first_number, first = members[0]
        for number, e in members[1:]:
            if number > first_number:
                e.email_score = 0.0
                e.email_why = f"numbered after '{first.name}': the first address is the customer's"


def _analyse_column(
    header: list[str] | None, sample: list[list[str]], index: int, points_names: tuple[str, ...]
) -> Evidence:
    name = column_name(header, index)
    values = [row[index].strip(SPACES) if index < len(row) else '' for row in sample]
    nonblank = [v for v in values if v]
    evidence = Evidence(index, name)
    if not nonblank:
        evidence.kind = 'empty'
        evidence.email_why = evidence.points_why = 'empty in the rows read'
        return evidence
    fill = len(nonblank) / len(values)
    _score_email(evidence, header is not None, values, nonblank, fill)
    stats = number_stats(values)
    _score_points(evidence, header is not None, values, stats, points_names)
    if evidence.kind == 'text':
        evidence.kind = _content_kind(nonblank, stats)
    return evidence


def _content_kind(nonblank: list[str], stats: NumberStats) -> str:
    if stats.currency > len(nonblank) / 2:
        return 'money'
    if stats.decimal > len(nonblank) / 2:
        return 'decimal'
    if sum(1 for v in nonblank if _DATE.fullmatch(v)) > len(nonblank) / 2:
        return 'date'
    return 'text'


def _score_email(
    evidence: Evidence, has_header: bool, values: list[str], nonblank: list[str], fill: float
) -> None:
    valid = [v for v in nonblank if is_email(v)]
    share = len(valid) / len(nonblank)
    if not valid or share < MIN_EMAIL_SHARE:
        evidence.email_why = (
            f'{share:.0%} of its values are email addresses' if valid else 'no email addresses'
        )
        return
    evidence.kind = 'email'
    evidence.email_keys = tuple(v.lower() for v in values)
    header_class, word = classify_email_header(evidence.name) if has_header else (EmailHeader.NONE, '')
    evidence.email_header, evidence.email_share = header_class, share
    if header_class is EmailHeader.OTHER_PERSON:
        evidence.email_why = f"header says '{word}': someone else's address, not the customer's"
        return
    score = _EMAIL_BASE[header_class] * share * (0.8 + 0.2 * fill)
    notes = [f'{share:.0%} valid email addresses']
    if header_class is EmailHeader.OWN:
        notes.insert(0, f"header names the email ('{word}')")
    elif header_class is EmailHeader.QUALIFIED:
        notes.insert(0, f"header names a '{word}' email")
    else:
        notes.insert(0, 'content only (no email header)')
    distinct = len({v.lower() for v in valid})
    if len(valid) >= 10 and distinct / len(valid) < 0.5:
        score *= 0.7
        notes.append('the same few addresses repeat (staff or owner?)')
    if fill < 1:
        notes.append(f'{fill:.0%} filled')
    evidence.email_score = round(score, 3)
    evidence.email_why = '; '.join(notes)


def _score_points(
    evidence: Evidence, has_header: bool, values: list[str], stats: NumberStats, points_names: tuple[str, ...]
) -> None:
    header_class, word = (
        classify_points_header(evidence.name, points_names) if has_header else (PointsHeader.NONE, '')
    )
    evidence.points_header = header_class
    fmt = NumberFormat(thousands=stats.thousands, zero_fraction=_integral_decimals(header_class, stats))
    evidence.number_format = fmt
    share = stats.int_share(fmt)
    if stats.nonblank and share >= MIN_INT_SHARE:
        evidence.kind = 'integer'
    reason = _points_rejection(header_class, word, stats, share)
    if reason:
        evidence.points_why = reason
        return
    numbers = [_as_int(v, fmt) for v in values]
    evidence.points_keys = tuple(numbers)
    ints = [n for n in numbers if n is not None]
    base = _POINTS_BASE.get(header_class, _HEADERLESS_POINTS_BASE)
    notes = [_points_header_note(header_class, word, has_header), f'{share:.0%} whole numbers']
    if fmt.thousands:
        notes.append(f"thousands separator '{fmt.thousands}'")
    silent = header_class is PointsHeader.NONE
    penalty, problem = _content_penalty(ints, stats, strict=silent)
    if silent and has_header and penalty < 1.0:
        penalty = 0.0  # a header that names nothing, and numbers that do not read as balances
    if penalty == 0.0:
        evidence.points_why = problem
        return
    if problem:
        notes.append(problem)
        evidence.points_doubt = problem
    evidence.points_score = round(base * share * penalty, 3)
    evidence.points_why = '; '.join(notes)


def _integral_decimals(header_class: PointsHeader, stats: NumberStats) -> bool:
    """Whether the column's decimals are whole numbers as exports write them ('120.0', '1,234.00').

    Nearly every decimal must have a zero fraction (money has cents). Two places ('150.00') are
    money's way too: they count only under a header that names points, or one that names nothing
    (then content alone chose the column, and a person confirms it: inspection.decision).
    """
    if not stats.zero_fraction or (stats.decimal - stats.zero_fraction) * 50 > stats.nonblank:
        return False
    return not stats.cents or header_class in (PointsHeader.BALANCE, PointsHeader.UNIT, PointsHeader.NONE)


def _points_header_note(header_class: PointsHeader, word: str, has_header: bool) -> str:
    if header_class is PointsHeader.BALANCE:
        return f"header names a current points balance ('{word}')"
    if header_class is PointsHeader.UNIT:
        return f"header names points ('{word}')"
    if header_class is PointsHeader.BALANCE_WORD:
        return f"header names a balance ('{word}')"
    if header_class is PointsHeader.OTHER_UNIT:
        return f"header names a balance in '{word}', not points"
    return 'content only (the header does not name points)' if has_header else 'content only (no header)'


def _points_rejection(header_class: PointsHeader, word: str, stats: NumberStats, share: float) -> str:
    if header_class is PointsHeader.DECOY:
        return f"header says '{word}': not the current balance"
    if header_class is PointsHeader.MONEY:
        return f"header says '{word}': an amount of money, not points"
    if header_class is PointsHeader.OTHER:
        return f"header says '{word}': not a points figure"
    if not stats.nonblank:
        return 'empty in the rows read'
    if stats.currency > stats.nonblank * 0.2:
        return 'amounts with currency signs'
    if share < MIN_INT_SHARE:
        if stats.decimal > stats.nonblank * 0.1:
            return f'decimal numbers ({stats.decimal} of {stats.nonblank}): money, not points'
        return f'only {share:.0%} whole numbers'
    if stats.negative > stats.nonblank * 0.2:
        return 'many negative values: a change, not a balance'
    return ''


def _content_penalty(ints: list[int], stats: NumberStats, *, strict: bool) -> tuple[float, str]:
    """(multiplier, note) for content that looks like something other than balances; 0 rejects."""
    n = len(ints)
    if not n:
        return 0.0, 'no whole numbers'
    distinct = len(set(ints))
    checks: list[tuple[bool, str]] = [
        (stats.leading_zero > stats.nonblank * 0.1, 'codes with leading zeros (ZIP or ID?)'),
        (n >= 5 and all(1900 <= v <= 2100 for v in ints), 'looks like years'),
        (
            # Ascending and all distinct reads as IDs from content alone; under a points header it
            # is an export sorted by balance. Distinct and all of one length is IDs either way.
            n >= 20
            and distinct == n
            and ((strict and ints == sorted(ints)) or len({len(str(v)) for v in ints}) == 1),
            'unique identifiers',
        ),
        (sorted(len(str(v)) for v in ints)[n // 2] >= 9, 'phone-number-like lengths'),
        (n >= 3 and max(ints) <= 1, 'only 0/1 values (a flag?)'),
        (
            n >= (3 if strict else 10) and ints == list(range(ints[0], ints[0] + n)),
            'a running count (row numbers?)',
        ),
        (n >= 10 and distinct == 1, 'every row holds the same value'),
    ]
    for failed, note in checks:
        if failed:
            return (0.0, note) if strict else (0.7, note)
    if strict and n >= 10 and max(ints) <= 31:
        return 0.8, 'small numbers (days or months?)'
    return 1.0, ''


def _as_int(value: str, fmt: NumberFormat) -> int | None:
    digits = whole_digits(clean_number(value), fmt)
    return None if digits is None else int(digits[:12])


# --- choosing ------------------------------------------------------------------------------------


def candidates(role: Role, evidence: list[Evidence], exclude: int | None) -> list[Evidence]:
    """The columns that could hold `role`, best first."""
    score_of = _email_score if role is Role.EMAIL else _points_score
    return sorted(
        (e for e in evidence if e.index != exclude and score_of(e) > 0),
        key=lambda e: (-score_of(e), e.index),
    )


def named(role: Role, e: Evidence) -> bool:
    """Whether the column's header names the role (a points balance, or the customer's email)."""
    if role is Role.EMAIL:
        return e.email_header in (EmailHeader.OWN, EmailHeader.QUALIFIED)
    return e.points_header in _NAMED


def choose(role: Role, evidence: list[Evidence], exclude: int | None) -> RoleChoice:
    """The winning column for `role`, or a Refusal: none, or two named ones too close to call.

    Close candidates that no header names are not refused here: from content alone the
    decision is a person's anyway (inspection.decision), with every candidate among the choices.
    """
    score_of = _email_score if role is Role.EMAIL else _points_score
    why_of = _email_why if role is Role.EMAIL else _points_why
    ranked = candidates(role, evidence, exclude)
    if not ranked:
        raise _no_candidate(role, evidence, exclude)
    top = ranked[0]
    runner = ranked[1] if len(ranked) > 1 else None
    if (
        runner is not None
        and named(role, top)
        and score_of(top) - score_of(runner) < MARGIN - 1e-9
        and not _same(role, top, runner)
    ):
        close = [e for e in ranked if score_of(top) - score_of(e) < MARGIN - 1e-9]
        raise Refusal(
            RefusalCode.AMBIGUOUS_EMAIL if role is Role.EMAIL else RefusalCode.AMBIGUOUS_POINTS,
            _ambiguous_message(role, close),
            [Candidate(column=e.index, name=e.name, confidence=score_of(e), why=why_of(e)) for e in close],
        )
    runner_up = None
    gap = 1.0
    if runner is not None:
        gap = score_of(top) - score_of(runner)
        lost = why_of(runner)
        if _same(role, top, runner):
            lost = f'holds the same values; {lost}'
        runner_up = RunnerUp(
            column=runner.index, name=runner.name, confidence=score_of(runner), why_lost=lost
        )
    else:
        rejected = _best_rejected(role, evidence, top.index, exclude)
        if rejected is not None:
            runner_up = RunnerUp(
                column=rejected.index, name=rejected.name, confidence=0.0, why_lost=why_of(rejected)
            )
    confidence = max(0.0, score_of(top) - max(0.0, 0.25 - gap) / 2)
    return RoleChoice(
        column=top.index, name=top.name, confidence=round(confidence, 2), why=why_of(top), runner_up=runner_up
    )


def _email_score(e: Evidence) -> float:
    return e.email_score


def _points_score(e: Evidence) -> float:
    return e.points_score


def _email_why(e: Evidence) -> str:
    return e.email_why


def _points_why(e: Evidence) -> str:
    return e.points_why


def _same(role: Role, a: Evidence, b: Evidence) -> bool:
    """Two columns with identical values cannot be mapped wrongly by picking either."""
    if role is Role.EMAIL:
        return bool(a.email_keys) and a.email_keys == b.email_keys
    return bool(a.points_keys) and a.points_keys == b.points_keys


def _best_rejected(role: Role, evidence: list[Evidence], chosen: int, exclude: int | None) -> Evidence | None:
    """The most tempting column that was ruled out (for the explanation): a named decoy first."""
    others = [e for e in evidence if e.index not in (chosen, exclude)]
    if role is Role.EMAIL:
        return next((e for e in others if e.kind == 'email'), None)
    numbers = [e for e in others if e.kind == 'integer']
    pointish = (*_NAMED, PointsHeader.DECOY)
    return next((e for e in numbers if classify_points_header(e.name)[0] in pointish), None) or next(
        iter(numbers), None
    )


def _no_candidate(role: Role, evidence: list[Evidence], exclude: int | None) -> Refusal:
    near = _near_misses(role, evidence, exclude)
    candidates = [
        Candidate(
            column=e.index,
            name=e.name,
            confidence=0.0,
            why=_email_why(e) if role is Role.EMAIL else _points_why(e),
        )
        for e in near
    ]
    if role is Role.EMAIL:
        message = 'No column holds customer email addresses, so no row can be matched to a customer.'
        if near:
            message += ' Columns considered: ' + '; '.join(str(c) for c in candidates) + '.'
        return Refusal(RefusalCode.NO_EMAIL_COLUMN, message, candidates)
    message = 'No column holds the current points balance.'
    if near:
        message += ' Columns considered: ' + '; '.join(str(c) for c in candidates) + '.'
    message += " Name the balance column (e.g. 'Points balance') or pass --points-column."
    return Refusal(RefusalCode.NO_POINTS_COLUMN, message, candidates)


def _near_misses(role: Role, evidence: list[Evidence], exclude: int | None) -> list[Evidence]:
    if role is Role.EMAIL:
        near = [e for e in evidence if e.index != exclude and e.kind == 'email']
    else:
        near = [
            e
            for e in evidence
            if e.index != exclude
            and (e.kind in ('integer', 'decimal', 'money') or classify_points_header(e.name)[0] in _NAMED)
        ]
    return near[:8]


def _ambiguous_message(role: Role, close: list[Evidence]) -> str:
    names = ', '.join(column_label(e.name, e.index) for e in close)
    if role is Role.EMAIL:
        return (
            f'Several columns could be the customer email: {names}. Refusing to guess; '
            'choose one with --email-column.'
        )
    return (
        f'Several columns could be the current points balance: {names}. Refusing to guess; '
        'choose one with --points-column.'
    )
