"""A person's side of a review, rehearsed: the link from the notification, and the page's form
submitted over HTTP as a browser would (GET the page, read its form, POST it back)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from html import unescape
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from rehearsal.harness import Drop, Rehearsal

_HIDDEN = re.compile(r'<input type="hidden" name="(token|csrf)" value="([^"]*)"')


def review_link(rehearsal: Rehearsal, drop: Drop, *, timeout_s: float, poll_s: float = 0.05) -> str | None:
    """The link of the drop's "needs your decision" notification (None: none came in time)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for message in rehearsal.notifications():
            if (
                message.mentions(drop.source.source_id)
                and message.attributes.get('outcome') == 'AWAITING_REVIEW'
            ):
                return str(json.loads(message.message)['reviewLink'])
        record = rehearsal.record(drop)
        if record is not None and record.is_final:
            return None
        time.sleep(poll_s)
    return None


@dataclass(frozen=True)
class Answer:
    status: int
    text: str  # the page's text without its markup


def page_text(html: str) -> str:
    without_style = re.sub(r'<style>.*?</style>', ' ', html, flags=re.S)
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
