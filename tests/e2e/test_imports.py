"""A file dropped into the rehearsed stack, followed to its final record and notification."""

from __future__ import annotations

import json
import math
from collections import Counter
from typing import Any

import boto3

from rehearsal import Outcome, Rehearsal
from tests.e2e.conftest import FOLLOW_S, Rehearse
from wix_emulator import EmulatorSettings, Fault, WixEmulator
from wix_emulator.pytest_plugin import UNKNOWN_CONTACT

CUSTOMERS = [(f'customer{n}@example.com', n * 35) for n in range(1, 11)]


def csv_bytes(rows: list[tuple[str, int]]) -> bytes:
    lines = ['Email,First name,Points balance,Redeemed points']
    lines += [f'{email},Name{index},{points},{index * 5}' for index, (email, points) in enumerate(rows)]
    return ('\r\n'.join(lines) + '\r\n').encode()


def follow(rehearsal: Rehearsal, name: str, content: bytes, **metadata: str | bool) -> Outcome:
    drop = rehearsal.drop(name, content, **metadata)  # type: ignore[arg-type]
    outcome = rehearsal.follow(drop, timeout_s=FOLLOW_S)
    assert outcome.finished, f'not finished: {outcome.status}, invocations: {failures(rehearsal)}'
    return outcome


def failures(rehearsal: Rehearsal) -> list[str]:
    return [f'{i.logical_id}: {i.error_type}: {i.error_message}' for i in rehearsal.invocations if not i.ok]


def outcomes_of(outcome: Outcome) -> list[str]:
    return [message.attributes.get('outcome', '') for message in outcome.notifications]


def test_a_clean_file_is_imported_recorded_and_notified_once(rehearsal: Rehearsal) -> None:
    # GIVEN a file whose customers are all Wix contacts
    content = csv_bytes(CUSTOMERS)

    # WHEN it is dropped under the incoming prefix
    outcome = follow(rehearsal, 'clean.csv', content)

    # THEN Wix imported every row with the balance column (not the redeemed one)
    record = outcome.record
    assert record is not None
    assert record.status.value == 'IMPORTED'
    assert record.import_result is not None
    assert (record.import_result.success_count, record.import_result.failure_count) == (len(CUSTOMERS), 0)
    assert record.import_result.error_file_exists is False
    assert rehearsal.emulator.balances == dict(CUSTOMERS)
    # AND the state machine (moto running the template's ASL) finished, once
    assert [execution['status'] for execution in rehearsal.executions()] == ['SUCCEEDED']
    assert outcome.execution_status == 'SUCCEEDED'
    # AND exactly one notification says so
    assert outcomes_of(outcome) == ['IMPORTED']
    assert rehearsal.emulator.count('create_import') == 1
    assert rehearsal.emulator.count('execute_import') == 1
    assert failures(rehearsal) == []
    # AND it has a readable subject and the record as its body
    (notification,) = outcome.notifications
    assert notification.subject == f'Loyalty import finished: {len(CUSTOMERS)} imported, 0 failed - clean.csv'
    assert json.loads(notification.message)['record']['wixImportId'] == record.wix_import_id
    assert record.key == f'{rehearsal.incoming_prefix}clean.csv'


def test_rows_wix_refuses_are_counted_and_the_error_file_is_kept_in_s3(rehearsal: Rehearsal) -> None:
    # GIVEN a file with one customer who is not a Wix contact
    content = csv_bytes([*CUSTOMERS, (UNKNOWN_CONTACT, 75)])

    # WHEN it is dropped
    outcome = follow(rehearsal, 'with unknown contact.csv', content)

    # THEN the import finished with one failed row
    record = outcome.record
    assert record is not None
    assert record.status.value == 'IMPORTED'
    assert record.import_result is not None
    assert (record.import_result.success_count, record.import_result.failure_count) == (len(CUSTOMERS), 1)
    assert record.import_result.error_file_exists is True
    # AND Wix's error file was copied under the results prefix of the drop bucket
    assert record.error_file is not None
    bucket, _, key = record.error_file.removeprefix('s3://').partition('/')
    assert bucket == rehearsal.bucket
    assert key.startswith(rehearsal.parameter('ResultsPrefix'))
    error_file = boto3.client('s3', region_name='us-east-1').get_object(Bucket=bucket, Key=key)['Body'].read()
    assert UNKNOWN_CONTACT in error_file.decode()
    assert outcomes_of(outcome) == ['IMPORTED']
    # AND the record's key is the object's key decoded (S3 events carry it URL-encoded)
    assert record.key == f'{rehearsal.incoming_prefix}with unknown contact.csv'
    # AND the results are the error file, the uploaded pairs and the undo file, each named after
    # the file and the Wix import
    results = rehearsal.parameter('ResultsPrefix')
    stem = f'{results}with unknown contact.csv.{record.wix_import_id}'
    assert key == f'{stem}.errors.csv'
    listed = boto3.client('s3', region_name='us-east-1').list_objects_v2(Bucket=bucket, Prefix=results)
    assert sorted(item['Key'] for item in listed['Contents']) == [
        f'{stem}.errors.csv',
        f'{stem}.undo.csv',
        f'{stem}.upload.csv',
    ]
    assert (record.upload_file, record.undo_file) == (
        f's3://{bucket}/{stem}.upload.csv',
        f's3://{bucket}/{stem}.undo.csv',
    )
    # AND the balances were read back: the imported rows all equal the file
    assert record.verification is not None
    assert record.verification.mismatched == 0
    assert record.verification.checked == len(CUSTOMERS)
    # AND the one notification says 1 failed and where the error file is
    (notification,) = outcome.notifications
    expected_subject = (
        f'Loyalty import finished: {len(CUSTOMERS)} imported, 1 failed - with unknown contact.csv'
    )
    assert notification.subject == expected_subject
    assert record.error_file in notification.message


def test_a_file_without_a_balance_column_is_rejected_without_calling_wix(rehearsal: Rehearsal) -> None:
    # GIVEN a customer export with no points column at all
    content = b'Email,First name,Last name\r\n' + b''.join(
        f'{email},Ann,Lee\r\n'.encode() for email, _ in CUSTOMERS
    )

    # WHEN it is dropped
    outcome = follow(rehearsal, 'customers.csv', content)

    # THEN it is REJECTED with a reason a person can act on, and Wix never heard of it
    record = outcome.record
    assert record is not None
    assert record.status.value == 'REJECTED'
    assert record.error is not None
    assert record.error.code == 'NO_POINTS_COLUMN'
    assert record.error.message
    assert rehearsal.emulator.requests == []
    assert rehearsal.executions() == []
    assert outcomes_of(outcome) == ['REJECTED']
    body = json.loads(outcome.notifications[0].message)
    assert body['record']['error']['code'] == 'NO_POINTS_COLUMN'
    # AND the refusal is reported under the results prefix, and nothing else is
    results = rehearsal.parameter('ResultsPrefix')
    listed = boto3.client('s3', region_name='us-east-1').list_objects_v2(
        Bucket=rehearsal.bucket, Prefix=results
    )
    assert [item['Key'] for item in listed['Contents']] == [f'{results}customers.csv.rejected.txt']


def test_a_duplicated_s3_event_makes_one_wix_import_and_one_execution(rehearsal: Rehearsal) -> None:
    # GIVEN a file whose S3 event is delivered twice while it is being handled...
    content = csv_bytes(CUSTOMERS)
    drop = rehearsal.drop('twice.csv', content)
    rehearsal.redeliver(drop)
    outcome = rehearsal.follow(drop, timeout_s=FOLLOW_S)
    assert outcome.finished

    # ...and once more after it finished
    rehearsal.redeliver(drop)
    assert rehearsal.runtime is not None
    assert rehearsal.runtime.wait_idle(FOLLOW_S)

    # THEN the importer ran three times, but Wix saw one import, executed once
    importer_runs = [i for i in rehearsal.invocations if i.logical_id == 'ImporterFunction']
    assert len(importer_runs) == 3
    assert all(run.ok for run in importer_runs)
    assert rehearsal.emulator.count('create_import') == 1
    assert rehearsal.emulator.count('execute_import') == 1
    # AND one execution, one record, one notification
    assert len(rehearsal.executions()) == 1
    final = rehearsal.record(drop)
    assert final is not None
    assert final.status.value == 'IMPORTED'
    mine = [m for m in rehearsal.notifications() if m.mentions(drop.source.source_id)]
    assert len(mine) == 1

    # WHEN one more S3 event arrives that holds the same record twice (one batch)
    importer_arn, event = rehearsal.runtime.deliveries[0]
    rehearsal.runtime.deliver_async(importer_arn, {'Records': event['Records'] * 2})
    assert rehearsal.runtime.wait_idle(FOLLOW_S)

    # THEN the importer ran a fourth time without error, and still one import, one execution, one
    # record and one notification exist
    importer_runs = [i for i in rehearsal.invocations if i.logical_id == 'ImporterFunction']
    assert len(importer_runs) == 4
    assert all(run.ok for run in importer_runs)
    assert rehearsal.emulator.count('create_import') == 1
    assert rehearsal.emulator.count('execute_import') == 1
    assert len(rehearsal.executions()) == 1
    table = rehearsal.resource('ImportsTable')
    found = boto3.client('dynamodb', region_name='us-east-1').scan(TableName=table)['Items']
    # One record, and the content fingerprint item of the balances it imported
    assert sorted(item['pk']['S'].partition('#')[0] for item in found) == ['fingerprint', drop.source.uri]
    assert [m for m in rehearsal.notifications() if m.mentions(drop.source.source_id)] == mine


def test_wix_faults_mid_flow_still_end_in_one_import(rehearsal: Rehearsal) -> None:
    # GIVEN Wix failing the create (once before and once after doing it), losing the execute's
    # response after executing, and refusing a status read
    faults = rehearsal.emulator.faults
    faults.script('create_import', [Fault.HTTP_500, Fault.RESPONSE_LOST])
    faults.script('execute_import', [Fault.RESPONSE_LOST])
    faults.script('get_import', [Fault.HTTP_503])

    # WHEN a file is dropped
    outcome = follow(rehearsal, 'faults.csv', csv_bytes(CUSTOMERS))

    # THEN it is imported, with one import created and executed once at Wix
    assert outcome.status == 'IMPORTED'
    assert rehearsal.emulator.count('create_import') == 1
    assert rehearsal.emulator.count('execute_import') == 1
    faulted = Counter(request.endpoint for request in rehearsal.emulator.requests if request.fault)
    assert faulted == {'create_import': 2, 'execute_import': 1, 'get_import': 1}
    assert outcomes_of(outcome) == ['IMPORTED']
    assert len(rehearsal.emulator.imports) == 1


def test_wix_unavailable_to_the_poller_is_retried_by_the_state_machine(rehearse: Rehearse) -> None:
    # GIVEN a Wix that takes a moment to import, and becomes unavailable for status reads once the
    # import is executing (longer than the poller's own client retries)
    settings = EmulatorSettings(parse_delay_s=0.02, import_delay_s=0.5, retry_after_s=0)
    with WixEmulator(settings) as emulator:
        rehearsal = rehearse(emulator)
        injected: list[bool] = []
        execute = emulator.store.execute_import

        def execute_then_outage(body: object) -> dict[str, Any]:
            # Scripted the moment Wix accepts the execute, before anyone hears back: the 503s meet
            # the state machine's first polls however fast the machine is (the importer reads no
            # status after a successful execute).
            executed = execute(body)
            emulator.faults.script('get_import', [Fault.HTTP_503] * 8)
            injected.append(True)
            return executed

        emulator.store.execute_import = execute_then_outage  # type: ignore[method-assign]
        drop = rehearsal.drop('outage.csv', csv_bytes(CUSTOMERS))

        # WHEN the file is followed to the end
        outcome = rehearsal.follow(drop, timeout_s=FOLLOW_S)

    # THEN the poller failed with WixUnavailable, the ASL's Retry ran it again, and it completed
    assert injected == [True]
    assert outcome.finished
    assert outcome.status == 'IMPORTED'
    poller_errors = {
        i.error_type for i in rehearsal.invocations if i.logical_id == 'PollerFunction' and not i.ok
    }
    assert 'WixUnavailable' in poller_errors
    assert outcome.execution_status == 'SUCCEEDED'
    assert outcomes_of(outcome) == ['IMPORTED']
    # AND only that error was retried, every scripted 503 was served, and the run ended without error
    assert poller_errors == {'WixUnavailable'}
    failed = {(i.logical_id, i.error_type) for i in rehearsal.invocations if not i.ok}
    assert failed == {('PollerFunction', 'WixUnavailable')}
    unavailable = [r for r in emulator.requests if r.endpoint == 'get_import' and r.fault is Fault.HTTP_503]
    assert len(unavailable) == 8
    assert outcome.record is not None
    assert outcome.record.execution_arn is not None
    described = boto3.client('stepfunctions', region_name='us-east-1').describe_execution(
        executionArn=outcome.record.execution_arn
    )
    assert json.loads(described['output'])['error'] is None


def test_an_import_stuck_in_importing_past_the_deadline_ends_timed_out(rehearse: Rehearse) -> None:
    # GIVEN a Wix import that stays IMPORTING for ever (so however long the machine takes to reach
    # the deadline, the import cannot finish first). The template's ImportDeadlineSeconds has
    # MinValue 300; moto does not check parameter constraints, which lets the rehearsal shrink the
    # deadline to one second instead of waiting five minutes.
    settings = EmulatorSettings(parse_delay_s=0.02, import_delay_s=math.inf)
    with WixEmulator(settings) as emulator:
        # (the importer waits for the parse and executes, so the deadline passes while IMPORTING)
        rehearsal = rehearse(emulator, ImportDeadlineSeconds='1', ParseWaitSeconds='5')

        # WHEN a file is dropped
        outcome = follow(rehearsal, 'slow.csv', csv_bytes(CUSTOMERS))

        # THEN the state machine gave up at the deadline: TIMED_OUT recorded and notified
        record = outcome.record
        assert record is not None
        assert record.status.value == 'TIMED_OUT'
        assert record.error is not None
        assert record.error.code == 'DEADLINE_EXCEEDED'
        assert record.wix_import_id is not None
        assert emulator.imports[record.wix_import_id]['status'] == 'IMPORTING'
        assert outcomes_of(outcome) == ['TIMED_OUT']
        assert outcome.execution_status == 'SUCCEEDED'
        polls = [i for i in rehearsal.invocations if i.logical_id == 'PollerFunction']
        assert polls[-1].result['deadlineExceeded'] is True
