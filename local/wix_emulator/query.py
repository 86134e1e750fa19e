"""The slice of Wix's query language that the Loyalty Imports query needs: filter, sort, cursor paging."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wix_emulator.errors import ErrorCode, WixApiError, WixValidationError

FILTERABLE_FIELDS = frozenset(
    {'id', 'status', 'createdDate', 'updatedDate', 'fileMetadata.name', 'fileMetadata.size'}
)
SORTABLE_FIELDS = frozenset({'createdDate', 'updatedDate', 'status'})
DATE_FIELDS = frozenset({'createdDate', 'updatedDate', 'lastActivityDate'})
MAX_LIMIT = 100
DEFAULT_LIMIT = 50
# Wix's Query Loyalty Imports takes at most 5 sort entries (the SDK's typings: `sort` @maxSize 5);
# with none, the documented order is createdDate descending (newest first).
MAX_SORT_ENTRIES = 5
DEFAULT_SORT: tuple[dict[str, str], ...] = ({'fieldName': 'createdDate', 'order': 'DESC'},)

_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    '$eq': lambda a, b: a == b,
    '$ne': lambda a, b: a != b,
    '$gt': lambda a, b: a is not None and a > b,
    '$gte': lambda a, b: a is not None and a >= b,
    '$lt': lambda a, b: a is not None and a < b,
    '$lte': lambda a, b: a is not None and a <= b,
}


class _Model(BaseModel):
    # REST names only, and unknown fields refused (Wix would ignore them): a client's misspelt
    # or snake_case field shows up as a 400 instead of silently going missing.
    model_config = ConfigDict(extra='forbid')


class SortSpec(_Model):
    field_name: str = Field(alias='fieldName')
    order: str = 'ASC'


class CursorPaging(_Model):
    limit: int | None = Field(default=None, ge=1, le=MAX_LIMIT)
    cursor: str | None = None


class Query(_Model):
    filter: dict[str, Any] | None = None
    sort: list[SortSpec] | None = None
    cursor_paging: CursorPaging | None = Field(default=None, alias='cursorPaging')


class QueryRequest(_Model):
    query: Query = Field(default_factory=lambda: Query.model_validate({}))


def parse_query_request(body: object) -> QueryRequest:
    try:
        request = QueryRequest.model_validate(body)
    except ValidationError as exc:
        code = ErrorCode.INVALID_PAGING if 'cursorPaging' in str(exc) else ErrorCode.INVALID_ARGUMENT
        raise WixApiError(400, code, f'Invalid query: {exc.errors()[0]["msg"]}') from exc
    sort = request.query.sort or []
    if len(sort) > MAX_SORT_ENTRIES:
        raise WixValidationError(
            'query.sort',
            f'size must be between 0 and {MAX_SORT_ENTRIES}',
            rule='MAX_SIZE',
            data={'threshold': MAX_SORT_ENTRIES},
        )
    for spec in sort:
        if spec.field_name not in SORTABLE_FIELDS:
            raise WixApiError(400, ErrorCode.INVALID_SORT, f'Cannot sort by {spec.field_name!r}')
        if spec.order not in ('ASC', 'DESC'):
            raise WixApiError(400, ErrorCode.INVALID_SORT, 'Sort order must be ASC or DESC')
    if request.query.filter is not None:
        validate_filter(request.query.filter)
    return request


def _field_value(item: dict[str, Any], path: str) -> Any:
    value: Any = item
    for part in path.split('.'):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    if path in DATE_FIELDS and isinstance(value, str):
        return parse_date(value)
    return value


def parse_date(value: object) -> datetime:
    # Wix accepts both a bare RFC 3339 string and {"$date": "..."}.
    if isinstance(value, dict) and set(value) == {'$date'}:
        value = value['$date']
    if not isinstance(value, str):
        raise WixApiError(400, ErrorCode.INVALID_FILTER, 'A date must be an RFC 3339 string')
    try:
        parsed = datetime.fromisoformat(value.replace('Z', '+00:00'))
    except ValueError as exc:
        raise WixApiError(400, ErrorCode.INVALID_FILTER, f'Not an RFC 3339 date: {value!r}') from exc
    if parsed.tzinfo is None:
        raise WixApiError(400, ErrorCode.INVALID_FILTER, f'A date needs a time zone: {value!r}')
    return parsed


def _operand(path: str, value: object) -> Any:
    return parse_date(value) if path in DATE_FIELDS else value


def validate_filter(node: dict[str, Any], *, fields: frozenset[str] = FILTERABLE_FIELDS) -> None:
    """Raises a 400 for anything `matches` would not understand, before touching any data."""
    matches(node, {}, fields=fields)


def matches(
    node: dict[str, Any], item: dict[str, Any], *, fields: frozenset[str] = FILTERABLE_FIELDS
) -> bool:
    """Whether `item` (REST shape) passes the filter; `fields`: those it may name (imports' by default)."""
    if not isinstance(node, dict):
        raise WixApiError(400, ErrorCode.INVALID_FILTER, 'A filter must be an object')
    results = [_matches_key(key, value, item, fields) for key, value in node.items()]
    return all(results)


def _matches_key(key: str, value: Any, item: dict[str, Any], fields: frozenset[str]) -> bool:
    if key in ('$and', '$or'):
        if not isinstance(value, list) or not value:
            raise WixApiError(400, ErrorCode.INVALID_FILTER, f'{key} needs a non-empty list')
        results = [matches(sub, item, fields=fields) for sub in value]
        return all(results) if key == '$and' else any(results)
    if key == '$not':
        return not matches(value, item, fields=fields)
    if key not in fields:
        raise WixApiError(400, ErrorCode.INVALID_FILTER, f'Cannot filter by {key!r}')
    actual = _field_value(item, key)
    if not isinstance(value, dict) or set(value) == {'$date'}:
        return bool(actual == _operand(key, value))
    if not value:
        raise WixApiError(400, ErrorCode.INVALID_FILTER, f'Empty condition on {key!r}')
    # Every operator is checked (not short-circuited), so a bad one is refused whatever comes before it.
    results = [_condition_holds(key, op, operand, actual) for op, operand in value.items()]
    return all(results)


def _condition_holds(key: str, op: str, operand: Any, actual: Any) -> bool:
    """One operator of a field's condition, e.g. {'$gte': ...} on `actual`, the item's value."""
    if op in _COMPARISONS:
        try:
            return bool(_COMPARISONS[op](actual, _operand(key, operand)))
        except TypeError as exc:
            raise WixApiError(
                400, ErrorCode.INVALID_FILTER, f'Cannot compare {key!r} with {operand!r}'
            ) from exc
    if op in ('$in', '$nin'):
        if not isinstance(operand, list):
            raise WixApiError(400, ErrorCode.INVALID_FILTER, f'{op} needs a list')
        found = actual in [_operand(key, v) for v in operand]
        return found if op == '$in' else not found
    if op == '$hasSome':
        # An array field holds one of the values; a scalar field (status, the dates) equals one of them.
        if not isinstance(operand, list) or not operand:
            raise WixApiError(400, ErrorCode.INVALID_FILTER, '$hasSome needs a non-empty list')
        wanted = [_operand(key, v) for v in operand]
        held = actual if isinstance(actual, list) else [actual]
        return any(value in wanted for value in held)
    if op == '$exists':
        return (actual is not None) == bool(operand)
    raise WixApiError(400, ErrorCode.INVALID_FILTER, f'Unsupported operator {op!r}')


def sort_key(item: dict[str, Any], field_name: str) -> Any:
    return _field_value(item, field_name)


def encode_cursor(state: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(state, separators=(',', ':')).encode()).decode().rstrip('=')


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + '=' * (-len(cursor) % 4)
        state = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise WixApiError(400, ErrorCode.INVALID_CURSOR, 'The cursor is not one this server issued') from exc
    if not isinstance(state, dict) or not isinstance(state.get('offset'), int):
        raise WixApiError(400, ErrorCode.INVALID_CURSOR, 'The cursor is not one this server issued')
    return state
