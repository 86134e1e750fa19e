"""The state machine's task logic: Poll, Execute and Finalize."""

from __future__ import annotations

import json

import pytest

from loyalty_import.pipeline.errors import ImportAborted, NotificationError
from loyalty_import.pipeline.models import (
    FinalizerInput,
    ImportRecord,
    PollerInput,
    PollResult,
    RecordStatus,
    SourceEvent,
    SourceRef,
    TaskError,
)
from loyalty_import.pipeline.steps.executor import run_execute_step
from loyalty_import.pipeline.steps.finalizer import error_from_task, finalize_import
from loyalty_import.pipeline.steps.importer import import_object
from loyalty_import.pipeline.steps.poller import next_wait, poll_import
from loyalty_import.pipeline.transitions import advance
from loyalty_import.wix.errors import WixUnavailable
from tests.fakes.clock import START
from tests.fakes.wix import FakeWix
from tests.unit.pipeline.conftest import World
from tests.unit.pipeline.fakes import (
    BUCKET,
    FakeNotifier,
    csv_bytes,
)

KEY = 'incoming/customers.csv'
ROWS = [['email', 'points'], ['ann@example.com', '10'], ['ghost@example.com', '5']]
DEADLINE = int(START.timestamp()) + 3600


@pytest.fixture
def wix() -> FakeWix:
    return FakeWix(header=ROWS[0], sample_rows=ROWS[1:], parse_after=10_000, success_count=1, failure_count=1)


def handed_over(w: World) -> PollerInput:
    """An import the importer created but could not wait for (Wix still parsing)."""
    w.storage.put(KEY, csv_bytes(ROWS))
    source = SourceEvent(ref=SourceRef(bucket=BUCKET, key=KEY, version_id='v1'), event_time=START)
    import_object(source, w.importer, lambda: 21.0)
    return PollerInput.model_validate(next(iter(w.workflow.executions.values())))


def finalizer_input(task: PollerInput, **fields: object) -> FinalizerInput:
    return FinalizerInput.model_validate({**task.to_wire(), **fields})


# ------------------------------------------------------------------------------------------ poll


def test_poll_reports_the_wix_status_and_the_first_wait(w: World) -> None:
    # GIVEN an import Wix is still parsing
    w.wix.create_import('/f', 'f.csv', 1)
    task = PollerInput(import_id='imp-1', source_id='s', deadline=DEADLINE, wait=5)
    # WHEN it is polled the first time
    result = poll_import(task, w.poller)
    # THEN the status is Wix's and the first wait is the execution's initial wait
    assert result == PollResult(status='PARSING', next_wait=5, deadline_exceeded=False)


def test_the_wait_doubles_and_is_capped() -> None:
    # GIVEN successive polls far from the deadline
    task = PollerInput(import_id='i', source_id='s', deadline=10**10, wait=5)
    waits = []
    for _ in range(10):
        wait = next_wait(task, now=0, max_wait_s=300)
        waits.append(wait)
        task = task.model_copy(
            update={'poll': PollResult(status='IMPORTING', next_wait=wait, deadline_exceeded=False)}
        )
    # THEN the wait grows exponentially up to the cap
    assert waits == [5, 10, 20, 40, 80, 160, 300, 300, 300, 300]


def test_the_wait_never_sleeps_past_the_deadline() -> None:
    task = PollerInput(
        import_id='i',
        source_id='s',
        deadline=1000,
        wait=5,
        poll=PollResult(status='IMPORTING', next_wait=160, deadline_exceeded=False),
    )
    assert next_wait(task, now=990, max_wait_s=300) == 10
    assert next_wait(task, now=2000, max_wait_s=300) == 1


def test_poll_after_the_deadline_says_so(w: World) -> None:
    # GIVEN an import still running when the deadline passes
    w.wix.create_import('/f', 'f.csv', 1)
    w.wix.set_status('imp-1', 'IMPORTING')
    w.clock.advance(3600)
    # WHEN it is polled
    result = poll_import(PollerInput(import_id='imp-1', source_id='s', deadline=DEADLINE, wait=5), w.poller)
    # THEN the state machine is told the deadline passed
    assert result.deadline_exceeded is True


# --------------------------------------------------------------------------------------- execute


def test_execute_step_executes_a_parsed_import_once(w: World) -> None:
    # GIVEN an import handed over while parsing, which Wix has now PARSED
    task = handed_over(w)
    w.wix.set_status(task.import_id, 'PARSED')
    # WHEN the Execute step runs twice (a Step Functions retry)
    first = run_execute_step(task, w.executor)
    second = run_execute_step(task, w.executor)
    # THEN Wix executed once with the normalized indexes
    assert first.executed is True
    assert second.executed is False
    assert w.wix.executed_with == [(task.import_id, 0, 1)]
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.status is RecordStatus.IMPORTING
    assert record.executed_at is not None


def test_execute_step_stops_on_a_header_mismatch(w: World) -> None:
    # GIVEN Wix parsed a different header than the uploaded one
    task = handed_over(w)
    w.wix.header = ['E-mail', 'Points']
    w.wix.set_status(task.import_id, 'PARSED')
    # WHEN the Execute step runs
    with pytest.raises(ImportAborted) as aborted:
        run_execute_step(task, w.executor)
    # THEN nothing is executed, the record ends FAILED (notified once), and the loop is left via Catch
    assert aborted.value.code == 'HEADER_MISMATCH'
    assert w.wix.executed_with == []
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.status is RecordStatus.FAILED
    assert len(w.notifier.sent) == 1


# -------------------------------------------------------------------------------------- finalize


def test_finalize_records_the_result_copies_the_error_file_and_notifies_once(w: World) -> None:
    # GIVEN an import Wix finished with one row failed
    task = handed_over(w)
    w.wix.set_status(task.import_id, 'PARSED')
    w.wix.execute_import(task.import_id, 0, 1)
    done = finalizer_input(task, poll={'status': 'IMPORTED', 'nextWait': 5, 'deadlineExceeded': False})
    # WHEN Finalize runs, then runs again (a Step Functions retry)
    first = finalize_import(done, w.finalizer)
    second = finalize_import(done, w.finalizer)
    # THEN the record holds Wix's ImportResult and the error file's S3 copy
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.status is RecordStatus.IMPORTED
    assert record.import_result is not None
    assert (record.import_result.success_count, record.import_result.failure_count) == (1, 1)
    assert record.import_result.error_file_exists is True
    expected_copy = f's3://{BUCKET}/results/customers.csv.{task.import_id}.errors.csv'
    assert record.error_file == expected_copy
    assert w.storage.written[expected_copy] == w.wix.error_file
    assert record.finished_at is not None
    assert record.duration_seconds is not None
    # AND exactly one notification went out, the second run sent nothing
    assert (first.notified, second.notified) == (True, False)
    assert len(w.notifier.sent) == 1
    notification = w.notifier.sent[0]
    assert notification.subject == 'Loyalty import finished: 1 imported, 1 failed - customers.csv'
    assert notification.attributes == {'outcome': 'IMPORTED', 'site': 'default'}
    body = json.loads(notification.message)
    assert body['record']['importResult'] == {'successCount': 1, 'failureCount': 1, 'errorFileExists': True}
    assert body['record']['errorFile'] == expected_copy
    assert any(expected_copy in step for step in body['nextSteps'])


def test_finalize_past_the_deadline_records_timed_out(w: World) -> None:
    # GIVEN an import stuck IMPORTING when the deadline passed
    task = handed_over(w)
    w.wix.set_status(task.import_id, 'IMPORTING')
    late = finalizer_input(task, poll={'status': 'IMPORTING', 'nextWait': 300, 'deadlineExceeded': True})
    # WHEN Finalize runs
    finalize_import(late, w.finalizer)
    # THEN the record ends TIMED_OUT and one notification says what to check
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.status is RecordStatus.TIMED_OUT
    assert record.error is not None
    assert record.error.code == 'DEADLINE_EXCEEDED'
    assert [n.attributes['outcome'] for n in w.notifier.sent] == ['TIMED_OUT']
    assert 'Wix dashboard' in w.notifier.sent[0].message


def test_finalize_after_a_wix_parse_failure_records_failed_with_the_reason(w: World) -> None:
    # GIVEN Wix failed to parse the file
    task = handed_over(w)
    w.wix.parse_error = 'The file is not UTF-8 encoded'
    w.wix.set_status(task.import_id, 'FAILED')
    # WHEN Finalize runs
    finalize_import(
        finalizer_input(task, poll={'status': 'FAILED', 'nextWait': 5, 'deadlineExceeded': False}),
        w.finalizer,
    )
    # THEN the record says FAILED with Wix's reason
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.status is RecordStatus.FAILED
    assert record.error is not None
    assert (record.error.code, record.error.message) == ('WIX_PARSE_FAILED', 'The file is not UTF-8 encoded')


def test_finalize_from_a_catch_records_the_error_that_ended_the_loop(w: World) -> None:
    # GIVEN the Poll step failed permanently (Wix refused the credentials) and Catch went to Finalize
    task = handed_over(w)
    cause = json.dumps({'errorType': 'WixAuthError', 'errorMessage': 'Forbidden (status=403)'})
    caught = finalizer_input(task, error={'Error': 'WixAuthError', 'Cause': cause})
    # WHEN Finalize runs
    finalize_import(caught, w.finalizer)
    # THEN the record ends FAILED with the matching code and Wix's message
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.status is RecordStatus.FAILED
    assert record.error is not None
    assert record.error.code == 'WIX_AUTH_FAILED'
    assert 'Forbidden' in record.error.message


def test_finalize_without_wix_still_records_and_notifies(w: World) -> None:
    # GIVEN Finalize failed because Wix stayed unreachable, and its Catch retries it without Wix
    task = handed_over(w)
    calls_before = len(w.wix.calls)
    offline = finalizer_input(
        task, finalizeError={'Error': 'WixUnavailable', 'Cause': '{"errorMessage": "503"}'}
    )
    # WHEN Finalize runs in that mode
    finalize_import(offline, w.finalizer)
    # THEN Wix is not called, the record ends FAILED and one notification goes out
    assert len(w.wix.calls) == calls_before
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.status is RecordStatus.FAILED
    assert record.error is not None
    assert record.error.code == 'WIX_UNAVAILABLE'
    assert len(w.notifier.sent) == 1


def test_finalize_without_wix_after_execute_says_wix_may_still_finish(w: World) -> None:
    # GIVEN an executed import, and then Wix stayed unreachable through Poll's and Finalize's retries
    task = handed_over(w)
    w.wix.set_status(task.import_id, 'PARSED')
    run_execute_step(task, w.executor)
    offline = finalizer_input(
        task, finalizeError={'Error': 'WixUnavailable', 'Cause': '{"errorMessage": "503"}'}
    )
    # WHEN Finalize runs without Wix
    finalize_import(offline, w.finalizer)
    # THEN the record does not claim FAILED (Wix may be setting the balances): TIMED_OUT, notified once
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.status is RecordStatus.TIMED_OUT
    assert record.error is not None
    assert record.error.code == 'WIX_UNAVAILABLE'
    assert len(w.notifier.sent) == 1


def test_finalize_of_a_wix_failure_after_an_unanswered_execute_is_not_called_a_parse_failure(
    w: World,
) -> None:
    # GIVEN the record reached PARSED (set just before execute) but the execute's answer never came
    task = handed_over(w)
    w.wix.set_status(task.import_id, 'PARSED')
    w.wix.errors['execute_import'] = [WixUnavailable('answer lost')]
    with pytest.raises(WixUnavailable):
        run_execute_step(task, w.executor)
    # AND Wix then reports the import FAILED, with no parse error
    w.wix.set_status(task.import_id, 'FAILED')
    # WHEN Finalize runs
    finalize_import(finalizer_input(task), w.finalizer)
    # THEN the record says the import failed, not that Wix could not parse the file
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.status is RecordStatus.FAILED
    assert record.error is not None
    assert record.error.code == 'WIX_IMPORT_FAILED'


def test_finalize_raises_a_transient_wix_failure_for_the_state_to_retry(w: World) -> None:
    # GIVEN Wix is unavailable when Finalize reads the import
    task = handed_over(w)
    w.wix.errors['get_import'] = [WixUnavailable('503 after retries')]
    # WHEN / THEN Finalize raises WixUnavailable (the state's Retry matches it) and notifies nothing
    with pytest.raises(WixUnavailable):
        finalize_import(
            finalizer_input(task, poll={'status': 'IMPORTED', 'nextWait': 5, 'deadlineExceeded': False}),
            w.finalizer,
        )
    assert w.notifier.sent == []


def test_a_failed_notification_is_sent_by_the_retry(w: World) -> None:
    # GIVEN SNS fails once
    task = handed_over(w)
    w.wix.set_status(task.import_id, 'PARSED')
    w.wix.execute_import(task.import_id, 0, 1)
    flaky = FakeNotifier(failures=1)
    w.finalizer.notifier = flaky
    done = finalizer_input(task, poll={'status': 'IMPORTED', 'nextWait': 5, 'deadlineExceeded': False})
    # WHEN Finalize runs (raising NotificationError for the state's Retry) and runs again
    with pytest.raises(NotificationError):
        finalize_import(done, w.finalizer)
    finalize_import(done, w.finalizer)
    # THEN exactly one notification was delivered and the record says so
    assert len(flaky.sent) == 1
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.notified_at is not None


def test_finalize_survives_a_concurrent_write(w: World) -> None:
    # GIVEN someone writes the record between Finalize's read and its write
    task = handed_over(w)
    w.wix.set_status(task.import_id, 'PARSED')
    w.wix.execute_import(task.import_id, 0, 1)
    w.records.conflicts_to_inject = 1
    # WHEN Finalize runs
    finalize_import(
        finalizer_input(task, poll={'status': 'IMPORTED', 'nextWait': 5, 'deadlineExceeded': False}),
        w.finalizer,
    )
    # THEN it re-read and finished once
    assert len(w.notifier.sent) == 1
    record = w.records.get(task.source_id)
    assert record is not None
    assert record.status is RecordStatus.IMPORTED


def test_an_import_aborted_cause_keeps_its_code() -> None:
    cause = json.dumps(
        {'errorType': 'ImportAborted', 'errorMessage': 'HEADER_MISMATCH: Wix parsed another header'}
    )
    error = error_from_task(TaskError.model_validate({'Error': 'ImportAborted', 'Cause': cause}))
    assert (error.code, error.message) == ('HEADER_MISMATCH', 'Wix parsed another header')


def test_an_unknown_error_becomes_a_pipeline_error() -> None:
    error = error_from_task(TaskError.model_validate({'Error': 'States.Timeout', 'Cause': 'task timed out'}))
    assert error.code == 'PIPELINE_ERROR'
    assert 'States.Timeout' in error.message


def test_a_step_in_flight_never_reopens_a_record_another_writer_ended(w: World) -> None:
    # GIVEN a record that Finalize ended (IMPORTED, notified) while an older copy is still in flight
    record = ImportRecord.new(
        SourceEvent(ref=SourceRef(bucket='b', key='incoming/x.csv', version_id='v1'), size=1)
    )
    assert w.records.create(record)
    stale, finalizing = w.records.get(record.pk), w.records.get(record.pk)
    assert stale is not None
    assert finalizing is not None

    def end(current: ImportRecord) -> None:
        current.move_to(RecordStatus.IMPORTED)

    advance(finalizing, end, records=w.records)

    # WHEN the stale copy is updated (its save conflicts, the re-read finds the record final)
    def reopen(current: ImportRecord) -> None:
        current.move_to(RecordStatus.PARSED)

    result = advance(stale, reopen, records=w.records)
    # THEN the final record is returned untouched
    assert result.status is RecordStatus.IMPORTED
    stored = w.records.get(record.pk)
    assert stored is not None
    assert stored.status is RecordStatus.IMPORTED
