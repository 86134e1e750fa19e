"""The drop bucket (S3): read a source object version with a size bound, write results."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.pipeline.adapters._aws import error_code
from loyalty_import.pipeline.errors import ObjectTooLarge, SourceNotFound, StorageError
from loyalty_import.pipeline.ports import StoredObject

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_GONE = {'NoSuchKey', 'NoSuchVersion', '404', 'NotFound'}


class S3Storage:
    def __init__(self, client: S3Client | None = None) -> None:
        if client is None:
            import boto3  # noqa: PLC0415 - created at cold start, not at import

            client = boto3.client('s3')
        self._client = client

    def read(self, bucket: str, key: str, version_id: str | None, *, max_bytes: int) -> StoredObject:
        try:
            if version_id:
                response = self._client.get_object(Bucket=bucket, Key=key, VersionId=version_id)
            else:
                response = self._client.get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if error_code(exc) in _GONE:
                raise SourceNotFound(f's3://{bucket}/{key} (version {version_id}) no longer exists') from exc
            raise StorageError(f'could not read s3://{bucket}/{key}: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise StorageError(f'could not read s3://{bucket}/{key}') from exc
        body = response['Body']
        size = int(response.get('ContentLength', 0))
        try:
            if size > max_bytes:
                raise ObjectTooLarge(size, max_bytes)
            # Never trust the announced length alone: read at most one byte past the bound.
            content = body.read(max_bytes + 1)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f'could not read s3://{bucket}/{key}') from exc
        finally:
            body.close()
        if len(content) > max_bytes:
            raise ObjectTooLarge(len(content), max_bytes)
        return StoredObject(
            content=content,
            size=len(content),
            metadata=dict(response.get('Metadata', {})),
            etag=str(response.get('ETag', '')).strip('"') or None,
            version_id=response.get('VersionId'),
            content_type=response.get('ContentType'),
        )

    def write(
        self,
        bucket: str,
        key: str,
        content: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> str:
        try:
            self._client.put_object(
                Bucket=bucket, Key=key, Body=content, ContentType=content_type, Metadata=dict(metadata or {})
            )
        except ClientError as exc:
            raise StorageError(f'could not write s3://{bucket}/{key}: {error_code(exc)}') from exc
        except BotoCoreError as exc:
            raise StorageError(f'could not write s3://{bucket}/{key}') from exc
        return f's3://{bucket}/{key}'
