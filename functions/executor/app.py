"""Executor Lambda (state machine Execute step): cross-check the PARSED import, then execute it once."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from loyalty_import.pipeline.models import PollerInput
from loyalty_import.pipeline.observability import (
    TASK_CORRELATION_PATH,
    capture_lambda_handler,
    logger,
    metrics,
)
from loyalty_import.pipeline.settings import ExecutorSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from loyalty_import.pipeline.steps.executor import ExecutorDeps


@lru_cache(maxsize=1)
def dependencies() -> ExecutorDeps:
    from loyalty_import.pipeline.wiring import executor_deps  # noqa: PLC0415 - lean import

    return executor_deps(load_settings(ExecutorSettings))


@logger.inject_lambda_context(correlation_id_path=TASK_CORRELATION_PATH, clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from loyalty_import.pipeline.steps.executor import run_execute_step  # noqa: PLC0415 - lean import

    return run_execute_step(PollerInput.model_validate(event), dependencies()).to_wire()
