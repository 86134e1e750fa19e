"""Poller Lambda (state machine Poll step): read the Wix import, return its status and the next wait."""

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
from loyalty_import.pipeline.settings import PollerSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from loyalty_import.pipeline.steps.poller import PollerDeps


@lru_cache(maxsize=1)
def dependencies() -> PollerDeps:
    from loyalty_import.pipeline.wiring import poller_deps  # noqa: PLC0415 - lean import

    return poller_deps(load_settings(PollerSettings))


@logger.inject_lambda_context(correlation_id_path=TASK_CORRELATION_PATH, clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from loyalty_import.pipeline.steps.poller import poll_import  # noqa: PLC0415 - lean import

    return poll_import(PollerInput.model_validate(event), dependencies()).to_wire()
