"""A person decides, through the rehearsal: the review link, the page's form over HTTP, the
ReviewStateMachine's wait, and the same record going on to Wix (or ending) afterwards."""

from __future__ import annotations

import json

import httpx

from loyalty_import.pipeline.models import ImportRecord, RecordStatus
from rehearsal import Rehearsal
from rehearsal.harness import Drop
from rehearsal.reviews import page_text, review_link, submit
from tests.e2e.conftest import FOLLOW_S, Rehearse
from wix_emulator import WixEmulator

# No header: the columns can only be chosen from their content, so a person confirms them.
# Column 1 is the balance; column 3 another whole-number column a person may pick instead.
HEADERLESS = b''.join(
    f'{email},{points},Name {n},{n % 7 + 2}\n'.encode()
    for n, (email, points) in enumerate((f'customer{n}@example.com', 15 + n * 35) for n in range(1, 11))
)
# A header that names neither role ('Kunde', 'Wert'): a review, and a layout an approval is kept for.
SILENT_HEADER = 'Kunde,Wert\n'


def silent_file(points: list[int]) -> bytes:
    rows = ''.join(f'member{n}@example.com,{value}\n' for n, value in enumerate(points))
    return (SILENT_HEADER + rows).encode()


def awaiting(rehearsal: Rehearsal, name: str, content: bytes) -> tuple[Drop, str]:
    drop = rehearsal.drop(name, content)
    link = review_link(rehearsal, drop, timeout_s=FOLLOW_S)
    assert link is not None, f'no review link for {name}: {rehearsal.record(drop)}'
    return drop, link


def finished(rehearsal: Rehearsal, drop: Drop) -> ImportRecord:
    outcome = rehearsal.follow(drop, timeout_s=FOLLOW_S)
    assert outcome.finished, outcome.status
    assert outcome.record is not None
    return outcome.record


def outcomes(rehearsal: Rehearsal, drop: Drop) -> list[str]:
    mine = [m for m in rehearsal.notifications() if m.mentions(drop.source.source_id)]
    return [m.attributes.get('outcome', '') for m in mine]


def test_an_uncertain_file_waits_for_a_person_then_imports_as_approved(rehearsal: Rehearsal) -> None:
    # GIVEN a headerless export dropped: the product cannot tell on its own
    drop, link = awaiting(rehearsal, 'headerless.csv', HEADERLESS)
    # THEN it waits AWAITING_REVIEW, nothing reached Wix, and one notification asks with the link
    record = rehearsal.record(drop)
    assert record is not None
    assert record.status is RecordStatus.AWAITING_REVIEW
    assert rehearsal.emulator.requests == []
    (asking,) = [m for m in rehearsal.notifications() if m.mentions(drop.source.source_id)]
    assert asking.subject == 'Loyalty import needs your decision - headerless.csv'
    body = json.loads(asking.message)
    assert body['deadline'].endswith('UTC')
    assert body['uncertain']
    # AND the token is in the link only: never in the record
    token = link.split('t=', 1)[1]
    assert token not in json.dumps(record.model_dump(mode='json'))

    # WHEN a person opens the link and imports the proposal
    answer = submit(link, 'approve')

    # THEN the page confirms, and the same record goes on to one Wix import with that mapping
    assert answer.status == 200
    assert 'the import goes ahead' in answer.text
    final = finished(rehearsal, drop)
    assert final.status is RecordStatus.IMPORTED
    assert final.mapping is not None
    assert (final.mapping.email.column, final.mapping.points.column) == (0, 1)
    history = [change.status for change in final.status_history]
    assert history[:2] == [RecordStatus.RECEIVED, RecordStatus.AWAITING_REVIEW]
    assert final.review is not None
    assert final.review.decision is not None
    assert final.review.decision.by == 'review page'
    assert outcomes(rehearsal, drop) == ['AWAITING_REVIEW', 'IMPORTED']
    # AND the token appeared nowhere but in the one link: no log line, no other notification, no record
    logged = [line for invocation in rehearsal.invocations for line in invocation.log_lines]
    assert logged
    assert not [line for line in logged if token in line]
    mine = [m for m in rehearsal.notifications() if m.mentions(drop.source.source_id)]
    assert [token in m.message for m in mine] == [True, False]
    assert token not in json.dumps(final.model_dump(mode='json'))


def test_a_person_can_choose_other_columns_and_a_wrong_choice_changes_nothing(rehearsal: Rehearsal) -> None:
    drop, link = awaiting(rehearsal, 'choose.csv', HEADERLESS)

    # WHEN a person picks the names column as POINTS
    wrong = submit(link, 'approve', email=0, points=2)
    # THEN the page says why instead of importing, and nothing changed
    assert wrong.status == 422
    assert 'POINTS' in wrong.text or 'points' in wrong.text
    record = rehearsal.record(drop)
    assert record is not None
    assert record.review is not None
    assert record.review.decision is None
    assert record.status is RecordStatus.AWAITING_REVIEW

    # WHEN they choose the other whole-number column instead
    answer = submit(link, 'approve', email=0, points=3)
    # THEN it is imported with their columns
    assert answer.status == 200
    final = finished(rehearsal, drop)
    assert final.status is RecordStatus.IMPORTED
    assert final.mapping is not None
    assert final.mapping.points.column == 3


def test_a_rejection_ends_the_import_and_a_replay_or_forgery_changes_nothing(rehearsal: Rehearsal) -> None:
    drop, link = awaiting(rehearsal, 'no.csv', HEADERLESS)
    with httpx.Client(timeout=30.0) as client:
        page = client.get(link)
        # a forged token and a tampered form are refused before anything is read
        assert client.get(link.split('?')[0] + '?t=' + 'A' * 43).status_code == 404
        form = {
            'token': link.split('t=', 1)[1],
            'csrf': 'forged',
            'email_column': '0',
            'points_column': '1',
            'action': 'reject',
        }
        assert client.post(link, data=form).status_code == 403
        assert client.post(link, data=form, headers={'Origin': 'https://evil.example'}).status_code == 403
    assert page.status_code == 200
    assert page.headers['referrer-policy'] == 'no-referrer'
    assert "frame-ancestors 'none'" in page.headers['content-security-policy']
    record = rehearsal.record(drop)
    assert record is not None
    assert record.review is not None
    assert record.review.decision is None

    # WHEN the person declines
    answer = submit(link, 'reject')
    assert answer.status == 200
    assert 'Nothing was imported' in answer.text
    # THEN REVIEW_REJECTED, notified once, nothing at Wix
    final = finished(rehearsal, drop)
    assert final.status is RecordStatus.REVIEW_REJECTED
    assert rehearsal.emulator.requests == []
    assert outcomes(rehearsal, drop) == ['AWAITING_REVIEW', 'REVIEW_REJECTED']
    # AND the link now says it was decided; a replayed decision changes nothing
    replay = submit(link, 'approve')
    assert replay.status == 409
    assert rehearsal.record(drop) == final


def test_nobody_answering_ends_review_expired(rehearse: Rehearse, wix_emulator: WixEmulator) -> None:
    # GIVEN a stack whose reviews wait one second
    rehearsal = rehearse(wix_emulator, ReviewWaitSeconds='1')
    drop, link = awaiting(rehearsal, 'late.csv', HEADERLESS)
    # WHEN nobody answers
    final = finished(rehearsal, drop)
    # THEN it ends REVIEW_EXPIRED, notified once, nothing imported; the link says so
    assert final.status is RecordStatus.REVIEW_EXPIRED
    assert outcomes(rehearsal, drop) == ['AWAITING_REVIEW', 'REVIEW_EXPIRED']
    assert rehearsal.emulator.requests == []
    late = submit(link, 'approve')
    assert late.status == 410
    assert 'The time to decide has passed' in late.text


def test_an_approved_layout_is_decided_on_its_own_next_time_unless_its_content_changed(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN a file whose header names nothing, approved by a person
    first, link = awaiting(rehearsal, 'week1.csv', silent_file([120, 45, 300, 7, 88, 19]))
    assert submit(link, 'approve').status == 200
    assert finished(rehearsal, first).status is RecordStatus.IMPORTED

    # WHEN the next export of that layout arrives in the same folder
    second = rehearsal.drop('week2.csv', silent_file([130, 55, 310, 17, 98, 29]))
    # THEN it is imported on its own, saying why
    record = finished(rehearsal, second)
    assert record.status is RecordStatus.IMPORTED
    assert record.review is None
    assert record.approved_layout is not None
    assert record.approved_layout.startswith('approved for this layout on')
    assert outcomes(rehearsal, second) == ['IMPORTED']

    # AND a file of that layout whose content no longer passes (a negative balance in 6 rows) asks again
    third, _ = awaiting(rehearsal, 'week3.csv', silent_file([130, -55, 310, 17, 98, 29]))
    asked = rehearsal.record(third)
    assert asked is not None
    assert asked.review is not None
    assert asked.review.reasons[0].code == 'LAYOUT_CONTENT_CHANGED'
    page = httpx.get(_link_of(rehearsal, third), timeout=30.0)
    assert 'Its columns were approved for this layout on' in page_text(page.text)


def _link_of(rehearsal: Rehearsal, drop: Drop) -> str:
    link = review_link(rehearsal, drop, timeout_s=FOLLOW_S)
    assert link is not None
    return link
