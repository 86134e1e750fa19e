"""The notification of a finished import: a subject a person understands, a JSON body carrying the
record and what to do next, and `outcome` and `site` message attributes subscribers can filter on
(an SNS subscription filter policy per site, e.g. `{"site": ["shop-a"]}`).
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from loyalty_import.pipeline import codes
from loyalty_import.pipeline.guards import balances, undo
from loyalty_import.pipeline.models import ImportRecord, Notification, RecordStatus

# SNS subjects: ASCII only, no line breaks or control characters, fewer than 100 characters.
MAX_SUBJECT = 99
# SNS messages stop at 256 KB; keep a margin for the envelope and attributes.
MAX_MESSAGE_BYTES = 200 * 1024
_TYPOGRAPHY = str.maketrans(
    {'\u2014': '-', '\u2013': '-', '\u2018': "'", '\u2019': "'", '\u201c': '"', '\u201d': '"'}
)
_CONTROL = re.compile(r'[\x00-\x1f\x7f]+')
_SPACES = re.compile(r'\s+')
OUTCOME_ATTRIBUTE = 'outcome'
SITE_ATTRIBUTE = 'site'


def ascii_safe(text: str) -> str:
    """Text SNS accepts in a subject: accents dropped ('Müller' -> 'Muller'), others replaced by '?'."""
    decomposed = unicodedata.normalize('NFKD', text.translate(_TYPOGRAPHY))
    without_marks = ''.join(char for char in decomposed if not unicodedata.combining(char))
    ascii_text = without_marks.encode('ascii', 'replace').decode('ascii')
    return _SPACES.sub(' ', _CONTROL.sub(' ', ascii_text)).strip()


def _headline(record: ImportRecord) -> str:
    result = record.import_result
    if record.status is RecordStatus.IMPORTED:
        imported = result.success_count if result and result.success_count is not None else 0
        failed = result.failure_count if result and result.failure_count is not None else 0
        wrong = record.verification.mismatched if record.verification else 0
        if record.undo_of is not None:  # named after the file it undoes (see subject_for)
            done = f'{imported} balances restored, {failed} failed'
            return (
                f'Loyalty undo finished, {wrong} balances WRONG: {done}'
                if wrong
                else f'Loyalty undo finished: {done}'
            )
        if wrong:  # said first: the balances Wix now holds are not the file's
            return f'Loyalty import finished, {wrong} balances WRONG: {imported} imported, {failed} failed'
        return f'Loyalty import finished: {imported} imported, {failed} failed'
    if record.status is RecordStatus.REJECTED:
        code = record.error.code if record.error else 'REFUSED'
        return f'Loyalty import refused ({code})'
    if record.status is RecordStatus.TIMED_OUT:
        return 'Loyalty import timed out'
    if record.status is RecordStatus.REVIEW_REJECTED:
        return 'Loyalty import declined, nothing imported'
    if record.status is RecordStatus.REVIEW_EXPIRED:
        return 'Loyalty import review expired, nothing imported'
    if record.status is RecordStatus.DRY_RUN:
        return 'Loyalty import dry run'
    if record.status is RecordStatus.FAILED:
        code = record.error.code if record.error else 'FAILED'
        return f'Loyalty import FAILED ({code})'
    return f'Loyalty import {record.status.value}'


def subject_for(record: ImportRecord) -> str:
    """E.g. 'Loyalty import finished: 498 imported, 2 failed - customers.csv' (at most 99 ASCII chars)."""
    headline = ascii_safe(_headline(record))
    undone = record.status is RecordStatus.IMPORTED and record.undo_of is not None
    name = ascii_safe(undo.file_name_of(record.undo_of) if undone and record.undo_of else record.file_name)
    name = name or 'file'
    room = MAX_SUBJECT - len(headline) - len(' - ')
    if room < 8:  # a headline so long there is no room for a useful name
        return headline[:MAX_SUBJECT]
    if len(name) > room:
        name = name[: room - 3] + '...'
    return f'{headline} - {name}'


def _column(choice_name: str | None, column: int) -> str:
    # As inspection.models.column_label words it (not imported: most functions never load the inspection).
    return (
        f"'{choice_name}' (column {column}, counting from 0)"
        if choice_name
        else f'column {column} (counting from 0)'
    )


def summary_for(record: ImportRecord) -> str:
    result = record.import_result
    if record.status is RecordStatus.IMPORTED and result is not None:
        imported, failed = result.success_count or 0, result.failure_count or 0
        text = f'{imported} rows imported into Wix, {failed} failed, from {record.source_uri}.'
        text = _mismatches(record) + text
        if record.error_file:
            text += f" Wix's error file: {record.error_file}."
        return text
    if record.status is RecordStatus.DRY_RUN and record.mapping is not None:
        mapping = record.mapping
        return (
            f'Dry run of {record.source_uri}: EMAIL = {_column(mapping.email.name, mapping.email.column)}, '
            f'POINTS = {_column(mapping.points.name, mapping.points.column)} '
            f'(confidence {mapping.confidence:.2f}). Nothing was sent to Wix.'
        )
    error = f': {record.error.message}' if record.error else '.'
    if record.status is RecordStatus.REJECTED:
        return f'{record.source_uri} was not imported{error}'
    if record.status is RecordStatus.TIMED_OUT:
        return f'Wix had not finished import {record.wix_import_id} of {record.source_uri} by the deadline.'
    if record.status in {RecordStatus.REVIEW_REJECTED, RecordStatus.REVIEW_EXPIRED}:
        return f'{record.source_uri} was not imported{error}'
    return f'The import of {record.source_uri} failed{error}'


def next_steps_for(record: ImportRecord) -> list[str]:
    """What a person should do now; empty when there is nothing to do."""
    status = record.status
    if status is RecordStatus.IMPORTED:
        return _after_import(record)
    if status is RecordStatus.DRY_RUN:
        return ['If the mapping is right, upload the file again without the dry-run metadata to import it.']
    meaning = codes.info(record.error.code) if record.error else None
    if status is RecordStatus.REJECTED:
        steps = (
            list(meaning.next_steps)
            if meaning is not None and meaning.next_steps
            else [f'Nothing was sent to Wix. Fix the file, {codes.REDROP}']
        )
        if meaning is not None and meaning.override_fixes:
            steps.append(
                'Or name the columns yourself with S3 object metadata x-amz-meta-email-column and '
                'x-amz-meta-points-column (header name or 0-based index).'
            )
        if record.report:
            steps.append(f'Details: {record.report}')
        return steps
    if status is RecordStatus.TIMED_OUT:
        return [
            f'Check import {record.wix_import_id} in the Wix dashboard (Loyalty > Imports): it may finish.',
            'Upload the file again only if it did not (points are set, not added: a repeat is harmless).',
        ]
    if meaning is not None and meaning.next_steps:
        return list(meaning.next_steps)
    where = f'import {record.wix_import_id} in the Wix dashboard' if record.wix_import_id else 'the logs'
    search = 'search the logs for this source id'
    return [f'Check {where} to see whether any balance changed ({search}), {codes.REDROP}']


def _mismatches(record: ImportRecord) -> str:
    """The verification's mismatches, as the sentence a notification starts with ('' when none)."""
    check = record.verification
    if check is None or not check.mismatched:
        return ''
    why = f': {check.diagnosis}' if check.diagnosis else ''
    return f'{check.mismatched} of {check.checked} balances read back from Wix differ from the file{why}. '


def balances_line(record: ImportRecord) -> str | None:
    """One line on how the balances moved: the snapshot's shift, the verification's read-back."""
    parts: list[str] = []
    shift = record.balance_shift
    if record.executed_at is None and record.is_final and record.wix_import_id is not None:
        parts.append('No balance changed: the import was not executed.')
        if shift is not None:
            parts.append(f'The file would have moved them: {balances.shift_sentence(shift)}')
    elif shift is not None:
        parts.append(balances.shift_sentence(shift))
    check = record.verification
    if check is not None:
        equal = f'are back to {check.restores}' if check.restores else 'equal the file'
        parts.append(
            f'Read back after the import: {check.matched} of {check.checked} checked balances {equal}'
            + (f' ({check.incomplete})' if check.incomplete else '')
            + '.'
        )
    kept = undo.kept_sentence(record)
    if kept is not None:
        parts.append(kept)
    return ' '.join(parts) or None


def _after_import(record: ImportRecord) -> list[str]:
    result = record.import_result
    steps = []
    if record.verification is not None and record.verification.mismatched:
        undo = (
            f'Uploading the undo file {record.undo_file} sets each customer back to the balance '
            'before the import.'
            if record.undo_file
            else 'No undo file was kept (SnapshotBeforeImport is off).'
        )
        steps.append(f"Check the verification's examples in the Wix dashboard. {undo}")
    if not (result and result.failure_count):
        return steps
    where = record.error_file or "the Wix dashboard's import page"
    return [
        *steps,
        (
            f'{result.failure_count} rows were not imported (e.g. emails that match no customer '
            f'in the loyalty program). {where} lists each failed row and the reason.'
        ),
        'Fix those rows (or add the customers in Wix) and upload a file with only those rows.',
    ]


def _without_sample_rows(view: dict[str, Any]) -> None:
    # Whole customer rows help nobody act on a notification (often an e-mail): the item keeps them.
    preflight = view.get('preflight')
    normalized = preflight.get('normalized') if isinstance(preflight, dict) else None
    if isinstance(normalized, dict) and 'sample_rows' in normalized:
        normalized['sample_rows'] = f'{len(normalized["sample_rows"])} rows, in the imports table item'


def _without_review_rows(view: dict[str, Any]) -> None:
    # The review page shows the columns and rows; a notification only says what to decide.
    review = view.get('review')
    if isinstance(review, dict):
        for bulky in ('columns', 'previewRows', 'previewHeader', 'header'):
            review.pop(bulky, None)


def build_notification(record: ImportRecord) -> Notification:
    view = record.public_view()
    _without_sample_rows(view)
    _without_review_rows(view)
    body: dict[str, object] = {
        'outcome': record.status.value,
        'site': record.site,
        'summary': summary_for(record),
        'nextSteps': next_steps_for(record),
        'record': view,
    }
    line = balances_line(record)
    if line is not None:
        body = {'outcome': body['outcome'], 'summary': body['summary'], 'balances': line, **body}
    message = json.dumps(body, ensure_ascii=False, indent=2)
    if len(message.encode('utf-8')) > MAX_MESSAGE_BYTES:
        # A very wide file's pre-flight summary can outgrow SNS's 256 KB; the item keeps it.
        view['preflight'] = {
            'omitted': f'too large for a notification; see the item {record.pk} in the imports table'
        }
        message = json.dumps(body, ensure_ascii=False, indent=2)
    return Notification(
        subject=subject_for(record),
        message=message,
        attributes=_attributes(record, record.status),
    )


def review_request(record: ImportRecord, *, link: str) -> Notification:
    """'Loyalty import needs your decision - <file>': what was found, what is uncertain, the deadline
    and the link (the only place the review token ever appears)."""
    review = record.review
    if review is None:  # pragma: no cover - callers pass a record awaiting review
        raise ValueError('no review to ask for')
    names = {column.index: column.name for column in review.columns}
    deadline = f'{review.expires_at:%Y-%m-%d %H:%M} UTC' if review.expires_at else 'no deadline'
    body = {
        'outcome': RecordStatus.AWAITING_REVIEW.value,
        'site': record.site,
        'summary': (
            f'{record.file_name} ({review.file.rows:,} rows) was not imported yet: a person must confirm '
            'which columns hold the customer email and the current points balance. Nothing was sent to Wix.'
        ),
        'proposal': (
            f'EMAIL = {_column(names.get(review.email_column), review.email_column)}, '
            f'POINTS = {_column(names.get(review.points_column), review.points_column)}'
        ),
        'uncertain': [reason.message for reason in review.reasons],
        'deadline': deadline,
        'reviewLink': link,
        'nextSteps': [
            f"Open the review link before {deadline}: check the columns, then choose Import or Don't import.",
            'If nobody decides by then, nothing is imported (REVIEW_EXPIRED).',
        ],
        'sourceId': record.pk,
    }
    return Notification(
        subject=f'{ascii_safe("Loyalty import needs your decision")} - {ascii_safe(record.file_name)}'[
            :MAX_SUBJECT
        ],
        message=json.dumps(body, ensure_ascii=False, indent=2),
        attributes=_attributes(record, RecordStatus.AWAITING_REVIEW),
    )


def _attributes(record: ImportRecord, outcome: RecordStatus) -> dict[str, str]:
    """The message attributes: the outcome, and the site (SNS refuses an empty value: a file refused
    UNKNOWN_SITE directly under the incoming prefix has none)."""
    attributes = {OUTCOME_ATTRIBUTE: outcome.value}
    if record.site:
        attributes[SITE_ATTRIBUTE] = record.site
    return attributes
