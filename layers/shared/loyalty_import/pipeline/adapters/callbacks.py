"""Step Functions' callback API: hand a person's decision to the execution waiting for it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.pipeline.adapters._aws import error_code
from loyalty_import.pipeline.errors import WorkflowError

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

# The task no longer waits: it timed out (the review expired) or its execution ended.
_GONE = {'TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken'}


class StepFunctionsCallbacks:
    def __init__(self, client: SFNClient | None = None) -> None:
        if client is None:
            import boto3  # noqa: PLC0415 - created at cold start, not at import

            client = boto3.client('stepfunctions')
        self._client = client

    def send_success(self, task_token: str, output: Mapping[str, object]) -> bool:
        try:
            self._client.send_task_success(taskToken=task_token, output=json.dumps(output))
        except ClientError as exc:
            if error_code(exc) in _GONE:
                return False
            raise WorkflowError(f'could not resume the review execution: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise WorkflowError('could not reach Step Functions') from exc
        return True
