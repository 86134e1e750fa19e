"""The review's life with fakes: the link, one decision, the hand-over, the expiry."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from loyalty_import.pipeline import transitions
from loyalty_import.pipeline.models import ImportRecord, Overrides, RecordStatus, SourceEvent, SourceRef
from loyalty_import.pipeline.review import flow, tokens
from loyalty_import.pipeline.steps.inspection import inspect_file
from tests.fakes.clock import FakeClock
from tests.unit.pipeline.fakes import (
    BUCKET,
    FakeCallbacks,
    FakeLayouts,
    FakeNotifier,
    FakeRecords,
    FakeStorage,
)

KEY = 'incoming/shop/balances.csv'
# 'Kunde,Wert' names neither role: a review, and a layout an approval is remembered for.
CONTENT = (
    'Kunde,Wert,Besuche\n' + ''.join(f'm{n}@example.com,{100 + n * 7},{n % 5}\n' for n in range(8))
).encode()
WAIT_S = 3600


@dataclass
class World:
    records: FakeRecords = field(default_factory=FakeRecords)
    layouts: FakeLayouts = field(default_factory=FakeLayouts)
    notifier: FakeNotifier = field(default_factory=FakeNotifier)
    storage: FakeStorage = field(default_factory=FakeStorage)
    callbacks: FakeCallbacks = field(default_factory=FakeCallbacks)
    clock: FakeClock = field(default_factory=FakeClock)

    @property
    def deps(self) -> flow.ReviewDeps:
        return flow.ReviewDeps(
            records=self.records,
            layouts=self.layouts,
            notifier=self.notifier,
            storage=self.storage,
            callbacks=self.callbacks,
            inspector=inspect_file,
            review_wait_seconds=WAIT_S,
            max_file_bytes=10_000_000,
            clock=self.clock.as_clock(),
        )

    def awaiting(self) -> ImportRecord:
        """A record awaiting review, as the importer leaves it (its review keyed by its layout)."""
        self.storage.put(KEY, CONTENT)
        record = ImportRecord.new(SourceEvent(ref=SourceRef(bucket=BUCKET, key=KEY, version_id='v1')))
        review = inspect_file(CONTENT, Overrides()).review
        assert review is not None
        review = review.model_copy(update={'layout_id': 'layout-1', 'layout_prefix': 'incoming/shop/'})
        assert self.records.create(record)
        return transitions.advance(
            record, transitions.awaiting_review(review, at=self.clock.wall()), records=self.records
        )

    def opened(self) -> tuple[ImportRecord, str]:
        record = self.awaiting()
        assert flow.open_review(record.pk, 'task-token-1', 'https://review.example/', self.deps)
        link = json.loads(self.notifier.sent[-1].message)['reviewLink']
        fresh = self.records.get(record.pk)
        assert fresh is not None
        return fresh, link.split('?t=', 1)[1]


@pytest.fixture
def world() -> World:
    return World()


def test_opening_sends_one_link_whose_token_is_stored_only_hashed(world: World) -> None:
    record, token = world.opened()
    assert [n.subject for n in world.notifier.sent] == ['Loyalty import needs your decision - balances.csv']
    assert record.review is not None
    assert record.review.token_hash == tokens.token_hash(token)
    stored = json.dumps([world.records.items, {k: v.model_dump() for k, v in world.records.links.items()}])
    assert token not in stored
    assert flow.find_by_token(token, world.records) == record
    # a retry of the same task sends nothing more; a forged or malformed token opens nothing
    assert flow.open_review(record.pk, 'task-token-1', 'https://review.example/', world.deps)
    assert len(world.notifier.sent) == 1
    assert flow.find_by_token(tokens.new_token(), world.records) is None
    assert flow.find_by_token(token[:-1], world.records) is None


def test_an_approval_is_recorded_once_handed_over_and_remembered_for_its_layout(world: World) -> None:
    record, _ = world.opened()
    # (a second request that read the record at the same moment as this one)
    concurrent = record.model_copy(deep=True)
    decided = flow.decide(record, flow.Choice('approve'), world.deps)
    assert decided.outcome is flow.Outcome.DECIDED
    assert world.callbacks.sent == [('task-token-1', {'decision': 'approve'})]
    saved = world.records.get(record.pk)
    assert saved is not None
    assert saved.review is not None
    assert saved.review.decision is not None
    assert (saved.review.decision.email_column, saved.review.decision.points_column) == (0, 1)
    assert saved.review.handed_over_at is not None
    assert saved.overrides == Overrides(email_column=0, points_column=1)
    (layout,) = world.layouts.list()
    assert (layout.prefix, layout.header, layout.points_name) == (
        'incoming/shop/',
        ['Kunde', 'Wert', 'Besuche'],
        'Wert',
    )
    # a second decision (a replay read afresh, or a concurrent one) changes nothing
    for other in (saved, concurrent):
        again = flow.decide(other, flow.Choice('reject'), world.deps)
        assert again.outcome is flow.Outcome.ALREADY_DECIDED
    assert world.records.get(record.pk) == saved
    assert len(world.callbacks.sent) == 1


def test_a_chosen_mapping_that_fails_validation_changes_nothing(world: World) -> None:
    record, _ = world.opened()
    # the email column as POINTS, then the same column twice
    for email, points in ((1, 0), (0, 0)):
        decided = flow.decide(record, flow.Choice('approve', email, points), world.deps)
        assert decided.outcome is flow.Outcome.INVALID_MAPPING
        assert decided.error
    assert world.records.get(record.pk) == record
    assert world.callbacks.sent == []
    assert world.layouts.list() == []


def test_a_rejection_ends_the_import_and_notifies_once(world: World) -> None:
    record, _ = world.opened()
    decided = flow.decide(record, flow.Choice('reject'), world.deps)
    assert decided.outcome is flow.Outcome.DECIDED
    assert decided.record.status is RecordStatus.REVIEW_REJECTED
    assert [n.attributes['outcome'] for n in world.notifier.sent] == ['AWAITING_REVIEW', 'REVIEW_REJECTED']
    assert world.callbacks.sent == [('task-token-1', {'decision': 'reject'})]
    assert world.layouts.list() == []


def test_past_the_deadline_nothing_can_be_decided_and_the_expiry_ends_it(world: World) -> None:
    record, _ = world.opened()
    world.clock.advance(WAIT_S + 1)
    assert flow.decide(record, flow.Choice('approve'), world.deps).outcome is flow.Outcome.EXPIRED
    assert flow.expire(record.pk, world.deps) == 'expired'
    ended = world.records.get(record.pk)
    assert ended is not None
    assert ended.status is RecordStatus.REVIEW_EXPIRED
    assert ended.error is not None
    assert ended.error.code == 'REVIEW_EXPIRED'
    assert flow.expire(record.pk, world.deps) == 'expired'  # a retry notifies nothing more
    assert [n.attributes['outcome'] for n in world.notifier.sent] == ['AWAITING_REVIEW', 'REVIEW_EXPIRED']


def test_a_decision_step_functions_did_not_hear_of_is_followed_at_expiry(world: World) -> None:
    # GIVEN an approval recorded while the waiting task had already timed out
    record, _ = world.opened()
    world.callbacks.gone.add('task-token-1')
    decided = flow.decide(record, flow.Choice('approve'), world.deps)
    assert decided.outcome is flow.Outcome.DECIDED
    saved = world.records.get(record.pk)
    assert saved is not None
    assert saved.review is not None
    assert saved.review.handed_over_at is None
    # WHEN the expiry step runs, THEN it follows the approval instead of ending the import
    assert flow.expire(record.pk, world.deps) == 'approve'
    assert world.records.get(record.pk) == saved


def test_a_record_that_no_longer_waits_releases_the_task_at_once(world: World) -> None:
    record = world.awaiting()
    ended, _ = transitions.finish(
        record,
        transitions.failed('REVIEW_REJECTED', 'declined'),
        records=world.records,
        notifier=world.notifier,
        now=world.clock.wall,
    )
    assert not flow.open_review(ended.pk, 'task-token-2', 'https://review.example/', world.deps)
    assert world.callbacks.sent == [('task-token-2', {'decision': 'closed'})]


def test_a_decision_made_before_the_link_went_out_is_handed_over_when_the_task_starts(world: World) -> None:
    # GIVEN an approval by an operator command while the review execution had not opened it yet
    record = world.awaiting()
    assert (
        flow.decide(record, flow.Choice('approve', by='operator command'), world.deps).outcome
        is flow.Outcome.DECIDED
    )
    assert world.callbacks.sent == []  # no task waits yet
    # WHEN the waiting task starts, THEN it is told at once, and no link is sent
    assert flow.open_review(record.pk, 'task-token-3', 'https://review.example/', world.deps)
    assert world.callbacks.sent == [('task-token-3', {'decision': 'approve'})]
    assert world.notifier.sent == []


def test_a_review_whose_link_never_went_out_expires_saying_so(world: World) -> None:
    record = world.awaiting()
    assert flow.expire(record.pk, world.deps) == 'expired'
    ended = world.records.get(record.pk)
    assert ended is not None
    assert ended.error is not None
    assert 'could not be sent' in ended.error.message
