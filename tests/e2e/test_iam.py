"""IAM enforced in the rehearsal: a permission missing from template.yaml fails as in AWS.

Each scenario removes ONE statement or SAM policy template from one function's or state machine's
`Policies`, deploys that template into the rehearsal, runs the flow that needs the permission and
waits (bounded) until moto's IAM denies the call, naming the action, the resource and the role.
The unmodified template is the rest of tests/e2e: its `rehearse` fixture fails any test during
which IAM denied a call. What moto can and cannot check: docs/emulator.md#iam-in-the-rehearsal.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from rehearsal import Rehearsal, RehearsalConfig
from rehearsal.__main__ import main
from rehearsal.harness import REPO_ROOT
from rehearsal.iam import Denial
from rehearsal.template import PACKAGEABLE, load_template
from tests.e2e.conftest import CLOCK_SCALE, FOLLOW_S
from tests.e2e.test_demo_command import FAST
from wix_emulator import EmulatorSettings, WixEmulator

REGION = 'us-east-1'
TEMPLATE = REPO_ROOT / 'template.yaml'
# One customer Wix does not know: the import ends with an error file for the finalizer to keep.
IMPORTED = b'email,points\r\nann@example.com,3\r\nbob@example.com,4\r\nzed@example.com,5\r\n'
# A header that names neither role: the product cannot tell, a person decides (a review).
UNSURE = b'Kunde,Wert\nmember1@example.com,10\nmember2@example.com,20\nmember3@example.com,30\n'


@dataclass(frozen=True)
class Removal:
    owner: str  # the logical id of the function or state machine whose Policies lose it
    policy: str  # a statement's Sid, or a SAM policy template's name, optionally ':<what it names>'
    flow: str  # 'import', 'executor' (Wix parses after the importer stopped looking) or 'review'
    action: str  # the action that must then be denied
    resource: str  # a part of the denied resource's ARN

    def __str__(self) -> str:
        return f'{self.owner}-{self.policy}'


REMOVALS = [
    Removal(
        'ImporterFunction', 'DynamoDBCrudPolicy:ImportsTable', 'import', 'dynamodb:PutItem', 'ImportsTable'
    ),
    Removal('ImporterFunction', 'ReadDroppedFiles', 'import', 's3:GetObjectVersion', '/incoming/'),
    Removal(
        'ImporterFunction',
        'StepFunctionsExecutionPolicy:ImportStateMachine',
        'import',
        'states:StartExecution',
        'ImportStateMachine',
    ),
    Removal(
        'ImporterFunction',
        'AWSSecretsManagerGetSecretValuePolicy',
        'import',
        'secretsmanager:GetSecretValue',
        'WixCredentialsSecret',
    ),
    Removal(
        'PollerFunction',
        'AWSSecretsManagerGetSecretValuePolicy',
        'import',
        'secretsmanager:GetSecretValue',
        'WixCredentialsSecret',
    ),
    # The site's shared Wix call budget: every Wix call of the poller takes a token first.
    Removal('PollerFunction', 'UseTheSitesTable', 'import', 'dynamodb:GetItem', 'SitesTable'),
    Removal('ExecutorFunction', 'DynamoDBCrudPolicy', 'executor', 'dynamodb:GetItem', 'ImportsTable'),
    Removal(
        'ExecutorFunction', 'ReadPairsWriteUndoUnderResultsPrefix', 'executor', 's3:GetObject', '/results/'
    ),
    Removal('FinalizerFunction', 'DynamoDBCrudPolicy', 'import', 'dynamodb:GetItem', 'ImportsTable'),
    Removal('FinalizerFunction', 'SNSPublishMessagePolicy', 'import', 'sns:Publish', 'NotificationTopic'),
    Removal('FinalizerFunction', 'WriteErrorFilesUnderResultsPrefix', 'import', 's3:PutObject', '/results/'),
    Removal('ReviewFunction', 'ReadAndWriteReviews', 'review', 'dynamodb:GetItem', 'ImportsTable'),
    Removal('ReviewFunction', 'SNSPublishMessagePolicy', 'review', 'sns:Publish', 'NotificationTopic'),
    Removal(
        'ImportStateMachine',
        'LambdaInvokePolicy:PollerFunction',
        'import',
        'lambda:InvokeFunction',
        'PollerFunction',
    ),
    Removal(
        'ReviewStateMachine',
        'LambdaInvokePolicy:ReviewFunction',
        'review',
        'lambda:InvokeFunction',
        'ReviewFunction',
    ),
]


def _names(policy: dict[str, Any], what: str) -> bool:
    return what in json.dumps(policy)


def without(removal: Removal, folder: Path) -> Path:
    """template.yaml without that one statement or policy template, written as JSON into `folder`
    (its local paths made absolute, so it deploys from anywhere)."""
    template = copy.deepcopy(load_template(TEMPLATE))
    for resource in template['Resources'].values():
        prop = PACKAGEABLE.get(resource['Type'])
        local = resource.get('Properties', {}).get(prop)
        if prop is not None and isinstance(local, str):
            resource['Properties'][prop] = str((TEMPLATE.parent / local).resolve())
    policies: list[Any] = template['Resources'][removal.owner]['Properties']['Policies']
    name, _, what = removal.policy.partition(':')
    removed = 0
    for policy in list(policies):
        if 'Statement' in policy:
            kept = [s for s in policy['Statement'] if s.get('Sid') != name]
            removed += len(policy['Statement']) - len(kept)
            policy['Statement'] = kept
        elif name in policy and (not what or _names(policy[name], what)):
            policies.remove(policy)
            removed += 1
    assert removed == 1, f'{removal}: {removed} policies matched in {removal.owner}'
    path = folder / 'template.json'
    path.write_text(json.dumps(template), encoding='utf-8')
    return path


def start_flow(rehearsal: Rehearsal, flow: str) -> None:
    if flow == 'review':
        rehearsal.drop('unsure.csv', UNSURE)
    else:
        rehearsal.drop('balances.csv', IMPORTED)


def wait_for_denial(rehearsal: Rehearsal, action: str) -> list[Denial]:
    deadline = time.monotonic() + FOLLOW_S
    while time.monotonic() < deadline:
        denials = rehearsal.denials
        if any(denial.action == action for denial in denials):
            return denials
        time.sleep(0.05)
    return rehearsal.denials


@pytest.mark.parametrize('removal', REMOVALS, ids=str)
def test_a_permission_missing_from_the_template_is_denied_naming_it(removal: Removal, tmp_path: Path) -> None:
    # GIVEN template.yaml without that one permission, deployed into the rehearsal (IAM enforced)
    executor = removal.flow == 'executor'
    settings = EmulatorSettings(
        parse_delay_s=0.05,
        import_delay_s=0.02,
        unknown_contacts=frozenset({'zed@example.com'}),
        # The importer looks once and moves on, never finding it PARSED: the executor executes it.
        parse_starts_on_first_read=executor,
    )
    config = RehearsalConfig(
        template=without(removal, tmp_path),
        parameters={'ParseWaitSeconds': '0'} if executor else {},
        clock_scale=CLOCK_SCALE,
        async_retry_delay_s=0.01,
    )
    with WixEmulator(settings) as emulator, Rehearsal(config, emulator=emulator) as rehearsal:
        role = _role_name(rehearsal, removal.owner)

        # WHEN the flow that needs it runs
        start_flow(rehearsal, removal.flow)
        denials = wait_for_denial(rehearsal, removal.action)

        # THEN that call is denied to that role, naming the action and the resource; nothing else is
        mine = [d for d in denials if d.action == removal.action]
        assert mine, f'{removal.action} was never denied; denied: {[str(d) for d in denials]}'
        assert removal.resource in mine[0].resource, str(mine[0])
        assert {d.role for d in denials} == {role}, [str(d) for d in denials]


def _role_name(rehearsal: Rehearsal, owner: str) -> str:
    if owner.endswith('StateMachine'):
        arn = boto3.client('stepfunctions', region_name=REGION).describe_state_machine(
            stateMachineArn=rehearsal.resource(owner)
        )['roleArn']
    else:
        arn = boto3.client('lambda', region_name=REGION).get_function(FunctionName=rehearsal.resource(owner))[
            'Configuration'
        ]['Role']
    return str(arn).rsplit('/', 1)[-1]


def test_a_denied_call_fails_as_in_aws_naming_the_action_and_the_resource(rehearsal: Rehearsal) -> None:
    # GIVEN the poller's role, which may read the Wix secret and nothing of the imports table
    lambda_client = boto3.client('lambda', region_name=REGION)
    role_arn = lambda_client.get_function(FunctionName=rehearsal.resource('PollerFunction'))['Configuration'][
        'Role'
    ]
    assert rehearsal.iam is not None
    credentials = rehearsal.iam.role_environment(role_arn)
    session = boto3.session.Session(
        aws_access_key_id=credentials['AWS_ACCESS_KEY_ID'],
        aws_secret_access_key=credentials['AWS_SECRET_ACCESS_KEY'],
        aws_session_token=credentials['AWS_SESSION_TOKEN'],
        region_name=REGION,
    )
    table = rehearsal.resource('ImportsTable')

    # WHEN it reads the secret, then an import record
    session.client('secretsmanager').get_secret_value(SecretId=rehearsal.resource('WixCredentialsSecret'))
    with pytest.raises(ClientError) as denied:
        session.client('dynamodb').get_item(TableName=table, Key={'pk': {'S': 'x'}})

    # THEN the secret is read, and the record is refused with AWS's AccessDenied naming both
    error = denied.value.response['Error']
    assert error['Code'] == 'AccessDeniedException'
    assert 'is not authorized to perform: dynamodb:GetItem on resource: ' in error['Message']
    assert f':table/{table} ' in error['Message']
    assert 'assumed-role/' in error['Message']
    # ...and the rehearsal kept it (the e2e fixture would fail a test that did this unasked)
    assert [str(d) for d in rehearsal.denials] == [str(d) for d in rehearsal.iam.denials]
    rehearsal.iam.denials.clear()


def test_make_demo_fails_naming_a_denied_call(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # GIVEN template.yaml without the finalizer's permission to keep Wix's error file
    (removal,) = [r for r in REMOVALS if str(r) == 'FinalizerFunction-WriteErrorFilesUnderResultsPrefix']
    template = without(removal, tmp_path)

    # WHEN the demo runs on its sample (three customers Wix does not know: an error file to keep)
    exit_code = main(['--template', str(template), *FAST])

    # THEN it exits non-zero, and its output names the denied action, the resource and the role
    captured = capsys.readouterr()
    assert exit_code != 0
    assert '] denied     IAM: s3:PutObject on arn:aws:s3:::' in captured.out
    assert '/results/loyaltylion-export.csv.' in captured.out
    assert 'IAM denied    s3:PutObject on ' in captured.out
    assert 'FinalizerFunctionRole' in captured.err
