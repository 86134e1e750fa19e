"""Pydantic models of every Wix Loyalty Imports request and response, with the REST field names.

Attributes are snake_case; the REST camelCase names are the aliases (`populate_by_name`), so a
model is built in Python with snake_case and dumped for the wire with `by_alias=True`.
Responses ignore fields they do not know (Wix adds fields without notice); requests forbid them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

MAX_PAGE_LIMIT = 100


class ImportStatus(StrEnum):
    UNKNOWN = 'UNKNOWN'
    INITIATED = 'INITIATED'
    PARSING = 'PARSING'
    PARSED = 'PARSED'
    IMPORTING = 'IMPORTING'
    IMPORTED = 'IMPORTED'
    FAILED = 'FAILED'

    @property
    def is_terminal(self) -> bool:
        return self in TERMINAL_STATUSES


TERMINAL_STATUSES = frozenset({ImportStatus.IMPORTED, ImportStatus.FAILED})


def _status_or_unknown(value: Any) -> Any:
    # A status Wix adds later must not make every read of an import fail: it reads as UNKNOWN,
    # which no caller treats as done.
    if isinstance(value, str) and value not in ImportStatus.__members__:
        return ImportStatus.UNKNOWN
    return value


def _int64_as_str(value: Any) -> Any:
    # Wix sends int64 values as JSON strings; accept a plain number too rather than fail a read.
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


Status = Annotated[ImportStatus, BeforeValidator(_status_or_unknown)]
Int64String = Annotated[str, BeforeValidator(_int64_as_str)]
ColumnName = Literal['EMAIL', 'POINTS']
SortField = Literal['createdDate', 'updatedDate', 'status']
SortOrder = Literal['ASC', 'DESC']


# Built on first use rather than at import (defer_build): a function sends and reads a few of these
# (building all of them cost about 10 ms of every cold start).
class WixResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra='ignore', defer_build=True)


class WixRequest(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra='forbid', defer_build=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode='json', by_alias=True, exclude_none=True)


# ---- LoyaltyImport -------------------------------------------------------------------------------


class Header(WixResponse):
    values: list[str] = Field(default_factory=list)


class HeaderMapping(WixRequest):
    column_name: ColumnName = Field(alias='columnName')
    column_index: int = Field(alias='columnIndex', ge=0)


class HeaderMappingInfo(WixRequest):
    header_mappings: list[HeaderMapping] = Field(alias='headerMappings')

    @model_validator(mode='after')
    def _exactly_one_email_and_one_points(self) -> HeaderMappingInfo:
        # Wix wants exactly two mappings; checking here means a bad mapping never leaves the client.
        names = sorted(mapping.column_name for mapping in self.header_mappings)
        if names != ['EMAIL', 'POINTS']:
            raise ValueError(f'exactly one EMAIL and one POINTS mapping are required, got {names}')
        if self.header_mappings[0].column_index == self.header_mappings[1].column_index:
            raise ValueError('EMAIL and POINTS must map to different columns')
        return self

    def index_of(self, column_name: ColumnName) -> int:
        return next(m.column_index for m in self.header_mappings if m.column_name == column_name)


class RecordedHeaderMapping(WixResponse):
    column_name: str = Field(alias='columnName')
    column_index: int = Field(alias='columnIndex')


class RecordedHeaderMappingInfo(WixResponse):
    """The mapping as Wix reports it on an import (not validated: it is Wix's record, not our input)."""

    header_mappings: list[RecordedHeaderMapping] = Field(default_factory=list, alias='headerMappings')


class SampleDataRow(WixResponse):
    values: list[str] = Field(default_factory=list)


class FileMetadata(WixResponse):
    size: int | None = None
    name: str | None = None
    url: str | None = None
    header: Header | None = None
    header_mapping_info: RecordedHeaderMappingInfo | None = Field(default=None, alias='headerMappingInfo')
    sample_data_rows: list[SampleDataRow] = Field(default_factory=list, alias='sampleDataRows')


class ParseResult(WixResponse):
    parsed_row_count: int | None = Field(default=None, alias='parsedRowCount')
    parse_error_reason: str | None = Field(default=None, alias='parseErrorReason')


class ImportResult(WixResponse):
    error_file_exists: bool | None = Field(default=None, alias='errorFileExists')
    success_count: int | None = Field(default=None, alias='successCount')
    failure_count: int | None = Field(default=None, alias='failureCount')


class LoyaltyImport(WixResponse):
    id: str
    status: Status
    async_import_job_id: str | None = Field(default=None, alias='asyncImportJobId')
    revision: Int64String | None = None
    created_date: datetime | None = Field(default=None, alias='createdDate')
    updated_date: datetime | None = Field(default=None, alias='updatedDate')
    file_metadata: FileMetadata | None = Field(default=None, alias='fileMetadata')
    parse_result: ParseResult | None = Field(default=None, alias='parseResult')
    import_result: ImportResult | None = Field(default=None, alias='importResult')


class LoyaltyImportEnvelope(WixResponse):
    loyalty_import: LoyaltyImport = Field(alias='loyaltyImport')


# ---- create upload URL / upload ----------------------------------------------------------------


class CreateUploadUrlRequest(WixRequest):
    pass


class UploadUrl(WixResponse):
    file_path: str = Field(alias='filePath')
    upload_url: str = Field(alias='uploadUrl')


# ---- create / execute / error file --------------------------------------------------------------


class CreateImportRequest(WixRequest):
    file_url: str = Field(alias='fileUrl', min_length=3, max_length=10000)
    file_name: str | None = Field(default=None, alias='fileName')
    file_size: int | None = Field(default=None, alias='fileSize', ge=0)


class ExecuteImportRequest(WixRequest):
    loyalty_import_id: str = Field(alias='loyaltyImportId', min_length=1)
    header_mapping_info: HeaderMappingInfo = Field(alias='headerMappingInfo')

    @classmethod
    def for_columns(cls, import_id: str, email_index: int, points_index: int) -> ExecuteImportRequest:
        return cls.model_validate(
            {
                'loyaltyImportId': import_id,
                'headerMappingInfo': {
                    'headerMappings': [
                        {'columnName': 'EMAIL', 'columnIndex': email_index},
                        {'columnName': 'POINTS', 'columnIndex': points_index},
                    ]
                },
            }
        )


class ErrorFileUrl(WixResponse):
    url: str


# ---- query -------------------------------------------------------------------------------------


class Sorting(WixRequest):
    field_name: SortField = Field(alias='fieldName')
    order: SortOrder = 'ASC'


class CursorPaging(WixRequest):
    limit: int = Field(default=MAX_PAGE_LIMIT, ge=1, le=MAX_PAGE_LIMIT)
    cursor: str | None = None


class Query(WixRequest):
    filter: dict[str, Any] | None = None
    sort: list[Sorting] | None = None
    cursor_paging: CursorPaging = Field(default_factory=CursorPaging, alias='cursorPaging')


class QueryImportsRequest(WixRequest):
    query: Query


class Cursors(WixResponse):
    next: str | None = None
    prev: str | None = None


class PagingMetadata(WixResponse):
    count: int | None = None
    cursors: Cursors = Field(default_factory=Cursors)
    has_next: bool = Field(default=False, alias='hasNext')


class QueryPage(WixResponse):
    loyalty_imports: list[LoyaltyImport] = Field(default_factory=list, alias='loyaltyImports')
    paging_metadata: PagingMetadata = Field(default_factory=PagingMetadata, alias='pagingMetadata')

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the next page, or None on the last page."""
        return self.paging_metadata.cursors.next if self.paging_metadata.has_next else None


# ---- OAuth and errors ----------------------------------------------------------------------------


class OAuthTokenRequest(WixRequest):
    grant_type: Literal['client_credentials'] = 'client_credentials'
    client_id: str
    client_secret: str = Field(repr=False)
    instance_id: str


class OAuthTokenResponse(WixResponse):
    access_token: str = Field(repr=False, min_length=1)
    expires_in: float = Field(gt=0)


class ApplicationError(WixResponse):
    code: str | None = None
    description: str | None = None


class ErrorDetails(WixResponse):
    application_error: ApplicationError | None = Field(default=None, alias='applicationError')
    validation_error: dict[str, Any] | None = Field(default=None, alias='validationError')


class WixErrorBody(WixResponse):
    message: str | None = None
    details: ErrorDetails | None = None
