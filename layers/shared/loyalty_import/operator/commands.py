"""The operator commands as `loyalty-import` runs them: the stack found, the command's function
called with its parsed arguments."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TextIO

from loyalty_import.operator import EXIT_FAILED, OperatorError
from loyalty_import.operator.imports import parse_since, show, status
from loyalty_import.operator.layouts import forget_layout, list_layouts
from loyalty_import.operator.reviews import Action, decide_review, list_reviews
from loyalty_import.operator.stack import Aws, Stack, find_stack
from loyalty_import.pipeline.errors import PipelineUnavailable
from loyalty_import.pipeline.models import RecordStatus


def run(args: argparse.Namespace, out: TextIO) -> int:
    """Run `args.command` against the stack `args.stack`; OperatorError says why it was not done."""
    stack = find_stack(args.stack, Aws(args.region))
    try:
        return _dispatch(stack, args, out)
    except PipelineUnavailable as exc:
        out.write(
            f'Failed: {exc} (AWS did not answer as expected). A decision may have been recorded: '
            'running the same command again hands it over, it never decides twice.\n'
        )
        return EXIT_FAILED


def _dispatch(stack: Stack, args: argparse.Namespace, out: TextIO) -> int:
    as_json = bool(args.json)
    command = args.command
    if command == 'reviews':
        return list_reviews(stack, out, as_json=as_json)
    if command == 'review':
        action: Action = 'approve' if args.approve else 'reject'
        return decide_review(
            stack, args.id, action, out, email=args.email_column, points=args.points_column, as_json=as_json
        )
    if command == 'layouts':
        return list_layouts(stack, out, as_json=as_json)
    if command == 'forget':
        return forget_layout(stack, args.layout, out, as_json=as_json)
    if command == 'status':
        return status(stack, out, since=_since(args.since), only=_status(args.status), as_json=as_json)
    if command == 'show':
        return show(stack, args.id, out, as_json=as_json)
    raise OperatorError(f'no command {command}')


def _since(text: str) -> dt.timedelta:
    try:
        return parse_since(text)
    except ValueError as exc:
        raise OperatorError(f'--since {exc}') from exc


def _status(text: str | None) -> RecordStatus | None:
    if text is None:
        return None
    try:
        return RecordStatus(text)
    except ValueError:
        known = ', '.join(s.value for s in RecordStatus)
        raise OperatorError(f'no status {text}: one of {known}') from None
