"""A deployed stack as the operator commands see it: its tables, topic, state machines and
parameters, found through CloudFormation by the stack's name (region: boto3's configuration,
or `--region`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.operator import OperatorError
from loyalty_import.pipeline.settings import ReviewSettings

# What the commands use: the stack output naming it, else the resource's logical id.
_NEEDED = {
    'imports_table': ('ImportsTableName', 'ImportsTable'),
    'layouts_table': ('LayoutsTableName', 'LayoutsTable'),
    'topic_arn': ('NotificationTopicArn', 'NotificationTopic'),
}


class Aws:
    """boto3 clients of one region (None: boto3's own configuration), each made once."""

    def __init__(self, region: str | None = None) -> None:
        self.region = region
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3  # noqa: PLC0415 - only the commands that talk to AWS load it

            self._clients[service] = boto3.client(service, region_name=self.region)  # type: ignore[call-overload]
        return self._clients[service]


@dataclass(frozen=True)
class Stack:
    name: str
    imports_table: str
    layouts_table: str
    topic_arn: str
    parameters: dict[str, str]
    aws: Aws = field(repr=False, compare=False)

    def review_settings(self) -> ReviewSettings:
        """The review function's settings, from the stack's own parameters (as the template sets them)."""
        missing = [name for name in ('ReviewWaitSeconds', 'MaxFileBytes') if not self.parameters.get(name)]
        if missing:
            raise OperatorError(
                f'the stack {self.name} has no parameter {", ".join(missing)} (deployed before reviews?)'
            )
        return ReviewSettings.model_validate(
            {
                'IMPORTS_TABLE': self.imports_table,
                'NOTIFICATION_TOPIC_ARN': self.topic_arn,
                'LAYOUTS_TABLE': self.layouts_table,
                'REVIEW_WAIT_SECONDS': self.parameters['ReviewWaitSeconds'],
                'MAX_FILE_BYTES': self.parameters['MaxFileBytes'],
                'POINTS_NAMES': self.parameters.get('PointsNames', ''),
            }
        )


def find_stack(name: str, aws: Aws) -> Stack:
    """The stack `name`: outputs and parameters (describe_stacks), resources for what has no output."""
    cloudformation = aws.client('cloudformation')
    try:
        described = cloudformation.describe_stacks(StackName=name)['Stacks'][0]
        listed = cloudformation.describe_stack_resources(StackName=name)['StackResources']
    except ClientError as exc:
        raise OperatorError(f'no stack {name} here ({_region(cloudformation)}): {_message(exc)}') from exc
    except BotoCoreError as exc:
        raise OperatorError(f'could not read the stack {name}: {exc}') from exc
    outputs = {o['OutputKey']: o.get('OutputValue', '') for o in described.get('Outputs', [])}
    resources = {
        r['LogicalResourceId']: r.get('PhysicalResourceId', '') for r in listed if r.get('LogicalResourceId')
    }
    parameters = {p['ParameterKey']: p.get('ParameterValue', '') for p in described.get('Parameters', [])}
    found = {
        key: outputs.get(output) or resources.get(logical, '') for key, (output, logical) in _NEEDED.items()
    }
    missing = [_NEEDED[key][1] for key, value in found.items() if not value]
    if missing:
        raise OperatorError(f'the stack {name} has no {", ".join(missing)}: is it a loyalty-import stack?')
    return Stack(name=name, parameters=parameters, aws=aws, **found)


def _region(client: Any) -> str:
    return str(client.meta.region_name or 'no region configured')


def _message(exc: ClientError) -> str:
    return str(exc.response.get('Error', {}).get('Message') or exc)
