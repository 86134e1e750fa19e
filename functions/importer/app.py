"""Importer Lambda: S3 ObjectCreated under the incoming prefix -> one Wix import per object version.

Also the ReviewStateMachine's Import step (`{"action": "continue", "sourceId": ...}`): a person
approved the review, so the same record goes on to Wix with the approved columns.

Thin on purpose: parse the event, hand its objects to the idempotent importer service
(`loyalty_import.pipeline.wiring.ImporterService.import_all`). A refused or broken FILE never raises
(it is recorded and notified); a transient AWS or Wix failure does, after the other objects of the
event are processed, so Lambda's async retry and the on-failure DLQ apply (the retry is idempotent
per object version).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from loyalty_import.pipeline.models import ContinueReview, ImporterResponse, S3Event, SourceEvent
from loyalty_import.pipeline.observability import capture_lambda_handler, logger, metrics
from loyalty_import.pipeline.settings import ImporterSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from loyalty_import.pipeline.wiring import ImporterService


@lru_cache(maxsize=1)
def service() -> ImporterService:
    """Built on the first invocation (cold start) and reused while the container is warm."""
    from loyalty_import.pipeline.wiring import ImporterService, importer_deps  # noqa: PLC0415 - lean import

    return ImporterService(importer_deps(load_settings(ImporterSettings)))


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get('action') == 'continue':
        return service().continue_review(ContinueReview.model_validate(event).source_id, context).to_wire()
    if not event.get('Records'):  # e.g. s3:TestEvent: nothing to import
        logger.info('event without S3 records ignored', event_type=event.get('Event'))
        return ImporterResponse(outcomes=[]).to_wire()
    sources = [SourceEvent.from_s3_record(s3_record) for s3_record in S3Event.model_validate(event).records]
    return service().import_all(sources, context).to_wire()
