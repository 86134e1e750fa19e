"""A person's side of a review, rehearsed: the link from the notification, and the page's form
submitted over HTTP as a browser would (GET the page, read its form, POST it back)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import unescape
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from loyalty_import.pipeline.models import ImportRecord
    from rehearsal.harness import Drop, Rehearsal, SnsMessage

OnPoll = Callable[['ImportRecord | None', 'list[SnsMessage]'], None]

_HIDDEN = re.compile(r'<input type="hidden" name="(token|csrf)" value="([^"]*)"')


def review_link(
    rehearsal: Rehearsal, drop: Drop, *, timeout_s: float, poll_s: float = 0.05, on_poll: OnPoll | None = None
) -> str | None:
    """The link of the drop's "needs your decision" notification (None: the import ended without
    one, or none came within `timeout_s`). `on_poll` sees the record and notifications each round."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        mine = [m for m in rehearsal.notifications() if m.mentions(drop.source.source_id)]
        record = rehearsal.record(drop)
        if on_poll is not None:
            on_poll(record, mine)
        for message in mine:
            if message.attributes.get('outcome') == 'AWAITING_REVIEW':
                return str(json.loads(message.message)['reviewLink'])
        if record is not None and record.is_final:
            return None
        time.sleep(poll_s)
    return None


def wait_for_decision(rehearsal: Rehearsal, drop: Drop, *, timeout_s: float, poll_s: float = 0.2) -> bool:
    """Whether a person decided (or the review ended) within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        record = rehearsal.record(drop)
        if record is not None and (record.is_final or (record.review and record.review.decision)):
            return True
        time.sleep(poll_s)
    return False


def parse_choice(text: str) -> tuple[int | None, int | None]:
    """`make demo APPROVE=...`: '1' accepts the proposal; 'EMAIL=0,POINTS=3' chooses the columns."""
    if text.strip() in {'', '1', 'true', 'yes'}:
        return None, None
    parts = dict(part.split('=', 1) for part in text.replace(' ', '').split(',') if '=' in part)
    try:
        return int(parts['EMAIL']), int(parts['POINTS'])
    except (KeyError, ValueError) as exc:
        raise ValueError(f'APPROVE={text!r}: give 1, or EMAIL=<column>,POINTS=<column> (0-based)') from exc


@dataclass(frozen=True)
class Answer:
    status: int
    text: str  # the page's text without its markup


def page_text(html: str) -> str:
    without_style = re.sub(r'<head>.*?</head>', ' ', html, flags=re.S)
    return ' '.join(unescape(re.sub(r'<[^>]+>', ' ', without_style)).split())


def submit(link: str, action: str, *, email: int | None = None, points: int | None = None) -> Answer:
    """Open the review page and send its form: `action` 'approve' or 'reject'; columns as chosen
    (None: the page's preselected proposal)."""
    with httpx.Client(timeout=30.0) as client:
        page = client.get(link)
        if page.status_code != 200:
            return Answer(page.status_code, page_text(page.text))
        fields = dict(_HIDDEN.findall(page.text))
        fields['email_column'] = str(email) if email is not None else _selected(page.text, 'email_column')
        fields['points_column'] = str(points) if points is not None else _selected(page.text, 'points_column')
        fields['action'] = action
        origin = link.split('/?', 1)[0]
        answer = client.post(link, data=fields, headers={'Origin': origin})
    return Answer(answer.status_code, page_text(answer.text))


def _selected(html: str, name: str) -> str:
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, flags=re.S)
    chosen = re.search(r'<option value="(\d+)" selected', select.group(1)) if select else None
    return chosen.group(1) if chosen else ''
