"""`loyalty-import reviews` and `review ID --approve|--reject`: the files waiting for a person, and
a decision on one through the review flow itself (`flow.decide`, by 'operator command'): the same
validation, the same single recorded decision and hand-over to the waiting execution as the page.

Importing this module creates the pipeline's logger (`loyalty_import.operator.quiet_pipeline_logs`
first, in a process of its own)."""

from __future__ import annotations

from typing import Any, Literal, TextIO

from loyalty_import.operator import EXIT_NOT_DONE, EXIT_OK, OperatorError
from loyalty_import.operator.records import find_record, import_records
from loyalty_import.operator.render import cell, iso, listing, print_json, short_id, when
from loyalty_import.operator.stack import Stack
from loyalty_import.pipeline.models import ImportRecord, RecordStatus, Review
from loyalty_import.pipeline.review import flow
from loyalty_import.pipeline.review.flow import Decided, Outcome, ReviewDeps
from loyalty_import.pipeline.wiring import review_deps as wire_review_deps

BY = 'operator command'
HEADERS = ('ID', 'FILE', 'ROWS', 'PROPOSAL', 'REASON', 'REQUESTED', 'DEADLINE')
Action = Literal['approve', 'reject']


# ---------------------------------------------------------------------------- reviews


def list_reviews(stack: Stack, out: TextIO, *, as_json: bool) -> int:
    """The pending reviews (AWAITING_REVIEW), the nearest deadline first."""
    pending = [r for r in import_records(stack, status=RecordStatus.AWAITING_REVIEW) if r.review]
    pending.sort(
        key=lambda r: (r.review.expires_at is None, r.review.expires_at) if r.review else (True, None)
    )
    listing(
        out,
        as_json=as_json,
        items=[_pending(record) for record in pending],
        headers=HEADERS,
        rows=[_row(record) for record in pending],
        empty=f'No file waits for a review in the stack {stack.name}.',
    )
    return EXIT_OK


def _row(record: ImportRecord) -> list[object]:
    review = _review(record)
    proposal = f'EMAIL {_label(review, review.email_column)} / POINTS {_label(review, review.points_column)}'
    reason = review.reasons[0].code if review.reasons else ''
    more = f' +{len(review.reasons) - 1}' if len(review.reasons) > 1 else ''
    return [
        short_id(record.pk),
        record.file_name,
        review.file.rows,
        proposal,
        reason + more,
        when(review.requested_at),
        when(review.expires_at),
    ]


def _pending(record: ImportRecord) -> dict[str, Any]:
    review = _review(record)
    return {
        'id': short_id(record.pk),
        'pk': record.pk,
        'file': record.file_name,
        'sourceUri': record.source_uri,
        'rows': review.file.rows,
        'hasHeader': review.file.has_header,
        'proposal': {
            'email': _column_json(review, review.email_column),
            'points': _column_json(review, review.points_column),
        },
        'choices': review.choices,
        'reasons': [reason.to_wire() for reason in review.reasons],
        'requestedAt': iso(review.requested_at),
        'expiresAt': iso(review.expires_at),
        'linkSentAt': iso(review.link_sent_at),
    }


def _review(record: ImportRecord) -> Review:
    if record.review is None:  # callers keep to records with a review
        raise OperatorError(f'the import {short_id(record.pk)} ({record.file_name}) has no review')
    return record.review


def _name(review: Review, column: int) -> str:
    return review.columns[column].name if 0 <= column < len(review.columns) else f'column {column}'


def _label(review: Review, column: int) -> str:
    """'0 (Kunde)': the 0-based column and its header; '0' in a file without one."""
    name = _name(review, column)
    return str(column) if name == f'column {column}' else f'{column} ({cell(name, 30)})'


def _column_json(review: Review, column: int | None) -> dict[str, Any] | None:
    return None if column is None else {'column': column, 'name': _name(review, column)}


# ---------------------------------------------------------------------------- review ID


def decide_review(
    stack: Stack,
    identifier: str,
    action: Action,
    out: TextIO,
    *,
    email: str | None = None,
    points: str | None = None,
    as_json: bool = False,
) -> int:
    """Approve (the proposal, or the columns given) or reject the review of one import."""
    if action == 'reject' and (email is not None or points is not None):
        raise OperatorError(
            '--email-column and --points-column choose the columns of an approval, not a rejection'
        )
    record = find_record(stack, identifier)
    review = record.review
    if review is None:
        raise OperatorError(
            f'the import {short_id(record.pk)} ({record.file_name}) had no review: '
            f'it is {record.status.value}'
        )
    if action == 'approve' and not_open_yet(record, review):
        raise OperatorError(
            f'the review of {record.file_name} ({short_id(record.pk)}) is not open yet: its review '
            'execution has not asked for a decision (no link sent). Nothing changed; try again in a moment'
        )
    choice = flow.Choice(
        action=action,
        email_column=column_index(review, email, 'EMAIL'),
        points_column=column_index(review, points, 'POINTS'),
        by=BY,
    )
    decided = flow.decide(record, choice, review_deps(stack))
    if as_json:
        print_json(_decided_json(decided), out)
    else:
        out.write(_decided_text(decided))
    return EXIT_OK if decided.outcome is Outcome.DECIDED else EXIT_NOT_DONE


def not_open_yet(record: ImportRecord, review: Review) -> bool:
    """Pending, but its execution has not opened it (no task token): an approval recorded now would
    not be handed over, and opening it later would ask a person anyway and wait out the deadline
    before importing (`flow.open_review` does not look at a recorded decision). A rejection is fine:
    it ends the import, and opening it then closes the wait at once."""
    return not record.is_final and review.decision is None and review.task_token is None


def review_deps(stack: Stack) -> ReviewDeps:
    """The review function's dependencies, from the stack's resources and parameters."""
    aws = stack.aws
    return wire_review_deps(
        stack.review_settings(),
        dynamodb=aws.client('dynamodb'),
        sns=aws.client('sns'),
        s3=aws.client('s3'),
        stepfunctions=aws.client('stepfunctions'),
    )


def column_index(review: Review, given: str | None, role: str) -> int | None:
    """A column of the review's file: its 0-based index or its header name (None: the proposal's)."""
    if given is None:
        return None
    text = given.strip()
    width = len(review.columns)
    if text.isdigit():
        if int(text) < width:
            return int(text)
    else:
        exact = [c.index for c in review.columns if c.name == text]
        folded = [c.index for c in review.columns if c.name.casefold() == text.casefold()]
        if len(exact) == 1 or len(folded) == 1:
            return (exact or folded)[0]
    columns = ', '.join(_label(review, c.index) for c in review.columns)
    raise OperatorError(f'no {role} column {given!r} in this file: its columns are {columns}')


def _decided_text(decided: Decided) -> str:
    record = decided.record
    name = f'{record.file_name} ({short_id(record.pk)})'
    if decided.outcome is Outcome.INVALID_MAPPING:
        return f'Not decided: {decided.error}\nNothing changed: {name} still waits for a review.\n'
    if decided.outcome is Outcome.EXPIRED:
        expired = when(record.review.expires_at if record.review else None)
        return f'Not decided: the review of {name} expired at {expired}; nothing changed.\n'
    if decided.outcome is Outcome.ALREADY_DECIDED:
        return _already(name, record)
    review = record.review
    decision = review.decision if review else None
    if review is None or decision is None or decision.action == 'reject':
        return f'Rejected {name}: the import ended {record.status.value}; nothing was sent to Wix.\n'
    email, points = _label(review, decision.email_column or 0), _label(review, decision.points_column or 0)
    by = f'{decision.by}, {when(decision.at)}'
    said = f'Approved {name}: EMAIL = column {email}, POINTS = column {points} ({by}).\n'
    if review.handed_over_at is None:  # the wait timed out meanwhile: `flow.expire` follows the approval
        return (
            said + 'The review execution no longer waited: its expiry step finds the approval and goes on.\n'
        )
    return said + f'The import goes on to Wix: follow it with `loyalty-import show {short_id(record.pk)}`.\n'


def _already(name: str, record: ImportRecord) -> str:
    decision = record.review.decision if record.review else None
    if record.status is RecordStatus.REVIEW_EXPIRED:
        return f'Not decided: the review of {name} expired; the import ended REVIEW_EXPIRED.\n'
    if decision is not None:
        done = 'approved' if decision.action == 'approve' else 'rejected'
        return (
            f'Not decided: {name} was already {done} ({decision.by}, {when(decision.at)}); '
            f'the import is {record.status.value}.\n'
        )
    return f'Not decided: the import of {name} already ended {record.status.value}.\n'


def _decided_json(decided: Decided) -> dict[str, Any]:
    record = decided.record
    review = record.review
    decision = review.decision if review else None
    return {
        'outcome': decided.outcome.value,
        'id': short_id(record.pk),
        'pk': record.pk,
        'file': record.file_name,
        'status': record.status.value,
        'error': decided.error,
        'decision': decision.to_wire() if decision else None,
        'handedOverAt': iso(review.handed_over_at) if review else None,
    }
