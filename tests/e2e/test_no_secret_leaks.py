"""No credential or URL token ever lands where people or other systems can read it.

A whole import runs through the rehearsal (both credential modes), with Wix's error file in play.
Then every place the pipeline writes is searched for the API key, the OAuth app secret, the OAuth
access tokens, the upload URL tokens and the error file URL tokens: captured log records and
output, each Lambda invocation's log lines and CloudWatch log events, both DynamoDB tables, the
SNS notifications, every object under the results prefix, and the Step Functions executions.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from chaos.scenarios import good_csv
from chaos.stack import ChaosStack, StackOptions
from tests.e2e.conftest import FOLLOW_S


class SecretTap:
    """Collects every secret the emulator hands out while the import runs."""

    def __init__(self, stack: ChaosStack) -> None:
        credentials = stack.emulator.credentials
        self.secrets: dict[str, str] = {
            'api key': credentials.api_key,
            'OAuth app secret': credentials.app_secret,
        }
        self.upload_tokens: list[str] = []
        self.access_tokens: list[str] = []
        self.error_file_tokens: list[str] = []
        store, authenticator = stack.emulator.store, stack.emulator.authenticator
        create_upload_url, error_file_url = store.create_upload_url, store.error_file_url
        issue_token = authenticator.issue_token

        def tapped_upload_url() -> dict[str, str]:
            answer = create_upload_url()
            self.upload_tokens += parse_qs(urlsplit(answer['uploadUrl']).query)['token']
            return answer

        def tapped_error_file_url(import_id: str | None) -> dict[str, str]:
            answer = error_file_url(import_id)
            self.error_file_tokens += parse_qs(urlsplit(answer['url']).query)['token']
            return answer

        def tapped_issue_token(body: object) -> dict[str, object]:
            answer = issue_token(body)
            self.access_tokens.append(str(answer['access_token']))
            return answer

        store.create_upload_url = tapped_upload_url  # type: ignore[method-assign]
        store.error_file_url = tapped_error_file_url  # type: ignore[method-assign]
        authenticator.issue_token = tapped_issue_token  # type: ignore[method-assign]

    def all(self) -> dict[str, str]:
        found = dict(self.secrets)
        found.update({f'upload token {i}': token for i, token in enumerate(self.upload_tokens)})
        found.update({f'access token {i}': token for i, token in enumerate(self.access_tokens)})
        found.update({f'error file token {i}': token for i, token in enumerate(self.error_file_tokens)})
        return found


def _everything_written(stack: ChaosStack) -> dict[str, str]:
    """Each place the pipeline writes to, as searchable text."""
    rehearsal = stack.rehearsal
    places: dict[str, str] = {}
    places['invocation log lines'] = '\n'.join(
        line for invocation in rehearsal.invocations for line in invocation.log_lines
    )
    logs = stack.client('logs')
    events: list[str] = []
    for group in logs.describe_log_groups()['logGroups']:
        response = logs.filter_log_events(logGroupName=group['logGroupName'])
        events += [event['message'] for event in response['events']]
    places['CloudWatch log events'] = '\n'.join(events)
    dynamodb = stack.client('dynamodb')
    for table in ('ImportsTable', 'IdempotencyTable'):
        items = dynamodb.scan(TableName=rehearsal.resource(table))['Items']
        places[f'DynamoDB {table}'] = json.dumps(items)
    places['SNS notifications'] = json.dumps(
        [[m.subject, m.message, m.attributes] for m in rehearsal.notifications()], ensure_ascii=False
    )
    s3 = stack.client('s3')
    results_prefix = rehearsal.parameter('ResultsPrefix', 'results/')
    listed = s3.list_objects_v2(Bucket=rehearsal.bucket, Prefix=results_prefix).get('Contents', [])
    places['S3 results'] = '\n'.join(
        s3.get_object(Bucket=rehearsal.bucket, Key=item['Key'])['Body'].read().decode('utf-8', 'replace')
        for item in listed
    )
    sfn = stack.client('stepfunctions')
    history: list[Any] = []
    for execution in rehearsal.executions():
        described = sfn.describe_execution(executionArn=execution['executionArn'])
        history.append([described.get('input'), described.get('output')])
        history.append(sfn.get_execution_history(executionArn=execution['executionArn'])['events'])
    places['Step Functions executions'] = json.dumps(history, default=str)
    return places


@pytest.fixture(params=['api_key', 'oauth'])
def stack(request: pytest.FixtureRequest) -> Iterator[ChaosStack]:
    with ChaosStack(StackOptions(label=f'secrets ({request.param})', auth=request.param)) as stack:
        yield stack


def test_no_credential_or_url_token_appears_in_logs_records_notifications_or_reports(
    stack: ChaosStack, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a rehearsal whose emulator hands out tokens we can see, and a file with a row Wix refuses
    caplog.set_level('DEBUG')
    tap = SecretTap(stack)

    # WHEN the file is imported end to end (its error file copied to S3)
    with stack.guard():
        drop = stack.rehearsal.drop('secret-check.csv', good_csv('secrets'))
    stack.follow_all([drop], timeout_s=FOLLOW_S)
    stack.settle()
    record = stack.record(drop)

    # THEN it went the whole way, with the secrets in use
    assert record is not None
    assert record.status.value == 'IMPORTED'
    assert record.error_file
    assert tap.upload_tokens
    assert tap.error_file_tokens
    if stack.options.auth == 'oauth':
        assert tap.access_tokens
    # AND the places searched do hold the import's story (the search is not looking at nothing)
    with stack.guard():
        places = _everything_written(stack)
    captured = capfd.readouterr()
    places['captured log records'] = caplog.text
    places['captured stdout/stderr'] = captured.out + captured.err
    assert drop.source.source_id in places['invocation log lines']
    assert drop.source.source_id in places['CloudWatch log events']
    assert drop.key in places['DynamoDB ImportsTable']
    assert 'IMPORTED' in places['SNS notifications']
    assert 'ghost@example.com' in places['S3 results']
    # AND no secret appears in any of them
    leaks = [
        f'{secret_name} in {place}'
        for secret_name, secret in tap.all().items()
        for place, text in places.items()
        if secret in text
    ]
    assert leaks == []
