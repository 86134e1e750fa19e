"""The review page's requests, as a Lambda Function URL delivers them (payload format 2.0).

GET `/?t=<token>` shows the review; POST `/` (the page's own form) records the decision. What a
POST must carry to change anything: a known, unexpired token; the form's anti-CSRF value for it;
no foreign `Origin` or cross-site `Sec-Fetch-Site`; an action and columns of this file. Anything
else gets a page saying plainly that nothing changed. Every response carries the page's strict
security headers. Nothing here logs the token or the request.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from loyalty_import.pipeline.errors import PipelineUnavailable
from loyalty_import.pipeline.models import ImportRecord, RecordStatus
from loyalty_import.pipeline.observability import logger
from loyalty_import.pipeline.review import flow, tokens
from loyalty_import.pipeline.review.page import (
    NoticeKind,
    decided_page,
    notice_page,
    review_page,
    security_headers,
)

MAX_FORM_BYTES = 4096
_STATUS = {
    NoticeKind.UNKNOWN: 404,
    NoticeKind.EXPIRED: 410,
    NoticeKind.DECIDED: 409,
    NoticeKind.FORBIDDEN: 403,
    NoticeKind.BAD_REQUEST: 400,
    NoticeKind.UNAVAILABLE: 503,
}


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> Request:
        http = event.get('requestContext', {}).get('http', {})
        raw = event.get('body') or ''
        body = raw.encode('utf-8')
        if event.get('isBase64Encoded'):
            try:
                body = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError):
                body = b'\x00'  # not base64: refused below as a malformed form
        return cls(
            method=str(http.get('method', 'GET')).upper(),
            path=str(event.get('rawPath') or '/'),
            query=parse_qs(str(event.get('rawQueryString') or '')),
            headers={str(k).lower(): str(v) for k, v in (event.get('headers') or {}).items()},
            body=body,
        )


def response(status: int, html: str) -> dict[str, Any]:
    return {'statusCode': status, 'headers': security_headers(), 'body': html, 'isBase64Encoded': False}


def notice(kind: NoticeKind, record: ImportRecord | None = None) -> dict[str, Any]:
    return response(_STATUS[kind], notice_page(kind, record=record))


def handle(event: dict[str, Any], deps: flow.ReviewDeps) -> dict[str, Any]:
    request = Request.from_event(event)
    if request.path not in {'', '/'}:
        return notice(NoticeKind.UNKNOWN)
    try:
        if request.method in {'GET', 'HEAD'}:
            return _show(request, deps)
        if request.method == 'POST':
            return _decide(request, deps)
    except PipelineUnavailable:
        logger.exception('the review could not be served')
        return notice(NoticeKind.UNAVAILABLE)
    page = notice(NoticeKind.BAD_REQUEST)
    page['headers'] = {**page['headers'], 'Allow': 'GET, POST'}
    page['statusCode'] = 405
    return page


def _first(values: dict[str, list[str]], name: str) -> str | None:
    found = values.get(name)
    return found[0] if found else None


def _closed(record: ImportRecord, deps: flow.ReviewDeps) -> NoticeKind | None:
    """Why this review can no longer be decided (None: it can)."""
    review = record.review
    if record.status is RecordStatus.REVIEW_EXPIRED:
        return NoticeKind.EXPIRED
    if record.is_final or (review is not None and review.decision is not None):
        return NoticeKind.DECIDED
    if review is not None and review.expires_at is not None and deps.clock.now() >= review.expires_at:
        return NoticeKind.EXPIRED
    return None


def _show(request: Request, deps: flow.ReviewDeps) -> dict[str, Any]:
    token = _first(request.query, 't')
    record = flow.find_by_token(token, deps.records)
    if record is None or record.review is None:
        return notice(NoticeKind.UNKNOWN)
    closed = _closed(record, deps)
    if closed is not None:
        return notice(closed, record)
    html = review_page(record, token=token or '', csrf=record.review.csrf or '', now=deps.clock.now())
    return response(200, html)


def _cross_site(request: Request) -> bool:
    """A browser says the form was posted from another site (either header, when present)."""
    if request.headers.get('sec-fetch-site', 'same-origin') not in {'same-origin', 'none'}:
        return True
    origin = request.headers.get('origin')
    # Under the page's `Referrer-Policy: no-referrer` browsers send `Origin: null` on its own POST:
    # then the anti-CSRF value (and Sec-Fetch-Site, above) decide.
    if origin is None or origin == 'null':
        return False
    return urlsplit(origin).netloc != request.headers.get('host', '')


def _form(request: Request) -> dict[str, list[str]] | None:
    content_type = request.headers.get('content-type', '').split(';')[0].strip().lower()
    if content_type != 'application/x-www-form-urlencoded' or len(request.body) > MAX_FORM_BYTES:
        return None
    try:
        return parse_qs(request.body.decode('ascii'), strict_parsing=False)
    except UnicodeDecodeError:
        return None


def _choice(form: dict[str, list[str]], record: ImportRecord) -> flow.Choice | None:
    action = _first(form, 'action')
    if action == 'reject':
        return flow.Choice(action='reject')
    offered = {column.index for column in record.review.columns} if record.review else set()
    try:
        email, points = int(_first(form, 'email_column') or ''), int(_first(form, 'points_column') or '')
    except ValueError:
        return None
    if action != 'approve' or email not in offered or points not in offered:  # only what the page offers
        return None
    return flow.Choice(action='approve', email_column=email, points_column=points)


def _decide(request: Request, deps: flow.ReviewDeps) -> dict[str, Any]:
    if _cross_site(request):
        return notice(NoticeKind.FORBIDDEN)
    form = _form(request)
    if form is None:
        return notice(NoticeKind.BAD_REQUEST)
    token = _first(form, 't') or _first(form, 'token') or _first(request.query, 't')
    record = flow.find_by_token(token, deps.records)
    if record is None or record.review is None:
        return notice(NoticeKind.UNKNOWN)
    if not tokens.same(_first(form, 'csrf'), record.review.csrf):
        return notice(NoticeKind.FORBIDDEN)
    choice = _choice(form, record)
    if choice is None:
        return notice(NoticeKind.BAD_REQUEST)
    decided = flow.decide(record, choice, deps)
    if decided.outcome is flow.Outcome.DECIDED:
        return response(200, decided_page(decided.record))
    if decided.outcome is flow.Outcome.INVALID_MAPPING:
        chosen = (choice.email_column or 0, choice.points_column or 0)
        html = review_page(
            record,
            token=token or '',
            csrf=record.review.csrf or '',
            now=deps.clock.now(),
            error=decided.error,
            chosen=chosen,
        )
        return response(422, html)
    kind = NoticeKind.EXPIRED if decided.outcome is flow.Outcome.EXPIRED else NoticeKind.DECIDED
    return notice(kind, decided.record)
