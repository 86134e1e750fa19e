"""A review's life: opened by the waiting state machine task, decided once, or expired.

`open_review` runs as the ReviewStateMachine's `.waitForTaskToken` task: it makes the link (a new
token, stored hashed), keeps the task token in the record and sends the one notification that
carries the link. `decide` records a person's decision with a conditional write (the first one
stands), remembers an approved layout and tells the waiting execution (SendTaskSuccess). A
rejection ends the import at once (REVIEW_REJECTED, notified once); an approval is continued by the
importer (`steps.importer.continue_reviewed`). `expire` runs when the wait times out: it ends the
import REVIEW_EXPIRED, unless a decision was recorded that Step Functions did not hear of.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from loyalty_import.pipeline import transitions
from loyalty_import.pipeline.clock import Clock
from loyalty_import.pipeline.errors import FileRefused, ObjectTooLarge, ReviewAlreadyDecided, SourceNotFound
from loyalty_import.pipeline.models import ImportRecord, Overrides, RecordStatus, ReviewDecision, ReviewLink
from loyalty_import.pipeline.notifications import review_request
from loyalty_import.pipeline.observability import Metric, MetricUnit, logger, metrics
from loyalty_import.pipeline.ports import (
    Inspector,
    LayoutStore,
    Notifier,
    RecordStore,
    ReviewCallbacks,
    Storage,
)
from loyalty_import.pipeline.review import layouts, tokens

# A link item outlives its review by this much, so a late click says "expired", not "unknown".
LINK_GRACE = dt.timedelta(days=30)


@dataclass
class ReviewDeps:
    records: RecordStore
    layouts: LayoutStore
    notifier: Notifier
    storage: Storage
    callbacks: ReviewCallbacks
    inspector: Inspector
    review_wait_seconds: int
    max_file_bytes: int
    clock: Clock = field(default_factory=Clock)


# ---------------------------------------------------------------------------- opening


def open_review(source_id: str, task_token: str, review_url: str, deps: ReviewDeps) -> bool:
    """Make the link and send it (once per waiting task). False: nothing to ask any more."""
    record = deps.records.get(source_id)
    if record is None or record.review is None or record.status is not RecordStatus.AWAITING_REVIEW:
        logger.warning('no review to open', status=record.status.value if record else None)
        deps.callbacks.send_success(task_token, {'decision': 'closed'})  # do not wait for nobody
        return False
    review = record.review
    if review.decision is not None:  # decided before the link went out (an operator command)
        waiting = transitions.advance(record, transitions.review_task(task_token), records=deps.records)
        _hand_over(waiting, deps)
        return True
    if review.task_token == task_token and review.link_sent_at is not None:
        return True  # a retry of this task: the link went out already
    token, now = tokens.new_token(), deps.clock.now()
    digest = tokens.token_hash(token)
    expires_at = now + dt.timedelta(seconds=deps.review_wait_seconds)
    link_expiry = int((expires_at + LINK_GRACE).timestamp())
    deps.records.put_link(ReviewLink(pk=ReviewLink.key(digest), source_id=record.pk, expires_at=link_expiry))
    opened = transitions.review_opened(
        token_hash=digest, csrf=tokens.new_token(), task_token=task_token, expires_at=expires_at
    )
    record = transitions.advance(record, opened, records=deps.records)
    deps.notifier.publish(review_request(record, link=f'{review_url.rstrip("/")}/?t={token}'))
    transitions.advance(record, transitions.review_link_sent(deps.clock.now()), records=deps.records)
    metrics.add_metric(name=Metric.REVIEWS_REQUESTED, unit=MetricUnit.Count, value=1)
    logger.info('review requested', expires_at=expires_at.isoformat())
    return True


def find_by_token(token: str | None, records: RecordStore) -> ImportRecord | None:
    """The record a link opens, or None for a malformed, unknown or superseded token."""
    if not tokens.looks_like_token(token):
        return None
    digest = tokens.token_hash(token or '')
    link = records.get_link(digest)
    if link is None:
        return None
    record = records.get(link.source_id)
    if record is None or record.review is None or not tokens.same(record.review.token_hash, digest):
        return None
    return record


# ---------------------------------------------------------------------------- deciding


class Outcome(StrEnum):
    DECIDED = 'DECIDED'  # recorded now (and handed to the state machine)
    INVALID_MAPPING = 'INVALID_MAPPING'  # the chosen columns fail validation: nothing changed
    ALREADY_DECIDED = 'ALREADY_DECIDED'  # decided or ended before: nothing changed
    EXPIRED = 'EXPIRED'  # past the deadline: nothing changed


@dataclass(frozen=True)
class Choice:
    action: Literal['approve', 'reject']
    email_column: int | None = None
    points_column: int | None = None
    by: str = 'review page'


@dataclass(frozen=True)
class Decided:
    outcome: Outcome
    record: ImportRecord
    error: str | None = None  # INVALID_MAPPING: why, in words


def decide(record: ImportRecord, choice: Choice, deps: ReviewDeps) -> Decided:
    """Record `choice` once; tell the waiting execution. Raises PipelineUnavailable when AWS fails
    (the decision may be recorded: deciding again hands it over, it does not decide twice)."""
    review = record.review
    if review is None:
        return Decided(Outcome.ALREADY_DECIDED, record)
    if review.decision is not None or record.is_final:
        if review.decision is not None and review.handed_over_at is None and not record.is_final:
            return Decided(Outcome.DECIDED, _hand_over(record, deps))  # a retry after a failed hand-over
        return Decided(Outcome.ALREADY_DECIDED, record)
    now = deps.clock.now()
    if review.expires_at is not None and now >= review.expires_at:
        return Decided(Outcome.EXPIRED, record)
    email, points = choice.email_column, choice.points_column
    if choice.action == 'approve':
        email = review.email_column if email is None else email
        points = review.points_column if points is None else points
        problem = mapping_problem(record, email, points, deps)
        if problem is not None:
            return Decided(Outcome.INVALID_MAPPING, record, problem)
    decision = ReviewDecision(
        action=choice.action, email_column=email, points_column=points, at=now, by=choice.by
    )
    try:
        saved = _record_decision(record, decision, deps)
    except ReviewAlreadyDecided:
        fresh = deps.records.get(record.pk) or record
        return Decided(Outcome.ALREADY_DECIDED, fresh)
    logger.info('review decided', action=choice.action, by=choice.by)
    if choice.action == 'approve' and email is not None and points is not None:
        _remember(saved, email, points, deps)
    return Decided(Outcome.DECIDED, _hand_over(saved, deps))


def mapping_problem(record: ImportRecord, email: int, points: int, deps: ReviewDeps) -> str | None:
    """Why these columns cannot be imported (the same validation as an override), or None."""
    if email == points:
        return 'EMAIL and POINTS must be two different columns.'
    try:
        stored = deps.storage.read(
            record.bucket, record.key, record.version_id, max_bytes=deps.max_file_bytes
        )
    except (SourceNotFound, ObjectTooLarge) as exc:
        return f'The file can no longer be read: {exc}'
    try:
        outcome = deps.inspector(stored.content, Overrides(email_column=email, points_column=points))
    except FileRefused as refusal:
        return refusal.message
    if outcome.review is not None:
        return ' '.join(reason.message for reason in outcome.review.reasons)
    return None


def _record_decision(record: ImportRecord, decision: ReviewDecision, deps: ReviewDeps) -> ImportRecord:
    mark = transitions.review_decided(decision)
    if decision.action == 'approve':
        return transitions.advance(record, mark, records=deps.records)
    message = f'A person chose not to import the file ({decision.by}).'
    ended = transitions.failed('REVIEW_REJECTED', message)
    saved, _ = transitions.finish(
        record, mark, ended, records=deps.records, notifier=deps.notifier, now=deps.clock.now
    )
    if saved.review is None or saved.review.decision != decision:
        raise ReviewAlreadyDecided(record.pk)  # finish found it already ended and notified
    return saved


def _remember(record: ImportRecord, email: int, points: int, deps: ReviewDeps) -> None:
    layout = layouts.remembered(record, email, points, at=deps.clock.now())
    if layout is not None:
        deps.layouts.put(layout)
        logger.info('layout remembered', layout_id=layout.layout_id, prefix=layout.prefix)


def _hand_over(record: ImportRecord, deps: ReviewDeps) -> ImportRecord:
    review = record.review
    if review is None or review.decision is None or review.task_token is None:
        return record
    delivered = deps.callbacks.send_success(review.task_token, {'decision': review.decision.action})
    if not delivered:  # the wait timed out meanwhile: `expire` honours the recorded decision
        logger.warning('the review execution no longer waits; its expiry step reads the decision')
        return record
    return transitions.advance(record, transitions.review_handed_over(deps.clock.now()), records=deps.records)


# ---------------------------------------------------------------------------- expiring


def expire(source_id: str, deps: ReviewDeps) -> str:
    """The wait timed out: 'approve' when an approval was recorded (the import goes on), else the
    import ends REVIEW_EXPIRED (notified once) and this returns 'expired' (or 'reject')."""
    record = deps.records.get(source_id)
    if record is None:
        return 'expired'
    decided_action = record.review.decision.action if record.review and record.review.decision else None
    if decided_action is not None or record.is_final:
        return decided_action or 'expired'
    hours = round(deps.review_wait_seconds / 3600, 1)
    message = f'Nobody decided on the file within {hours:g} hours; nothing was imported.'
    if record.review is not None and record.review.link_sent_at is None:  # AskAPerson failed
        message = 'The review link could not be sent, so nobody could decide; nothing was imported.'
    try:
        transitions.finish(
            record,
            transitions.review_expired(message),
            records=deps.records,
            notifier=deps.notifier,
            now=deps.clock.now,
        )
    except ReviewAlreadyDecided:
        fresh = deps.records.get(source_id)
        decision = fresh.review.decision if fresh and fresh.review else None
        return decision.action if decision else 'expired'
    logger.info('review expired')
    return 'expired'
