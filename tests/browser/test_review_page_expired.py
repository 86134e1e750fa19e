"""An expired review link in headless Chromium: a stack of its own, whose reviews wait one second
(a module of its own: one rehearsal runs at a time)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from loyalty_import.pipeline.models import RecordStatus
from rehearsal import Rehearsal
from tests.browser.test_review_page import asked, final, rehearsed


@pytest.fixture(scope='module')
def impatient() -> Iterator[Rehearsal]:
    yield from rehearsed(ReviewWaitSeconds='1')


def test_an_expired_link_says_so(impatient: Rehearsal, page_no_js: Page) -> None:
    drop, link = asked(impatient, 'late.csv')
    assert final(impatient, drop).status is RecordStatus.REVIEW_EXPIRED
    response = page_no_js.goto(link)
    assert response is not None
    assert response.status == 410
    expect(page_no_js.get_by_role('heading', level=1)).to_have_text('The time to decide has passed')
