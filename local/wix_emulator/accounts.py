"""Wix Loyalty Accounts: one account per contact that has a balance, with Wix's REST shape.

What the product reads around an import: Search Accounts (the only endpoint that filters by
`contact.email`), Query Loyalty Accounts (by `id` / `contactId`), Count Accounts and Get Program
Totals, with the paths, field names and limits of `../shared/wix/loyalty-accounts-contract.json`.

Every change of an account is kept as a version stamped with the emulator's clock, so reads can
be *eventually consistent*: with `EmulatorSettings.accounts_lag_s`, every accounts read sees the
accounts as they were that many seconds ago (a fake clock steps through it; no real waiting).
Seeded balances (`WixEmulator(accounts=...)`) were always there: visible whatever the lag.
Not thread-safe on its own: the `Store` calls it under its lock.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Final, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from wix_emulator import query as q
from wix_emulator.errors import ErrorCode, WixApiError

ACCOUNTS_PREFIX: Final = '/loyalty-accounts'  # www.wixapis.com/loyalty-accounts, as the SDK maps it
MAX_LIMIT: Final = 100
DEFAULT_LIMIT: Final = 50
QUERY_SORT_MAX: Final = 5
SEARCH_SORT_MAX: Final = 10
CURSOR_MAX_CHARS: Final = 16000
ImportMode = Literal['set', 'add']

# The contract's filter fields and operators, limited to the operators the emulator evaluates.
SEARCH_FIELDS: Final = frozenset(
    {'updatedDate', 'contact.id', 'contact.displayName', 'contact.email', 'contact.name', 'points.balance'}
    | {'points.redeemed', 'lastActivityDate'}
)
SEARCH_OPERATORS: Final = frozenset({'$eq', '$ne', '$exists', '$in', '$lt', '$lte', '$gt', '$gte'})
QUERY_FIELDS: Final = frozenset(
    {'id', 'contactId', 'createdDate', 'lastActivityDate'}
    | {f'points.{name}' for name in ('balance', 'earned', 'adjusted', 'redeemed', 'expired')}
)
QUERY_OPERATORS: Final = frozenset({'$eq', '$ne', '$exists', '$in', '$nin', '$lt', '$lte', '$gt', '$gte'})
# Documented by Wix, not evaluated here: refused with a 400 that says so rather than ignored.
_NOT_EMULATED: Final = frozenset({'$any', '$begins', '$hasSome', '$startsWith'})
_ID_NAMESPACE: Final = uuid.UUID('5b0f4c9e-8a43-4c1e-9a55-2f0c1d6f7a10')

_M = TypeVar('_M', bound=BaseModel)


@dataclass(frozen=True)
class BalanceChange:
    """What one executed import did to one email's balance; `before` None: the import created it."""

    email: str
    before: int | None
    after: int


@dataclass(frozen=True)
class _Version:
    visible_at: float  # when reads start seeing it (-inf: seeded, always visible)
    updated_at: float
    revision: int
    earned: int
    adjusted: int

    @property
    def balance(self) -> int:
        return self.earned + self.adjusted


@dataclass
class _Account:
    id: str
    contact_id: str
    email: str
    seq: int
    created_at: float
    versions: list[_Version] = field(default_factory=list)

    def as_of(self, at: float) -> _Version | None:
        visible = [v for v in self.versions if v.visible_at <= at]
        return visible[-1] if visible else None

    def to_rest(self, version: _Version) -> dict[str, Any]:
        name = self.email.split('@', 1)[0]
        return {
            'id': self.id,
            'contactId': self.contact_id,
            'points': {
                'balance': version.balance,
                'earned': version.earned,
                'adjusted': version.adjusted,
                'redeemed': 0,
                'expired': 0,
            },
            'rewardAvailable': False,
            'revision': str(version.revision),
            'createdDate': _rfc3339(self.created_at),
            'updatedDate': _rfc3339(version.updated_at),
            'lastActivityDate': _rfc3339(version.updated_at),
            'tier': {'points': version.balance},
            'contact': {'id': self.contact_id, 'email': self.email, 'name': name, 'displayName': name},
        }


def contact_id_for(email: str) -> str:
    """The contact id of an email: stable, so a test can name it before any call."""
    return str(uuid.uuid5(_ID_NAMESPACE, 'contact:' + email.strip().lower()))


def account_id_for(email: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, 'account:' + email.strip().lower()))


class Accounts:
    def __init__(self) -> None:
        self._by_email: dict[str, _Account] = {}
        self._seq = 0

    # -- changes ---------------------------------------------------------------------------
    def seed(self, balances: Mapping[str, int], at: float) -> None:
        """Balances that existed before anything the test does: visible at once, whatever the lag."""
        for email, points in balances.items():
            if isinstance(points, bool) or not isinstance(points, int) or points < 0:
                raise ValueError(f'a seeded balance must be a non-negative int, got {points!r} for {email!r}')
            self._set(email.strip().lower(), points, at, visible_at=-math.inf)

    def apply_import(
        self, file_points: Mapping[str, int], at: float, mode: ImportMode
    ) -> dict[str, BalanceChange]:
        """An executed import: each email's balance set to (or, in 'add' mode, raised by) its points."""
        changes: dict[str, BalanceChange] = {}
        for email, points in file_points.items():
            before = self.balance_of(email)
            after = points + (before or 0) if mode == 'add' else points
            self._set(email, after, at, visible_at=at)
            changes[email] = BalanceChange(email, before, after)
        return changes

    def _set(self, email: str, balance: int, at: float, *, visible_at: float) -> None:
        account = self._by_email.get(email)
        if account is None:
            self._seq += 1
            account = _Account(account_id_for(email), contact_id_for(email), email, self._seq, at)
            self._by_email[email] = account
            # A new account's points were earned (seeded) or set by an import (adjusted).
            earned = balance if visible_at == -math.inf else 0
            account.versions.append(_Version(visible_at, at, 1, earned, balance - earned))
            return
        last = account.versions[-1]
        if last.balance == balance:
            return
        # Setting a balance records the net difference as an adjustment, as Wix's Adjust Points does.
        adjusted = last.adjusted + balance - last.balance
        account.versions.append(
            _Version(visible_at, max(at, last.updated_at), last.revision + 1, last.earned, adjusted)
        )

    # -- reads -----------------------------------------------------------------------------
    def has(self, email: str) -> bool:
        return email.strip().lower() in self._by_email

    def balance_of(self, email: str) -> int | None:
        account = self._by_email.get(email.strip().lower())
        return None if account is None else account.versions[-1].balance

    def balances(self) -> dict[str, int]:
        """The true current balance per email (no lag): what tests compare with."""
        return {email: account.versions[-1].balance for email, account in self._by_email.items()}

    def visible(self, at: float) -> list[dict[str, Any]]:
        """Every account as reads see it at `at`, REST shape, in creation order."""
        rest = []
        for account in sorted(self._by_email.values(), key=lambda a: a.seq):
            version = account.as_of(at)
            if version is not None:
                rest.append(account.to_rest(version))
        return rest

    def search(self, body: object, at: float, page_max: int = MAX_LIMIT) -> dict[str, Any]:
        request = _validate(_SearchRequest, body).search
        view = _View('search', SEARCH_FIELDS, SEARCH_OPERATORS, page_max)
        items, page = view.page(request, self.visible(at))
        return {'accounts': items, 'pagingMetadata': page}

    def query(self, body: object, at: float, page_max: int = MAX_LIMIT) -> dict[str, Any]:
        request = _validate(_QueryRequest, body).query
        view = _View('query', QUERY_FIELDS, QUERY_OPERATORS, page_max)
        items, page = view.page(request, self.visible(at))
        return {'loyaltyAccounts': items, 'pagingMetadata': page}

    def count(self, body: object, at: float) -> dict[str, int]:
        request = _validate(_CountRequest, body)
        items = self.visible(at)
        if request.filter:
            query_filter = _checked_filter(request.filter, SEARCH_FIELDS, SEARCH_OPERATORS)
            items = [item for item in items if q.matches(query_filter, item, fields=SEARCH_FIELDS)]
        return {'count': len(items)}

    def program_totals(self, at: float) -> dict[str, Any]:
        items = self.visible(at)
        totals = {
            name: sum(item['points'][name] for item in items)
            for name in ('balance', 'earned', 'adjusted', 'redeemed', 'expired')
        }
        return {'points': totals, 'tierTotals': [{'id': None, 'numberOfAccounts': len(items)}]}


@dataclass(frozen=True)
class _View:
    """One paged read (Search or Query): its fields, operators, and the largest page it serves."""

    kind: str
    fields: frozenset[str]
    operators: frozenset[str]
    page_max: int

    def page(
        self, request: _Paged, items: list[dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        paging = request.cursor_paging or q.CursorPaging()
        if paging.cursor:
            # A cursor carries the filter and sort it was issued for, like Wix's cursors do.
            state = _decode_cursor(paging.cursor, self.kind)
            query_filter, sort, offset = state.get('filter'), state.get('sort') or [], state['offset']
            limit = paging.limit or int(state.get('limit', DEFAULT_LIMIT))
        else:
            query_filter, offset, limit = request.filter, 0, paging.limit or DEFAULT_LIMIT
            sort = _checked_sort(request.sort, self.kind, self.fields)
            if query_filter:
                query_filter = _checked_filter(query_filter, self.fields, self.operators)
        if query_filter:
            items = [item for item in items if q.matches(query_filter, item, fields=self.fields)]
        for spec in reversed(sort or self._default_sort()):
            items.sort(key=partial(_sort_key, field_name=spec['fieldName']), reverse=spec['order'] == 'DESC')
        page = items[offset : offset + min(limit, self.page_max)]
        end = offset + len(page)
        state_base = {'kind': self.kind, 'filter': query_filter, 'sort': sort, 'limit': limit}
        return page, {
            'count': len(page),
            'cursors': {
                'next': q.encode_cursor({**state_base, 'offset': end}) if end < len(items) else None,
                'prev': q.encode_cursor({**state_base, 'offset': max(0, offset - limit)}) if offset else None,
            },
            'hasNext': end < len(items),
        }

    def _default_sort(self) -> list[dict[str, str]]:
        # Query's documented default is createdDate DESC; Search's is not documented: creation order.
        return [{'fieldName': 'createdDate', 'order': 'DESC'}] if self.kind == 'query' else []


# ---- requests ------------------------------------------------------------------------------------


class _Model(BaseModel):
    # Unknown fields refused (Wix would ignore them), and so are the documented ones not emulated
    # (`search`, `aggregations`, `timeZone`): a client relying on them shows up in tests.
    model_config = ConfigDict(extra='forbid')


class _Paged(_Model):
    filter: dict[str, Any] | None = None
    sort: list[q.SortSpec] | None = None
    cursor_paging: q.CursorPaging | None = Field(default=None, alias='cursorPaging')


class _SearchRequest(_Model):
    search: _Paged = Field(default_factory=lambda: _Paged.model_validate({}))


class _QueryRequest(_Model):
    query: _Paged = Field(default_factory=lambda: _Paged.model_validate({}))


class _CountRequest(_Model):
    filter: dict[str, Any] | None = None


def _sort_key(item: dict[str, Any], field_name: str) -> tuple[bool, Any]:
    value = q.sort_key(item, field_name)
    return (value is None, value)  # missing values last, and never compared with others


def _validate(model: type[_M], body: object) -> _M:
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = '.'.join(str(part) for part in first['loc'])
        code = ErrorCode.INVALID_PAGING if 'cursorPaging' in where else ErrorCode.INVALID_ARGUMENT
        raise WixApiError(400, code, f'{where}: {first["msg"]}') from exc


def _checked_sort(sort: list[q.SortSpec] | None, kind: str, fields: frozenset[str]) -> list[dict[str, str]]:
    specs = sort or []
    most = SEARCH_SORT_MAX if kind == 'search' else QUERY_SORT_MAX
    if len(specs) > most:
        raise WixApiError(
            400, ErrorCode.INVALID_SORT, f'sort has {len(specs)} items; at most {most} are allowed'
        )
    sortable = fields | {'updatedDate'} if kind == 'query' else fields
    for spec in specs:
        if spec.field_name not in sortable:
            raise WixApiError(400, ErrorCode.INVALID_SORT, f'Cannot sort by {spec.field_name!r}')
        if spec.order not in ('ASC', 'DESC'):
            raise WixApiError(400, ErrorCode.INVALID_SORT, 'Sort order must be ASC or DESC')
    return [{'fieldName': spec.field_name, 'order': spec.order} for spec in specs]


def _checked_filter(node: object, fields: frozenset[str], operators: frozenset[str]) -> dict[str, Any]:
    """The filter with `contact.email` values lower-cased, after refusing what is not emulated."""
    if not isinstance(node, dict):
        raise WixApiError(400, ErrorCode.INVALID_FILTER, 'A filter must be an object')
    checked: dict[str, Any] = {}
    for key, value in node.items():
        if key in ('$and', '$or') and isinstance(value, list):
            checked[key] = [_checked_filter(sub, fields, operators) for sub in value]
        elif key == '$not':
            checked[key] = _checked_filter(value, fields, operators)
        elif isinstance(value, dict) and set(value) != {'$date'}:
            for op in value:
                if op in _NOT_EMULATED or (op.startswith('$') and op not in operators):
                    raise WixApiError(
                        400, ErrorCode.INVALID_FILTER, f'Operator {op!r} is not supported on {key!r}'
                    )
            checked[key] = {op: _lower_email(key, operand) for op, operand in value.items()}
        else:
            checked[key] = _lower_email(key, value)
    q.validate_filter(checked, fields=fields)
    return checked


def _lower_email(key: str, value: Any) -> Any:
    # Emails compare case-insensitively (Wix documents no rule; the product lower-cases both sides).
    if key != 'contact.email':
        return value
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list):
        return [v.lower() if isinstance(v, str) else v for v in value]
    return value


def _decode_cursor(cursor: str, kind: str) -> dict[str, Any]:
    if len(cursor) > CURSOR_MAX_CHARS:
        raise WixApiError(
            400, ErrorCode.INVALID_CURSOR, f'The cursor is longer than {CURSOR_MAX_CHARS} characters'
        )
    state = q.decode_cursor(cursor)
    if state.get('kind') != kind:
        raise WixApiError(400, ErrorCode.INVALID_CURSOR, f'The cursor was not issued by this {kind}')
    return state


def _rfc3339(at: float) -> str:
    return datetime.fromtimestamp(at, tz=UTC).isoformat(timespec='milliseconds').replace('+00:00', 'Z')
