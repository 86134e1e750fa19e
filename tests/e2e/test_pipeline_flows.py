"""The pipeline's other paths through the rehearsed stack: overrides, dry runs, refused credentials,
a slow parse, a repeated Finalize, S3 events with several (or no) records, metrics, and an outcome
that cannot be recorded.

Each test deploys its own stack (tests/e2e/conftest.py); a test that needs a function's answer
invokes it through Lambda's API, as S3 or a state machine task would.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3

from rehearsal import Drop, Outcome, Rehearsal, SnsMessage
from rehearsal.lambda_runtime import Invocation
from tests.conftest import REPO_ROOT
from tests.e2e.conftest import FOLLOW_S, Rehearse
from tests.e2e.test_imports import failures, follow, outcomes_of
from wix_emulator import EmulatorSettings, WixEmulator

REGION = 'us-east-1'


def invoke(rehearsal: Rehearsal, logical_id: str, event: dict[str, Any]) -> Invocation:
    """Invoke one of the stack's functions synchronously (RequestResponse) and return its run."""
    assert rehearsal.runtime is not None
    before = len(rehearsal.invocations)
    boto3.client('lambda', region_name=REGION).invoke(
        FunctionName=rehearsal.resource(logical_id), Payload=json.dumps(event)
    )
    (run,) = [i for i in rehearsal.invocations[before:] if i.logical_id == logical_id]
    return run


def s3_event(*drops: Drop) -> dict[str, Any]:
    """The event S3 sends for these uploads (events/s3_put.json, one record per object)."""
    template = json.loads((REPO_ROOT / 'events' / 's3_put.json').read_text())['Records'][0]
    records = []
    for drop in drops:
        record = json.loads(json.dumps(template))
        record['s3']['bucket'].update(name=drop.bucket, arn=f'arn:aws:s3:::{drop.bucket}')
        record['s3']['object'].update(
            key=quote_plus(drop.key, safe='/'), size=drop.size, eTag=drop.etag, versionId=drop.version_id
        )
        records.append(record)
    return {'Records': records}


def only_notification(outcome: Outcome) -> SnsMessage:
    assert len(outcome.notifications) == 1, [n.subject for n in outcome.notifications]
    return outcome.notifications[0]


# --------------------------------------------------------------------------------- what is imported


def test_a_dry_run_records_the_inferred_mapping_without_calling_wix(
    rehearsal: Rehearsal, shared_dir: Path
) -> None:
    # GIVEN a shared sample whose mapping expected.json knows, dropped with x-amz-meta-dry-run: true
    samples = shared_dir / 'samples'
    expected: dict[str, Any] = json.loads((samples / 'expected.json').read_text())
    name = next(name for name, answer in sorted(expected.items()) if 'EMAIL' in answer)

    # WHEN it is followed to its record
    outcome = follow(rehearsal, name, (samples / name).read_bytes(), dry_run=True)

    # THEN the record is DRY_RUN with the expected source columns, one notification, no Wix call
    record = outcome.record
    assert record is not None
    assert record.status.value == 'DRY_RUN'
    assert record.mapping is not None
    assert (record.mapping.email.column, record.mapping.points.column) == (
        expected[name]['EMAIL'],
        expected[name]['POINTS'],
    )
    assert rehearsal.emulator.requests == []
    assert outcomes_of(outcome) == ['DRY_RUN']


def test_metadata_overrides_choose_the_columns(rehearsal: Rehearsal) -> None:
    # GIVEN two balance-like columns, and metadata naming the one to use
    content = b'email,points,bonus\r\nann@example.com,7,900\r\n'

    # WHEN the file is dropped with x-amz-meta-points-column: bonus
    outcome = follow(rehearsal, 'override.csv', content, points_column='bonus')

    # THEN Wix set the balance from the overridden column
    record = outcome.record
    assert record is not None
    assert record.overrides is not None
    assert record.overrides.points_column == 'bonus'
    assert record.status.value == 'IMPORTED'
    assert rehearsal.emulator.balances == {'ann@example.com': 900}


# ------------------------------------------------------------------------------------ Wix's answers


def test_wix_refusing_the_credentials_ends_failed_and_notified(rehearsal: Rehearsal) -> None:
    # GIVEN the stack's Wix secret holding a wrong API key
    boto3.client('secretsmanager', region_name=REGION).put_secret_value(
        SecretId=rehearsal.resource('WixCredentialsSecret'),
        SecretString=json.dumps(
            {'mode': 'api_key', 'api_key': 'wrong', 'site_id': rehearsal.emulator.credentials.site_id}
        ),
    )

    # WHEN a file is dropped
    outcome = follow(rehearsal, 'creds.csv', b'email,points\r\nann@example.com,3\r\n')

    # THEN the record is FAILED with WIX_AUTH_FAILED, nothing was created, one notification says what to check
    record = outcome.record
    assert record is not None
    assert record.status.value == 'FAILED'
    assert record.error is not None
    assert record.error.code == 'WIX_AUTH_FAILED'
    assert rehearsal.emulator.count('create_import') == 0
    assert 'credentials' in only_notification(outcome).message


def test_a_parse_slower_than_the_importer_is_executed_by_the_state_machine(rehearse: Rehearse) -> None:
    # GIVEN Wix takes 0.3 s to parse and the importer may not wait for it at all (ParseWaitSeconds 0)
    settings = EmulatorSettings(parse_delay_s=0.3, import_delay_s=0.02)
    with WixEmulator(settings) as emulator:
        rehearsal = rehearse(emulator, ParseWaitSeconds='0')

        # WHEN a file is dropped and followed to the end
        outcome = follow(rehearsal, 'slow.csv', b'email,points\r\nann@example.com,3\r\n')

        # THEN the importer left the import CREATED without executing it...
        (importer,) = [i for i in rehearsal.invocations if i.logical_id == 'ImporterFunction']
        assert [o['status'] for o in importer.result['outcomes']] == ['CREATED']
        importer_done = importer.started + importer.duration_s
        executes = [r for r in emulator.requests if r.endpoint == 'execute_import' and r.acted]
        assert len(executes) == 1
        assert executes[0].at > importer_done
        # ...and the state machine's Execute step executed it once, and it finished
        assert [i.ok for i in rehearsal.invocations if i.logical_id == 'ExecutorFunction'] == [True]
        assert emulator.count('execute_import') == 1
        assert outcome.execution_status == 'SUCCEEDED'
        assert outcome.status == 'IMPORTED'
        assert outcomes_of(outcome) == ['IMPORTED']


def test_a_second_finalize_sends_no_second_notification(rehearsal: Rehearsal) -> None:
    # GIVEN a finished import
    outcome = follow(rehearsal, 'again.csv', b'email,points\r\nann@example.com,3\r\n')
    only_notification(outcome)
    (finalize,) = [i for i in rehearsal.invocations if i.logical_id == 'FinalizerFunction']

    # WHEN Step Functions runs Finalize again with the same input
    again = invoke(rehearsal, 'FinalizerFunction', finalize.event)

    # THEN it reports the same final status and sends nothing
    assert again.ok, again.error_message
    assert again.result['status'] == 'IMPORTED'
    assert again.result['notified'] is False
    assert rehearsal.notifications() == outcome.notifications


# --------------------------------------------------------------------------------- the importer's events


def test_one_event_with_several_objects_imports_each_and_ignores_results(rehearsal: Rehearsal) -> None:
    # GIVEN two files in the drop bucket that S3 has not announced yet (the notification is off
    # while they are uploaded)...
    s3 = boto3.client('s3', region_name=REGION)
    announced = s3.get_bucket_notification_configuration(Bucket=rehearsal.bucket)
    configuration: Any = {key: value for key, value in announced.items() if key != 'ResponseMetadata'}
    s3.put_bucket_notification_configuration(Bucket=rehearsal.bucket, NotificationConfiguration={})
    first = rehearsal.drop('a.csv', b'email,points\r\nann@example.com,1\r\n')
    second = rehearsal.drop('b.csv', b'email,points\r\nbob@example.com,2\r\n')
    s3.put_bucket_notification_configuration(Bucket=rehearsal.bucket, NotificationConfiguration=configuration)
    # ...and one S3 event announcing both, with (misconfigured) a key under the results prefix
    event = s3_event(first, second)
    stray = json.loads(json.dumps(event['Records'][0]))
    stray['s3']['object']['key'] = f'{rehearsal.parameter("ResultsPrefix")}a.csv.rejected.txt'
    event['Records'].insert(1, stray)

    # WHEN the importer handles it
    run = invoke(rehearsal, 'ImporterFunction', event)

    # THEN both files became imports and the results key was left alone
    assert run.ok, run.error_message
    assert [outcome['status'] for outcome in run.result['outcomes']] == ['IMPORTING', 'IMPORTING']
    assert rehearsal.emulator.count('create_import') == 2
    assert len(rehearsal.executions()) == 2
    # AND both end imported (the stack is left with nothing in flight)
    for drop in (first, second):
        assert rehearsal.follow(drop, timeout_s=FOLLOW_S).status == 'IMPORTED', failures(rehearsal)


def test_an_event_without_records_is_ignored(rehearsal: Rehearsal) -> None:
    # GIVEN the test event S3 may send when a notification is configured
    event = {'Service': 'Amazon S3', 'Event': 's3:TestEvent', 'Bucket': rehearsal.bucket}

    # WHEN the importer is invoked with it
    run = invoke(rehearsal, 'ImporterFunction', event)

    # THEN it does nothing and does not fail
    assert run.ok, run.error_message
    assert run.result == {'outcomes': []}
    table = rehearsal.resource('ImportsTable')
    assert boto3.client('dynamodb', region_name=REGION).scan(TableName=table)['Items'] == []


# ------------------------------------------------------------------------------------- observability


def test_the_functions_emit_emf_metrics_for_the_outcome(rehearsal: Rehearsal) -> None:
    # GIVEN a file with one unknown contact, followed to its end
    follow(rehearsal, 'm.csv', b'email,points\r\nann@example.com,1\r\nghost@example.com,2\r\n')

    # WHEN the functions' output is read as CloudWatch would
    metrics: dict[str, list[float]] = {}
    for line in (line for invocation in rehearsal.invocations for line in invocation.log_lines):
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document['_aws']['CloudWatchMetrics']:
            # The namespace and dimension template.yaml's alarms and dashboard query
            assert directive['Namespace'] == 'LoyaltyImport'
            assert directive['Dimensions'] == [['service']]
            assert document['service'] == 'loyalty-import'
            for metric in directive['Metrics']:
                value = document[metric['Name']]
                metrics.setdefault(metric['Name'], []).extend(value if isinstance(value, list) else [value])

    # THEN started, imported, rows and duration are all there
    assert metrics['ImportsStarted'] == [1]
    assert metrics['ImportsImported'] == [1]
    assert metrics['RowsImported'] == [1]
    assert metrics['RowsFailed'] == [1]
    assert metrics['MappingConfidence'][0] > 0
    assert metrics['EndToEndDuration'][0] >= 0


class _ExecutionEnded(Exception):  # noqa: N818 - a signal, not an error
    pass


def test_when_nothing_can_be_recorded_the_state_machine_still_notifies(rehearsal: Rehearsal) -> None:
    # GIVEN an import in flight whose imports table becomes unavailable once the state machine
    # polls Wix (deleted right after the first Poll task, before any Finalize can run)
    dynamodb = boto3.client('dynamodb', region_name=REGION)
    assert rehearsal.runtime is not None

    def take_the_table_away(invocation: Invocation) -> None:
        polls = [i for i in rehearsal.invocations if i.logical_id == 'PollerFunction']
        if invocation.logical_id == 'PollerFunction' and len(polls) == 1:
            dynamodb.delete_table(TableName=rehearsal.resource('ImportsTable'))

    rehearsal.runtime.listeners.append(take_the_table_away)
    drop = rehearsal.drop('lost.csv', b'email,points\r\nann@example.com,1\r\n')

    # WHEN the state machine runs: Finalize and Finalize-without-Wix both fail after their retries
    def stop_when_ended(_record: object, _mine: list[SnsMessage]) -> None:
        executions = rehearsal.executions()
        if executions and all(e['status'] != 'RUNNING' for e in executions):
            raise _ExecutionEnded

    with contextlib.suppress(_ExecutionEnded):
        rehearsal.follow(drop, timeout_s=FOLLOW_S, on_poll=stop_when_ended)

    # THEN the execution failed (alarmed) after publishing the state straight to the topic
    (execution,) = rehearsal.executions()
    assert execution['status'] == 'FAILED'
    (notification,) = rehearsal.notifications()
    assert notification.attributes['outcome'] == 'UNRECORDED'
    state = json.loads(notification.message)
    assert state['finalizeError']['Error'] == 'RecordStoreError'
    started_with = boto3.client('stepfunctions', region_name=REGION).describe_execution(
        executionArn=execution['executionArn']
    )['input']
    assert state['importId'] == json.loads(started_with)['importId']
