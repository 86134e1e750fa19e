"""The deployed template, read as deployed: wiring, least privilege, encryption, logs and monitoring.

template.yaml is read with cfn-lint's loader (it understands !Ref, !Sub, !GetAtt) and translated with
the SAM translator offline, so these tests check the same file `make deploy` ships and the same
CloudFormation that SAM turns it into.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode.cfn_yaml import load as load_cfn_yaml

from loyalty_import.pipeline.observability import SITE_DIMENSION, Metric
from loyalty_import.pipeline.settings import (
    ExecutorSettings,
    FinalizerSettings,
    FromEnvironment,
    ImporterSettings,
    PollerSettings,
    ReviewSettings,
)
from rehearsal.template import load_template, package, translate

REPO_ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = REPO_ROOT / 'template.yaml'

FUNCTIONS = {
    'ImporterFunction': 'functions/importer',
    'PollerFunction': 'functions/poller',
    'ExecutorFunction': 'functions/executor',
    'FinalizerFunction': 'functions/finalizer',
    'ReviewFunction': 'functions/reviewer',
}
LAYERS = {'SharedLayer': 'layers/shared', 'DependenciesLayer': 'layers/dependencies'}
SUBSTITUTION = re.compile(r'\$\{([^}]+)\}')
# The only identity-policy actions allowed on Resource '*' (none has resource-level permissions):
# Step Functions' log delivery actions (the state machines' roles), and answering a waiting task
# (the review function: the task token names the one execution it resumes).
STAR_RESOURCE_ROLES = {'ImportStateMachineRole', 'ReviewStateMachineRole', 'ReviewFunctionRole'}
STAR_RESOURCE_ACTIONS = {
    'logs:CreateLogDelivery',
    'logs:GetLogDelivery',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:ListLogDeliveries',
    'logs:PutResourcePolicy',
    'logs:DescribeResourcePolicies',
    'logs:DescribeLogGroups',
    'states:SendTaskSuccess',
}


@cache
def _load_template() -> dict[str, Any]:
    # A JSON round trip turns cfn-lint's node subclasses into plain dicts and strings.
    template: dict[str, Any] = json.loads(json.dumps(load_cfn_yaml(str(TEMPLATE_PATH))))
    return template


@pytest.fixture
def template() -> dict[str, Any]:
    return copy.deepcopy(_load_template())


@cache
def _translate() -> dict[str, Any]:
    # The same packaging and SAM transform as the rehearsal (and `sam package` + `sam deploy`).
    packaged = package(load_template(TEMPLATE_PATH), TEMPLATE_PATH.parent)
    return translate(packaged, {}, region='us-east-1', account_id='123456789012', stack_name='loyalty-import')


@pytest.fixture
def translated() -> dict[str, Any]:
    return copy.deepcopy(_translate())


def _resources(template: dict[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    return {lid: res for lid, res in template['Resources'].items() if res['Type'] == resource_type}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _identity_statements(translated: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for logical_id, role in _resources(translated, 'AWS::IAM::Role').items():
        for policy in role['Properties'].get('Policies', []):
            for statement in policy['PolicyDocument']['Statement']:
                yield logical_id, statement


def _sub_text(value: Any) -> str:
    """The format string of a `!Sub` (either form), for checks on the ARN it builds."""
    sub = value['Fn::Sub']
    return str(sub[0] if isinstance(sub, list) else sub)


def _dashboard(template: dict[str, Any]) -> dict[str, Any]:
    body = _sub_text(template['Resources']['Dashboard']['Properties']['DashboardBody'])
    dashboard: dict[str, Any] = json.loads(SUBSTITUTION.sub('x', body))
    return dashboard


# --------------------------------------------------------------------------------------------------
# The template is deployable
# --------------------------------------------------------------------------------------------------


def test_sam_translator_turns_the_template_into_plain_cloudformation(translated: dict[str, Any]) -> None:
    # GIVEN the template translated offline by the SAM translator (the library inside `sam deploy`)
    # WHEN we look at what it produced
    types = {res['Type'] for res in translated['Resources'].values()}

    # THEN no SAM resource is left and every part of the pipeline exists as plain CloudFormation
    assert not any(t.startswith('AWS::Serverless::') for t in types)
    functions = _resources(translated, 'AWS::Lambda::Function')
    assert set(functions) == set(FUNCTIONS)
    for function in functions.values():
        assert function['Properties']['Runtime'] == 'python3.13'
        assert function['Properties']['Architectures'] == ['arm64']
        assert function['Properties']['Handler'] == 'app.handler'
        assert function['Properties']['TracingConfig'] == {'Mode': 'Active'}
        # (SAM renames a layer with a hash of its content: SharedLayer -> SharedLayer<hash>)
        layers = [ref['Ref'] for ref in function['Properties']['Layers']]
        assert [layer.startswith(name) for layer, name in zip(layers, LAYERS, strict=True)] == [True, True]
        assert {translated['Resources'][layer]['Type'] for layer in layers} == {'AWS::Lambda::LayerVersion'}
    state_machine = translated['Resources']['ImportStateMachine']
    assert state_machine['Type'] == 'AWS::StepFunctions::StateMachine'
    assert state_machine['Properties']['StateMachineType'] == 'STANDARD'
    assert state_machine['Properties']['TracingConfiguration'] == {'Enabled': True}


def test_s3_drops_under_the_incoming_prefix_invoke_the_importer(translated: dict[str, Any]) -> None:
    # GIVEN the translated drop bucket
    bucket = translated['Resources']['DropBucket']

    # WHEN we read its notification configuration
    (configuration,) = bucket['Properties']['NotificationConfiguration']['LambdaConfigurations']

    # THEN every object created under IncomingPrefix (multipart too), and only there, invokes the importer
    assert configuration['Event'] == 's3:ObjectCreated:*'
    assert configuration['Function'] == {'Fn::GetAtt': ['ImporterFunction', 'Arn']}
    assert configuration['Filter']['S3Key']['Rules'] == [
        {'Name': 'prefix', 'Value': {'Ref': 'IncomingPrefix'}}
    ]
    # and S3 is allowed to invoke it before the notification is set
    permission = translated['Resources'][bucket['DependsOn'][0]]
    assert permission['Properties']['Principal'] == 's3.amazonaws.com'


def test_results_prefix_can_never_retrigger_the_importer(template: dict[str, Any]) -> None:
    # GIVEN the prefix defaults
    parameters = template['Parameters']
    incoming = parameters['IncomingPrefix']['Default']
    results = parameters['ResultsPrefix']['Default']

    # WHEN we compare them
    # THEN neither folder contains the other, so a report written under results/ triggers nothing
    assert incoming.endswith('/')
    assert results.endswith('/')
    assert not incoming.startswith(results)
    assert not results.startswith(incoming)
    # and every S3 write in the template is confined to the results prefix
    writes = [
        statement
        for res in template['Resources'].values()
        for policy in res.get('Properties', {}).get('Policies', [])
        if isinstance(policy, dict) and 'Statement' in policy
        for statement in policy['Statement']
        if 's3:PutObject' in _as_list(statement['Action'])
    ]
    # the importer's reports and uploaded pairs, the undo files (importer or executor: the snapshot)
    # and the finalizer's error files
    assert len(writes) == 3
    for statement in writes:
        assert _sub_text(statement['Resource']).endswith('/${ResultsPrefix}*')


def test_the_drop_bucket_name_has_no_circular_dependency(template: dict[str, Any]) -> None:
    # GIVEN the bucket's name and the importer's references to it
    name = template['Resources']['DropBucket']['Properties']['BucketName']
    policies = template['Resources']['ImporterFunction']['Properties']['Policies']
    statements = [statement for policy in policies for statement in policy.get('Statement', [])]
    subs = [
        _sub_text(statement['Resource']) for statement in statements if 'Fn::Sub' in statement['Resource']
    ]
    bucket_arns = [arn for arn in subs if ':s3:::' in arn]

    # WHEN we compare how the functions refer to the bucket
    # THEN they rebuild the same name from pseudo parameters instead of referring to the bucket resource
    assert name == {'Fn::Sub': '${AWS::StackName}-drop-${AWS::AccountId}-${AWS::Region}'}
    assert bucket_arns
    for arn in bucket_arns:
        assert arn.startswith(f'arn:${{AWS::Partition}}:s3:::{name["Fn::Sub"]}')
    assert '"DropBucket"' not in json.dumps(policies)


# --------------------------------------------------------------------------------------------------
# Wiring between the template, the handlers, the layers and the state machine
# --------------------------------------------------------------------------------------------------


def test_definition_substitutions_cover_every_placeholder_of_the_state_machine(
    template: dict[str, Any],
) -> None:
    # GIVEN the state machine file the template deploys
    properties = template['Resources']['ImportStateMachine']['Properties']
    definition = (REPO_ROOT / properties['DefinitionUri']).read_text()
    json.loads(definition)  # valid JSON before substitution

    # WHEN we list its ${...} placeholders
    placeholders = set(SUBSTITUTION.findall(definition))

    # THEN the template substitutes each of them, and nothing it substitutes is unused
    assert placeholders == set(properties['DefinitionSubstitutions'])
    assert set(properties['DefinitionSubstitutions']) == {
        'PollerFunctionArn',
        'ExecutorFunctionArn',
        'FinalizerFunctionArn',
        'NotificationTopicArn',
    }


@pytest.mark.parametrize(('logical_id', 'folder'), sorted(FUNCTIONS.items()))
def test_every_function_folder_holds_a_handler_and_its_build_target(
    template: dict[str, Any], logical_id: str, folder: str
) -> None:
    # GIVEN a function of the template
    function = template['Resources'][logical_id]

    # WHEN we open the folder it is built from
    source = REPO_ROOT / function['Properties']['CodeUri']
    makefile = (source / 'Makefile').read_text()

    # THEN it holds app.py with a `handler`, and the makefile build SAM runs for it (no Docker)
    assert function['Properties']['CodeUri'] == folder
    assert re.search(r'^def handler\(', (source / 'app.py').read_text(), re.MULTILINE)
    assert function['Metadata']['BuildMethod'] == 'makefile'
    assert re.search(rf'^build-{logical_id}:', makefile, re.MULTILINE)


@pytest.mark.parametrize(('logical_id', 'folder'), sorted(LAYERS.items()))
def test_every_layer_has_its_makefile_build(template: dict[str, Any], logical_id: str, folder: str) -> None:
    # GIVEN a layer of the template
    layer = template['Resources'][logical_id]

    # WHEN we read the Makefile SAM runs for it
    makefile = (REPO_ROOT / layer['Properties']['ContentUri'] / 'Makefile').read_text()

    # THEN it builds for python3.13 on arm64 into the layer's python/ folder
    assert layer['Properties']['ContentUri'] == folder
    assert layer['Metadata'] == {'BuildMethod': 'makefile', 'BuildArchitecture': 'arm64'}
    assert layer['Properties']['CompatibleRuntimes'] == ['python3.13']
    assert layer['Properties']['CompatibleArchitectures'] == ['arm64']
    assert re.search(rf'^build-{logical_id}:', makefile, re.MULTILINE)
    assert '$(ARTIFACTS_DIR)/python' in makefile


def test_the_dependencies_layer_installs_the_runtime_pins_as_arm64_wheels() -> None:
    # GIVEN the dependencies layer's Makefile
    makefile = (REPO_ROOT / 'layers/dependencies/Makefile').read_text()

    # WHEN we read its pip command
    # THEN it installs requirements/runtime.txt as prebuilt CPython 3.13 aarch64 wheels only
    assert 'requirements/runtime.txt' in makefile
    for option in (
        '--platform manylinux2014_aarch64',
        '--implementation cp',
        '--python-version 3.13',
        '--only-binary=:all:',
    ):
        assert option in makefile


@pytest.mark.parametrize(
    ('logical_id', 'model'),
    [
        ('ImporterFunction', ImporterSettings),
        ('PollerFunction', PollerSettings),
        ('ExecutorFunction', ExecutorSettings),
        ('FinalizerFunction', FinalizerSettings),
        ('ReviewFunction', ReviewSettings),
    ],
)
def test_every_function_gets_exactly_the_settings_it_reads(
    template: dict[str, Any], logical_id: str, model: type[FromEnvironment]
) -> None:
    # GIVEN the variables the template sets for one function and the settings model its handler reads
    own = template['Resources'][logical_id]['Properties'].get('Environment', {}).get('Variables', {})
    env = {**template['Globals']['Function']['Environment']['Variables'], **own}
    aliases = {field.alias: field for field in model.model_fields.values() if field.alias}

    # WHEN we compare the two
    unknown = {name for name in env if name not in aliases and not name.startswith('POWERTOOLS_')}

    # THEN every setting is set (none has a default in code: the template's parameters hold them all),
    # and the function gets no variable it does not read
    assert all(field.is_required() for field in aliases.values())
    assert set(aliases) <= set(env)
    assert not unknown


def test_every_setting_the_functions_need_is_set_by_the_template(template: dict[str, Any]) -> None:
    # GIVEN the variables the template sets for every function
    env = dict(template['Globals']['Function']['Environment']['Variables'])
    importer_env = template['Resources']['ImporterFunction']['Properties']['Environment']['Variables']
    others = [
        template['Resources'][name]['Properties'].get('Environment', {}).get('Variables', {})
        for name in ('PollerFunction', 'ExecutorFunction', 'FinalizerFunction')
    ]

    # THEN only the importer gets the state machine
    assert 'STATE_MACHINE_ARN' not in env
    assert all('STATE_MACHINE_ARN' not in variables for variables in others)
    assert importer_env['STATE_MACHINE_ARN'] == {'Ref': 'ImportStateMachine'}
    assert env['POWERTOOLS_SERVICE_NAME'] == 'loyalty-import'
    assert env['POWERTOOLS_METRICS_NAMESPACE'] == 'LoyaltyImport'
    # and no credential travels in an environment variable: only the secret's id does, to the
    # functions that call Wix (never the review function)
    assert 'WIX_SECRET_ID' not in env
    for variables in (importer_env, *others):
        assert variables['WIX_SECRET_ID'] == {'Ref': 'WixCredentialsSecret'}
    review_env = template['Resources']['ReviewFunction']['Properties']['Environment']['Variables']
    assert not [name for name in review_env if name.startswith('WIX_')]


def test_wix_endpoints_default_to_the_contract(
    template: dict[str, Any], wix_contract: dict[str, Any], wix_accounts_contract: dict[str, Any]
) -> None:
    # GIVEN the Wix URL parameters
    parameters = template['Parameters']

    # WHEN we read their defaults
    # THEN they are the contract's base URL and OAuth token URL
    assert parameters['WixBaseUrl']['Default'] == wix_contract['base_url']
    accounts_base = wix_accounts_contract['base_urls']['loyalty_accounts']
    assert parameters['WixAccountsBaseUrl']['Default'] == accounts_base
    assert parameters['WixOAuthTokenUrl']['Default'] == wix_contract['oauth_token_url']
    assert int(parameters['MaxFileBytes']['MaxValue']) == wix_contract['max_file_bytes']
    assert int(parameters['ImportDeadlineSeconds']['Default']) == 21600


def test_the_poll_policy_is_set_once_by_the_template(template: dict[str, Any]) -> None:
    # GIVEN the poll parameters and the state machine the template deploys
    parameters = template['Parameters']
    importer_env = template['Resources']['ImporterFunction']['Properties']['Environment']['Variables']
    poller_env = template['Resources']['PollerFunction']['Properties']['Environment']['Variables']
    definition = (REPO_ROOT / 'statemachine' / 'import.asl.json').read_text()

    # THEN the backoff (5 s doubling to 300 s) comes from two parameters: the importer hands the first
    # wait to the execution, the poller caps the doubling, and the state machine only waits what it is told
    assert (
        int(parameters['PollFirstWaitSeconds']['Default']),
        int(parameters['PollMaxWaitSeconds']['Default']),
    ) == (
        5,
        300,
    )
    assert importer_env['POLL_FIRST_WAIT_SECONDS'] == {'Ref': 'PollFirstWaitSeconds'}
    assert poller_env['POLL_MAX_WAIT_SECONDS'] == {'Ref': 'PollMaxWaitSeconds'}
    assert '"SecondsPath": "$.poll.nextWait"' in definition
    assert '"Seconds":' not in definition


def test_the_importer_hands_failed_async_events_to_an_encrypted_dead_letter_queue(
    template: dict[str, Any], translated: dict[str, Any]
) -> None:
    # GIVEN the importer's asynchronous invocation settings
    invoke = template['Resources']['ImporterFunction']['Properties']['EventInvokeConfig']
    queue = template['Resources']['ImporterDeadLetterQueue']['Properties']

    # WHEN we read them
    # THEN a bounded number of retries ends in the dead-letter queue, which keeps messages long enough
    assert 0 < invoke['MaximumRetryAttempts'] <= 2
    assert invoke['DestinationConfig']['OnFailure'] == {
        'Type': 'SQS',
        'Destination': {'Fn::GetAtt': ['ImporterDeadLetterQueue', 'Arn']},
    }
    assert queue['KmsMasterKeyId'] == {'Fn::GetAtt': ['DataKey', 'Arn']}
    assert queue['MessageRetentionPeriod'] == 1209600
    # and SAM turned it into the destination CloudFormation deploys
    (config,) = _resources(translated, 'AWS::Lambda::EventInvokeConfig').values()
    assert config['Properties']['DestinationConfig']['OnFailure']['Destination'] == {
        'Fn::GetAtt': ['ImporterDeadLetterQueue', 'Arn']
    }


# --------------------------------------------------------------------------------------------------
# Least privilege
# --------------------------------------------------------------------------------------------------


def test_no_identity_policy_grants_a_wildcard_resource_or_full_access(translated: dict[str, Any]) -> None:
    # GIVEN every statement of every role, as CloudFormation receives them
    statements = list(_identity_statements(translated))
    managed = [
        arn
        for role in _resources(translated, 'AWS::IAM::Role').values()
        for arn in role['Properties'].get('ManagedPolicyArns', [])
    ]

    # WHEN we look for wildcards
    star = [(lid, st) for lid, st in statements if '*' in _as_list(st.get('Resource'))]
    star_actions = [
        (lid, st)
        for lid, st in statements
        if any(a == '*' or a.endswith(':*') for a in _as_list(st['Action']))
    ]

    # THEN only Step Functions' log delivery (which AWS allows on '*' only) uses Resource '*'
    assert statements
    assert star
    for logical_id, statement in star:
        assert logical_id in STAR_RESOURCE_ROLES
        assert set(_as_list(statement['Action'])) <= STAR_RESOURCE_ACTIONS
        # and answering a review is the review function's alone
        assert ('states:SendTaskSuccess' in _as_list(statement['Action'])) == (
            logical_id == 'ReviewFunctionRole'
        )
    assert not star_actions
    assert not [arn for arn in managed if 'FullAccess' in json.dumps(arn)]


@pytest.mark.parametrize(
    ('logical_id', 'expected'),
    [
        (
            'ImporterFunction',
            {
                'StepFunctionsExecutionPolicy',
                'DynamoDBCrudPolicy:ImportsTable',
                'DynamoDBCrudPolicy:IdempotencyTable',
                'DynamoDBReadPolicy:LayoutsTable',
                'SNSPublishMessagePolicy',
                'AWSSecretsManagerGetSecretValuePolicy',
            },
        ),
        ('PollerFunction', {'AWSSecretsManagerGetSecretValuePolicy'}),
        ('ReviewFunction', {'SNSPublishMessagePolicy'}),
        (
            'ExecutorFunction',
            {
                'AWSSecretsManagerGetSecretValuePolicy',
                'DynamoDBCrudPolicy:ImportsTable',
                'SNSPublishMessagePolicy',
            },
        ),
        (
            'FinalizerFunction',
            {
                'DynamoDBCrudPolicy:ImportsTable',
                'SNSPublishMessagePolicy',
                'AWSSecretsManagerGetSecretValuePolicy',
            },
        ),
    ],
)
def test_each_function_gets_only_the_policy_templates_it_needs(
    template: dict[str, Any], logical_id: str, expected: set[str]
) -> None:
    # GIVEN a function's policies
    policies = template['Resources'][logical_id]['Properties']['Policies']

    # WHEN we name its SAM policy templates (tables by the table they are scoped to)
    names = set()
    for policy in policies:
        if 'Statement' in policy:
            continue
        ((name, arguments),) = policy.items()
        table = arguments.get('TableName', {}).get('Ref') if name.startswith('DynamoDB') else None
        names.add(f'{name}:{table}' if table else name)

    # THEN it has exactly the templates its job needs, each scoped to one resource
    assert names == expected


def test_the_poller_can_read_the_secret_and_nothing_else(template: dict[str, Any]) -> None:
    # GIVEN the poller's inline statements
    policies = template['Resources']['PollerFunction']['Properties']['Policies']
    inline = [st for policy in policies if 'Statement' in policy for st in policy['Statement']]

    # WHEN we list their actions
    actions = {action for statement in inline for action in _as_list(statement['Action'])}

    # THEN it may only decrypt (the secret is encrypted with the stack key) and draw on the sites'
    # Wix call budgets (the sites table, nothing else)
    assert actions == {'kms:Decrypt', 'dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:PutItem'}
    budget = [st for st in inline if st.get('Sid') == 'UseTheSitesTable']
    assert [st['Resource'] for st in budget] == [{'Fn::GetAtt': ['SitesTable', 'Arn']}]


def test_the_drop_bucket_refuses_anything_but_tls(template: dict[str, Any]) -> None:
    # GIVEN the drop bucket's policy
    policy = template['Resources']['DropBucketPolicy']['Properties']
    statements = policy['PolicyDocument']['Statement']

    # WHEN we find its TLS statement
    (tls,) = [st for st in statements if 'Bool' in st.get('Condition', {})]

    # THEN every S3 action on the bucket and its objects is denied to everyone without TLS
    assert policy['Bucket'] == {'Ref': 'DropBucket'}
    assert tls['Effect'] == 'Deny'
    assert tls['Principal'] == '*'
    assert tls['Action'] == 's3:*'
    assert tls['Condition'] == {'Bool': {'aws:SecureTransport': 'false'}}
    assert tls['Resource'] == [{'Fn::GetAtt': ['DropBucket', 'Arn']}, {'Fn::Sub': '${DropBucket.Arn}/*'}]


@pytest.mark.parametrize('logical_id', ['DropBucket', 'AccessLogsBucket'])
def test_buckets_are_private_versioned_and_expire_old_data(template: dict[str, Any], logical_id: str) -> None:
    # GIVEN a bucket
    bucket = template['Resources'][logical_id]['Properties']

    # WHEN we read its access and lifecycle settings
    rules = bucket['LifecycleConfiguration']['Rules']

    # THEN no public access, no ACLs, versioning on, and old versions expire
    assert set(bucket['PublicAccessBlockConfiguration'].values()) == {True}
    assert bucket['OwnershipControls'] == {'Rules': [{'ObjectOwnership': 'BucketOwnerEnforced'}]}
    assert bucket['VersioningConfiguration'] == {'Status': 'Enabled'}
    assert any('NoncurrentVersionExpiration' in rule for rule in rules)


def test_processed_files_and_results_expire(template: dict[str, Any]) -> None:
    # GIVEN the drop bucket's lifecycle rules
    rules = template['Resources']['DropBucket']['Properties']['LifecycleConfiguration']['Rules']
    by_prefix = {json.dumps(rule.get('Prefix')): rule for rule in rules}

    # WHEN we look at the incoming and results folders
    incoming = by_prefix[json.dumps({'Ref': 'IncomingPrefix'})]
    results = by_prefix[json.dumps({'Ref': 'ResultsPrefix'})]

    # THEN both expire (customer data is not kept forever) and results move to a cheaper class first
    assert incoming['ExpirationInDays'] == {'Ref': 'IncomingRetentionDays'}
    assert results['ExpirationInDays'] == {'Ref': 'ResultsRetentionDays'}
    assert results['Transitions'] == [{'StorageClass': 'STANDARD_IA', 'TransitionInDays': 30}]
    # and the drop bucket's access is logged to the log bucket
    assert template['Resources']['DropBucket']['Properties']['LoggingConfiguration'][
        'DestinationBucketName'
    ] == {'Ref': 'AccessLogsBucket'}


# --------------------------------------------------------------------------------------------------
# Encryption, logs, monitoring
# --------------------------------------------------------------------------------------------------


def test_every_store_is_encrypted_with_the_rotated_stack_key(template: dict[str, Any]) -> None:
    # GIVEN the stack's resources
    resources = template['Resources']
    key_arn = {'Fn::GetAtt': ['DataKey', 'Arn']}

    # WHEN we read each store's encryption setting
    drop_sse = resources['DropBucket']['Properties']['BucketEncryption']['ServerSideEncryptionConfiguration'][
        0
    ]
    logs_sse = resources['AccessLogsBucket']['Properties']['BucketEncryption'][
        'ServerSideEncryptionConfiguration'
    ][0]

    # THEN the key rotates and every store uses it (the access-log bucket uses SSE-S3, the only
    # encryption S3 server access logging can deliver to)
    assert resources['DataKey']['Properties']['EnableKeyRotation'] is True
    assert drop_sse['ServerSideEncryptionByDefault'] == {'SSEAlgorithm': 'aws:kms', 'KMSMasterKeyID': key_arn}
    assert logs_sse['ServerSideEncryptionByDefault'] == {'SSEAlgorithm': 'AES256'}
    for table in _resources(template, 'AWS::DynamoDB::Table').values():
        assert table['Properties']['SSESpecification'] == {
            'SSEEnabled': True,
            'SSEType': 'KMS',
            'KMSMasterKeyId': key_arn,
        }
        assert table['Properties']['PointInTimeRecoverySpecification'] == {'PointInTimeRecoveryEnabled': True}
        assert table['Properties']['BillingMode'] == 'PAY_PER_REQUEST'
    assert resources['NotificationTopic']['Properties']['KmsMasterKeyId'] == key_arn
    assert resources['ImporterDeadLetterQueue']['Properties']['KmsMasterKeyId'] == key_arn
    assert resources['WixCredentialsSecret']['Properties']['KmsKeyId'] == key_arn
    assert template['Globals']['Function']['KmsKeyArn'] == key_arn
    for log_group in _resources(template, 'AWS::Logs::LogGroup').values():
        assert log_group['Properties']['KmsKeyId'] == key_arn


def test_the_tables_have_the_keys_the_code_uses(template: dict[str, Any]) -> None:
    # GIVEN the two tables
    imports = template['Resources']['ImportsTable']['Properties']
    idempotency = template['Resources']['IdempotencyTable']['Properties']

    # WHEN we read their keys
    # THEN records are keyed on `pk`, and Powertools idempotency on `id` with TTL `expiration`
    assert imports['KeySchema'] == [{'AttributeName': 'pk', 'KeyType': 'HASH'}]
    assert imports['AttributeDefinitions'] == [{'AttributeName': 'pk', 'AttributeType': 'S'}]
    assert idempotency['KeySchema'] == [{'AttributeName': 'id', 'KeyType': 'HASH'}]
    assert idempotency['TimeToLiveSpecification'] == {'AttributeName': 'expiration', 'Enabled': True}


def test_every_function_and_the_state_machine_log_to_a_group_with_retention(template: dict[str, Any]) -> None:
    # GIVEN the functions, the state machine and the log groups
    log_groups = _resources(template, 'AWS::Logs::LogGroup')
    targets = [
        template['Resources'][lid]['Properties']['LoggingConfig']['LogGroup']['Ref'] for lid in FUNCTIONS
    ]
    state_machine = template['Resources']['ImportStateMachine']['Properties']['Logging']

    # WHEN we follow each one to its log group
    (destination,) = state_machine['Destinations']
    targets.append(destination['CloudWatchLogsLogGroup']['LogGroupArn']['Fn::GetAtt'][0])

    # THEN each has its own group with a retention, and execution data stays out of the logs
    assert len(set(targets)) == len(FUNCTIONS) + 1
    for target in targets:
        assert log_groups[target]['Properties']['RetentionInDays'] == {'Ref': 'LogRetentionDays'}
    assert state_machine['IncludeExecutionData'] is False


def test_reserved_concurrency_is_set_and_small(template: dict[str, Any]) -> None:
    # GIVEN the functions' reserved concurrency
    reserved = {
        lid: template['Resources'][lid]['Properties']['ReservedConcurrentExecutions'] for lid in FUNCTIONS
    }

    # WHEN we add it up
    # THEN every function has a cap, and all callers of Wix together stay a small number (Wix ~200 req/min)
    assert all(value >= 1 for value in reserved.values())
    assert sum(reserved.values()) <= 11


def test_alarms_watch_failures_and_notify_the_topic(template: dict[str, Any]) -> None:
    # GIVEN the alarms
    alarms = _resources(template, 'AWS::CloudWatch::Alarm')
    env = template['Globals']['Function']['Environment']['Variables']

    # WHEN we list what they watch
    watched = {
        (alarm['Properties']['Namespace'], alarm['Properties']['MetricName']) for alarm in alarms.values()
    }

    # THEN importer errors, DLQ depth, failed/timed-out executions and FAILED imports alarm on the topic
    assert watched == {
        ('AWS/Lambda', 'Errors'),
        ('AWS/SQS', 'ApproximateNumberOfMessagesVisible'),
        ('AWS/States', 'ExecutionsFailed'),
        ('AWS/States', 'ExecutionsTimedOut'),
        (env['POWERTOOLS_METRICS_NAMESPACE'], Metric.IMPORTS_FAILED),
        (env['POWERTOOLS_METRICS_NAMESPACE'], Metric.BALANCE_MISMATCHES),
    }
    for alarm in alarms.values():
        assert alarm['Properties']['AlarmActions'] == [{'Ref': 'NotificationTopic'}]
    (failed,) = [a for a in alarms.values() if a['Properties']['MetricName'] == Metric.IMPORTS_FAILED]
    assert failed['Properties']['Dimensions'] == [
        {'Name': 'service', 'Value': env['POWERTOOLS_SERVICE_NAME']}
    ]


def test_the_dashboard_shows_the_metrics_the_code_emits(template: dict[str, Any]) -> None:
    # GIVEN the dashboard and the metric names the pipeline emits
    dashboard = _dashboard(template)
    shown = {
        (metric[0], metric[1])
        for widget in dashboard['widgets']
        for metric in widget['properties']['metrics']
        if isinstance(metric[0], str)  # not a per-site SEARCH expression
    }
    searched = [
        metric[0]['expression']
        for widget in dashboard['widgets']
        for metric in widget['properties']['metrics']
        if isinstance(metric[0], dict)
    ]

    # WHEN we compare them
    # THEN outcomes, rows, durations and every function's errors and duration are on it
    for name in (
        Metric.IMPORTS_IMPORTED,
        Metric.IMPORTS_FAILED,
        Metric.IMPORTS_REJECTED,
        Metric.IMPORTS_TIMED_OUT,
        Metric.ROWS_IMPORTED,
        Metric.ROWS_FAILED,
        Metric.END_TO_END_DURATION,
    ):
        assert ('LoyaltyImport', name) in shown
    assert {('AWS/Lambda', 'Errors'), ('AWS/Lambda', 'Duration')} <= shown
    # AND the import counts per site, by the dimension the code adds (SITE_DIMENSION)
    for name in (Metric.IMPORTS_STARTED, Metric.IMPORTS_IMPORTED, Metric.IMPORTS_FAILED):
        assert any(f'{{LoyaltyImport,service,{SITE_DIMENSION}}}' in e and name in e for e in searched), name
    body = _sub_text(template['Resources']['Dashboard']['Properties']['DashboardBody'])
    for logical_id in FUNCTIONS:
        assert body.count(f'${{{logical_id}}}') >= 2  # errors and duration


def test_outputs_name_everything_a_user_or_a_test_needs(template: dict[str, Any]) -> None:
    # GIVEN the stack outputs
    outputs = template['Outputs']

    # WHEN we list them
    # THEN the bucket, prefix, tables, topic, state machine, secret, DLQ and dashboard are there
    assert {
        'DropBucketName',
        'IncomingPrefix',
        'ResultsPrefix',
        'ImportsTableName',
        'IdempotencyTableName',
        'NotificationTopicArn',
        'ImportStateMachineArn',
        'WixCredentialsSecretArn',
        'ImporterDeadLetterQueueUrl',
        'DashboardName',
    } <= set(outputs)


def test_every_checkov_skip_carries_its_reason(template: dict[str, Any]) -> None:
    # GIVEN every checkov skip written in the template
    skips = [
        (lid, skip)
        for lid, res in template['Resources'].items()
        for skip in res.get('Metadata', {}).get('checkov', {}).get('skip', [])
    ]

    # WHEN we read them
    # THEN each names a check and says why, in a sentence
    assert skips
    for _, skip in skips:
        assert re.fullmatch(r'CKV2?_AWS_\d+', skip['id'])
        assert len(skip['comment']) > 40


def test_timeouts_leave_room_for_the_waits_inside_them(template: dict[str, Any]) -> None:
    # GIVEN the functions' timeouts and the importer's own wait for PARSED
    globals_timeout = template['Globals']['Function']['Timeout']
    importer_timeout = template['Resources']['ImporterFunction']['Properties']['Timeout']
    parse_wait = template['Parameters']['ParseWaitSeconds']

    # WHEN we compare them
    # THEN the longest allowed parse wait still leaves the importer a minute to execute and record,
    # and every function outlives the Wix client's retry budget (60 s per call)
    assert importer_timeout >= int(parse_wait['MaxValue']) + 60
    assert int(parse_wait['Default']) < int(parse_wait['MaxValue'])
    assert globals_timeout > 60
