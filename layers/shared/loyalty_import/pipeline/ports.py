"""The interfaces the logic depends on. Adapters (boto3) and the Wix client implement them; unit
tests pass small recording fakes instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from loyalty_import.pipeline.models import (
    ContentClaim,
    ImportRecord,
    InspectionOutcome,
    Notification,
    Overrides,
    RememberedLayout,
    ReviewLink,
)
from loyalty_import.wix.accounts import AccountBalance
from loyalty_import.wix.models import LoyaltyImport, UploadUrl

if TYPE_CHECKING:
    from loyalty_import.pipeline.pacing import Pace


class WixImports(Protocol):
    """The part of `loyalty_import.wix.WixClient` the pipeline uses."""

    def create_upload_url(self) -> UploadUrl: ...

    def upload_file(self, upload_url: str, file_name: str, content: bytes) -> None: ...

    def create_import(self, file_url: str, file_name: str, file_size: int) -> LoyaltyImport: ...

    def find_created_import(
        self, file_urls: str | Sequence[str], file_size: int, created_since: datetime
    ) -> LoyaltyImport | None: ...

    def get_import(self, import_id: str) -> LoyaltyImport: ...

    def execute_import(self, import_id: str, email_index: int, points_index: int) -> LoyaltyImport: ...

    def get_error_file_url(self, import_id: str) -> str: ...

    def download(self, url: str) -> bytes: ...

    def find_accounts(self, emails: Sequence[str]) -> list[AccountBalance]: ...


# A site's Wix client by site name (`pipeline.sites`; `default` in single-site mode).
WixProvider = Callable[[str], WixImports]


class CallBudgets(Protocol):
    """The sites' shared Wix call budgets (`pipeline.adapters.budget`)."""

    def for_site(self, site: str) -> Callable[[str], None]:
        """The Wix client's `budget` hook of one site: returns when a call may be sent."""
        ...


class RecordStore(Protocol):
    def create(self, record: ImportRecord) -> bool:
        """Store a new record; False when one already exists for its key (nothing written)."""
        ...

    def get(self, source_id: str) -> ImportRecord | None: ...

    def save(self, record: ImportRecord) -> ImportRecord:
        """Write the record if nobody changed it since it was read (raises ConcurrentUpdate);
        returns it with its new version."""
        ...

    # The same table holds one item per content fingerprint (see `pipeline.guards.fingerprints`).
    def get_claim(self, fingerprint: str) -> ContentClaim | None: ...

    def put_claim(self, claim: ContentClaim, *, replacing: ContentClaim | None) -> bool:
        """Write the claim if its item is still `replacing` (None: absent); False when it changed."""
        ...

    # And one item per review link (`review#<sha256 of the token>`), pointing at its record.
    def put_link(self, link: ReviewLink) -> None: ...

    def get_link(self, token_hash: str) -> ReviewLink | None: ...


class PaceStore(Protocol):
    """Each Wix site's learned parse and import pace (`pipeline.pacing`), one item per site."""

    def get(self, site: str) -> Pace: ...

    def put(self, site: str, pace: Pace) -> None: ...


class LayoutStore(Protocol):
    """Remembered layouts (`pipeline.review.layouts`), one item per layout id."""

    def get(self, layout_id: str) -> RememberedLayout | None: ...

    def put(self, layout: RememberedLayout) -> None: ...

    def list(self) -> list[RememberedLayout]: ...

    def delete(self, layout_id: str) -> bool:
        """Forget the layout; False when it was not remembered."""
        ...


class ReviewCallbacks(Protocol):
    """Step Functions' callback API: tell the execution waiting on a review what was decided."""

    def send_success(self, task_token: str, output: Mapping[str, object]) -> bool:
        """True when delivered; False when that task no longer waits (timed out or ended)."""
        ...


class Notifier(Protocol):
    def publish(self, notification: Notification) -> str:
        """Publish; returns the message id."""
        ...


@dataclass(frozen=True)
class StoredObject:
    content: bytes
    size: int
    metadata: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    version_id: str | None = None
    content_type: str | None = None


@dataclass(frozen=True)
class StoredStream:
    """An object read as it arrives (a large source file, never whole in memory): `chunks` yields
    its bytes once, and raises ObjectTooLarge if more than the bound arrive after all."""

    chunks: Iterator[bytes]
    size: int
    metadata: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    version_id: str | None = None


class Storage(Protocol):
    def read(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredObject:
        """The object's bytes (raises ObjectTooLarge past max_bytes, SourceNotFound when gone)."""
        ...

    def stream(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredStream:
        """The object's bytes in chunks, as S3 sends them (the same errors as `read`)."""
        ...

    def write(
        self,
        bucket: str,
        key: str,
        content: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        """Write an object (with this S3 user metadata); returns its s3:// URI."""
        ...


class Workflow(Protocol):
    def start(self, name: str, payload: Mapping[str, object]) -> str | None:
        """Start the import's execution; returns its ARN, or None when one of that name exists."""
        ...


class Inspector(Protocol):
    """Runs the CSV inspection (raises FileRefused for a file it will not import).

    `recheck_content`: the overrides are a remembered layout's, so their columns' content must pass.
    """

    def __call__(
        self, data: bytes, overrides: Overrides, *, recheck_content: bool = False
    ) -> InspectionOutcome: ...
