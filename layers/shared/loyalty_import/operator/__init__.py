"""Operator commands of `loyalty-import`, pointed at a deployed stack by its name (`--stack`).

- `reviews`: the files waiting for a person; `review ID --approve|--reject`: decide one, exactly as
  the review page does (`pipeline.review.flow.decide`, by 'operator command');
- `layouts`: the remembered layouts (mapping memory); `forget LAYOUT`: delete one;
- `status`: recent imports; `show ID`: one import's record, links and state machine steps.

`stack` finds the stack's tables, topic and parameters through CloudFormation; `records` reads
the imports table; `render` prints aligned tables and JSON. An ID is an import's short id (the
first 12 hex characters of the SHA-256 of its pk, `render.short_id`), its full pk or, for `show`,
its Wix import id. Nothing here prints a review token, its hash, the anti-CSRF value or a Step
Functions task token.
"""

from __future__ import annotations

EXIT_OK = 0
# AWS failed (throttled, unreachable, denied): trying again later may do it.
EXIT_FAILED = 1
# Not done (unknown id, refused choice, already decided...): the same code as a refused `undo`.
EXIT_NOT_DONE = 2


class OperatorError(Exception):
    """A command cannot do what it was asked; the message says why (printed, exit code 2)."""


def quiet_pipeline_logs() -> None:
    """The pipeline's Powertools logger writes JSON lines to the stdout it was created with; a
    command's stdout is its output (maybe --json). In a process where nothing created the logger yet
    (the console script), create it on stderr, warnings only. Where it exists (a Lambda, the
    rehearsal in the same process), it is left as it is."""
    import sys  # noqa: PLC0415 - only the commands that decide need it

    if 'loyalty_import.pipeline.observability' in sys.modules:
        return
    stdout = sys.stdout
    sys.stdout = sys.stderr
    try:
        from loyalty_import.pipeline.observability import logger  # noqa: PLC0415 - created here on purpose
    finally:
        sys.stdout = stdout
    logger.setLevel('WARNING')
