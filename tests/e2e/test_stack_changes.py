"""Scenarios that change their stack, each on its own (tests/e2e/conftest.py): Wix refusing the
stack's credentials, a parse slower than the importer may wait (ParseWaitSeconds 0), and an
outcome that cannot be recorded (the imports table taken away mid-flight).
"""

from __future__ import annotations

import contextlib
import json
import time

import boto3

from rehearsal import Rehearsal, SnsMessage
from rehearsal.lambda_runtime import Invocation
from tests.e2e.conftest import FOLLOW_S, Rehearse
from tests.e2e.test_imports import follow, outcomes_of
from tests.e2e.test_pipeline_flows import only_notification
from wix_emulator import EmulatorSettings, WixEmulator

REGION = 'us-east-1'


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


class WixTime:
    """The emulator's clock: the wall clock, moved forward by a test (Wix's scheduled steps jump)."""

    def __init__(self) -> None:
        self.ahead_s = 0.0

    def __call__(self) -> float:
        return time.time() + self.ahead_s


def test_a_parse_slower_than_the_importer_is_executed_by_the_state_machine(rehearse: Rehearse) -> None:
    # GIVEN an importer that may not wait for Wix's parse at all (ParseWaitSeconds 0), and a Wix
    # that parses only once the importer's invocation has ended (its parse takes an hour of a clock
    # that jumps an hour then): however slow the machine, the importer never sees it PARSED
    wix_time = WixTime()
    settings = EmulatorSettings(parse_delay_s=3600, import_delay_s=0.02)
    with WixEmulator(settings, clock=wix_time) as emulator:
        rehearsal = rehearse(emulator, ParseWaitSeconds='0')
        assert rehearsal.runtime is not None
        executes_when_importer_ended: list[int] = []

        def parse_once_the_importer_ended(invocation: Invocation) -> None:
            if invocation.logical_id == 'ImporterFunction' and not executes_when_importer_ended:
                executes_when_importer_ended.append(emulator.count('execute_import'))
                wix_time.ahead_s = 3600

        rehearsal.runtime.listeners.append(parse_once_the_importer_ended)

        # WHEN a file is dropped and followed to the end
        outcome = follow(rehearsal, 'slow.csv', b'email,points\r\nann@example.com,3\r\n')

        # THEN the importer left the import CREATED, not executed...
        (importer,) = [i for i in rehearsal.invocations if i.logical_id == 'ImporterFunction']
        assert [o['status'] for o in importer.result['outcomes']] == ['CREATED']
        assert executes_when_importer_ended == [0]
        # ...and the state machine's Execute step executed it once, and it finished
        assert [i.ok for i in rehearsal.invocations if i.logical_id == 'ExecutorFunction'] == [True]
        assert emulator.count('execute_import') == 1
        assert outcome.execution_status == 'SUCCEEDED'
        assert outcome.status == 'IMPORTED'
        assert outcomes_of(outcome) == ['IMPORTED']


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
