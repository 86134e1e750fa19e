"""Wix Loyalty Accounts: the read side the product needs to snapshot and verify balances.

The REST field names are Wix's (`../shared/wix/loyalty-accounts-contract.json`): a LoyaltyAccount
has `id`, `contactId`, `points.{balance,earned,adjusted,redeemed,expired}`, `revision` (an int64
as a string) and a read-only `contact.{id,email,name}`. Only Search Accounts filters by
`contact.email`; `AccountBalance` is what a snapshot keeps of one account.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from pydantic import Field, field_validator

from loyalty_import.wix.models import (
    MAX_PAGE_LIMIT,
    CursorPaging,
    Int64String,
    PagingMetadata,
    WixRequest,
    WixResponse,
)

# Paths under the Loyalty Accounts base (template.yaml's WixAccountsBaseUrl), not the imports base.
ACCOUNT_PATHS: Final = {
    'search_accounts': '/v1/accounts/search',
    'count_accounts': '/v1/accounts/count',
    'get_program_totals': '/v1/accounts/program-totals',
}
# Emails per Search Accounts call: the page limit, so one page answers one batch. Wix documents
# no maximum for `$in`; 100 matches the page size.
SEARCH_BATCH: Final = MAX_PAGE_LIMIT
# Pages read for one batch before giving up: one email owns at most one account, so a batch
# normally fits one page; this only stops a server whose cursors never end.
MAX_PAGES_PER_BATCH: Final = 20


class AccountBalance(WixResponse):
    """One loyalty account's current balance, keyed by its owner's (lower-cased) email."""

    email: str
    account_id: str
    contact_id: str
    balance: int
    revision: str

    @field_validator('email')
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.strip().lower()


# ---- the wire -----------------------------------------------------------------------------------


class Points(WixResponse):
    balance: int = 0
    earned: int = 0
    adjusted: int = 0
    redeemed: int = 0
    expired: int = 0


class AccountContact(WixResponse):
    id: str | None = None
    email: str | None = None
    name: str | None = None


class LoyaltyAccount(WixResponse):
    id: str
    contact_id: str = Field(alias='contactId')
    points: Points = Field(default_factory=Points)
    revision: Int64String
    contact: AccountContact | None = None
    created_date: datetime | None = Field(default=None, alias='createdDate')
    updated_date: datetime | None = Field(default=None, alias='updatedDate')

    def balance(self) -> AccountBalance | None:
        """The snapshot row of this account, or None when Wix gives no email for its contact."""
        email = self.contact.email if self.contact else None
        if not email:
            return None
        return AccountBalance(
            email=email,
            account_id=self.id,
            contact_id=self.contact_id,
            balance=self.points.balance,
            revision=self.revision,
        )


class AccountSearch(WixRequest):
    filter: dict[str, Any] | None = None
    cursor_paging: CursorPaging = Field(default_factory=CursorPaging, alias='cursorPaging')


class SearchAccountsRequest(WixRequest):
    search: AccountSearch

    @classmethod
    def for_emails(cls, emails: list[str]) -> SearchAccountsRequest:
        return cls(search=AccountSearch(filter={'contact.email': {'$in': emails}}))

    @classmethod
    def next_page(cls, cursor: str) -> SearchAccountsRequest:
        # A cursor carries the filter it was issued for: send it alone, as for imports queries.
        return cls(search=AccountSearch(cursor_paging=CursorPaging(cursor=cursor)))


class SearchAccountsPage(WixResponse):
    accounts: list[LoyaltyAccount] = Field(default_factory=list)
    paging_metadata: PagingMetadata = Field(default_factory=PagingMetadata, alias='pagingMetadata')

    @property
    def next_cursor(self) -> str | None:
        return self.paging_metadata.cursors.next if self.paging_metadata.has_next else None


class AccountCount(WixResponse):
    count: int


class ProgramTotals(WixResponse):
    points: Points = Field(default_factory=Points)


def email_batches(emails: list[str] | tuple[str, ...], size: int = SEARCH_BATCH) -> list[list[str]]:
    """Distinct, lower-cased, non-empty emails in first-seen order, cut into batches of `size`."""
    distinct = list(dict.fromkeys(e.strip().lower() for e in emails if e and e.strip()))
    return [distinct[start : start + size] for start in range(0, len(distinct), size)]
