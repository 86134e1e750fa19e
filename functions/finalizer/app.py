"""Finalizer Lambda (state machine Finalize step): final record, Wix's error file to S3, one notification."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from loyalty_import.pipeline.models import FinalizerInput
from loyalty_import.pipeline.observability import (
    TASK_CORRELATION_PATH,
    capture_lambda_handler,
    logger,
    metrics,
)
from loyalty_import.pipeline.settings import FinalizerSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from loyalty_import.pipeline.steps.finalizer import FinalizerDeps


@lru_cache(maxsize=1)
def dependencies() -> FinalizerDeps:
    from loyalty_import.pipeline.wiring import finalizer_deps  # noqa: PLC0415 - lean import

    return finalizer_deps(load_settings(FinalizerSettings))


@logger.inject_lambda_context(correlation_id_path=TASK_CORRELATION_PATH, clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from loyalty_import.pipeline.steps.finalizer import finalize_import  # noqa: PLC0415 - lean import

    if 'parts' in event:  # FinalizeParts: a file of several Wix imports, after the Map
        from loyalty_import.pipeline.steps.parts_finalizer import (  # noqa: PLC0415
            PartsFinalizerInput,
            finalize_parts,
        )

        return finalize_parts(PartsFinalizerInput.model_validate(event), dependencies()).to_wire()
    return finalize_import(FinalizerInput.model_validate(event), dependencies()).to_wire()
