"""A deliberately thin raw-HTTP driver for testing the emulator itself.

Not the product's Wix client (that is `loyalty_import.wix`): no retries, no models. Every method
and path comes from the contract JSON it is given, so a test that passes through it also proves
the emulator serves the contract's paths and methods.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Mapping
from typing import Any

import httpx

from wix_emulator.server import WixEmulator


class RawWixApi:
    def __init__(
        self,
        emulator: WixEmulator,
        contract: Mapping[str, Any],
        *,
        headers: Mapping[str, str] | None = None,
        timeout: float = 5.0,
        accounts_contract: Mapping[str, Any] | None = None,
    ) -> None:
        self.emulator = emulator
        self.contract = contract
        self.accounts_contract = accounts_contract
        creds = emulator.credentials
        default = {'Authorization': creds.api_key, 'wix-site-id': creds.site_id}
        self.headers = dict(default if headers is None else headers)
        # The emulator is plain http; sharing one TLS context only saves building one per client.
        self.http = httpx.Client(timeout=timeout, verify=_tls_context())

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> RawWixApi:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def call(
        self,
        endpoint: str,
        *,
        json: object = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,
    ) -> httpx.Response:
        spec = self.contract['endpoints'][endpoint]
        return self.http.request(
            spec['method'],
            self.emulator.base_url + spec['path'],
            json=json,
            params=params,
            headers=self.headers if headers is None else headers,
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )

    def call_accounts(
        self,
        endpoint: str,
        *,
        json: object = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """A Loyalty Accounts endpoint, method and path from the accounts contract, on its own base."""
        if self.accounts_contract is None:
            raise ValueError('RawWixApi(..., accounts_contract=...) is needed for the accounts endpoints')
        spec = self.accounts_contract['endpoints'][endpoint]
        return self.http.request(
            spec['method'],
            self.emulator.accounts_base_url + spec['path'],
            json=json,
            headers=self.headers if headers is None else headers,
        )

    # -- the flow, one call each -----------------------------------------------------------
    def create_upload_url(self) -> dict[str, str]:
        return dict(_ok(self.call('create_upload_url', json={})))

    def upload(
        self, upload_url: str, file_name: str, content: bytes, headers: Mapping[str, str] | None = None
    ) -> httpx.Response:
        # The upload URL has its own query (the token): merge `filename` into it, never replace it.
        url = httpx.URL(upload_url).copy_merge_params({'filename': file_name})
        spec = self.contract['endpoints']['upload_file']
        return self.http.request(spec['method'], url, content=content, headers=dict(headers or {}))

    def upload_file(self, file_name: str, content: bytes) -> str:
        """Upload through a fresh upload URL; returns the filePath to create the import with."""
        upload = self.create_upload_url()
        _ok(self.upload(upload['uploadUrl'], file_name, content))
        return upload['filePath']

    def create_import(self, file_url: str, file_name: str, file_size: int) -> dict[str, Any]:
        body = {'fileUrl': file_url, 'fileName': file_name, 'fileSize': file_size}
        return dict(_ok(self.call('create_import', json=body))['loyaltyImport'])

    def upload_and_create(self, file_name: str, content: bytes) -> dict[str, Any]:
        return self.create_import(self.upload_file(file_name, content), file_name, len(content))

    def get_import(self, import_id: str) -> dict[str, Any]:
        return dict(_ok(self.call('get_import', params={'loyaltyImportId': import_id}))['loyaltyImport'])

    def execute(self, import_id: str, email_index: int, points_index: int) -> httpx.Response:
        return self.call('execute_import', json=execute_body(import_id, email_index, points_index))

    def error_file_url(self, import_id: str) -> httpx.Response:
        return self.call('get_error_file_url', params={'loyaltyImportId': import_id})

    def query(self, query: Mapping[str, Any]) -> httpx.Response:
        return self.call('query_imports', json={'query': dict(query)})

    def oauth_token(self, body: Mapping[str, Any]) -> httpx.Response:
        return self.http.post(self.emulator.oauth_token_url, json=dict(body))


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()


def execute_body(import_id: str, email_index: int, points_index: int) -> dict[str, Any]:
    return {
        'loyaltyImportId': import_id,
        'headerMappingInfo': {
            'headerMappings': [
                {'columnName': 'EMAIL', 'columnIndex': email_index},
                {'columnName': 'POINTS', 'columnIndex': points_index},
            ]
        },
    }


def _ok(response: httpx.Response) -> Any:
    if response.status_code != 200:
        raise AssertionError(
            f'{response.request.method} {response.request.url.path}: {response.status_code} {response.text}'
        )
    return response.json()
