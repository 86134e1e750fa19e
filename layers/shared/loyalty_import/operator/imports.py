"""`loyalty-import status` (recent imports) and `show ID` (one import: its record, its links and
the steps of the state machine executions it names)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.operator import EXIT_OK
from loyalty_import.operator.records import find_record, import_records
from loyalty_import.operator.render import cell, duration, iso, listing, print_json, short_id, when
from loyalty_import.operator.stack import Stack
from loyalty_import.pipeline.models import ImportRecord, RecordStatus

HEADERS = ('ID', 'FILE', 'STATUS', 'IMPORTED', 'FAILED', 'STARTED', 'DURATION')
_SINCE = re.compile(r'^\s*(\d+)\s*([mhd])\s*$')
_UNITS = {'m': 'minutes', 'h': 'hours', 'd': 'days'}
_EXECUTION_EVENTS = {
    'ExecutionStarted': 'execution started',
    'ExecutionSucceeded': 'execution succeeded',
    'ExecutionFailed': 'execution failed',
    'ExecutionTimedOut': 'execution timed out',
    'ExecutionAborted': 'execution aborted',
}


def parse_since(text: str) -> dt.timedelta:
    """'30m', '12h', '7d' -> the time span (ValueError otherwise)."""
    found = _SINCE.match(text)
    if found is None or int(found.group(1)) == 0:
        raise ValueError(f'{text!r} is not a time span like 30m, 12h or 7d')
    return dt.timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})


# ---------------------------------------------------------------------------- status


def status(
    stack: Stack, out: TextIO, *, since: dt.timedelta, only: RecordStatus | None = None, as_json: bool
) -> int:
    """The imports started within `since` (of status `only`), newest first."""
    now = dt.datetime.now(dt.UTC)
    records = import_records(stack, status=only, since=now - since)
    which = f' {only.value}' if only else ''
    listing(
        out,
        as_json=as_json,
        items=[_summary(record, now) for record in records],
        headers=HEADERS,
        rows=[_row(record, now) for record in records],
        empty=f'No{which} import started in the last {_span(since)} in the stack {stack.name}.',
    )
    return EXIT_OK


def _span(since: dt.timedelta) -> str:
    seconds = int(since.total_seconds())
    for unit, size in (('d', 86400), ('h', 3600), ('m', 60)):
        if seconds % size == 0:
            return f'{seconds // size}{unit}'
    return f'{seconds}s'


def _took(record: ImportRecord, now: dt.datetime) -> tuple[float | None, bool]:
    """How long the import took (True), or has been going so far (False)."""
    if record.duration_seconds is not None:
        return record.duration_seconds, True
    if record.finished_at is not None:
        return (record.finished_at - record.created_at).total_seconds(), True
    return max(0.0, (now - record.created_at).total_seconds()), record.is_final


def _row(record: ImportRecord, now: dt.datetime) -> list[object]:
    result = record.import_result
    took, done = _took(record, now)
    return [
        short_id(record.pk),
        record.file_name,
        record.status.value,
        '' if result is None or result.success_count is None else result.success_count,
        '' if result is None or result.failure_count is None else result.failure_count,
        when(record.created_at),
        duration(took) if done else f'{duration(took)} so far',
    ]


def _summary(record: ImportRecord, now: dt.datetime) -> dict[str, Any]:
    result = record.import_result
    took, done = _took(record, now)
    return {
        'id': short_id(record.pk),
        'pk': record.pk,
        'file': record.file_name,
        'status': record.status.value,
        'imported': result.success_count if result else None,
        'failed': result.failure_count if result else None,
        'startedAt': iso(record.created_at),
        'finishedAt': iso(record.finished_at),
        'durationSeconds': took if done else None,
        'wixImportId': record.wix_import_id,
    }


# ---------------------------------------------------------------------------- show


def show(stack: Stack, identifier: str, out: TextIO, *, as_json: bool) -> int:
    """One import: its record (`public_view`), its links and its executions' steps."""
    record = find_record(stack, identifier, wix_id=True)
    links = links_of(record)
    executions = [execution_steps(stack, arn) for arn in _execution_arns(record)]
    if as_json:
        print_json(
            {
                'id': short_id(record.pk),
                'record': record.public_view(),
                'links': links,
                'executions': executions,
            },
            out,
        )
        return EXIT_OK
    out.write(f'Import {short_id(record.pk)}  {cell(record.file_name)}  {record.status.value}\n\nRecord\n')
    print_json(record.public_view(), out)
    out.write('\nLinks\n')
    for name, value in links.items():
        out.write(f'  {name:<12} {cell(value, 400)}\n')
    out.write('\nState machine steps\n')
    if not executions:
        out.write('  (no execution: the import never reached a state machine)\n')
    for execution in executions:
        _write_execution(execution, out)
    return EXIT_OK


def links_of(record: ImportRecord) -> dict[str, str]:
    """Where the import's files are, and the review page's state (never its link: the token)."""
    version = f' (version {record.version_id})' if record.version_id else ''
    links = {
        'source': f'{record.source_uri}{version}',
        'report': record.report,
        'undo file': record.undo_file,
        'error file': record.error_file,
        'upload file': record.upload_file,
        'undo of': record.undo_of,
        'undo report': record.undo_report,
        'review page': review_state(record),
    }
    return {name: value for name, value in links.items() if value}


def review_state(record: ImportRecord) -> str | None:
    """The review page's state in words: requested, link sent, deadline, decision (no token)."""
    review = record.review
    if review is None:
        return None
    said = [f'requested {when(review.requested_at)}' if review.requested_at else 'requested']
    said.append(f'link sent {when(review.link_sent_at)}' if review.link_sent_at else 'no link sent yet')
    if review.expires_at is not None:
        said.append(f'deadline {when(review.expires_at)}')
    decision = review.decision
    if decision is not None:
        done = 'approved' if decision.action == 'approve' else 'rejected'
        columns = (
            f' (EMAIL column {decision.email_column}, POINTS column {decision.points_column})'
            if decision.action == 'approve'
            else ''
        )
        said.append(f'{done} by {decision.by} {when(decision.at)}{columns}')
    elif record.status is RecordStatus.REVIEW_EXPIRED:
        said.append('expired undecided')
    return '; '.join(said)


def _execution_arns(record: ImportRecord) -> list[str]:
    arns = [record.review.execution_arn if record.review else None, record.execution_arn]
    return [arn for arn in dict.fromkeys(arns) if arn]


def execution_steps(stack: Stack, arn: str) -> dict[str, Any]:
    """One execution: its status and one step per state entered or exited (no input or output:
    a review's carries its task token)."""
    sfn = stack.aws.client('stepfunctions')
    name = arn.rsplit(':', 1)[-1]
    try:
        described = sfn.describe_execution(executionArn=arn)
        pages = sfn.get_paginator('get_execution_history').paginate(executionArn=arn)
        events = [event for page in pages for event in page.get('events', [])]
    except (ClientError, BotoCoreError) as exc:
        return {'arn': arn, 'name': name, 'status': None, 'error': str(exc), 'steps': []}
    steps = [step for step in map(_step, events) if step is not None]
    return {'arn': arn, 'name': name, 'status': described.get('status'), 'steps': steps}


def _step(event: dict[str, Any]) -> dict[str, Any] | None:
    kind = str(event.get('type', ''))
    at = event.get('timestamp')
    stamp = at.astimezone(dt.UTC).isoformat(timespec='milliseconds').replace('+00:00', 'Z') if at else None
    details: dict[str, Any] = next((v for k, v in event.items() if k.endswith('EventDetails')), {})
    if kind.endswith(('StateEntered', 'StateExited')):
        what = 'entered' if kind.endswith('StateEntered') else 'exited'
        return {'at': stamp, 'event': what, 'state': details.get('name')}
    if kind in _EXECUTION_EVENTS:
        return {'at': stamp, 'event': _EXECUTION_EVENTS[kind], 'error': details.get('error')}
    if kind.endswith(('Failed', 'TimedOut')):  # a task's failure: its error name, never its cause
        return {'at': stamp, 'event': kind, 'error': details.get('error')}
    return None


def _write_execution(execution: dict[str, Any], out: TextIO) -> None:
    out.write(f'  {execution["name"]}  {execution["status"] or "(not readable)"}\n')
    if execution.get('error'):
        out.write(f'    {cell(execution["error"], 200)}\n')
    for step in execution['steps']:
        subject = step.get('state') or ''
        error = f'  {step["error"]}' if step.get('error') else ''
        out.write(f'    {step["at"]}  {step["event"]:<8} {cell(subject)}{error}'.rstrip() + '\n')
