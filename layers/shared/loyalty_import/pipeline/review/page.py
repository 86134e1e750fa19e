"""The review page and its companion pages: plain server-rendered HTML, no script at all.

Pure functions from the import record to an HTML string (the request handler serves them with
`security_headers()`). Every value that comes from the file (file name, header names, samples,
reasons, findings, preview cells) is HTML-escaped; the review token and the anti-CSRF value appear
only in the form's hidden inputs. Columns are numbered from 0, as in every other message of the
product (notifications, reports, the S3 metadata overrides).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
from collections.abc import Iterable
from enum import StrEnum
from typing import NamedTuple

from loyalty_import.pipeline.models import ImportRecord, RecordStatus, Review, ReviewColumn, ReviewDecision

TITLE = 'Loyalty import needs your decision'
MAX_COLUMNS = 50  # rows of the columns table; every column is still in the two lists
MAX_OPTION_NAME = 60  # characters of a header name in a list option
ROLES = ('EMAIL', 'POINTS')
LEAD = (
    'A file dropped for import into Wix needs a person to confirm which column holds the customer '
    'email and which the current points balance. Nothing has been sent to Wix yet.'
)
NO_HEADER = '<span class="muted">no header</span>'
NOTHING_CHANGED = 'Nothing changed: nothing was imported and nothing was recorded.'

STYLESHEET = (
    ':root{color-scheme:light;--ink:#1b1b1b;--muted:#4a4a4a;--line:#c9c9c9;--soft:#f3f4f6;'
    '--accent:#1d4ed8;--bad:#9b1c1c;--bad-bg:#fdecec}'
    '*{box-sizing:border-box}'
    'body{margin:0;background:#fff;color:var(--ink);'
    'font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}'
    'main{max-width:52rem;margin:0 auto;padding:1rem}'
    'h1{font-size:1.5rem;line-height:1.25;margin:.5rem 0 1rem}'
    'h2{font-size:1.2rem;margin:2rem 0 .5rem;padding-top:.5rem;border-top:1px solid var(--line)}'
    'a{color:var(--accent)}'
    '.muted{color:var(--muted)}'
    '.lead{font-size:1.1rem}'
    '.deadline{background:var(--soft);border-left:.3rem solid var(--accent);padding:.75rem 1rem}'
    '.alert{background:var(--bad-bg);color:var(--bad);border:2px solid var(--bad);'
    'border-radius:.4rem;padding:.75rem 1rem;margin:1rem 0;font-weight:600}'
    '.changed{font-weight:600}'
    'dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}'
    'dt{color:var(--muted)}dd{margin:0;overflow-wrap:anywhere}'
    '.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid var(--line);'
    'border-radius:.4rem}'
    'table{border-collapse:collapse;width:100%;font-size:.95rem}'
    'caption{text-align:left;padding:.5rem .75rem;color:var(--muted)}'
    'th,td{text-align:left;vertical-align:top;padding:.5rem .75rem;border-top:1px solid var(--line)}'
    'thead th{background:var(--soft);white-space:nowrap}'
    'td{overflow-wrap:anywhere;min-width:6rem}'
    'tr.candidate{background:#eef4ff}'
    '.samples{list-style:none;margin:0;padding:0}'
    '.field{margin:1rem 0}'
    'label{display:block;font-weight:600;margin-bottom:.35rem}'
    'select,button{font:inherit;font-size:1rem;min-height:3rem;border-radius:.4rem}'
    'select{width:100%;padding:.5rem;border:1px solid #767676;background:#fff;color:var(--ink)}'
    '.actions{display:flex;flex-wrap:wrap;gap:.75rem;margin:1.5rem 0}'
    'button{padding:.6rem 1.5rem;cursor:pointer;border:2px solid var(--accent)}'
    'button.primary{background:var(--accent);color:#fff}'
    'button.secondary{background:#fff;color:var(--accent)}'
    'button:focus-visible,select:focus-visible,a:focus-visible,.scroll:focus-visible'
    '{outline:3px solid #f59e0b;outline-offset:2px}'
)

_MONTHS = (
    'January', 'February', 'March', 'April', 'May', 'June',
    'July', 'August', 'September', 'October', 'November', 'December',
)  # fmt: skip
_DELIMITERS = {
    ',': 'comma (,)',
    ';': 'semicolon (;)',
    '\t': 'tab',
    '|': 'vertical bar (|)',
    ' ': 'space',
}
_STATUS_WORDS = {
    RecordStatus.RECEIVED: 'received, not yet sent to Wix',
    RecordStatus.AWAITING_REVIEW: 'waiting for a decision',
    RecordStatus.CREATED: 'being imported into Wix',
    RecordStatus.PARSED: 'being imported into Wix',
    RecordStatus.IMPORTING: 'being imported into Wix',
    RecordStatus.IMPORTED: 'imported into Wix',
    RecordStatus.FAILED: 'failed',
    RecordStatus.REJECTED: 'refused, nothing imported',
    RecordStatus.TIMED_OUT: 'timed out waiting for Wix',
    RecordStatus.DRY_RUN: 'a dry run, nothing imported',
    RecordStatus.REVIEW_REJECTED: 'not imported: a person decided not to import it',
    RecordStatus.REVIEW_EXPIRED: 'not imported: nobody decided before the deadline',
}
_BY_WORDS = {'review page': 'on the review page', 'operator command': 'by an operator command'}


class NoticeKind(StrEnum):
    """The pages other than the review page and its confirmation."""

    UNKNOWN = 'UNKNOWN'  # the link is not valid: mistyped, forged or from another stack
    EXPIRED = 'EXPIRED'  # the deadline passed
    DECIDED = 'DECIDED'  # already decided (or the record is final)
    FORBIDDEN = 'FORBIDDEN'  # the form did not come from the page (CSRF value wrong or missing)
    BAD_REQUEST = 'BAD_REQUEST'  # malformed request
    UNAVAILABLE = 'UNAVAILABLE'  # a dependency failed: the decision may not be recorded


class _Notice(NamedTuple):
    title: str
    happened: str  # DECIDED's is the record's own story
    todo: str
    changed: str  # whether anything changed, said plainly


_NOTICES = {
    NoticeKind.UNKNOWN: _Notice(
        title='This link is not valid',
        happened='The link may be mistyped or cut short, forged, or from another installation of '
        'the importer.',
        todo='Open the whole link from the message you received. If it still does not work, ask the '
        'person who runs the importer.',
        changed=NOTHING_CHANGED,
    ),
    NoticeKind.EXPIRED: _Notice(
        title='The time to decide has passed',
        happened='Nobody decided before the deadline, so nothing was imported.',
        todo='To try again, upload the file to the drop folder again: a new upload is a new import, and '
        'if a person must decide, a new link is sent.',
        changed='Nothing was imported and nothing changed.',
    ),
    NoticeKind.DECIDED: _Notice(
        title='This import has already been decided',
        happened='',
        todo='There is nothing left to decide here; you can close this page.',
        changed='Nothing changed: this visit recorded nothing.',
    ),
    NoticeKind.FORBIDDEN: _Notice(
        title='This form was not accepted',
        happened='The form did not come from this review page: the page may have been open for too '
        'long, or the request was forged.',
        todo='Open the link from the message again (or reload it) and decide on the fresh page.',
        changed='Nothing changed: your choice was not recorded.',
    ),
    NoticeKind.BAD_REQUEST: _Notice(
        title='This request could not be understood',
        happened='The request was malformed or incomplete.',
        todo='Open the link from the message again and decide on the page.',
        changed=NOTHING_CHANGED,
    ),
    NoticeKind.UNAVAILABLE: _Notice(
        title='The review page is temporarily unavailable',
        happened='Something the page depends on did not answer.',
        todo='Please try again in a minute: open the link again to see whether your decision was recorded.',
        changed='Your decision may not be recorded yet.',
    ),
}


# ---------------------------------------------------------------------------- headers


def content_security_policy() -> str:
    """No script, no resource: only the one inline stylesheet (by its hash) and posting back here."""
    digest = base64.b64encode(hashlib.sha256(STYLESHEET.encode('utf-8')).digest()).decode('ascii')
    return (
        f"default-src 'none'; style-src 'sha256-{digest}'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    )


def security_headers() -> dict[str, str]:
    return {
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Security-Policy': content_security_policy(),
        'Referrer-Policy': 'no-referrer',
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Cache-Control': 'no-store',
        'Strict-Transport-Security': 'max-age=31536000',
        'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'X-Robots-Tag': 'noindex, nofollow',
    }


# ---------------------------------------------------------------------------- the pages


def review_page(
    record: ImportRecord,
    *,
    token: str,
    csrf: str,
    now: dt.datetime,
    error: str | None = None,
    chosen: tuple[int, int] | None = None,
) -> str:
    """The page a person decides on; `chosen` re-shows their last choice (with `error`, why it failed)."""
    review = _review_of(record)
    selected = chosen or (review.email_column, review.points_column)
    body = [
        f'<h1>{TITLE}</h1>',
        _alert(error),
        f'<p class="lead">{LEAD}</p>',
        _deadline(review.expires_at, now),
        _proposal(review),
        '<p><a href="#decide">Go to the decision</a></p>',
        _section('Why you are asked', _bullets(reason.message for reason in review.reasons)),
        _section('The file', _file_facts(record, review)),
        _section('The columns', _columns_table(review)),
        _section('Pre-flight findings', _bullets(review.findings, empty='No findings.')),
        _section('What would be uploaded', _preview_table(review)),
        _form(review, token=token, csrf=csrf, selected=selected),
    ]
    title = f'Error: {TITLE}' if error else TITLE
    return _document(title, body)


def decided_page(record: ImportRecord) -> str:
    """The confirmation right after a decision was recorded."""
    review = _review_of(record)
    decision = review.decision
    if decision is None:
        raise ValueError(f'the review of {record.pk} has no decision')
    if decision.action == 'approve':
        title = 'Thank you: the import goes ahead'
        text = (
            f'The import goes ahead with {_mapping_words(review, decision)}. '
            'You will get a notification when Wix has finished.'
        )
    else:
        title = 'Thank you: the file is not imported'
        text = 'Nothing was imported. To import it later after all, upload the file to the drop folder again.'
    body = [f'<h1>{title}</h1>', f'<p class="lead">{text}</p>', _file_line(record)]
    body.append('<p class="muted">You can close this page.</p>')
    return _document(title, body)


def notice_page(kind: NoticeKind, *, record: ImportRecord | None = None) -> str:
    """Why the review page is not shown, whether anything changed and what to do."""
    title, happened, todo, changed = _NOTICES[kind]
    if kind is NoticeKind.DECIDED:
        happened = _decided_words(record)
    body = [
        f'<h1>{title}</h1>',
        f'<p class="lead">{happened}</p>',
        f'<p class="changed">{changed}</p>',
        f'<p>{todo}</p>',
    ]
    if record is not None and kind in {NoticeKind.EXPIRED, NoticeKind.DECIDED}:
        body.append(_file_line(record))
    return _document(title, body)


# ---------------------------------------------------------------------------- pieces


def _e(value: object) -> str:
    return html.escape(str(value), quote=True)


def _document(title: str, body: Iterable[str]) -> str:
    content = '\n'.join(part for part in body if part)
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="referrer" content="no-referrer">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        f'<title>{_e(title)}</title>\n<style>{STYLESHEET}</style>\n</head>\n'
        f'<body>\n<main>\n{content}\n</main>\n</body>\n</html>\n'
    )


def _review_of(record: ImportRecord) -> Review:
    if record.review is None:
        raise ValueError(f'{record.pk} has no review')
    return record.review


def _section(title: str, content: str) -> str:
    return f'<section>\n<h2>{title}</h2>\n{content}\n</section>'


def _bullets(items: Iterable[str], *, empty: str = 'None given.') -> str:
    lines = [f'<li>{_e(item)}</li>' for item in items]
    return f'<ul>\n{"".join(lines)}\n</ul>' if lines else f'<p class="muted">{empty}</p>'


def _alert(error: str | None) -> str:
    if not error:
        return ''
    return f'<div class="alert" role="alert"><p>{_e(error)}</p><p>Please choose again below.</p></div>'


def _column(review: Review, index: int) -> ReviewColumn | None:
    return next((column for column in review.columns if column.index == index), None)


def _has_header_name(column: ReviewColumn | None, index: int) -> bool:
    return column is not None and bool(column.name) and column.name != f'column {index}'


def _column_words(review: Review, index: int) -> str:
    """'E-Mail' (column 1), or column 1 for a headerless file: escaped."""
    column = _column(review, index)
    if column is not None and _has_header_name(column, index):
        return f"'{_e(column.name)}' (column {index})"
    return f'column {index}'


def _mapping_words(review: Review, decision: ReviewDecision) -> str:
    email = review.email_column if decision.email_column is None else decision.email_column
    points = review.points_column if decision.points_column is None else decision.points_column
    return f'EMAIL = {_column_words(review, email)} and POINTS = {_column_words(review, points)}'


def _proposal(review: Review) -> str:
    text = (
        f'We think the customer email is {_column_words(review, review.email_column)} and the '
        f'current points balance is {_column_words(review, review.points_column)}.'
    )
    others = [_alternatives(review, role, proposed) for role, proposed in _proposed(review).items()]
    extra = ' '.join([*(other for other in others if other), 'Columns count from 0.'])
    return f'<p class="lead"><strong>{text}</strong></p>\n<p>{extra}</p>'


def _proposed(review: Review) -> dict[str, int]:
    return {'EMAIL': review.email_column, 'POINTS': review.points_column}


def _alternatives(review: Review, role: str, proposed: int) -> str:
    others = [index for index in review.choices.get(role, []) if index != proposed]
    if not others:
        return ''
    return f'Other plausible {role} columns: {", ".join(_column_words(review, i) for i in others)}.'


def _deadline(expires_at: dt.datetime | None, now: dt.datetime) -> str:
    if expires_at is None:
        return ''
    left = _utc(expires_at) - _utc(now)
    remaining = f'{_duration(left)} left' if left.total_seconds() > 0 else 'the deadline has passed'
    return (
        f'<p class="deadline"><strong>Decide before {_when(expires_at)}</strong> ({remaining}). '
        'After that nothing is imported, and the file must be uploaded again.</p>'
    )


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _when(moment: dt.datetime) -> str:
    """10 December 2026, 14:00 UTC (minutes cut, never rounded up: a deadline shown is never late)."""
    at = _utc(moment)
    return f'{at.day} {_MONTHS[at.month - 1]} {at.year}, {at:%H:%M} UTC'


def _duration(left: dt.timedelta) -> str:
    minutes = int(left.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return _plural(days, 'day') + (f' and {_plural(hours, "hour")}' if hours else '')
    if hours:
        return _plural(hours, 'hour') + (f' and {_plural(minutes, "minute")}' if minutes else '')
    return _plural(minutes, 'minute') if minutes else 'less than a minute'


def _plural(count: int, word: str) -> str:
    return f'{count:,} {word}' + ('' if count == 1 else 's')


def _size(size: int | None) -> str:
    if size is None:
        return 'unknown'
    if size < 1000:
        return _plural(size, 'byte')
    for unit, scale in (('GB', 10**9), ('MB', 10**6), ('KB', 10**3)):
        if size >= scale:
            return f'{size / scale:.1f} {unit} ({size:,} bytes)'
    return _plural(size, 'byte')  # pragma: no cover (KB catches every size from 1000)


def _delimiter(delimiter: str) -> str:
    return _DELIMITERS.get(delimiter) or f'the character {delimiter!r}'


def _file_facts(record: ImportRecord, review: Review) -> str:
    file = review.file
    header = 'yes: the first row names the columns' if file.has_header else 'no: every row is data'
    facts = [
        ('Name', record.file_name),
        ('Size', _size(file.size if file.size is not None else record.size)),
        ('Rows', f'{file.rows:,}'),
        ('Encoding', file.encoding),
        ('Delimiter', _delimiter(file.delimiter)),
        ('Header row', header),
    ]
    return '<dl>\n' + ''.join(f'<dt>{name}</dt><dd>{_e(value)}</dd>\n' for name, value in facts) + '</dl>'


def _file_line(record: ImportRecord) -> str:
    return f'<p class="muted">The file: {_e(record.file_name)}</p>'


def _roles_of(review: Review, column: ReviewColumn) -> list[str]:
    return [
        role for role in ROLES if role in column.candidate_for or column.index in review.choices.get(role, [])
    ]


def _shown_columns(review: Review) -> list[ReviewColumn]:
    """The first MAX_COLUMNS, and any later column a person may want (a candidate or the proposal)."""
    wanted = set(_proposed(review).values())
    head = review.columns[:MAX_COLUMNS]
    tail = [c for c in review.columns[MAX_COLUMNS:] if c.index in wanted or _roles_of(review, c)]
    return head + tail


def _columns_table(review: Review) -> str:
    shown = _shown_columns(review)
    rows = ''.join(_column_row(review, column) for column in shown)
    table = _scroll(
        'Every column of the file',
        '<thead><tr><th scope="col">Column</th><th scope="col">Header</th><th scope="col">Kind</th>'
        '<th scope="col">Sample values</th><th scope="col">Why</th>'
        f'<th scope="col">Candidate for</th></tr></thead>\n<tbody>\n{rows}</tbody>',
    )
    hidden = len(review.columns) - len(shown)
    if hidden:
        table += (
            f'\n<p class="muted">{_plural(hidden, "more column")} not shown here (none is a candidate); '
            'every column is in the lists of the decision below.</p>'
        )
    return table


def _column_row(review: Review, column: ReviewColumn) -> str:
    proposed = _proposed(review)
    roles = _roles_of(review, column)
    marks = [f'{role} (proposed)' if proposed[role] == column.index else role for role in roles]
    name = _e(column.name) if _has_header_name(column, column.index) else NO_HEADER
    css = ' class="candidate"' if marks else ''
    return (
        f'<tr{css}><td>{column.index}</td><th scope="row">{name}</th><td>{_e(column.kind)}</td>'
        f'<td>{_samples(column.samples)}</td><td>{_e(column.why)}</td>'
        f'<td>{"<br>".join(f"<strong>{mark}</strong>" for mark in marks)}</td></tr>\n'
    )


def _samples(samples: list[str]) -> str:
    if not samples:
        return '<span class="muted">none</span>'
    items = ''.join(f'<li>{_e(s)}</li>' if s else '<li class="muted">(empty)</li>' for s in samples)
    return f'<ul class="samples">{items}</ul>'


def _scroll(caption: str, table: str) -> str:
    """A table that scrolls sideways on a narrow screen (focusable, so keyboards can scroll it too)."""
    return (
        f'<div class="scroll" role="region" aria-label="{_e(caption)}" tabindex="0">\n'
        f'<table>\n<caption>{_e(caption)}</caption>\n{table}\n</table>\n</div>'
    )


def _preview_table(review: Review) -> str:
    if not review.preview_rows:
        return '<p class="muted">No preview of the rows is available.</p>'
    head = ''.join(f'<th scope="col">{_e(cell)}</th>' for cell in review.preview_header)
    rows = ''.join(
        '<tr>' + ''.join(f'<td>{_e(cell)}</td>' for cell in row) + '</tr>\n' for row in review.preview_rows
    )
    count = len(review.preview_rows)
    first = 'The first row' if count == 1 else f'The first {count} rows'
    caption = f'{first} of the upload (emails masked)'
    return _scroll(caption, f'<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}</tbody>')


def _form(review: Review, *, token: str, csrf: str, selected: tuple[int, int]) -> str:
    email, points = selected
    return (
        '<section id="decide">\n<h2>Your decision</h2>\n'
        '<form method="post" action="" autocomplete="off">\n'
        f'<input type="hidden" name="token" value="{_e(token)}">\n'
        f'<input type="hidden" name="csrf" value="{_e(csrf)}">\n'
        f'{_select(review, "email_column", "EMAIL", "The customer email (EMAIL)", email)}\n'
        f'{_select(review, "points_column", "POINTS", "The current points balance (POINTS)", points)}\n'
        "<p><strong>Import</strong> sends the file to Wix with these two columns: each customer's "
        "balance is set to the POINTS value. <strong>Don't import</strong> sends nothing to Wix.</p>\n"
        '<div class="actions">'
        '<button type="submit" name="action" value="approve" class="primary">Import</button>'
        '<button type="submit" name="action" value="reject" class="secondary">'
        "Don't import</button>"
        '</div>\n</form>\n</section>'
    )


def _select(review: Review, name: str, role: str, label: str, selected: int) -> str:
    options = ''.join(_option(review, column, role, selected) for column in review.columns)
    return (
        f'<div class="field"><label for="{name}">{label}</label>'
        f'<select id="{name}" name="{name}">{options}</select></div>'
    )


def _option(review: Review, column: ReviewColumn, role: str, selected: int) -> str:
    mark = ' (candidate)' if role in _roles_of(review, column) else ''
    chosen = ' selected' if column.index == selected else ''
    text = f'{column.index} — {_option_name(column)}{mark}'
    return f'<option value="{column.index}"{chosen}>{_e(text)}</option>'


def _option_name(column: ReviewColumn) -> str:
    if _has_header_name(column, column.index):
        return _shorten(column.name)
    sample = next((s for s in column.samples if s), None)
    return f'no header, e.g. {_shorten(sample)}' if sample else 'no header'


def _shorten(text: str) -> str:
    return text if len(text) <= MAX_OPTION_NAME else text[: MAX_OPTION_NAME - 1] + '…'


def _decided_words(record: ImportRecord | None) -> str:
    """Who decided what and when, or the record's final status: escaped."""
    if record is None:
        return 'A decision on this import was already made.'
    decision = record.review.decision if record.review else None
    words = _STATUS_WORDS.get(record.status)
    status = f'Its status now: {words} ({record.status}).' if words else f'Its status now: {record.status}.'
    if decision is None or record.review is None:
        return f'This import no longer waits for a decision. {status}'
    by = _BY_WORDS.get(decision.by, f'by {_e(decision.by)}')
    if decision.action == 'approve':
        what = f'approved {by} on {_when(decision.at)}, with {_mapping_words(record.review, decision)}'
    else:
        what = f'rejected {by} on {_when(decision.at)}: nothing was imported'
    return f'It was {what}. {status}'
