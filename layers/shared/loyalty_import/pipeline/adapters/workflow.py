"""The import state machine (Step Functions): start one execution per Wix import."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.pipeline.adapters._aws import error_code
from loyalty_import.pipeline.errors import WorkflowError

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class StepFunctionsWorkflow:
    def __init__(self, state_machine_arn: str, client: SFNClient | None = None) -> None:
        if client is None:
            import boto3  # noqa: PLC0415 - created at cold start, not at import

            client = boto3.client('stepfunctions')
        self._client = client
        self._arn = state_machine_arn

    def start(self, name: str, payload: Mapping[str, object]) -> str | None:
        try:
            response = self._client.start_execution(
                stateMachineArn=self._arn, name=name, input=json.dumps(payload)
            )
        except ClientError as exc:
            # The name is derived from the Wix import: an execution of that name means a redelivered
            # event already handed this import over, which is exactly what we want.
            if error_code(exc) == 'ExecutionAlreadyExists':
                return None
            raise WorkflowError(f'could not start the import execution: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise WorkflowError('could not reach Step Functions') from exc
        return response['executionArn']
