"""The one place that creates the Powertools logger, tracer and metrics every function shares.

Service name and metrics namespace come from `POWERTOOLS_SERVICE_NAME` and
`POWERTOOLS_METRICS_NAMESPACE` (set once in the template's Globals); the fallbacks only matter
for local runs and tests.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, single_metric
from aws_lambda_powertools.metrics import MetricUnit

from loyalty_import.pipeline import invocation

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer

SERVICE = os.environ.get('POWERTOOLS_SERVICE_NAME', 'loyalty-import')
NAMESPACE = os.environ.get('POWERTOOLS_METRICS_NAMESPACE', 'LoyaltyImport')

# Every log line about one import carries this key, so one filter shows an import's whole story
# across the importer, the state machine's tasks and the finalizer.
CORRELATION_KEY = 'import_id'
# Where the state machine's task input keeps the Wix import id (for `inject_lambda_context`).
TASK_CORRELATION_PATH = 'importId'

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=NAMESPACE, service=SERVICE)

# What the functions call out with: boto3 (through botocore) and the Wix client (httpx). The
# Tracer's default patches every library the X-Ray SDK supports that it finds (sqlite3 here too),
# trying to import each of a dozen others first (about 10 ms of every cold start).
TRACED_MODULES = ('botocore', 'httpx')

_tracer: Tracer | None = None
_tracer_lock = threading.Lock()
Handler = TypeVar('Handler', bound=Callable[..., Any])


def get_tracer() -> Tracer:
    """The Powertools tracer, created on first use.

    Creating a Tracer imports the X-Ray SDK (about 0.2 s here, more than boto3 itself), so it is
    built when the first invocation starts rather than when the handler module is imported; it
    still patches boto3 before any client exists, since clients are created inside the handler.
    """
    global _tracer  # noqa: PLW0603 - one tracer per container, like the logger and metrics
    with _tracer_lock:
        if _tracer is None:
            from aws_lambda_powertools import Tracer  # noqa: PLC0415 - see the docstring

            _tracer = Tracer(service=SERVICE, patch_modules=TRACED_MODULES)
        return _tracer


def capture_lambda_handler(handler: Handler) -> Handler:
    """`Tracer.capture_lambda_handler`, applied when the first invocation arrives."""
    traced: Callable[..., Any] | None = None

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        nonlocal traced
        invocation.bind(context)  # bounds the Wix budget's waits by this invocation's time
        try:
            if traced is None:
                traced = get_tracer().capture_lambda_handler(handler)
            return traced(event, context)
        finally:
            invocation.bind(None)

    return wrapper  # type: ignore[return-value]


def bind_import(import_id: str | None = None, *, source_id: str | None = None) -> None:
    """Tag every following log line of this invocation with the import (and source object)."""
    if import_id:
        logger.set_correlation_id(import_id)
        logger.append_keys(**{CORRELATION_KEY: import_id})
        if _tracer is not None:  # searchable in X-Ray; never creates the tracer just for this
            _tracer.put_annotation(key=CORRELATION_KEY, value=import_id)
    if source_id:
        logger.append_keys(source_id=source_id)


def unbind_import() -> None:
    """Forget the previous object's keys (the importer handles several records per event)."""
    logger.remove_keys([CORRELATION_KEY, 'source_id', 'site'])
    logger.set_correlation_id(None)


# The dimension of the per-site copies of the import counts (`add_site_metric`).
SITE_DIMENSION = 'site'


def add_site_metric(name: str, unit: MetricUnit, value: float, site: str) -> None:
    """The metric once more with a `site` dimension (service, site): the dashboard's per-site lines.

    Its own EMF record, so the service-only metrics the alarms watch stay exactly as they were; only
    the import counts get it (one series per site and metric: the site list bounds the cardinality).
    """
    if not site:
        return
    with single_metric(
        name=name, unit=unit, value=value, namespace=NAMESPACE, default_dimensions={'service': SERVICE}
    ) as metric:
        metric.add_dimension(name=SITE_DIMENSION, value=site)


class Metric:
    """Metric names: the dashboard and alarms in template.yaml refer to these."""

    IMPORTS_STARTED = 'ImportsStarted'
    IMPORTS_IMPORTED = 'ImportsImported'
    IMPORTS_FAILED = 'ImportsFailed'
    IMPORTS_REJECTED = 'ImportsRejected'
    IMPORTS_TIMED_OUT = 'ImportsTimedOut'
    IMPORTS_DRY_RUN = 'ImportsDryRun'
    REVIEWS_REQUESTED = 'ReviewsRequested'
    IMPORTS_REVIEW_REJECTED = 'ImportsReviewRejected'
    IMPORTS_REVIEW_EXPIRED = 'ImportsReviewExpired'
    ROWS_IMPORTED = 'RowsImported'
    ROWS_FAILED = 'RowsFailed'
    END_TO_END_DURATION = 'EndToEndDuration'
    MAPPING_CONFIDENCE = 'MappingConfidence'
    # Balances read back after IMPORTED that differ from the file (alarmed: BalanceMismatchesAlarm).
    BALANCE_MISMATCHES = 'BalanceMismatches'


__all__ = [
    'CORRELATION_KEY',
    'SITE_DIMENSION',
    'TASK_CORRELATION_PATH',
    'Metric',
    'MetricUnit',
    'add_site_metric',
    'bind_import',
    'capture_lambda_handler',
    'get_tracer',
    'logger',
    'metrics',
    'unbind_import',
]
