"""Importer Lambda: S3 ObjectCreated under the incoming prefix -> one Wix import per object version.

Thin on purpose: parse the event, hand each object to `loyalty_import.pipeline.steps.importer` through the
idempotent service. A refused or broken FILE never raises (it is recorded and notified); a
transient AWS or Wix failure does, after the other objects of the event are processed, so Lambda's
async retry and the on-failure DLQ apply (the retry is idempotent per object version).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from loyalty_import.pipeline.models import ImporterOutcome, ImporterResponse, SourceEvent
from loyalty_import.pipeline.observability import capture_lambda_handler, logger, metrics, unbind_import
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
    if not event.get('Records'):  # e.g. s3:TestEvent: nothing to import
        logger.info('event without S3 records ignored', event_type=event.get('Event'))
        return ImporterResponse(outcomes=[]).to_wire()
    # Powertools' parser models load every event schema (~0.1 s): only when an event arrives.
    from aws_lambda_powertools.utilities.parser.models import S3Model  # noqa: PLC0415

    s3_event = S3Model.model_validate(event)
    settings = load_settings(ImporterSettings)
    importer = service()
    outcomes: list[ImporterOutcome] = []
    transient: Exception | None = None
    for s3_record in s3_event.Records:
        unbind_import()
        source = SourceEvent.from_s3_record(s3_record)
        key = source.ref.key
        # Results are written under their own prefix; never treat them (or folder markers) as input.
        if (
            key.endswith('/')
            or not key.startswith(settings.incoming_prefix)
            or key.startswith(settings.results_prefix)
        ):
            logger.info('ignoring object outside the incoming prefix', key=key)
            continue
        try:
            outcomes.append(importer.process(source, context))
        except Exception as exc:  # noqa: BLE001 - finish the other objects first; re-raised below
            logger.exception(
                'object not processed; the event will be retried', source_id=source.ref.source_id
            )
            transient = transient or exc
    if transient is not None:
        raise transient
    return ImporterResponse(outcomes=outcomes).to_wire()
