"""The minimal handler a cold start is measured against: the same boto3 clients, the same calls.

It creates (at import, as a plain Lambda does) the boto3 clients the product's handler created in
the run just before (as many of each service; not the two the X-Ray SDK makes for itself, which
are the cost of the product's tracing), then replays that run's AWS and Wix calls in order with
the same parameters: AWS through those clients, Wix over the standard library's http.client (one
kept-alive connection per host, as httpx keeps). An error answer (the import already exists, the
item was already written) costs the same round trip and is ignored. What it lacks is the product
itself: its imports, wiring, models, logging, tracing and the work between the calls.
"""

from __future__ import annotations

import base64
import http.client
import json
import os
import urllib.parse
from typing import Any

import boto3
import botocore.exceptions

with open(os.environ['BENCH_REPLAY'], encoding='utf-8') as _plan:
    _PLAN = json.load(_plan)
CLIENTS: dict[str, Any] = {}
_ALL = [boto3.client(c['service']) for c in _PLAN['clients'] if not c['by_xray_sdk']]
for _client in _ALL:
    CLIENTS.setdefault(_client.meta.service_model.service_name, _client)
_CONNECTIONS: dict[str, http.client.HTTPConnection] = {}
_SKIPPED_HEADERS = {'host', 'content-length', 'connection', 'accept-encoding'}


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {'__bytes__'}:
            return base64.b64decode(value['__bytes__'])
        return {key: _decoded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decoded(item) for item in value]
    return value


def _aws(call: dict[str, Any]) -> None:
    client = CLIENTS.get(call['aws']) or CLIENTS.setdefault(call['aws'], boto3.client(call['aws']))
    try:
        response = client._make_api_call(call['operation'], _decoded(call['params']))
    except botocore.exceptions.ClientError:
        return
    body = response.get('Body')
    if body is not None:
        body.read()


def _http(call: dict[str, Any]) -> None:
    url = urllib.parse.urlsplit(call['url'])
    connection = _CONNECTIONS.get(url.netloc)
    if connection is None:
        connection = _CONNECTIONS.setdefault(url.netloc, http.client.HTTPConnection(url.netloc, timeout=10))
    headers = {k: v for k, v in call['headers'].items() if k.lower() not in _SKIPPED_HEADERS}
    target = url.path + (f'?{url.query}' if url.query else '')
    connection.request(call['http'], target, body=_decoded(call['body']) or None, headers=headers)
    connection.getresponse().read()


def handler(event: dict[str, Any], context: object) -> dict[str, Any]:
    for call in _PLAN['calls']:
        if 'aws' in call:
            _aws(call)
        else:
            _http(call)
    return {'replayed': len(_PLAN['calls'])}
