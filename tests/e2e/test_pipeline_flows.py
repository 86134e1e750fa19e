"""The pipeline's other paths, on one rehearsed stack: a dry run, overrides, a repeated Finalize,
S3 events with several (or no) records, and the metrics the functions emit.

These tests share one stack and one Wix emulator for the module (each leaves it as it found it),
and each asserts on what happened after its own drop: the Wix requests, balances, invocations,
notifications, executions and records it added. A test that changes its stack (its secret, a
parameter, a table) is in test_stack_changes.py, on a stack of its own. A test that needs a
function's answer invokes it through Lambda's API, as S3 or a state machine task would.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import boto3
import pytest

from rehearsal import Drop, Outcome, Rehearsal, RehearsalConfig, SnsMessage
from rehearsal.lambda_runtime import Invocation
from tests.conftest import REPO_ROOT
from tests.e2e.conftest import CLOCK_SCALE, FOLLOW_S
from tests.e2e.test_imports import failures, follow, outcomes_of
from wix_emulator import EmulatorSettings, WixEmulator
from wix_emulator.pytest_plugin import UNKNOWN_CONTACT

REGION = 'us-east-1'


@pytest.fixture(scope='module')
def stack() -> Iterator[Rehearsal]:
    """One rehearsed stack for the tests that leave it as they found it (the `wix_emulator`
    fixture's settings: millisecond Wix steps, ghost@example.com unknown)."""
    settings = EmulatorSettings(
        parse_delay_s=0.02,
        import_delay_s=0.02,
        unknown_contacts=frozenset({UNKNOWN_CONTACT}),
        retry_after_s=0,
    )
    config = RehearsalConfig(clock_scale=CLOCK_SCALE, async_retry_delay_s=0.01)
    with WixEmulator(settings) as emulator, Rehearsal(config, emulator=emulator) as rehearsal:
        yield rehearsal


@dataclass
class Since:
    """What the shared stack holds now, to tell what one test added to it."""

    rehearsal: Rehearsal
    requests: int = 0
    invocations: int = 0
    notifications: int = 0
    executions: int = 0
    records: int = 0
    balances: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.requests = len(self.rehearsal.emulator.requests)
        self.invocations = len(self.rehearsal.invocations)
        self.notifications = len(self.rehearsal.notifications())
        self.executions = len(self.rehearsal.executions())
        self.records = len(items(self.rehearsal))
        self.balances = self.rehearsal.emulator.balances

    def new_requests(self) -> list[Any]:
        return self.rehearsal.emulator.requests[self.requests :]

    def new_invocations(self) -> list[Invocation]:
        return self.rehearsal.invocations[self.invocations :]

    def new_notifications(self) -> list[SnsMessage]:
        return self.rehearsal.notifications()[self.notifications :]

    def new_executions(self) -> int:
        return len(self.rehearsal.executions()) - self.executions

    def new_records(self) -> int:
        return len(items(self.rehearsal)) - self.records

    def changed_balances(self) -> dict[str, int]:
        now = self.rehearsal.emulator.balances
        return {email: points for email, points in now.items() if self.balances.get(email) != points}


def items(rehearsal: Rehearsal) -> list[dict[str, Any]]:
    """Every import record of the stack's imports table (not its content fingerprint items)."""
    table = rehearsal.resource('ImportsTable')
    found: list[dict[str, Any]] = boto3.client('dynamodb', region_name=REGION).scan(TableName=table)['Items']
    return [item for item in found if not item['pk']['S'].startswith('fingerprint#')]


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
    stack: Rehearsal, shared_dir: Path
) -> None:
    # GIVEN a shared sample whose mapping expected.json knows, dropped with x-amz-meta-dry-run: true
    samples = shared_dir / 'samples'
    expected: dict[str, Any] = json.loads((samples / 'expected.json').read_text())
    name = next(name for name, answer in sorted(expected.items()) if 'EMAIL' in answer)
    since = Since(stack)

    # WHEN it is followed to its record
    outcome = follow(stack, name, (samples / name).read_bytes(), dry_run=True)

    # THEN the record is DRY_RUN with the expected source columns, one notification, no Wix call
    record = outcome.record
    assert record is not None
    assert record.status.value == 'DRY_RUN'
    assert record.mapping is not None
    assert (record.mapping.email.column, record.mapping.points.column) == (
        expected[name]['EMAIL'],
        expected[name]['POINTS'],
    )
    assert since.new_requests() == []
    assert outcomes_of(outcome) == ['DRY_RUN']
    assert since.new_notifications() == outcome.notifications


def test_metadata_overrides_choose_the_columns(stack: Rehearsal) -> None:
    # GIVEN two balance-like columns, and metadata naming the one to use
    content = b'email,points,bonus\r\nann@example.com,7,900\r\n'
    since = Since(stack)

    # WHEN the file is dropped with x-amz-meta-points-column: bonus
    outcome = follow(stack, 'override.csv', content, points_column='bonus')

    # THEN Wix set the balance from the overridden column
    record = outcome.record
    assert record is not None
    assert record.overrides is not None
    assert record.overrides.points_column == 'bonus'
    assert record.status.value == 'IMPORTED'
    assert since.changed_balances() == {'ann@example.com': 900}


def test_a_second_finalize_sends_no_second_notification(stack: Rehearsal) -> None:
    # GIVEN a finished import
    since = Since(stack)
    outcome = follow(stack, 'again.csv', b'email,points\r\nann@example.com,3\r\n')
    only_notification(outcome)
    (finalize,) = [i for i in since.new_invocations() if i.logical_id == 'FinalizerFunction']
    notified = since.new_notifications()

    # WHEN Step Functions runs Finalize again with the same input
    again = stack.invoke('FinalizerFunction', finalize.event)

    # THEN it reports the same final status and sends nothing
    assert again.ok, again.error_message
    assert again.result['status'] == 'IMPORTED'
    assert again.result['notified'] is False
    assert notified == outcome.notifications
    assert since.new_notifications() == notified


# --------------------------------------------------------------------------------- the importer's events


def test_one_event_with_several_objects_imports_each_and_ignores_results(stack: Rehearsal) -> None:
    # GIVEN two files in the drop bucket that S3 has not announced yet (the notification is off
    # while they are uploaded)...
    rehearsal = stack
    since = Since(rehearsal)
    s3 = boto3.client('s3', region_name=REGION)
    announced = s3.get_bucket_notification_configuration(Bucket=rehearsal.bucket)
    configuration: Any = {key: value for key, value in announced.items() if key != 'ResponseMetadata'}
    s3.put_bucket_notification_configuration(Bucket=rehearsal.bucket, NotificationConfiguration={})
    try:
        first = rehearsal.drop('a.csv', b'email,points\r\nann@example.com,1\r\n')
        second = rehearsal.drop('b.csv', b'email,points\r\nbob@example.com,2\r\n')
    finally:
        s3.put_bucket_notification_configuration(
            Bucket=rehearsal.bucket, NotificationConfiguration=configuration
        )
    assert since.new_invocations() == []
    # ...and one S3 event announcing both, with (misconfigured) a key under the results prefix
    event = s3_event(first, second)
    stray = json.loads(json.dumps(event['Records'][0]))
    stray['s3']['object']['key'] = f'{rehearsal.parameter("ResultsPrefix")}a.csv.rejected.txt'
    event['Records'].insert(1, stray)

    # WHEN the importer handles it
    run = rehearsal.invoke('ImporterFunction', event)

    # THEN both files became imports and the results key was left alone
    assert run.ok, run.error_message
    # (CREATED: the importer hands each import to the state machine, which waits for the parse)
    assert [outcome['status'] for outcome in run.result['outcomes']] == ['CREATED', 'CREATED']
    assert [r.endpoint for r in since.new_requests() if r.acted].count('create_import') == 2
    assert since.new_executions() == 2
    # AND both end imported (the stack is left with nothing in flight)
    for drop in (first, second):
        assert rehearsal.follow(drop, timeout_s=FOLLOW_S).status == 'IMPORTED', failures(rehearsal)


def test_an_event_without_records_is_ignored(stack: Rehearsal) -> None:
    # GIVEN the test event S3 may send when a notification is configured
    event = {'Service': 'Amazon S3', 'Event': 's3:TestEvent', 'Bucket': stack.bucket}
    since = Since(stack)

    # WHEN the importer is invoked with it
    run = stack.invoke('ImporterFunction', event)

    # THEN it does nothing and does not fail: no record, no Wix call, no execution
    assert run.ok, run.error_message
    assert run.result == {'outcomes': []}
    assert since.new_records() == 0
    assert since.new_requests() == []
    assert since.new_executions() == 0


# ------------------------------------------------------------------------------------- observability


def test_the_functions_emit_emf_metrics_for_the_outcome(stack: Rehearsal) -> None:
    # GIVEN a file with one unknown contact, followed to its end
    since = Since(stack)
    follow(stack, 'm.csv', b'email,points\r\nann@example.com,1\r\nghost@example.com,2\r\n')

    # WHEN the functions' output for it is read as CloudWatch would
    metrics: dict[str, list[float]] = {}
    by_site: dict[tuple[str, str], list[float]] = {}
    for line in (line for invocation in since.new_invocations() for line in invocation.log_lines):
        if '"_aws"' not in line:
            continue
        document = json.loads(line)
        for directive in document['_aws']['CloudWatchMetrics']:
            # The namespace and dimensions template.yaml's alarms and dashboard query: the service,
            # and the per-site copies of the import counts in records of their own (docs/sites.md)
            assert directive['Namespace'] == 'LoyaltyImport'
            assert directive['Dimensions'] in ([['service']], [['service', 'site']])
            assert document['service'] == 'loyalty-import'
            for metric in directive['Metrics']:
                value = document[metric['Name']]
                values = value if isinstance(value, list) else [value]
                if directive['Dimensions'] == [['service', 'site']]:
                    by_site.setdefault((document['site'], metric['Name']), []).extend(values)
                else:
                    metrics.setdefault(metric['Name'], []).extend(values)

    # THEN started, imported, rows and duration are all there
    assert metrics['ImportsStarted'] == [1]
    assert metrics['ImportsImported'] == [1]
    assert metrics['RowsImported'] == [1]
    assert metrics['RowsFailed'] == [1]
    assert metrics['MappingConfidence'][0] > 0
    assert metrics['EndToEndDuration'][0] >= 0
    # AND the import counts once more by site (single-site mode: the site is `default`)
    assert by_site == {
        ('default', 'ImportsStarted'): [1],
        ('default', 'ImportsImported'): [1],
        ('default', 'RowsImported'): [1],
    }
