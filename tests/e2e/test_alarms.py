"""Every alarm of template.yaml, driven to ALARM through the rehearsal, and its action notified.

Each scenario makes its alarm's condition happen in a stack of its own (a Wix refusing the
credentials, a Wix that adds, a missing table, a state machine past its time limit), then the
rehearsal evaluates every alarm on the metric data the stack produced (see rehearsal.alarms) at a
`now` the test passes in. The alarms are read from template.yaml: an alarm without a scenario here
fails `test_every_alarm_of_the_template_has_a_scenario`.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest

from rehearsal import Rehearsal, SnsMessage
from rehearsal.alarms import AWS_METRICS
from tests.e2e.conftest import FOLLOW_S, Rehearse
from tests.e2e.test_balance_checks import CUSTOMERS, HELD, emulator, export
from tests.e2e.test_imports import follow
from tests.e2e.test_rehearsed_stack import template

REGION = 'us-east-1'
CONTENT = b'email,points\r\nann@example.com,1\r\n'


def alarms_of_the_template() -> list[str]:
    resources = template()['Resources']
    return sorted(name for name, r in resources.items() if r['Type'] == 'AWS::CloudWatch::Alarm')


Start = Callable[..., Rehearsal]


@pytest.fixture
def start(rehearse: Rehearse) -> Iterator[Start]:
    """A rehearsal against an emulator of its own: `start(accounts, {parameters}, **settings)`."""
    with contextlib.ExitStack() as stack:

        def start_one(
            accounts: dict[str, int] | None = None, parameters: dict[str, str] | None = None, **settings: Any
        ) -> Rehearsal:
            wix = stack.enter_context(contextlib.contextmanager(emulator)(accounts or {}, **settings))
            return rehearse(wix, **(parameters or {}))

        yield start_one


class _EndedError(Exception):
    pass


def until_executions_end(rehearsal: Rehearsal, drop_name: str) -> None:
    """Drop a file and follow it until its execution has ended (it may never get a final record)."""
    drop = rehearsal.drop(drop_name, CONTENT)

    def stop_when_ended(_record: object, _mine: list[SnsMessage]) -> None:
        executions = rehearsal.executions()
        if executions and all(e['status'] != 'RUNNING' for e in executions):
            raise _EndedError

    with contextlib.suppress(_EndedError):
        rehearsal.follow(drop, timeout_s=FOLLOW_S, on_poll=stop_when_ended)


def wrong_credentials(start: Start) -> Rehearsal:
    """ImportsFailed: Wix refuses the credentials, the import ends FAILED."""
    rehearsal = start()
    boto3.client('secretsmanager', region_name=REGION).put_secret_value(
        SecretId=rehearsal.resource('WixCredentialsSecret'),
        SecretString=json.dumps(
            {'mode': 'api_key', 'api_key': 'wrong', 'site_id': rehearsal.emulator.credentials.site_id}
        ),
    )
    assert follow(rehearsal, 'creds.csv', CONTENT).status == 'FAILED'
    return rehearsal


def wix_adds(start: Start) -> Rehearsal:
    """BalanceMismatches: a Wix that adds the file's points instead of setting them."""
    rehearsal = start(HELD, {'VerifyRetrySeconds': '2'}, import_mode='add')
    assert follow(rehearsal, 'balances.csv', export(CUSTOMERS)).status == 'IMPORTED'
    return rehearsal


def no_table_for_the_importer(start: Start) -> Rehearsal:
    """Lambda Errors and the dead-letter queue: the importer cannot write its record, raises on
    every attempt, and Lambda sends the S3 event to the on-failure queue."""
    rehearsal = start()
    boto3.client('dynamodb', region_name=REGION).delete_table(TableName=rehearsal.resource('ImportsTable'))
    outcome = rehearsal.follow(rehearsal.drop('lost.csv', CONTENT), timeout_s=FOLLOW_S)
    assert outcome.record is None
    return rehearsal


def no_table_for_the_finalizer(start: Start) -> Rehearsal:
    """ExecutionsFailed: the table goes after the first poll, so Finalize and FinalizeWithoutWix
    both fail and the execution fails (after publishing its state as UNRECORDED)."""
    rehearsal = start()
    dynamodb = boto3.client('dynamodb', region_name=REGION)
    assert rehearsal.runtime is not None

    def take_the_table_away(invocation: object) -> None:
        polls = [i for i in rehearsal.invocations if i.logical_id == 'PollerFunction']
        if getattr(invocation, 'logical_id', None) == 'PollerFunction' and len(polls) == 1:
            dynamodb.delete_table(TableName=rehearsal.resource('ImportsTable'))

    rehearsal.runtime.listeners.append(take_the_table_away)
    until_executions_end(rehearsal, 'unrecorded.csv')
    assert [e['status'] for e in rehearsal.executions()] == ['FAILED']
    return rehearsal


def past_the_time_limit(start: Start) -> Rehearsal:
    """ExecutionsTimedOut: a Wix import that never ends, and the deployed state machine given a
    one-second TimeoutSeconds in place of Step Functions' own one-year limit."""
    rehearsal = start(import_delay_s=math.inf)
    sfn = boto3.client('stepfunctions', region_name=REGION)
    arn = rehearsal.resource('ImportStateMachine')
    definition = json.loads(sfn.describe_state_machine(stateMachineArn=arn)['definition'])
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps({**definition, 'TimeoutSeconds': 1}))
    until_executions_end(rehearsal, 'stuck.csv')
    assert [e['status'] for e in rehearsal.executions()] == ['TIMED_OUT']
    return rehearsal


SCENARIOS: dict[str, Callable[[Start], Rehearsal]] = {
    'ImportsFailedAlarm': wrong_credentials,
    'BalanceMismatchesAlarm': wix_adds,
    'ImporterErrorsAlarm': no_table_for_the_importer,
    'DeadLetterQueueAlarm': no_table_for_the_importer,
    'StateMachineFailedAlarm': no_table_for_the_finalizer,
    'StateMachineTimedOutAlarm': past_the_time_limit,
}


def test_every_alarm_of_the_template_has_a_scenario() -> None:
    assert sorted(SCENARIOS) == alarms_of_the_template()


def alarm_name(rehearsal: Rehearsal, logical_id: str) -> str:
    return rehearsal.resource(logical_id)


def alarm_notifications(rehearsal: Rehearsal) -> list[SnsMessage]:
    return [m for m in rehearsal.notifications() if (m.subject or '').startswith(('ALARM:', 'OK:'))]


@pytest.mark.parametrize('logical_id', sorted(SCENARIOS))
def test_the_alarm_goes_off_when_its_condition_happens(start: Start, logical_id: str) -> None:
    # GIVEN the alarm's condition, made to happen in the rehearsed stack
    rehearsal = SCENARIOS[logical_id](start)
    name = alarm_name(rehearsal, logical_id)

    # WHEN CloudWatch evaluates the alarms on what the stack emitted and AWS measured
    states = rehearsal.evaluate_alarms(now=time.time() + 1)

    # THEN this alarm is in ALARM, in CloudWatch too, and its action reached the topic
    assert states[name].state == 'ALARM', states[name].reason
    cloudwatch = boto3.client('cloudwatch', region_name=REGION)
    (described,) = cloudwatch.describe_alarms(AlarmNames=[name])['MetricAlarms']
    assert described['StateValue'] == 'ALARM'
    (notified,) = [m for m in alarm_notifications(rehearsal) if json.loads(m.message)['AlarmName'] == name]
    assert notified.subject == f'ALARM: "{name}" in {REGION}'
    body = json.loads(notified.message)
    assert (body['NewStateValue'], body['OldStateValue']) == ('ALARM', 'OK')
    assert body['AlarmArn'] == described['AlarmArn']
    assert body['Trigger']['MetricName'] == described['MetricName']
    assert notified.attributes.get('outcome') is None  # alarms carry no outcome attribute

    # AND one period later, with nothing new, it is back to its state without data
    later = rehearsal.evaluate_alarms(now=time.time() + 1 + described['Period'])
    expected = 'OK' if described['TreatMissingData'] == 'notBreaching' else 'INSUFFICIENT_DATA'
    if 'SQS' not in described['Namespace']:  # the queue still holds its message: still ALARM
        assert later[name].state == expected


def test_a_clean_import_raises_no_alarm(start: Start) -> None:
    # GIVEN a clean import followed to its end
    rehearsal = start()
    assert follow(rehearsal, 'clean.csv', export(CUSTOMERS)).status == 'IMPORTED'

    # WHEN the alarms are evaluated
    states = rehearsal.evaluate_alarms(now=time.time() + 1)

    # THEN every alarm is OK (or without data, per its TreatMissingData) and nothing was notified
    assert sorted(states) == sorted(alarm_name(rehearsal, a) for a in alarms_of_the_template())
    assert {s.state for s in states.values()} <= {'OK', 'INSUFFICIENT_DATA'}
    assert alarm_notifications(rehearsal) == []
    points = rehearsal.metric_datapoints()
    assert any(p.name == 'ImportsImported' and p.value == 1 for p in points)


def test_the_dashboard_names_only_metrics_something_emits() -> None:
    from loyalty_import.pipeline.observability import NAMESPACE, Metric  # noqa: PLC0415

    body = template()['Resources']['Dashboard']['Properties']['DashboardBody']
    text = body if isinstance(body, str) else body['Fn::Sub']
    text = text if isinstance(text, str) else text[0]
    dashboard = json.loads(_unsubstituted(text))
    emitted = {(NAMESPACE, value) for key, value in vars(Metric).items() if key.isupper()}
    entries = [
        metric
        for widget in dashboard['widgets']
        if widget['type'] == 'metric'
        for metric in widget['properties']['metrics']
    ]
    named = {(metric[0], metric[1]) for metric in entries if isinstance(metric[0], str)}
    assert named
    assert named - emitted - AWS_METRICS == set()
    # and the per-site lines (SEARCH over the site dimension) search only metrics the code emits
    searched = [metric[0]['expression'] for metric in entries if isinstance(metric[0], dict)]
    assert searched
    for expression in searched:
        names = set(re.findall(r'"([A-Za-z]+)"', expression)) - {'loyalty-import'}
        assert names, expression
        assert {(NAMESPACE, name) for name in names} <= emitted, expression


def _unsubstituted(text: str) -> str:
    # ${Ref} and ${Resource.Attr} placeholders stand in string values only: any text parses.
    import re  # noqa: PLC0415

    return re.sub(r'\$\{[^}]+\}', 'x', text)
