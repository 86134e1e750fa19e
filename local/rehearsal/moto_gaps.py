"""What moto 5.2's CloudFormation leaves out of our stack, filled in from the template itself.

Measured against the translated template.yaml; each line: what moto 5.2.5 does -> what fills it.

- AWS::SecretsManager::Secret: skipped, so `Ref` resolves to nothing -> `SecretModel` creates it.
- AWS::S3::BucketPolicy: skipped; and moto evaluates bucket policies without request context ->
  `BucketPolicyModel` puts the statements without a Condition (and reports the others).
- AWS::Lambda::EventInvokeConfig: skipped -> `EventInvokeConfigModel` puts it (read back by
  lambda_runtime for async retries and the on-failure destination).
- AWS::CloudWatch::Alarm: skipped -> `AlarmModel` puts it.
- AWS::Lambda::Url: skipped -> `FunctionUrlModel` serves it on 127.0.0.1 (`function_urls`).
- AWS::StepFunctions::StateMachine: created in the backend executions never reach, without its
  type, logging and tracing -> `copy_state_machines_to_executing_backend`.
- StateMachine `DefinitionS3Location` and `DefinitionSubstitutions`: ignored ->
  `inline_state_machine_definitions` (CloudFormation's substitution semantics).
- Bucket `NotificationConfiguration` (the SAM S3 event), `VersioningConfiguration`,
  `PublicAccessBlockConfiguration`: ignored -> `apply_bucket_properties`.
- Function `Layers`, `LoggingConfig`: dropped -> read from the template (harness, lambda_runtime);
  `Architectures`, `TracingConfig` dropped too (nothing to run differently in process).
- S3 event records lack `versionId`, `sequencer`, `userIdentity`, `requestParameters`,
  `responseElements`, `ownerIdentity` -> `complete_s3_event_records`.
- S3 -> Lambda is synchronous with errors dropped -> lambda_runtime delivers it asynchronously,
  with Lambda's retries and on-failure destination.
- Lambda code runs only in Docker -> lambda_runtime runs the real handlers in process.
- Parameter constraints (AllowedPattern, MinValue...) are not checked: the rehearsal can point
  `WixBaseUrl` at http://127.0.0.1.
- Wait and Retry intervals take real seconds -> `scale_step_functions_clock` (tests only).

- IAM: moto checks no call unless its authorization is on -> `iam.Enforcement` turns it on, each
  function and state machine calling as its own role; moto checks identity policies (not their
  Conditions) and S3 bucket policies only (docs/emulator.md#iam-in-the-rehearsal).

Not emulated at all, so not tested by the rehearsal: KMS encryption of the stores (keys exist,
data is not encrypted with them, so no kms: permission is ever checked), Lambda's concurrency
limits and mid-run timeouts (see lambda_runtime), X-Ray, CloudWatch metrics (Lambda's and the EMF
lines Powertools prints), so alarms never change state.

Every other type moto does not know is listed by `unsupported_types` and reported, not faked.
The models below register with moto's CloudFormation the way moto's own models do (subclasses
of `CloudFormationModel`), so creation order and `Ref`/`Fn::GetAtt` resolution stay moto's.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
from moto.cloudformation import parsing as cfn_parsing
from moto.core.common_models import CloudFormationModel

if TYPE_CHECKING:
    from rehearsal.template import PackagedTemplate


# Bucket policy statements left out, by bucket (see BucketPolicyModel), for the rehearsal's report.
UNENFORCED_STATEMENTS: dict[str, int] = {}


def notes() -> list[str]:
    """What the models below could not reproduce faithfully, one line each."""
    if not UNENFORCED_STATEMENTS:
        return []
    count, buckets = sum(UNENFORCED_STATEMENTS.values()), len(UNENFORCED_STATEMENTS)
    note = f'not enforced: {count} bucket policy statements with a Condition, on {buckets} bucket(s)'
    return [f'{note} (moto cannot evaluate request conditions)']


def _client(service: str, region: str) -> Any:
    # Called from inside moto's CloudFormation: the same in-process mock answers these calls.
    return boto3.client(service, region_name=region)  # type: ignore[call-overload]


class SecretModel(CloudFormationModel):
    """AWS::SecretsManager::Secret: `Ref` is the secret's ARN, as in CloudFormation."""

    def __init__(self, arn: str, region: str) -> None:
        self.arn = arn
        self.region = region

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_name_type() -> str:
        return 'Name'

    @staticmethod
    def cloudformation_type() -> str:
        return 'AWS::SecretsManager::Secret'

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == 'Id'

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.arn

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> SecretModel:
        props = cloudformation_json.get('Properties', {})
        client = _client('secretsmanager', region_name)
        secret_string = props.get('SecretString')
        generate = props.get('GenerateSecretString')
        if secret_string is None and generate is not None:
            secret_string = _generated_secret(client, generate)
        request: dict[str, Any] = {'Name': resource_name, 'SecretString': secret_string or ''}
        if props.get('Description'):
            request['Description'] = props['Description']
        created = client.create_secret(**request)
        return cls(created['ARN'], region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: SecretModel, *args: Any, **kwargs: Any
    ) -> SecretModel:
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        _client('secretsmanager', region_name).delete_secret(
            SecretId=resource_name, ForceDeleteWithoutRecovery=True
        )


def _generated_secret(client: Any, generate: dict[str, Any]) -> str:
    options = {
        key: generate[key]
        for key in ('PasswordLength', 'ExcludeCharacters', 'ExcludePunctuation', 'ExcludeUppercase')
        if key in generate
    }
    password: str = client.get_random_password(**options)['RandomPassword']
    template, key = generate.get('SecretStringTemplate'), generate.get('GenerateStringKey')
    if template and key:
        document = json.loads(template)
        document[key] = password
        return json.dumps(document)
    return password


class _SideEffect:
    """A resource moto does not model that the rehearsal applies through the service API.

    A mixin: moto finds models with `CloudFormationModel.__subclasses__()`, which lists direct
    subclasses only, so each concrete model below derives from CloudFormationModel itself.
    """

    type_name = ''

    def __init__(self, physical_id: str) -> None:
        self.physical_id = physical_id

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @staticmethod
    def cloudformation_name_type() -> str:
        return ''

    @classmethod
    def cloudformation_type(cls) -> str:
        return cls.type_name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def apply(cls, props: dict[str, Any], resource_name: str, region: str) -> str:
        raise NotImplementedError

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> _SideEffect:
        return cls(cls.apply(cloudformation_json.get('Properties', {}), resource_name, region_name))

    @classmethod
    def update_from_cloudformation_json(
        cls, original_resource: _SideEffect, *args: Any, **kwargs: Any
    ) -> _SideEffect:
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(cls, *args: Any, **kwargs: Any) -> None:
        return None


class BucketPolicyModel(_SideEffect, CloudFormationModel):
    type_name = 'AWS::S3::BucketPolicy'

    @classmethod
    def apply(cls, props: dict[str, Any], resource_name: str, region: str) -> str:
        # moto evaluates a bucket policy without the request's context, so a condition such as
        # `aws:SecureTransport: false` (the TLS-only rule) matches every request and its Deny
        # refuses all of them. Statements with a condition are left out and reported.
        bucket = str(props['Bucket'])
        document = dict(props['PolicyDocument'])
        statements = document.get('Statement', [])
        statements = statements if isinstance(statements, list) else [statements]
        kept = [statement for statement in statements if 'Condition' not in statement]
        if len(kept) < len(statements):
            UNENFORCED_STATEMENTS[bucket] = len(statements) - len(kept)
        if kept:
            document['Statement'] = kept
            _client('s3', region).put_bucket_policy(Bucket=bucket, Policy=json.dumps(document))
        return bucket


class EventInvokeConfigModel(_SideEffect, CloudFormationModel):
    """Read back by lambda_runtime: retries and the on-failure destination of async invocations."""

    type_name = 'AWS::Lambda::EventInvokeConfig'

    @classmethod
    def apply(cls, props: dict[str, Any], resource_name: str, region: str) -> str:
        request: dict[str, Any] = {'FunctionName': str(props['FunctionName'])}
        for key in ('MaximumRetryAttempts', 'MaximumEventAgeInSeconds'):
            if key in props:
                request[key] = int(props[key])
        if 'DestinationConfig' in props:
            request['DestinationConfig'] = props['DestinationConfig']
        _client('lambda', region).put_function_event_invoke_config(**request)
        return f'{request["FunctionName"]}:$LATEST'


class AlarmModel(_SideEffect, CloudFormationModel):
    type_name = 'AWS::CloudWatch::Alarm'
    _NUMBERS = ('EvaluationPeriods', 'Period', 'DatapointsToAlarm')

    @classmethod
    def apply(cls, props: dict[str, Any], resource_name: str, region: str) -> str:
        request = {key: value for key, value in props.items() if key != 'AlarmName'}
        request['AlarmName'] = str(props.get('AlarmName') or resource_name)
        for key in cls._NUMBERS:
            if key in request:
                request[key] = int(request[key])
        if 'Threshold' in request:
            request['Threshold'] = float(request['Threshold'])
        for query in request.get('Metrics', []):
            stat = query.get('MetricStat')
            if stat and 'Period' in stat:
                stat['Period'] = int(stat['Period'])
        _client('cloudwatch', region).put_metric_alarm(**request)
        return str(request['AlarmName'])


class FunctionUrlModel(_SideEffect, CloudFormationModel):
    """AWS::Lambda::Url: a server on 127.0.0.1 that invokes the function (`function_urls`); its
    physical id, and `Fn::GetAtt <Url>.FunctionUrl`, is the server's URL."""

    type_name = 'AWS::Lambda::Url'

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == 'FunctionUrl'

    def get_cfn_attribute(self, attribute_name: str) -> str:
        return self.physical_id

    @classmethod
    def apply(cls, props: dict[str, Any], resource_name: str, region: str) -> str:
        from rehearsal.function_urls import RUNNING, FunctionUrlServer  # noqa: PLC0415

        server = FunctionUrlServer(str(props['TargetFunctionArn']), region)
        server.start()
        RUNNING.append(server)
        return server.url


GAP_MODELS: tuple[type[CloudFormationModel], ...] = (
    SecretModel,
    BucketPolicyModel,
    EventInvokeConfigModel,
    AlarmModel,
    FunctionUrlModel,
)
Undo = Callable[[], None]


def _clear_model_caches() -> None:
    for cache in (cfn_parsing.get_model_list, cfn_parsing.get_model_map, cfn_parsing.get_name_type_map):
        cache.cache_clear()


def register_cloudformation_models() -> Undo:
    """Make moto's CloudFormation create the types above (its model map is cached: clear it).

    Returns what takes them out again, so moto is left as found for whatever runs next.
    """
    _clear_model_caches()
    missing = [m.cloudformation_type() for m in GAP_MODELS if m not in cfn_parsing.get_model_list()]
    if missing:  # pragma: no cover - a moto upgrade changed how models are found
        raise RuntimeError(f'moto did not pick up the rehearsal models for {missing}')

    def unregister() -> None:
        _clear_model_caches()
        # The caches are built once: strip the rehearsal's models from the fresh ones.
        models = cfn_parsing.get_model_list()
        for model in GAP_MODELS:
            if model in models:
                models.remove(model)
            cfn_parsing.get_model_map().pop(model.cloudformation_type(), None)
            cfn_parsing.get_name_type_map().pop(model.cloudformation_type(), None)

    return unregister


def unsupported_types(cfn: dict[str, Any]) -> list[str]:
    """Resource types of the translated template that moto's CloudFormation will skip."""
    model_map = cfn_parsing.get_model_map()
    return sorted(
        {
            resource['Type']
            for resource in cfn['Resources'].values()
            if resource['Type'] not in model_map and resource['Type'] not in cfn_parsing.NULL_MODELS
        }
    )


_PLACEHOLDER = re.compile(r'\$\{([^}!]+)\}')


def inline_state_machine_definitions(cfn: dict[str, Any], packaged: PackagedTemplate) -> list[str]:
    """DefinitionS3Location + DefinitionSubstitutions -> a DefinitionString moto will resolve.

    CloudFormation replaces each `${Name}` of the definition that is a key of
    DefinitionSubstitutions by the key's (resolved) value, and leaves anything else alone. The
    definition is cut at those placeholders and rebuilt with `Fn::Join`, so moto resolves the
    values (`Fn::GetAtt`, `Ref`) exactly like any other property; `Fn::Sub` would also rewrite
    `$$.Execution...` and other `${...}` of the ASL. Returns the logical ids it rewrote.
    """
    rewritten = []
    for logical_id, resource in cfn['Resources'].items():
        if resource['Type'] != 'AWS::StepFunctions::StateMachine':
            continue
        props = resource['Properties']
        location = props.pop('DefinitionS3Location', None)
        substitutions: dict[str, Any] = props.pop('DefinitionSubstitutions', None) or {}
        if location is not None:
            artifact = packaged.artifacts.get(str(location.get('Key')))
            if artifact is None:
                raise ValueError(f'{logical_id}: DefinitionS3Location is not one of the template files')
            definition: Any = artifact.local_path.read_text(encoding='utf-8')
        else:
            definition = props.pop('DefinitionString', None)
            if definition is None and 'Definition' in props:
                definition = json.dumps(props.pop('Definition'))
        if not isinstance(definition, str):
            continue
        props['DefinitionString'] = {
            'Fn::Join': ['', list(_split_on_placeholders(definition, substitutions))]
        }
        rewritten.append(logical_id)
    return rewritten


def _split_on_placeholders(definition: str, substitutions: dict[str, Any]) -> Iterator[Any]:
    position = 0
    for match in _PLACEHOLDER.finditer(definition):
        if match.group(1) not in substitutions:
            continue
        yield definition[position : match.start()]
        yield substitutions[match.group(1)]
        position = match.end()
    yield definition[position:]


def resolve(value: Any, stack_name: str, *, account_id: str, region: str) -> Any:
    """Resolve intrinsics (`Ref`, `Fn::GetAtt`, `Fn::Sub`...) against the created stack (moto's resolver)."""
    from moto.cloudformation.models import cloudformation_backends  # noqa: PLC0415

    stack = cloudformation_backends[account_id][region].describe_stacks(stack_name)[0]
    return cfn_parsing.clean_json(value, stack.resource_map)


def apply_bucket_properties(cfn: dict[str, Any], stack_name: str, *, account_id: str, region: str) -> int:
    """Put the bucket properties moto's CloudFormation ignores through the S3 API.

    moto creates a bucket with its name, encryption and tags only. Applied here, resolved against
    the stack and converted from CloudFormation's shape to the API's:
    - `VersioningConfiguration`: versioned buckets put `versionId` into S3 events, which the
      importer's idempotency and record keys use;
    - `PublicAccessBlockConfiguration`;
    - `NotificationConfiguration` (what the SAM `S3` event becomes): the importer's trigger.
    Lifecycle rules, ownership controls and access logging change nothing a rehearsal can observe
    in a minute and are not applied. Returns how many buckets were configured.
    """
    s3 = _client('s3', region)
    configured = 0
    for logical_id, resource in cfn['Resources'].items():
        if resource['Type'] != 'AWS::S3::Bucket':
            continue
        props = resolve(resource.get('Properties', {}), stack_name, account_id=account_id, region=region)
        bucket_name = resolve({'Ref': logical_id}, stack_name, account_id=account_id, region=region)
        versioning = props.get('VersioningConfiguration')
        if versioning:
            s3.put_bucket_versioning(
                Bucket=bucket_name, VersioningConfiguration={'Status': versioning['Status']}
            )
        public_access = props.get('PublicAccessBlockConfiguration')
        if public_access:
            s3.put_public_access_block(Bucket=bucket_name, PublicAccessBlockConfiguration=public_access)
        notification = props.get('NotificationConfiguration')
        if notification:
            s3.put_bucket_notification_configuration(
                Bucket=bucket_name, NotificationConfiguration=_api_notification(notification)
            )
        configured += 1
    return configured


def _api_notification(cfn_shape: dict[str, Any]) -> dict[str, Any]:
    def filter_rules(entry: dict[str, Any]) -> dict[str, Any]:
        rules = entry.get('Filter', {}).get('S3Key', {}).get('Rules', [])
        if not rules:
            return {}
        return {'Filter': {'Key': {'FilterRules': [{'Name': r['Name'], 'Value': r['Value']} for r in rules]}}}

    api: dict[str, Any] = {}
    kinds = (
        ('LambdaConfigurations', 'LambdaFunctionConfigurations', 'Function', 'LambdaFunctionArn'),
        ('QueueConfigurations', 'QueueConfigurations', 'Queue', 'QueueArn'),
        ('TopicConfigurations', 'TopicConfigurations', 'Topic', 'TopicArn'),
    )
    for cfn_key, api_key, target_key, api_target in kinds:
        entries = cfn_shape.get(cfn_key) or []
        if entries:
            api[api_key] = [
                {api_target: entry[target_key], 'Events': [entry['Event']], **filter_rules(entry)}
                for entry in entries
            ]
    if cfn_shape.get('EventBridgeConfiguration', {}).get('EventBridgeEnabled'):
        api['EventBridgeConfiguration'] = {}
    return api


def scale_step_functions_clock(scale: float) -> Undo:
    """Run the state machine's Wait and Retry intervals `scale` times as long (tests: e.g. 0.01).

    moto waits real seconds; an end-to-end test of a poller with 5 s waits would spend its time
    asleep. Only the durations change: the ASL, its order of states and its counts are untouched.
    """
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl  # noqa: PLC0415
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (  # noqa: PLC0415
        wait_function,
    )

    original_wait = wait_function.WaitFunction._wait_interval
    original_time = retrier_decl.time  # type: ignore[attr-defined]

    def scaled_wait(self: Any, env: Any, wait_seconds: int) -> None:
        if wait_seconds > 0:
            env.program_state_event.wait(wait_seconds * scale)

    class ScaledTime:  # the retrier module only uses time.sleep
        @staticmethod
        def sleep(seconds: float) -> None:
            threading.Event().wait(seconds * scale)

    wait_function.WaitFunction._wait_interval = scaled_wait  # type: ignore[method-assign]
    setattr(retrier_decl, 'time', ScaledTime())  # noqa: B010 - a module attribute, replaced on purpose

    def restore() -> None:
        wait_function.WaitFunction._wait_interval = original_wait  # type: ignore[method-assign]
        setattr(retrier_decl, 'time', original_time)  # noqa: B010

    return restore


def complete_s3_event_records() -> Undo:
    """Add what moto's S3 notification records leave out and real ones carry.

    `s3.object.versionId` and `sequencer`, `s3.bucket.ownerIdentity`, `userIdentity`,
    `requestParameters`, `responseElements` (Powertools' S3 event model requires the last four).

    S3 sends `versionId` for objects of a versioned bucket; the importer keys its idempotency
    and its record on it (one import per object version), so without it a new version of a file
    would look like a redelivery of the old one whenever the content, hence the ETag, is the same.
    """
    from moto.s3 import notifications  # noqa: PLC0415

    original = notifications._get_s3_event

    def get_s3_event(event_name: str, bucket: Any, key: Any, notification_id: str) -> dict[str, Any]:
        event: dict[str, Any] = original(event_name, bucket, key, notification_id)
        principal = f'AWS:{bucket.account_id}'
        for record in event['Records']:
            s3_object = record['s3']['object']
            if bucket.is_versioned and key.version_id:
                s3_object['versionId'] = key.version_id
            s3_object['sequencer'] = f'{time.time_ns():016X}'
            record['s3']['bucket']['ownerIdentity'] = {'principalId': principal}
            record.setdefault('userIdentity', {'principalId': principal})
            record.setdefault('requestParameters', {'sourceIPAddress': '127.0.0.1'})
            record.setdefault(
                'responseElements',
                {'x-amz-request-id': uuid.uuid4().hex[:16].upper(), 'x-amz-id-2': uuid.uuid4().hex},
            )
        return event

    notifications._get_s3_event = get_s3_event

    def restore() -> None:
        notifications._get_s3_event = original

    return restore


def copy_state_machines_to_executing_backend(
    cfn: dict[str, Any], stack_name: str, *, account_id: str, region: str
) -> list[str]:
    """Make the stack's state machines the ones Step Functions API calls (and executions) reach.

    With `execute_state_machine` on, moto answers the Step Functions API from its ASL-executing
    backend, but its CloudFormation creates state machines in the plain one (and drops their type,
    logging and tracing). Each is created again through the API, under the same name, hence the same
    ARN that `Ref` gave the functions' environment. Returns the ARNs.
    """
    from moto.stepfunctions.models import stepfunctions_backends  # noqa: PLC0415

    sfn = _client('stepfunctions', region)
    plain = stepfunctions_backends[account_id][region]
    arns = []
    for logical_id, resource in cfn['Resources'].items():
        if resource['Type'] != 'AWS::StepFunctions::StateMachine':
            continue
        arn = resolve({'Ref': logical_id}, stack_name, account_id=account_id, region=region)
        created = plain.describe_state_machine(arn)
        props = resolve(resource['Properties'], stack_name, account_id=account_id, region=region)
        request: dict[str, Any] = {
            'name': created.name,
            'definition': created.definition,
            'roleArn': created.roleArn,
            'type': props.get('StateMachineType', 'STANDARD'),
        }
        logging_config = props.get('LoggingConfiguration')
        if logging_config:
            request['loggingConfiguration'] = _camel_keys(logging_config)
        if props.get('TracingConfiguration'):
            request['tracingConfiguration'] = _camel_keys(props['TracingConfiguration'])
        arns.append(sfn.create_state_machine(**request)['stateMachineArn'])
    return arns


def _camel_keys(value: Any) -> Any:
    # CloudFormation spells the API's `level` as `Level`, and so on down the structure.
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _camel_keys(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_camel_keys(item) for item in value]
    return value
