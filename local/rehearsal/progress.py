"""What a person watching the rehearsal sees: each stage with its time, then a summary.

Everything shown is read from where the deployed system leaves it: the import record's status
history and mapping (DynamoDB), the functions' invocations and results, the SNS notifications, the
Wix emulator's request log. Nothing is narrated from the harness's own expectations.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from loyalty_import.masking import mask_email
from loyalty_import.pipeline.models import ColumnChoice, ImportRecord, RecordStatus
from rehearsal.harness import s3_keys

if TYPE_CHECKING:
    from rehearsal.harness import Drop, Outcome, Rehearsal, SnsMessage
    from rehearsal.lambda_runtime import Invocation

Write = Callable[[str], None]
STAGE_OF_STATUS = {
    RecordStatus.RECEIVED: 'received',
    RecordStatus.CREATED: 'uploaded',
    RecordStatus.PARSED: 'parsed',
    RecordStatus.IMPORTING: 'executing',
    RecordStatus.AWAITING_REVIEW: 'review',
}


def _column(choice: ColumnChoice) -> str:
    name = f'{choice.name!r} ' if choice.name else ''
    return f'{name}(column {choice.column}, counting from 0)'


class ProgressReporter:
    """Prints the stages of one drop as they happen, in time order, with seconds since the drop."""

    def __init__(self, rehearsal: Rehearsal, drop: Drop, write: Write) -> None:
        self.rehearsal = rehearsal
        self.drop = drop
        self.write = write
        self._pending: list[tuple[float, str, str]] = []
        self._lock = threading.Lock()
        self._statuses_seen = 0
        self._mapping_seen = False
        self._snapshot_seen = False
        self._verification_seen = False
        self._notifications_seen = 0
        self._denials_seen: set[str] = set()
        if rehearsal.runtime is not None:
            rehearsal.runtime.listeners.append(self._on_invocation)

    def line(self, elapsed_s: float, stage: str, text: str) -> None:
        first, *rest = text.splitlines() or ['']
        self.write(f'[{elapsed_s:5.1f}s] {stage:<10} {first}')
        for continuation in rest:
            self.write(f'{"":19}{continuation}')

    def _add(self, at_wall: float, stage: str, text: str) -> None:
        with self._lock:
            self._pending.append((max(0.0, at_wall - self.drop.at_wall), stage, text))

    def _flush(self) -> None:
        with self._lock:
            pending, self._pending = sorted(self._pending, key=lambda event: event[0]), []
        for elapsed, stage, text in pending:
            self.line(elapsed, stage, text)

    # -- sources ------------------------------------------------------------------------------

    def _on_invocation(self, invocation: Invocation) -> None:
        """Called from the thread that ran a function (S3 delivery or a state machine task)."""
        if not self._concerns_drop(invocation.event):
            return
        finished = invocation.started + invocation.duration_s
        name = invocation.logical_id.removesuffix('Function').lower()
        if not invocation.ok:
            retry = ' (Lambda retries the S3 event)' if invocation.asynchronous else ''
            self._add(
                finished,
                'error',
                f'{name} raised {invocation.error_type}: {short(invocation.error_message)}{retry}',
            )
            return
        result = invocation.result if isinstance(invocation.result, dict) else {}
        if invocation.logical_id == 'PollerFunction':
            status = result.get('status')
            if result.get('deadlineExceeded'):
                self._add(finished, 'polling', f'Wix says {status}; the deadline has passed')
            elif status in {'IMPORTED', 'FAILED'}:
                self._add(finished, 'polling', f'Wix says {status}')
            else:
                self._add(finished, 'polling', f'Wix says {status}; next poll in {result.get("nextWait")} s')
        elif invocation.logical_id == 'ImporterFunction':
            self._add(finished, 'importer', f'importer finished in {invocation.duration_s:.1f} s')

    def _concerns_drop(self, event: Any) -> bool:
        if not isinstance(event, dict):
            return False
        if event.get('sourceId') is not None:  # a state machine task's input
            return bool(event['sourceId'] == self.drop.source.source_id)
        return self.drop.key in s3_keys(event)

    def on_poll(self, record: ImportRecord | None, notifications: list[SnsMessage]) -> None:
        if record is not None:
            self._record_changes(record)
        for message in notifications[self._notifications_seen :]:
            self._add(time.time(), 'notified', f'SNS: "{message.subject}"')
        self._notifications_seen = len(notifications)
        for denial in self.rehearsal.denials:  # IAM enforced: a call the template does not allow
            if str(denial) not in self._denials_seen:
                self._denials_seen.add(str(denial))
                self._add(time.time(), 'denied', f'IAM: {denial}')
        self._flush()

    def _record_changes(self, record: ImportRecord) -> None:
        if record.mapping is not None and not self._mapping_seen:
            self._mapping_seen = True
            mapping = record.mapping
            text = (
                f'EMAIL  = {_column(mapping.email)}: {mapping.email.why or ""}\n'
                f'POINTS = {_column(mapping.points)}: {mapping.points.why or ""}\n'
                f'confidence {mapping.confidence:.2f}'
            )
            # Inferred after the importer claimed the file: shown right after "received".
            at = record.status_history[0].at.timestamp() + 1e-6 if record.status_history else time.time()
            self._add(at, 'mapping', text)
        self._balance_changes(record)
        for change in record.status_history[self._statuses_seen :]:
            text = self._describe(record, change.status)
            if change.note and change.note not in text:
                text += f' ({change.note})'
            stage = STAGE_OF_STATUS.get(change.status, 'recorded')
            self._add(change.at.timestamp(), stage, text)
        self._statuses_seen = len(record.status_history)

    def _balance_changes(self, record: ImportRecord) -> None:
        """The snapshot (shown right after 'parsed') and the verification (right after 'recorded')."""
        if record.snapshot is not None and not self._snapshot_seen:
            self._snapshot_seen = True
            parsed = [c.at for c in record.status_history if c.status is RecordStatus.PARSED]
            at = (parsed[0] if parsed else record.updated_at).timestamp() + 1e-6
            self._add(at, 'snapshot', snapshot_text(record))
        if record.verification is not None and record.is_final and not self._verification_seen:
            self._verification_seen = True
            at = (record.finished_at or record.updated_at).timestamp() + 1e-6
            self._add(at, 'verified', verification_text(record))

    @staticmethod
    def _describe(record: ImportRecord, status: RecordStatus) -> str:
        if status is RecordStatus.RECEIVED:
            return f'importer claimed {record.file_name} ({record.size or 0} bytes)'
        if status is RecordStatus.CREATED:
            return f'normalized file uploaded to Wix; import {record.wix_import_id} created, Wix parses it'
        if status is RecordStatus.PARSED:
            rows = record.parse_result.parsed_row_count if record.parse_result else None
            return f'Wix parsed {rows} rows; its header and sample rows match the inspection'
        if status is RecordStatus.IMPORTING:
            return f'import executed; state machine execution {record.execution_name} follows it'
        if status is RecordStatus.AWAITING_REVIEW and record.review is not None:
            return review_text(record)
        return f'{status.value}: {outcome_text(record)}'


def review_text(record: ImportRecord) -> str:
    """What the product could not decide on its own, and what it proposes."""
    review = record.review
    assert review is not None  # noqa: S101 - called for a record awaiting review
    names = {column.index: column.name for column in review.columns}
    lines = ['a person must decide (nothing was sent to Wix):']
    lines += [f'- {reason.message}' for reason in review.reasons]
    lines.append(
        f'proposal: EMAIL = {names.get(review.email_column)!r} (column {review.email_column}), '
        f'POINTS = {names.get(review.points_column)!r} (column {review.points_column})'
    )
    return '\n'.join(lines)


def snapshot_text(record: ImportRecord) -> str:
    snapshot, shift = record.snapshot, record.balance_shift
    assert snapshot is not None  # noqa: S101 - called once it is there
    lines = [
        (
            f'{snapshot.accounts_found} of the {snapshot.emails_looked_up} customers have a Wix balance, '
            f'read before execute ({_calls(snapshot.wix_calls)}); undo file {record.undo_file}'
        )
    ]
    if shift is not None:
        verdict = f'refused: {shift.suspicious}' if shift.suspicious else 'routine, executed'
        if record.undo_of is not None:
            verdict = 'an undo: not checked, executed'
        lines.append(
            f'the file moves them: {shift.up} up, {shift.down} down, {shift.unchanged} unchanged '
            f'(median {shift.median_change:+g} points): {verdict}'
        )
    return '\n'.join(lines)


def verification_text(record: ImportRecord) -> str:
    check = record.verification
    assert check is not None  # noqa: S101 - called once it is there
    equal = f'are back to {check.restores}' if check.restores else 'equal the file'
    text = (
        f'{check.matched} of {check.checked} balances read back from Wix {equal} '
        f'({check.mismatched} mismatched, {_calls(check.wix_calls)})'
    )
    return text + (f'; {check.diagnosis}' if check.diagnosis else '')


def _file_name(pk: str) -> str:
    # As pipeline.guards.undo.file_name_of (not imported: it loads the pipeline's logger before a handler).
    return (pk.rpartition('#')[0] or pk).rsplit('/', 1)[-1]


def _calls(count: int) -> str:
    return f'{count} Search Accounts call{"" if count == 1 else "s"}'


def balance_table(
    customers: list[str], columns: list[tuple[str, dict[str, int]]], *, created: set[str] | None = None
) -> str:
    """A few customers' balances, one column per moment (emails partly masked; '-': no account)."""
    width = max([len(mask_email(email)) for email in customers] + [8])
    header = f'{"customer":<{width}}' + ''.join(f'  {title:>16}' for title, _ in columns)
    lines = [header]
    for email in customers:
        cells = ''.join(f'  {values.get(email, "-")!s:>16}' for _, values in columns)
        note = '  (account created by the import: kept)' if created and email in created else ''
        lines.append(f'{mask_email(email):<{width}}{cells}{note}')
    return '\n'.join(lines)


def short(text: str | None, limit: int = 160) -> str:
    """The first line of an error message, cut to fit a line."""
    first = (text or '').strip().splitlines()[0] if (text or '').strip() else ''
    return first if len(first) <= limit else first[: limit - 3] + '...'


def outcome_text(record: ImportRecord) -> str:
    result = record.import_result
    if record.status is RecordStatus.IMPORTED and result is not None:
        text = f'{result.success_count or 0} imported, {result.failure_count or 0} failed'
        text += f"; Wix's error file kept at {record.error_file}" if record.error_file else ''
        if record.undo_of is not None:
            text += (
                f'; the undo of {_file_name(record.undo_of)}: {record.accounts_kept or 0} accounts it '
                f'created are kept (listed in {record.undo_report})'
            )
        return text
    if record.error is not None:
        return f'{record.error.code}: {record.error.message}'
    if record.status is RecordStatus.DRY_RUN:
        return 'inspected and recorded; nothing was sent to Wix'
    return record.status.value


def print_summary(
    rehearsal: Rehearsal, outcome: Outcome, write: Write, *, show_logs: bool = False, wix_from: int = 0
) -> None:
    """The drop's summary (`wix_from`: count the Wix requests from this index of the emulator's log)."""
    write('')
    write('Summary')
    for label, value in _summary_rows(rehearsal, outcome, wix_from):
        write(f'  {label:<14}{value}')
    if show_logs:
        write('')
        write('Function logs')
        for invocation in rehearsal.invocations:
            for log_line in invocation.log_lines:
                write(f'  {invocation.logical_id}: {log_line}')
    for message in outcome.notifications:
        _print_notification(message, write)


def _summary_rows(rehearsal: Rehearsal, outcome: Outcome, wix_from: int) -> list[tuple[str, str]]:
    drop = outcome.drop
    rows: list[tuple[str, str]] = [('file', f'{drop.uri} ({drop.size} bytes)'), *_record_rows(outcome)]
    calls = Counter(request.endpoint for request in rehearsal.emulator.requests[wix_from:] if request.acted)
    rows.append(('Wix calls', ', '.join(f'{name} {count}' for name, count in calls.items()) or 'none'))
    failures = [i for i in rehearsal.invocations if not i.ok]
    if failures:
        errors = '; '.join(f'{i.logical_id}: {i.error_type}: {short(i.error_message)}' for i in failures)
        rows.append(('Lambda errors', errors))
    denied = sorted({str(denial) for denial in rehearsal.denials})
    if denied:
        rows.append(('IAM denied', '; '.join(denied)))
    took = f'{outcome.elapsed_s:.1f} s from drop to notification'
    if rehearsal.stack is not None:
        took += f' (stack set up in {rehearsal.stack.setup_s:.1f} s before)'
    rows.append(('took', took if outcome.finished else f'not finished after {outcome.elapsed_s:.1f} s'))
    return rows


def _record_rows(outcome: Outcome) -> list[tuple[str, str]]:
    record = outcome.record
    if record is None:
        return [('outcome', 'no import record was written')]
    rows = [('outcome', f'{record.status.value}: {outcome_text(record)}')]
    if record.mapping is not None:
        mapping = record.mapping
        columns = f'EMAIL = {_column(mapping.email)}, POINTS = {_column(mapping.points)}'
        rows.append(('mapping', f'{columns}, confidence {mapping.confidence:.2f}'))
    if record.wix_import_id:
        rows.append(('Wix import', record.wix_import_id))
    if record.execution_name:
        rows.append(('execution', f'{record.execution_name}: {outcome.execution_status}'))
    return rows


def _print_notification(message: SnsMessage, write: Write) -> None:
    write('')
    write('Notification')
    write(f'  Subject: {message.subject}')
    write(f'  Attributes: {", ".join(f"{k}={v}" for k, v in message.attributes.items())}')
    try:
        body = json.loads(message.message)
    except ValueError:
        body = None
    if isinstance(body, dict):
        write(f'  {body.get("summary", "")}')
        if body.get('balances'):
            write(f'  {body["balances"]}')
        for step in body.get('nextSteps') or []:
            write(f'  - {step}')
    else:
        write(f'  {message.message}')


def final_line(outcome: Outcome) -> str:
    """The final DynamoDB record as one JSON object (the demo's last line, for scripts)."""
    if outcome.record is not None:
        return json.dumps(outcome.record.public_view(), ensure_ascii=False)
    missing = {
        'status': None,
        'sourceUri': outcome.drop.uri,
        'error': {'code': 'NO_RECORD', 'message': 'the pipeline wrote no import record for this file'},
    }
    return json.dumps(missing)
