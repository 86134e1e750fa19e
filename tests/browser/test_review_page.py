"""The review page as a person meets it: headless Chromium, JavaScript off, on the rehearsal's
Function URL (the real handler behind it), from the link of the "needs your decision"
notification.

Each test drops its own headerless export into one rehearsal and clicks through the page; what it
asserts is read back from the stack (the import record, the notifications), not from the page
alone. `REVIEW_SCREENSHOT=docs/review-page.png` keeps the phone screenshot (README's).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from loyalty_import.pipeline.models import ImportRecord, RecordStatus
from rehearsal import Rehearsal, RehearsalConfig
from rehearsal.harness import Drop
from rehearsal.reviews import review_link
from tests.browser.conftest import NO_JS, PHONE_NO_JS, NewPage
from wix_emulator import EmulatorSettings, WixEmulator

FOLLOW_S = 300.0  # a hang guard, as in tests/e2e
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'


def export(name: str) -> bytes:
    """No header: a person confirms the columns. Column 1 holds the balance, column 3 visits. The
    balances differ per file (the same balances twice would be refused ALREADY_IMPORTED)."""
    offset = sum(name.encode()) % 97
    return ''.join(
        f'Customer {n};customer{n}@example.com;{offset + n * 35};{n % 6 + 1}\n' for n in range(1, 13)
    ).encode()


def rehearsed(**parameters: str) -> Iterator[Rehearsal]:
    settings = EmulatorSettings(parse_delay_s=0.02, import_delay_s=0.02, retry_after_s=0)
    config = RehearsalConfig(parameters=parameters, clock_scale=0.01, async_retry_delay_s=0.01)
    with WixEmulator(settings) as emulator, Rehearsal(config, emulator=emulator) as rehearsal:
        yield rehearsal


@pytest.fixture(scope='module')
def rehearsal() -> Iterator[Rehearsal]:
    yield from rehearsed()


def asked(rehearsal: Rehearsal, name: str) -> tuple[Drop, str]:
    drop = rehearsal.drop(name, export(name))
    link = review_link(rehearsal, drop, timeout_s=FOLLOW_S)
    assert link is not None, rehearsal.record(drop)
    return drop, link


def final(rehearsal: Rehearsal, drop: Drop) -> ImportRecord:
    outcome = rehearsal.follow(drop, timeout_s=FOLLOW_S)
    assert outcome.finished, outcome.status
    assert outcome.record is not None
    return outcome.record


def undecided(rehearsal: Rehearsal, drop: Drop) -> ImportRecord:
    record = rehearsal.record(drop)
    assert record is not None
    assert record.status is RecordStatus.AWAITING_REVIEW
    assert record.review is not None
    assert record.review.decision is None
    return record


@pytest.mark.parametrize('page', [PHONE_NO_JS], indirect=True)
def test_a_person_imports_the_proposal_from_a_phone_without_javascript(
    rehearsal: Rehearsal, page: Page, tmp_path: Path
) -> None:
    drop, link = asked(rehearsal, 'phone.csv')
    page.goto(link)
    # THEN the page explains the file and preselects the proposal
    expect(page.get_by_role('heading', level=1)).to_have_text('Loyalty import needs your decision')
    expect(page.locator('select[name=email_column]')).to_have_value('1')
    expect(page.locator('select[name=points_column]')).to_have_value('2')
    expect(page.get_by_text('phone.csv').first).to_be_visible()
    # it fits the phone's width (tables scroll inside their own box)
    assert page.evaluate('document.documentElement.scrollWidth') <= 390
    shot = page.screenshot(
        scale='css', path=str(os.environ.get('REVIEW_SCREENSHOT') or tmp_path / 'review.png'), full_page=True
    )
    assert shot.startswith(PNG_SIGNATURE)

    # WHEN they tap Import
    page.get_by_role('button', name='Import', exact=True).click()

    # THEN the confirmation shows and the import goes on with the proposal
    expect(page.get_by_role('heading', level=1)).to_contain_text('the import goes ahead')
    record = final(rehearsal, drop)
    assert record.status is RecordStatus.IMPORTED
    assert record.mapping is not None
    assert (record.mapping.email.column, record.mapping.points.column) == (1, 2)


def test_a_person_chooses_other_columns(rehearsal: Rehearsal, page_no_js: Page) -> None:
    drop, link = asked(rehearsal, 'visits.csv')
    page_no_js.goto(link)
    page_no_js.locator('select[name=points_column]').select_option('3')
    page_no_js.get_by_role('button', name='Import', exact=True).click()
    expect(page_no_js.get_by_role('heading', level=1)).to_contain_text('the import goes ahead')
    record = final(rehearsal, drop)
    assert record.mapping is not None
    assert record.mapping.points.column == 3


def test_an_invalid_choice_is_explained_and_changes_nothing(rehearsal: Rehearsal, page_no_js: Page) -> None:
    drop, link = asked(rehearsal, 'names.csv')
    page_no_js.goto(link)
    # WHEN the names column is chosen as POINTS
    page_no_js.locator('select[name=points_column]').select_option('0')
    with page_no_js.expect_response(lambda response: response.request.method == 'POST') as posted:
        page_no_js.get_by_role('button', name='Import', exact=True).click()
    # THEN the page says why, keeps the choice shown, and nothing was decided
    assert posted.value.status == 422
    expect(page_no_js.get_by_role('alert')).to_be_visible()
    expect(page_no_js.locator('select[name=points_column]')).to_have_value('0')
    undecided(rehearsal, drop)
    # AND a valid choice from the same page then goes through
    page_no_js.locator('select[name=points_column]').select_option('2')
    page_no_js.get_by_role('button', name='Import', exact=True).click()
    expect(page_no_js.get_by_role('heading', level=1)).to_contain_text('the import goes ahead')
    assert final(rehearsal, drop).status is RecordStatus.IMPORTED


def test_a_person_declines_and_a_second_tab_cannot_decide_again(
    rehearsal: Rehearsal, new_page: NewPage
) -> None:
    drop, link = asked(rehearsal, 'declined.csv')
    first, second = new_page(NO_JS), new_page(NO_JS)
    first.goto(link)
    second.goto(link)
    # WHEN one tab declines
    first.get_by_role('button', name="Don't import").click()
    expect(first.get_by_role('heading', level=1)).to_contain_text('not imported')
    # THEN the other tab's Import (a replay of the same form) changes nothing and says so
    with second.expect_response(lambda response: response.request.method == 'POST') as posted:
        second.get_by_role('button', name='Import', exact=True).click()
    assert posted.value.status == 409
    expect(second.get_by_text('Nothing changed').first).to_be_visible()
    record = final(rehearsal, drop)
    assert record.status is RecordStatus.REVIEW_REJECTED
    assert record.review is not None
    assert record.review.decision is not None
    assert record.review.decision.action == 'reject'


def test_a_forged_link_opens_nothing(rehearsal: Rehearsal, page_no_js: Page) -> None:
    drop, link = asked(rehearsal, 'forged.csv')
    forged = link[:-4] + ('AAAA' if not link.endswith('AAAA') else 'BBBB')
    response = page_no_js.goto(forged)
    assert response is not None
    assert response.status == 404
    expect(page_no_js.get_by_role('heading', level=1)).to_have_text('This link is not valid')
    assert response.headers['referrer-policy'] == 'no-referrer'
    undecided(rehearsal, drop)
