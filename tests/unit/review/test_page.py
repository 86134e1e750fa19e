"""The review page and its companion pages: what a person sees, escaped, under a strict CSP."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import re
from html.parser import HTMLParser

import pytest

from loyalty_import.pipeline.models import (
    ImportRecord,
    RecordStatus,
    Review,
    ReviewColumn,
    ReviewDecision,
    ReviewFile,
    ReviewReason,
)
from loyalty_import.pipeline.review.page import (
    MAX_COLUMNS,
    STYLESHEET,
    NoticeKind,
    content_security_policy,
    decided_page,
    notice_page,
    review_page,
    security_headers,
)

NOW = dt.datetime(2026, 12, 8, 10, 30, tzinfo=dt.UTC)
DEADLINE = dt.datetime(2026, 12, 10, 14, 0, tzinfo=dt.UTC)
TOKEN = 'Zq3x-review-token-that-is-43-characters-lo'
CSRF = 'csrf-value-5b1f0c'
HOSTILE = '<script>alert(1)</script>'
ATTRIBUTE_BREAKER = '" onmouseover="alert(2)'


def _columns() -> list[ReviewColumn]:
    return [
        ReviewColumn(index=0, name='Kunde', kind='text', samples=['Anna', 'Bob'], why='names, not emails'),
        ReviewColumn(
            index=1,
            name='E-Mail',
            kind='email',
            samples=['a***@example.com', 'b***@example.org'],
            why='100% valid email addresses',
            candidate_for=['EMAIL'],
        ),
        ReviewColumn(
            index=2,
            name='Eingelöst',
            kind='integer',
            samples=['5', '0'],
            why='redeemed?',
            candidate_for=['POINTS'],
        ),
        ReviewColumn(
            index=3,
            name='Stand',
            kind='integer',
            samples=['1250', '80'],
            why='whole numbers',
            candidate_for=['POINTS'],
        ),
    ]


def _record(
    columns: list[ReviewColumn] | None = None,
    *,
    file_name: str = 'kunden.csv',
    delimiter: str = ';',
    decision: ReviewDecision | None = None,
    status: RecordStatus = RecordStatus.AWAITING_REVIEW,
) -> ImportRecord:
    review = Review(
        email_column=1,
        points_column=3,
        choices={'EMAIL': [1], 'POINTS': [3, 2]},
        reasons=[ReviewReason(code='POINTS_AMBIGUOUS', message='Two columns could be the current balance.')],
        columns=columns if columns is not None else _columns(),
        file=ReviewFile(size=3117, rows=40, encoding='utf-8', delimiter=delimiter, has_header=True),
        findings=['3 rows have no email and are left out.'],
        preview_header=['Email', 'Points balance'],
        preview_rows=[['a***@example.com', '1250'], ['b***@example.org', '80']],
        expires_at=DEADLINE,
        decision=decision,
    )
    return ImportRecord(
        pk=f's3://drop/incoming/{file_name}#v1',
        source_uri=f's3://drop/incoming/{file_name}',
        bucket='drop',
        key=f'incoming/{file_name}',
        file_name=file_name,
        status=status,
        review=review,
    )


def _page(
    record: ImportRecord | None = None, *, error: str | None = None, chosen: tuple[int, int] | None = None
) -> str:
    return review_page(record or _record(), token=TOKEN, csrf=CSRF, now=NOW, error=error, chosen=chosen)


class _Form(HTMLParser):
    """The form's inputs, the options of each select and which one is selected, the tags seen."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden: dict[str, str] = {}
        self.options: dict[str, list[tuple[str, str]]] = {}
        self.selected: dict[str, list[str]] = {}
        self.buttons: list[tuple[str, str]] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self._select: str | None = None
        self._option: str | None = None
        self._button: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == 'input' and attributes.get('type') == 'hidden':
            self.hidden[str(attributes['name'])] = str(attributes['value'])
        elif tag == 'select':
            self._select = str(attributes['name'])
            self.options[self._select] = []
            self.selected[self._select] = []
        elif tag == 'option' and self._select:
            self._option = str(attributes['value'])
            if 'selected' in attributes:
                self.selected[self._select].append(self._option)
        elif tag == 'button':
            self._button = f'{attributes.get("name")}={attributes.get("value")}'

    def handle_endtag(self, tag: str) -> None:
        if tag == 'select':
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._option is not None and self._select:
            self.options[self._select].append((self._option, data))
            self._option = None
        elif self._button is not None:
            self.buttons.append((self._button, data))
            self._button = None


def _parse(page: str) -> _Form:
    form = _Form()
    form.feed(page)
    form.close()
    return form


def _text(page: str) -> str:
    """The visible words, tags dropped and whitespace collapsed (entities left as they are)."""
    body = page.split('<body>', 1)[1]
    return re.sub(r'\s+', ' ', re.sub(r'<[^>]+>', ' ', body))


# ---------------------------------------------------------------------------- the review page


def test_the_page_states_the_proposal_file_reasons_deadline_and_findings() -> None:
    page = _page()
    text = _text(page)
    assert '<title>Loyalty import needs your decision</title>' in page
    assert (
        "We think the customer email is 'E-Mail' (column 1) and the current points balance is "
        "'Stand' (column 3)." in text
    )
    assert "Other plausible POINTS columns: 'Eingelöst' (column 2)." in text
    assert 'Two columns could be the current balance.' in text
    assert '3 rows have no email and are left out.' in text
    assert 'Decide before 10 December 2026, 14:00 UTC' in text
    assert '(2 days and 3 hours left)' in text
    assert '3.1 KB (3,117 bytes)' in text
    assert 'kunden.csv' in text
    assert 'utf-8' in text
    assert '<html lang="en">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page


def test_the_proposal_is_preselected_and_every_column_is_an_option() -> None:
    form = _parse(_page())
    assert form.selected == {'email_column': ['1'], 'points_column': ['3']}
    assert [value for value, _ in form.options['email_column']] == ['0', '1', '2', '3']
    assert [value for value, _ in form.options['points_column']] == ['0', '1', '2', '3']
    assert form.options['points_column'][3] == ('3', '3 — Stand (candidate)')
    assert form.options['points_column'][0] == ('0', '0 — Kunde')
    # A candidate for POINTS only is not marked a candidate in the EMAIL list.
    assert form.options['email_column'][3] == ('3', '3 — Stand')


def test_the_persons_last_choice_overrides_the_proposal() -> None:
    form = _parse(_page(chosen=(0, 2)))
    assert form.selected == {'email_column': ['0'], 'points_column': ['2']}


def test_the_form_posts_back_with_token_csrf_and_two_actions() -> None:
    page = _page()
    form = _parse(page)
    forms = [attributes for tag, attributes in form.tags if tag == 'form']
    assert forms == [{'method': 'post', 'action': '', 'autocomplete': 'off'}]
    assert form.hidden == {'token': TOKEN, 'csrf': CSRF}
    assert form.buttons == [('action=approve', 'Import'), ('action=reject', "Don't import")]
    # Each select has a label tied to it.
    labels = {attributes.get('for') for tag, attributes in form.tags if tag == 'label'}
    selects = {attributes.get('id') for tag, attributes in form.tags if tag == 'select'}
    assert selects == {'email_column', 'points_column'}
    assert labels >= selects


def test_the_token_and_csrf_appear_only_in_their_hidden_inputs() -> None:
    page = _page()
    assert page.count(TOKEN) == 1
    assert page.count(CSRF) == 1
    assert f'<input type="hidden" name="token" value="{TOKEN}">' in page
    assert f'<input type="hidden" name="csrf" value="{CSRF}">' in page
    assert TOKEN not in _text(page)


def test_no_script_and_no_inline_style_or_event_attribute() -> None:
    page = _page(_record([*_columns(), ReviewColumn(index=4, name=HOSTILE, kind='text')]))
    form = _parse(page)
    assert 'script' not in {tag for tag, _ in form.tags}
    for _, attributes in form.tags:
        assert 'style' not in attributes
        assert not any(name.startswith('on') for name in attributes)
    # The one <style> is exactly the stylesheet the CSP hashes.
    assert page.count('<style>') == 1
    assert f'<style>{STYLESHEET}</style>' in page


@pytest.mark.parametrize('hostile', [HOSTILE, ATTRIBUTE_BREAKER])
def test_a_hostile_header_sample_reason_and_file_name_come_out_inert(hostile: str) -> None:
    columns = _columns()
    columns[3] = columns[3].model_copy(update={'name': hostile, 'samples': [hostile], 'why': hostile})
    record = _record(columns, file_name=f'{hostile}.csv')
    assert record.review is not None
    record.review.reasons.append(ReviewReason(code='X', message=hostile))
    record.review.findings.append(hostile)
    record.review.preview_rows.append([hostile, hostile])
    page = _page(record, error=hostile)
    assert hostile not in page
    assert '<script>' not in page
    assert html.escape(hostile, quote=True) in page
    form = _parse(page)
    # Parsed back, the hostile text is only text: no attribute named like an event, no script tag.
    assert all(not name.startswith('on') for _, attributes in form.tags for name in attributes)
    assert ('3', f'3 — {hostile} (candidate)') in form.options['points_column']


def test_the_error_is_shown_as_an_alert_above_the_form() -> None:
    error = 'The column you chose as POINTS holds text (Kunde), not whole numbers.'
    page = _page(error=error, chosen=(1, 0))
    alert = page.index('role="alert"')
    assert error in page[alert : page.index('</div>', alert)]
    assert alert < page.index('<form')
    assert page.count('role="alert"') == 1
    assert '<title>Error: Loyalty import needs your decision</title>' in page
    assert _parse(page).selected == {'email_column': ['1'], 'points_column': ['0']}


def test_without_an_error_there_is_no_alert() -> None:
    assert 'role="alert"' not in _page()


@pytest.mark.parametrize(
    ('delimiter', 'words'),
    [(';', 'semicolon (;)'), (',', 'comma (,)'), ('\t', 'tab'), ('|', 'vertical bar (|)'), ('#', "'#'")],
)
def test_the_delimiter_is_named_in_words(delimiter: str, words: str) -> None:
    page = _page(_record(delimiter=delimiter))
    shown = re.search(r'<dt>Delimiter</dt><dd>([^<]*)</dd>', page)
    assert shown is not None
    assert html.unescape(shown.group(1)).endswith(words)


def test_the_columns_table_marks_candidates_and_the_proposal() -> None:
    page = _page()
    rows = re.findall(r'<tr( class="candidate")?><td>(\d+)</td>(.*?)</tr>', page)
    marked = {int(index): bool(css) for css, index, _ in rows}
    assert marked == {0: False, 1: True, 2: True, 3: True}
    row_of = {int(index): cells for _, index, cells in rows}
    assert 'EMAIL (proposed)' in row_of[1]
    assert 'POINTS (proposed)' in row_of[3]
    assert 'POINTS' in row_of[2]
    assert 'proposed' not in row_of[2]
    assert '100% valid email addresses' in row_of[1]
    assert 'a***@example.com' in row_of[1]


def test_the_preview_shows_the_rows_given_and_nothing_more() -> None:
    page = _page()
    assert '<th scope="col">Email</th><th scope="col">Points balance</th>' in page
    assert '<tr><td>a***@example.com</td><td>1250</td></tr>' in page
    assert '<tr><td>b***@example.org</td><td>80</td></tr>' in page
    assert 'The first 2 rows of the upload (emails masked)' in page


def test_a_wide_file_shows_at_most_fifty_columns_but_every_option() -> None:
    columns = [ReviewColumn(index=i, name=f'field {i}', kind='text') for i in range(120)]
    columns[1] = ReviewColumn(index=1, name='mail', kind='email', candidate_for=['EMAIL'])
    columns[3] = ReviewColumn(index=3, name='pts', kind='integer', candidate_for=['POINTS'])
    columns[90] = ReviewColumn(index=90, name='late points', kind='integer', candidate_for=['POINTS'])
    page = _page(_record(columns))
    table_rows = re.findall(r'<tr(?: class="candidate")?><td>(\d+)</td>', page)
    # The first fifty, and the one later candidate a person may want to compare.
    assert [int(i) for i in table_rows] == [*range(MAX_COLUMNS), 90]
    assert '69 more columns not shown here' in page
    assert len(_parse(page).options['email_column']) == 120
    assert len(_parse(page).options['points_column']) == 120


def test_a_headerless_column_is_named_by_its_number() -> None:
    columns = [
        ReviewColumn(index=0, name='column 0', kind='text', samples=['Anna']),
        ReviewColumn(
            index=1, name='column 1', kind='email', samples=['a***@example.com'], candidate_for=['EMAIL']
        ),
        ReviewColumn(index=2, name='column 2', kind='integer', samples=['', '7']),
        ReviewColumn(index=3, name='column 3', kind='integer', samples=['1250'], candidate_for=['POINTS']),
    ]
    page = _page(_record(columns))
    assert 'We think the customer email is column 1 and the current points balance is column 3.' in _text(
        page
    )
    options = dict(_parse(page).options['points_column'])
    assert options['3'] == '3 — no header, e.g. 1250 (candidate)'
    assert options['2'] == '2 — no header, e.g. 7 (candidate)'  # the first sample that is not empty
    assert options['0'] == '0 — no header, e.g. Anna'


def test_a_long_header_is_shortened_in_the_list_only() -> None:
    columns = _columns()
    long_name = 'Aktueller Punktestand ' * 10
    columns[3] = columns[3].model_copy(update={'name': long_name})
    page = _page(_record(columns))
    option = dict(_parse(page).options['points_column'])['3']
    assert option.endswith('… (candidate)')
    assert len(option) < 80
    assert long_name in page  # the table keeps it whole


@pytest.mark.parametrize(
    ('now', 'left'),
    [
        (DEADLINE - dt.timedelta(days=1), '(1 day left)'),
        (DEADLINE - dt.timedelta(hours=5, minutes=1), '(5 hours and 1 minute left)'),
        (DEADLINE - dt.timedelta(minutes=42, seconds=30), '(42 minutes left)'),
        (DEADLINE - dt.timedelta(seconds=20), '(less than a minute left)'),
        (DEADLINE + dt.timedelta(minutes=1), '(the deadline has passed)'),
    ],
)
def test_the_time_left_is_relative_to_now(now: dt.datetime, left: str) -> None:
    page = review_page(_record(), token=TOKEN, csrf=CSRF, now=now)
    assert left in page


def test_a_record_without_a_review_is_a_programming_error() -> None:
    record = _record().model_copy(update={'review': None})
    with pytest.raises(ValueError, match='no review'):
        _page(record)


# ---------------------------------------------------------------------------- after a decision

APPROVED = ReviewDecision(
    action='approve',
    email_column=1,
    points_column=2,
    at=dt.datetime(2026, 12, 9, 9, 5, tzinfo=dt.UTC),
    by='review page',
)
REJECTED = ReviewDecision(
    action='reject', at=dt.datetime(2026, 12, 9, 9, 7, tzinfo=dt.UTC), by='operator command'
)


def test_the_confirmation_of_an_approval_names_the_chosen_columns() -> None:
    text = _text(decided_page(_record(decision=APPROVED)))
    assert (
        "The import goes ahead with EMAIL = 'E-Mail' (column 1) and POINTS = 'Eingelöst' (column 2). "
        'You will get a notification when Wix has finished.' in text
    )
    assert 'Nothing was imported' not in text


def test_the_confirmation_of_a_rejection_says_nothing_was_imported() -> None:
    text = _text(decided_page(_record(decision=REJECTED)))
    assert 'Nothing was imported.' in text
    assert 'goes ahead' not in text


def test_the_confirmation_needs_a_decision() -> None:
    with pytest.raises(ValueError, match='no decision'):
        decided_page(_record())


# ---------------------------------------------------------------------------- notices


@pytest.mark.parametrize('kind', list(NoticeKind))
def test_every_notice_says_whether_anything_changed(kind: NoticeKind) -> None:
    page = notice_page(kind)
    text = _text(page)
    assert '<html lang="en">' in page
    assert f'<style>{STYLESHEET}</style>' in page
    assert '<form' not in page
    if kind is NoticeKind.UNAVAILABLE:
        assert 'Your decision may not be recorded yet.' in text
        assert 'try again in a minute' in text
        assert 'Nothing changed' not in text
    else:
        assert 'Nothing changed' in text or 'nothing changed' in text


@pytest.mark.parametrize(
    ('kind', 'says'),
    [
        (NoticeKind.UNKNOWN, 'This link is not valid'),
        (NoticeKind.EXPIRED, 'upload the file to the drop folder again'),
        (NoticeKind.FORBIDDEN, 'The form did not come from this review page'),
        (NoticeKind.BAD_REQUEST, 'The request was malformed'),
        (NoticeKind.DECIDED, 'A decision on this import was already made.'),
    ],
)
def test_each_notice_says_what_happened(kind: NoticeKind, says: str) -> None:
    assert says in _text(notice_page(kind))


def test_the_already_decided_notice_says_who_decided_what_and_when() -> None:
    record = _record(decision=APPROVED, status=RecordStatus.IMPORTED, file_name=f'{HOSTILE}.csv')
    page = notice_page(NoticeKind.DECIDED, record=record)
    text = _text(page)
    assert (
        "It was approved on the review page on 9 December 2026, 09:05 UTC, with EMAIL = 'E-Mail' "
        "(column 1) and POINTS = 'Eingelöst' (column 2)." in text
    )
    assert 'Its status now: imported into Wix (IMPORTED).' in text
    assert HOSTILE not in page
    rejected = _text(notice_page(NoticeKind.DECIDED, record=_record(decision=REJECTED)))
    assert (
        'It was rejected by an operator command on 9 December 2026, 09:07 UTC: nothing was imported.'
        in rejected
    )


def test_the_already_decided_notice_without_a_decision_gives_the_final_status() -> None:
    text = _text(notice_page(NoticeKind.DECIDED, record=_record(status=RecordStatus.REVIEW_EXPIRED)))
    assert 'This import no longer waits for a decision.' in text
    assert 'nobody decided before the deadline (REVIEW_EXPIRED)' in text


def test_no_notice_shows_a_record_it_was_not_meant_to() -> None:
    record = _record(file_name='secret-shop.csv')
    for kind in (NoticeKind.UNKNOWN, NoticeKind.FORBIDDEN, NoticeKind.BAD_REQUEST, NoticeKind.UNAVAILABLE):
        assert 'secret-shop.csv' not in notice_page(kind, record=record)


# ---------------------------------------------------------------------------- headers


def test_the_csp_allows_exactly_the_stylesheet_and_no_script() -> None:
    csp = content_security_policy()
    digest = base64.b64encode(hashlib.sha256(STYLESHEET.encode('utf-8')).digest()).decode('ascii')
    directives = dict(part.strip().split(' ', 1) for part in csp.split(';'))
    assert directives == {
        'default-src': "'none'",
        'style-src': f"'sha256-{digest}'",
        'form-action': "'self'",
        'frame-ancestors': "'none'",
        'base-uri': "'none'",
    }
    assert 'unsafe-inline' not in csp
    assert 'script-src' not in csp


def test_the_security_headers() -> None:
    headers = security_headers()
    assert headers['Content-Security-Policy'] == content_security_policy()
    assert headers['Content-Type'] == 'text/html; charset=utf-8'
    assert headers['Referrer-Policy'] == 'no-referrer'
    assert headers['X-Content-Type-Options'] == 'nosniff'
    assert headers['X-Frame-Options'] == 'DENY'
    assert headers['Cache-Control'] == 'no-store'
    assert headers['Strict-Transport-Security'].startswith('max-age=31536000')
    assert 'camera=()' in headers['Permissions-Policy']
