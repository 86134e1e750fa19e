"""`loyalty-import layouts` and `forget LAYOUT`: mapping memory (`pipeline.review.layouts`), the
mappings people approved for a layout under a folder, listed and forgotten."""

from __future__ import annotations

from typing import Any, TextIO

from loyalty_import.operator import EXIT_NOT_DONE, EXIT_OK, OperatorError
from loyalty_import.operator.render import cell, iso, listing, print_json, short_id, when
from loyalty_import.operator.stack import Stack
from loyalty_import.pipeline.adapters.layouts import DynamoLayoutStore
from loyalty_import.pipeline.errors import RecordStoreError
from loyalty_import.pipeline.models import RememberedLayout

HEADERS = ('LAYOUT', 'FOLDER', 'EMAIL', 'POINTS', 'APPROVED', 'FROM FILE', 'IMPORT')


def _store(stack: Stack) -> DynamoLayoutStore:
    return DynamoLayoutStore(stack.layouts_table, client=stack.aws.client('dynamodb'))


def list_layouts(stack: Stack, out: TextIO, *, as_json: bool) -> int:
    """Every remembered layout, the latest approval first."""
    try:
        remembered = _store(stack).list()
    except RecordStoreError as exc:
        raise OperatorError(f'{exc} (table {stack.layouts_table})') from exc
    listing(
        out,
        as_json=as_json,
        items=[_layout_json(layout) for layout in remembered],
        headers=HEADERS,
        rows=[_row(layout) for layout in remembered],
        empty=f'No layout is remembered in the stack {stack.name}.',
    )
    return EXIT_OK


def forget_layout(stack: Stack, layout_id: str, out: TextIO, *, as_json: bool) -> int:
    """Delete one remembered layout: its next file is asked about again."""
    store = _store(stack)
    try:
        layout = store.get(layout_id.strip())
        forgotten = layout is not None and store.delete(layout.layout_id)
    except RecordStoreError as exc:
        raise OperatorError(f'{exc} (table {stack.layouts_table})') from exc
    if as_json:
        print_json({'layoutId': layout_id, 'forgotten': forgotten}, out)
    elif forgotten and layout is not None:
        email = _column(layout.email_column, layout.email_name)
        points = _column(layout.points_column, layout.points_name)
        out.write(
            f'Forgot layout {layout.layout_id} ({cell(layout.prefix)}, EMAIL {email}, POINTS {points}): '
            'the next file of this layout is asked about again.\n'
        )
    else:
        out.write(
            f'Not forgotten: no remembered layout {layout_id} in the stack {stack.name} '
            '(see `loyalty-import layouts`).\n'
        )
    return EXIT_OK if forgotten else EXIT_NOT_DONE


def _column(index: int, name: str) -> str:
    return f'{index} ({cell(name, 30)})'


def _row(layout: RememberedLayout) -> list[object]:
    return [
        layout.layout_id,
        layout.prefix,
        _column(layout.email_column, layout.email_name),
        _column(layout.points_column, layout.points_name),
        when(layout.approved_at),
        layout.file_name,
        short_id(layout.approved_from),
    ]


def _layout_json(layout: RememberedLayout) -> dict[str, Any]:
    return {
        **layout.to_wire(),
        'approvedAt': iso(layout.approved_at),
        'approvedFromId': short_id(layout.approved_from),
    }
