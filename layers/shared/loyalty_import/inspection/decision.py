"""Auto or review: import on its own only when nothing is left to judge.

A mapped file is `auto` only when every check below holds; each one that fails is a `Reason` a
person reads before confirming (`review`). A review is never imported on its own. The thresholds
were calibrated with `make eval` (docs/decision-policy.md has the table):

- a header names each role (content alone never suffices: headerless files, 'Value', 'Column C');
- the balance is counted in points, not stamps, coins or miles (unless the deployment names them);
- the content agrees: the EMAIL column holds valid addresses, the POINTS column whole numbers
  that look like balances (not 0/1 flags, identifiers, one constant value);
- no runner-up comes close for either role;
- few rows hold a wrong value (an invalid email, a negative or fractional balance);
- one balance per customer (an email repeated with other points is a question, not an answer);
- nothing says the rows are changes rather than balances (a 'Reason' or 'Action' column).

An override of a role (S3 metadata or a CLI flag) settles that role: a person has already chosen.
"""

from __future__ import annotations

from dataclasses import dataclass

from loyalty_import.inspection.inference import Evidence, candidates, named
from loyalty_import.inspection.models import (
    Decision,
    IssueKind,
    Reason,
    ReviewCode,
    Role,
    RoleChoice,
    ValidationSummary,
    column_label,
)
from loyalty_import.inspection.repeats import Repeats
from loyalty_import.inspection.vocabulary import PointsHeader, names_an_activity

MIN_EMAIL_SHARE = 0.9  # of the sampled EMAIL cells, valid addresses
MIN_CONFIDENCE = 0.7  # the chosen column's confidence, either role
CLOSE_CALL = 0.2  # a runner-up nearer than this to the chosen column is a person's call
# Of all rows, those whose EMAIL or POINTS cell holds something else than an address or a balance
# (blank cells are common in real exports and say nothing about the column; over a half is a refusal).
MAX_WRONG_VALUES_SHARE = 0.1
MAX_CHOICES = 5  # per role: what a person can weigh (a 5,000-column file has thousands of candidates)
_WRONG_VALUES = (IssueKind.INVALID_EMAIL, IssueKind.NON_INTEGER_POINTS, IssueKind.NEGATIVE_POINTS)


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    choices: dict[Role, list[int]]
    reasons: list[Reason]


def decide(
    *,
    has_header: bool,
    evidence: list[Evidence],
    email: RoleChoice,
    points: RoleChoice,
    validation: ValidationSummary,
    repeats: Repeats | None,
    recheck_content: bool = False,
) -> Verdict:
    """`recheck_content`: overridden roles come from a remembered layout; their content still counts."""
    both_overridden = email.overridden and points.overridden
    reasons: list[Reason] = []
    if not has_header and not both_overridden:
        message = 'The file has no header row: its columns were chosen from their content alone.'
        reasons.append(_reason(ReviewCode.NO_HEADER, message))
    for role, choice in ((Role.EMAIL, email), (Role.POINTS, points)):
        if not choice.overridden:
            reasons.extend(_role_reasons(role, choice, evidence[choice.column], has_header=has_header))
        elif recheck_content:
            reasons.extend(_content_reasons(role, choice, evidence[choice.column]))
    settled = both_overridden and not recheck_content
    reasons.extend(_file_reasons(validation, repeats, overridden=settled))
    if has_header and not both_overridden:
        reasons.extend(_activity_reasons(evidence))
    choices = {
        Role.EMAIL: _choices(Role.EMAIL, email, evidence, exclude=None),
        Role.POINTS: _choices(Role.POINTS, points, evidence, exclude=email.column),
    }
    return Verdict(Decision.REVIEW if reasons else Decision.AUTO, choices, reasons)


def _reason(code: ReviewCode, message: str) -> Reason:
    return Reason(code=code, message=message)


def _activity_reasons(evidence: list[Evidence]) -> list[Reason]:
    """A text column saying why points moved ('Reason', 'Action'): not 'Transaction count', not dates."""
    activity = next((e for e in evidence if e.kind == 'text' and names_an_activity(e.name)), None)
    if activity is None:
        return []
    message = (
        f'The file has a {column_label(activity.name, activity.index)} column: its rows may be points '
        'added or taken away, not current balances.'
    )
    return [_reason(ReviewCode.LOOKS_LIKE_CHANGES, message)]


def _role_reasons(role: Role, choice: RoleChoice, e: Evidence, *, has_header: bool) -> list[Reason]:
    column = column_label(choice.name, choice.column)
    reasons = []
    if has_header and not named(role, e):
        if role is Role.POINTS and e.points_header is PointsHeader.OTHER_UNIT:
            message = f'{column} holds a balance in another unit than points: is it your points?'
            reasons.append(_reason(ReviewCode.OTHER_UNIT, message))
        else:
            what = 'the customer email' if role is Role.EMAIL else 'a points balance'
            message = f'The header of {column} does not name {what}: it was chosen from its content alone.'
            reasons.append(_reason(ReviewCode.HEADER_SILENT, message))
    doubt = _content_doubt(role, e)
    if doubt:
        reasons.append(_reason(ReviewCode.CONTENT_DOUBT, f'{column}: {doubt}.'))
    elif choice.confidence < MIN_CONFIDENCE and not reasons:  # not when content alone chose it
        message = f'{column} was chosen with a low confidence ({choice.confidence:.2f}).'
        reasons.append(_reason(ReviewCode.CONTENT_DOUBT, message))
    runner = choice.runner_up
    close = (
        runner is not None and runner.confidence > 0 and choice.confidence - runner.confidence < CLOSE_CALL
    )
    if runner is not None and close and not runner.why_lost.startswith('holds the same values'):
        message = (
            f'{column_label(runner.name, runner.column)} could also be the {role} column: {runner.why_lost}.'
        )
        reasons.append(_reason(ReviewCode.CLOSE_CALL, message))
    return reasons


def _content_reasons(role: Role, choice: RoleChoice, e: Evidence) -> list[Reason]:
    doubt = _content_doubt(role, e)
    if not doubt and role is Role.POINTS and e.points_score <= 0:  # rejected outright as a balance
        doubt = e.points_why or 'its values do not read as points balances'
    if not doubt:
        return []
    return [_reason(ReviewCode.CONTENT_DOUBT, f'{column_label(choice.name, choice.column)}: {doubt}.')]


def _content_doubt(role: Role, e: Evidence) -> str:
    if role is Role.EMAIL:
        if e.email_share < MIN_EMAIL_SHARE:
            return f'only {e.email_share:.0%} of its values are valid email addresses'
        return ''
    return e.points_doubt


def _file_reasons(
    validation: ValidationSummary, repeats: Repeats | None, *, overridden: bool
) -> list[Reason]:
    reasons = []
    rows = validation.rows
    wrong = sum(validation.count(kind) for kind in _WRONG_VALUES)
    if rows and wrong > rows * MAX_WRONG_VALUES_SHARE:
        message = f'{wrong:,} of {rows:,} rows hold an invalid email or balance: are these the right columns?'
        reasons.append(_reason(ReviewCode.MANY_INVALID_ROWS, message))
    if repeats is not None and repeats.conflicts and not overridden:
        reasons.append(_reason(ReviewCode.CONFLICTING_DUPLICATES, repeats.conflict_message()))
    return reasons


def _choices(role: Role, choice: RoleChoice, evidence: list[Evidence], exclude: int | None) -> list[int]:
    if choice.overridden:
        return [choice.column]
    others = [e.index for e in candidates(role, evidence, exclude) if e.index != choice.column]
    return [choice.column, *others][:MAX_CHOICES]
