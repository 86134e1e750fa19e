"""IAM enforced in the rehearsal: each function calls AWS as its own role, and moto checks the call.

moto accepts every call unless its IAM authorization is on (`INITIAL_NO_AUTH_ACTION_COUNT`). With
`Enforcement.start()` it is on for the rehearsal's whole life, and:

- the rehearsal itself (creating the stack, dropping files as a person would, reading records for
  the tests) calls as an administrator: moto's default credentials (FOOBARKEY, which `mock_aws`
  puts in the environment) are made the access key of an IAM user allowed everything;
- each Lambda invocation gets the temporary credentials of its function's role (the role
  CloudFormation created from the translated template, assumed through moto's STS), in the
  variables the Lambda runtime sets (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN);
- the state machines' Task states (a Lambda invoke, an SNS publish) call with their execution
  role's credentials: moto's Step Functions signs them with a fixed fake key otherwise.

What moto checks, measured with moto 5.2.5 (docs/emulator.md#iam-in-the-rehearsal): the identity
policies of the caller (inline and attached; the SAM policy templates expand into inline
statements), Action and Resource with wildcards, an explicit Deny. It knows the resource of an S3
and an SQS request only and checks any other against "*"; `_response_classes` below gives it the
resource of the other requests our stack makes (DynamoDB, SNS, Secrets Manager, Step Functions,
Lambda), so a statement scoped to another table or topic does not allow the call. It does not
evaluate Conditions of identity policies (a statement with a Condition allows as if the condition
held), resource policies other than an S3 bucket's, KMS (no data is encrypted, so kms:Decrypt and
kms:GenerateDataKey are never asked for), trust policies, and actions one call implies on another
service.

A denied call fails as in AWS (AccessDenied, naming the caller, the action and the resource), and
is kept in `Enforcement.denials` so the demo and the tests can name it.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from moto import settings
from moto.core.authorization import ActionAuthenticatorMixin
from moto.core.exceptions import AccessDeniedError, JsonRESTError, _RESTError
from moto.s3.exceptions import S3ClientError

Undo = Callable[[], None]

ADMIN_USER = 'rehearsal-admin'
# What `mock_aws` puts in the environment: the rehearsal's own calls use them.
ADMIN_KEY, ADMIN_SECRET = 'FOOBARKEY', 'FOOBARSECRET'
ADMIN_POLICY = {'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': '*', 'Resource': '*'}]}
SESSION_SECONDS = 43200
# API operation names moto checks whose IAM action has another name.
IAM_ACTION_NAMES = {'lambda:Invoke': 'lambda:InvokeFunction'}
# Services of our stack whose errors are REST-JSON (the others: JSON with X-Amz-Target, or XML).
REST_JSON_SERVICES = frozenset({'lambda'})


@dataclass(frozen=True)
class Denial:
    """One call moto's IAM refused."""

    principal: str  # the caller: arn:aws:sts::<account>:assumed-role/<role>/<session>
    action: str  # e.g. dynamodb:PutItem
    resource: str  # e.g. arn:aws:dynamodb:us-east-1:123456789012:table/loyalty-import-ImportsTable-...

    @property
    def role(self) -> str:
        """The role's name for an assumed role, else the principal's ARN."""
        if ':assumed-role/' in self.principal:
            return self.principal.split(':assumed-role/', 1)[1].split('/', 1)[0]
        return self.principal

    def __str__(self) -> str:
        return f'{self.action} on {self.resource} denied to {self.role}'


def denied_message(principal: str, action: str, resource: str) -> str:
    """AWS's wording of an implicit deny."""
    return (
        f'User: {principal} is not authorized to perform: {action} on resource: {resource} '
        f'because no identity-based policy allows the {action} action'
    )


class _AccessDeniedError(AccessDeniedError):
    """moto's AccessDenied (HTTP 403, XML: the query protocol's SNS, STS), with AWS's message."""

    def __init__(self, message: str) -> None:
        _RESTError.__init__(self, 'AccessDenied', message)


class _JsonAccessDeniedError(JsonRESTError):
    """AccessDeniedException as the JSON protocols answer it (DynamoDB, Secrets Manager, Step
    Functions: HTTP 400; Lambda's REST-JSON: 403); moto would answer XML, which botocore reads as
    an error without a code."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__('AccessDeniedException', message)
        self.code = status


def _access_denied(request: Any, message: str) -> Exception:
    if request._headers.get('X-Amz-Target') or request._headers.get('x-amz-target'):
        return _JsonAccessDeniedError(message, 400)
    if request._service in REST_JSON_SERVICES:
        return _JsonAccessDeniedError(message, 403)
    return _AccessDeniedError(message)


# -- the resource of a request, per service (moto checks "*" for any service but S3 and SQS) --------


def _arn(handler: Any, service: str, suffix: str) -> str:
    return f'arn:aws:{service}:{handler.region}:{handler.current_account}:{suffix}'


def _body(handler: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(handler.body or '{}') if isinstance(handler.body, str | bytes) else handler.body
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _dynamodb_resource(handler: Any) -> str:
    body = _body(handler)
    table = body.get('TableName')
    if table is None:  # BatchGetItem, BatchWriteItem: the first table (moto checks one resource)
        table = next(iter(body.get('RequestItems') or {}), None)
    if table is None:
        return '*'
    resource = _arn(handler, 'dynamodb', f'table/{table}')
    return f'{resource}/index/{body["IndexName"]}' if body.get('IndexName') else resource


def _sns_resource(handler: Any) -> str:
    topic = handler._get_param('TopicArn') or handler._get_param('TargetArn')
    return str(topic) if topic else '*'


def _secretsmanager_resource(handler: Any) -> str:
    secret_id = _body(handler).get('SecretId')
    if not secret_id:
        return '*'
    from moto.secretsmanager.models import secretsmanager_backends  # noqa: PLC0415

    try:
        backend = secretsmanager_backends[handler.current_account][handler.region]
        return str(backend.describe_secret(secret_id).arn)
    except Exception:  # noqa: BLE001 - an unknown secret: the call itself will say so
        return str(secret_id)


def _stepfunctions_resource(handler: Any) -> str:
    body = _body(handler)
    return str(body.get('stateMachineArn') or body.get('executionArn') or '*')


def _lambda_resource(handler: Any) -> str:
    path = unquote(handler.path.split('?', 1)[0])
    parts = path.split('/')
    if len(parts) > 3 and parts[2] == 'functions':  # /2015-03-31/functions/<name or ARN>/...
        name = parts[3]
        return name if name.startswith('arn:') else _arn(handler, 'lambda', f'function:{name}')
    return '*'


def _response_classes() -> dict[Any, Callable[[Any], str]]:
    from moto.awslambda.responses import LambdaResponse  # noqa: PLC0415
    from moto.dynamodb.responses import DynamoHandler  # noqa: PLC0415
    from moto.secretsmanager.responses import SecretsManagerResponse  # noqa: PLC0415
    from moto.sns.responses import SNSResponse  # noqa: PLC0415
    from moto.stepfunctions.responses import StepFunctionResponse  # noqa: PLC0415

    return {
        DynamoHandler: _dynamodb_resource,
        SNSResponse: _sns_resource,
        SecretsManagerResponse: _secretsmanager_resource,
        StepFunctionResponse: _stepfunctions_resource,
        LambdaResponse: _lambda_resource,
    }


class Enforcement:
    """moto's IAM authorization on, for one rehearsal (`start`, then `stop` restores moto)."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self.denials: list[Denial] = []
        self._credentials: dict[str, dict[str, str]] = {}
        self._lock = threading.Lock()
        self._undo: list[Undo] = []

    def start(self) -> None:
        self._create_admin()
        self._undo.append(self._give_resources())
        self._undo.append(self._report_denials())
        self._undo.append(self._sign_tasks_with_their_role())
        previous = settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count
        settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
        ActionAuthenticatorMixin.request_count = 0

        def restore() -> None:
            settings.INITIAL_NO_AUTH_ACTION_COUNT, ActionAuthenticatorMixin.request_count = previous

        self._undo.append(restore)

    def stop(self) -> None:
        while self._undo:
            self._undo.pop()()

    def role_environment(self, role_arn: str) -> dict[str, str]:
        """The variables Lambda gives a function of this role: its temporary credentials."""
        with self._lock:
            cached = self._credentials.get(role_arn)
            if cached is None:
                from moto.sts.models import sts_backends  # noqa: PLC0415

                assumed = sts_backends[self.account_id]['aws'].assume_role(
                    region_name=self.region,
                    role_session_name=role_arn.rsplit('/', 1)[-1][:64],
                    role_arn=role_arn,
                    policy='',
                    duration=SESSION_SECONDS,
                    external_id='',
                )
                cached = self._credentials[role_arn] = {
                    'AWS_ACCESS_KEY_ID': assumed.access_key_id,
                    'AWS_SECRET_ACCESS_KEY': assumed.secret_access_key,
                    'AWS_SESSION_TOKEN': assumed.session_token,
                }
            return dict(cached)

    # -- pieces ---------------------------------------------------------------------------------

    def _create_admin(self) -> None:
        from moto.iam.models import iam_backends  # noqa: PLC0415

        iam = iam_backends[self.account_id]['aws']
        iam.create_user(region_name=self.region, user_name=ADMIN_USER)
        iam.put_user_policy(ADMIN_USER, 'everything', json.dumps(ADMIN_POLICY))
        key = iam.create_access_key(ADMIN_USER)
        key.access_key_id, key.secret_access_key = ADMIN_KEY, ADMIN_SECRET

    @staticmethod
    def _give_resources() -> Undo:
        classes = _response_classes()
        saved = {cls: vars(cls).get('_determine_resource') for cls in classes}
        for cls, resource in classes.items():
            cls._determine_resource = resource

        def restore() -> None:
            for cls, original in saved.items():
                if original is None:
                    del cls._determine_resource
                else:
                    cls._determine_resource = original

        return restore

    def _report_denials(self) -> Undo:
        from moto.iam.access_control import IAMPolicy, IAMRequest, IAMRequestBase, S3IAMRequest  # noqa: PLC0415

        original_policy_init = IAMPolicy.__init__
        original_init = IAMRequestBase.__init__
        original_check = IAMRequestBase.check_action_permitted
        original_request = IAMRequestBase._create_aws_request
        original_denied = IAMRequest._raise_access_denied, S3IAMRequest._raise_access_denied
        enforcement = self

        def policy_init(policy: Any, document: Any) -> None:
            # moto's CloudFormation keeps a role's inline policy as the template's dict, and its
            # IAMPolicy reads only JSON text (or a managed policy): a dict is denied with a KeyError.
            if isinstance(document, dict) and 'Statement' in document:
                document = json.dumps(document)
            original_policy_init(policy, document)

        def init(request: Any, *args: Any, **kwargs: Any) -> None:
            original_init(request, *args, **kwargs)
            request._action = IAM_ACTION_NAMES.get(request._action, request._action)

        def aws_request(request: Any) -> Any:
            # moto signs a request without a body over its parsed parameters: every GET to a
            # REST service (lambda:GetFunction) would fail SignatureDoesNotMatch.
            if request._body or request._method not in ('GET', 'HEAD', 'DELETE'):
                return original_request(request)
            data, request._data = request._data, b''
            try:
                return original_request(request)
            finally:
                request._data = data

        def check(request: Any, resource: str) -> None:
            request._rehearsal_resource = resource
            original_check(request, resource)

        def denial(request: Any) -> str:
            resource = getattr(request, '_rehearsal_resource', '*')
            denied = Denial(request._access_key.arn, request._action, resource)
            enforcement.denials.append(denied)
            return denied_message(denied.principal, denied.action, denied.resource)

        def raise_denied(request: Any) -> None:
            raise _access_denied(request, denial(request))

        def raise_s3_denied(request: Any) -> None:
            raise S3ClientError('AccessDenied', denial(request))

        IAMPolicy.__init__ = policy_init  # type: ignore[method-assign,assignment]
        IAMRequestBase.__init__ = init  # type: ignore[method-assign,assignment]
        IAMRequestBase.check_action_permitted = check  # type: ignore[method-assign,assignment]
        IAMRequestBase._create_aws_request = aws_request  # type: ignore[method-assign,assignment]
        IAMRequest._raise_access_denied = raise_denied  # type: ignore[method-assign,assignment]
        S3IAMRequest._raise_access_denied = raise_s3_denied  # type: ignore[method-assign,assignment]

        def restore() -> None:
            IAMPolicy.__init__ = original_policy_init  # type: ignore[method-assign]
            IAMRequestBase.__init__ = original_init  # type: ignore[method-assign]
            IAMRequestBase.check_action_permitted = original_check  # type: ignore[method-assign]
            IAMRequestBase._create_aws_request = original_request  # type: ignore[method-assign]
            IAMRequest._raise_access_denied, S3IAMRequest._raise_access_denied = original_denied  # type: ignore[method-assign]

        return restore

    def _sign_tasks_with_their_role(self) -> Undo:
        """moto's Step Functions creates each Task's client with a fixed fake key ("ak"): give it
        the credentials of the execution's role instead (`state_credentials.role_arn`)."""
        # The modules that bind `boto_client_for` (Lambda and SNS tasks), loaded before patching.
        importlib.import_module(
            'moto.stepfunctions.parser.asl.component.state.exec.state_task.lambda_eval_utils'
        )
        importlib.import_module(
            'moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sns'
        )
        from moto.stepfunctions.parser.asl.utils import boto_client  # noqa: PLC0415

        original = boto_client.boto_client_for
        enforcement = self

        def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
            role_arn = getattr(state_credentials, 'role_arn', None)
            if not role_arn:
                return original(region=region, service=service, state_credentials=state_credentials)
            credentials = enforcement.role_environment(role_arn)
            client = original(region=region, service=service, state_credentials=state_credentials)
            # The same client, signing as the role (botocore reads these at each request).
            from botocore.credentials import Credentials  # noqa: PLC0415

            client._request_signer._credentials = Credentials(  # type: ignore[attr-defined]
                credentials['AWS_ACCESS_KEY_ID'],
                credentials['AWS_SECRET_ACCESS_KEY'],
                credentials['AWS_SESSION_TOKEN'],
            )
            return client

        patched = [
            module
            for name, module in list(sys.modules.items())
            if name.startswith('moto.stepfunctions.') and getattr(module, 'boto_client_for', None) is original
        ]
        for module in patched:
            module.boto_client_for = boto_client_for  # type: ignore[attr-defined]

        def restore() -> None:
            for module in patched:
                module.boto_client_for = original  # type: ignore[attr-defined]

        return restore
