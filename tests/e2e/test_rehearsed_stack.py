"""The rehearsed stack is the template's: moto's gaps are filled from template.yaml itself."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3

from rehearsal import Rehearsal
from rehearsal.template import load_template
from tests.e2e.conftest import FOLLOW_S

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = 'us-east-1'


def template() -> dict[str, Any]:
    return load_template(REPO_ROOT / 'template.yaml')


def test_the_state_machine_runs_the_asl_file_with_the_template_substitutions(rehearsal: Rehearsal) -> None:
    # GIVEN the ASL file and the substitutions the template declares for it
    machine = template()['Resources']['ImportStateMachine']['Properties']
    asl = (REPO_ROOT / machine['DefinitionUri']).read_text()
    substitutions = machine['DefinitionSubstitutions']
    lambda_client = boto3.client('lambda', region_name=REGION)

    # WHEN moto's Step Functions (the backend that executes) describes the stack's state machine
    definition = boto3.client('stepfunctions', region_name=REGION).describe_state_machine(
        stateMachineArn=rehearsal.resource('ImportStateMachine')
    )['definition']

    # THEN it is the file with each placeholder replaced by the resource the template names
    expected = asl
    for name, value in substitutions.items():
        if 'Fn::GetAtt' in value:
            logical_id = value['Fn::GetAtt'][0]
            resolved = lambda_client.get_function(FunctionName=rehearsal.resource(logical_id))[
                'Configuration'
            ]['FunctionArn']
        else:
            resolved = rehearsal.resource(value['Ref'])
        assert f'${{{name}}}' in expected
        expected = expected.replace(f'${{{name}}}', resolved)
    assert definition == expected


def test_the_bucket_triggers_the_importer_under_the_incoming_prefix(rehearsal: Rehearsal) -> None:
    # GIVEN the importer's S3 event in the template
    event = template()['Resources']['ImporterFunction']['Properties']['Events']['FileDropped']['Properties']

    # WHEN S3 is asked for the drop bucket's notification configuration
    configuration = boto3.client('s3', region_name=REGION).get_bucket_notification_configuration(
        Bucket=rehearsal.bucket
    )

    # THEN it is the template's: the importer, on its events, filtered on the IncomingPrefix parameter
    (trigger,) = configuration['LambdaFunctionConfigurations']
    importer = boto3.client('lambda', region_name=REGION).get_function(
        FunctionName=rehearsal.resource('ImporterFunction')
    )['Configuration']
    assert trigger['LambdaFunctionArn'] == importer['FunctionArn']
    assert trigger['Events'] == [event['Events']]
    assert trigger['Filter']['Key']['FilterRules'] == [{'Name': 'prefix', 'Value': rehearsal.incoming_prefix}]
    assert rehearsal.incoming_prefix == template()['Parameters']['IncomingPrefix']['Default']


def test_the_functions_reach_the_emulator_with_credentials_from_the_template_secret(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN the rehearsed stack
    lambda_client = boto3.client('lambda', region_name=REGION)
    environment = lambda_client.get_function(FunctionName=rehearsal.resource('PollerFunction'))[
        'Configuration'
    ]['Environment']['Variables']

    # WHEN the secret the functions are configured with is read
    secret = boto3.client('secretsmanager', region_name=REGION).get_secret_value(
        SecretId=environment['WIX_SECRET_ID']
    )

    # THEN it is the template's secret, holding the emulator's credentials, and the Wix URLs point at it
    assert environment['WIX_SECRET_ID'] == rehearsal.resource('WixCredentialsSecret')
    credentials = rehearsal.emulator.credentials
    assert json.loads(secret['SecretString']) == {
        'mode': 'api_key',
        'api_key': credentials.api_key,
        'site_id': credentials.site_id,
    }
    assert environment['WIX_BASE_URL'] == rehearsal.emulator.base_url
    assert environment['WIX_ACCOUNTS_BASE_URL'] == rehearsal.emulator.accounts_base_url
    assert environment['WIX_OAUTH_TOKEN_URL'] == rehearsal.emulator.oauth_token_url


def test_an_s3_event_the_importer_keeps_failing_on_ends_in_the_dead_letter_queue(
    rehearsal: Rehearsal,
) -> None:
    # GIVEN an importer that cannot write its record (the imports table is gone)
    boto3.client('dynamodb', region_name=REGION).delete_table(TableName=rehearsal.resource('ImportsTable'))
    retries = template()['Resources']['ImporterFunction']['Properties']['EventInvokeConfig'][
        'MaximumRetryAttempts'
    ]

    # WHEN a file is dropped
    drop = rehearsal.drop('lost.csv', b'Email,Points\r\na@example.com,1\r\n')
    outcome = rehearsal.follow(drop, timeout_s=FOLLOW_S)

    # THEN Lambda tried it 1 + MaximumRetryAttempts times, then sent the event to the on-failure queue
    attempts = [i for i in rehearsal.invocations if i.logical_id == 'ImporterFunction']
    assert len(attempts) == 1 + retries
    assert not any(attempt.ok for attempt in attempts)
    assert outcome.record is None
    assert not outcome.finished
    sqs = boto3.client('sqs', region_name=REGION)
    messages = sqs.receive_message(
        QueueUrl=rehearsal.resource('ImporterDeadLetterQueue'), MaxNumberOfMessages=10
    )
    (message,) = messages['Messages']
    body = json.loads(message['Body'])
    assert body['requestContext']['condition'] == 'RetriesExhausted'
    assert body['requestContext']['approximateInvokeCount'] == 1 + retries
    assert body['requestPayload'] == attempts[0].event
    # AND each attempt failed on the import record (raised, so Lambda retries), and Wix saw nothing
    assert all('import record' in (attempt.error_message or '') for attempt in attempts)
    assert rehearsal.emulator.requests == []
