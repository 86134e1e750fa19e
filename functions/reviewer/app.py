"""Review Lambda: the review page (its Function URL) and the ReviewStateMachine's two review steps.

- an HTTP request (Function URL, payload 2.0): the page, or a person's decision (`review.http`);
- `{"action": "open", ...}` (the `.waitForTaskToken` step): make the link and send it;
- `{"action": "expire", ...}` (the wait timed out): end the import REVIEW_EXPIRED, unless decided.

The event is never logged: a page request carries the review token.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from loyalty_import.pipeline.models import ReviewTaskInput
from loyalty_import.pipeline.observability import capture_lambda_handler, logger, metrics
from loyalty_import.pipeline.settings import ReviewSettings, load_settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from loyalty_import.pipeline.review.flow import ReviewDeps


@lru_cache(maxsize=1)
def dependencies() -> ReviewDeps:
    from loyalty_import.pipeline.wiring import review_deps  # noqa: PLC0415 - lean import

    return review_deps(load_settings(ReviewSettings))


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    from loyalty_import.pipeline.review import flow, http  # noqa: PLC0415 - lean import

    if 'requestContext' in event:
        return http.handle(event, dependencies())
    task = ReviewTaskInput.model_validate(event)
    logger.append_keys(source_id=task.source_id)
    if task.action == 'open':
        opened = flow.open_review(
            task.source_id, task.task_token or '', task.review_url or '', dependencies()
        )
        return {'opened': opened}
    return {'decision': flow.expire(task.source_id, dependencies())}
