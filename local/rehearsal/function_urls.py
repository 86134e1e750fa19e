"""Lambda Function URLs on 127.0.0.1: what moto does not serve (AWS::Lambda::Url).

Each URL of the stack is a small HTTP server on loopback that turns a request into the event a
Function URL delivers (payload format 2.0: rawPath, rawQueryString, lower-cased headers, the body
base64-encoded) and invokes the function through Lambda's API, as AWS does; the function's
`{statusCode, headers, body}` becomes the response. `FunctionUrlModel` creates one per
AWS::Lambda::Url of the template, so `Fn::GetAtt <Url>.FunctionUrl` (what the review state machine
puts in its links) is this server's address.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import boto3

MAX_BODY_BYTES = 1024 * 1024  # Function URLs accept 6 MB; the review form is a few hundred bytes

# The servers the stack's URLs run on, stopped when the rehearsal stops.
RUNNING: list[FunctionUrlServer] = []


class FunctionUrlServer:
    def __init__(self, function_name: str, region: str) -> None:
        self.function_name = function_name
        self.region = region
        self.requests = 0
        self._server = ThreadingHTTPServer(('127.0.0.1', 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name='function-url', daemon=True)

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f'http://127.0.0.1:{port}/'

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        client = boto3.client('lambda', region_name=self.region)
        answer = client.invoke(FunctionName=self.function_name, Payload=json.dumps(event).encode())
        payload = json.loads(answer['Payload'].read() or b'null')
        if answer.get('FunctionError') or not isinstance(payload, dict):
            return {
                'statusCode': 502,
                'headers': {'content-type': 'text/plain'},
                'body': 'Internal Server Error',
            }
        return payload


def url_event(
    method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str
) -> dict[str, Any]:
    """The event a Function URL would deliver for this request (payload format 2.0)."""
    parts = urlsplit(target)
    lowered = {name.lower(): value for name, value in headers.items()}
    return {
        'version': '2.0',
        'routeKey': '$default',
        'rawPath': parts.path or '/',
        'rawQueryString': parts.query,
        'headers': lowered,
        'requestContext': {
            'domainName': lowered.get('host', ''),
            'requestId': str(uuid.uuid4()),
            'timeEpoch': int(time.time() * 1000),
            'http': {
                'method': method,
                'path': parts.path or '/',
                'protocol': 'HTTP/1.1',
                'sourceIp': source_ip,
                'userAgent': lowered.get('user-agent', ''),
            },
        },
        'body': base64.b64encode(body).decode('ascii') if body else None,
        'isBase64Encoded': bool(body),
    }


def _handler_for(server: FunctionUrlServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get('Content-Length') or 0)
            if length > MAX_BODY_BYTES:
                self.send_error(413)
                return
            body = self.rfile.read(length) if length else b''
            event = url_event(self.command, self.path, dict(self.headers), body, self.client_address[0])
            answer = server.invoke(event)
            content = str(answer.get('body') or '')
            data = base64.b64decode(content) if answer.get('isBase64Encoded') else content.encode('utf-8')
            self.send_response(int(answer.get('statusCode', 200)))
            for name, value in (answer.get('headers') or {}).items():
                self.send_header(str(name), str(value))
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(data)

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: Any) -> None:
            return None  # the request line holds the review token: never logged

    return Handler


def stop_all() -> None:
    while RUNNING:
        RUNNING.pop().stop()
