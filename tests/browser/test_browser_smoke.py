"""The browser plumbing, end to end: Debian's Chromium, JavaScript off, a form posted to a local server.

A small server-rendered page (as the review page will be) is served on 127.0.0.1 by a
ThreadingHTTPServer in a thread; the browser fills its <select>, submits the form (POST), and shows
what the server answered. Nothing sleeps: the server hands each post over a queue, Playwright waits
for the page itself, and both give up after a bounded time.
"""

from __future__ import annotations

import html
import queue
import threading
from collections.abc import Iterator
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import cast
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import NO_JS, PHONE_NO_JS, TIMEOUT_MS, NewPage, PageOptions

WAIT_S = TIMEOUT_MS / 1000
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'

FORM_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Review export.csv</title>
</head>
<body>
<h1>Which column holds the current balance?</h1>
<form method="post" action="/decide">
  <input type="hidden" name="file" value="export.csv">
  <label for="points">Points column</label>
  <select id="points" name="points_column">
    <option value="6">Points balance</option>
    <option value="7">Redeemed points</option>
  </select>
  <button type="submit">Import with this column</button>
</form>
<noscript><p id="no-script">Works without JavaScript.</p></noscript>
<script>document.body.insertAdjacentHTML('beforeend', '<p id="script-ran">JavaScript ran.</p>');</script>
</body>
</html>
"""


class FormServer(ThreadingHTTPServer):
    """Serves FORM_PAGE at / and answers a POST to /decide; each post's fields go to `posts`."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(('127.0.0.1', 0), FormHandler)
        self.posts: queue.Queue[dict[str, list[str]]] = queue.Queue()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f'http://{host!s}:{port}/'


class FormHandler(BaseHTTPRequestHandler):
    timeout = WAIT_S  # a connection that stalls is dropped, never holds the server

    def do_GET(self) -> None:
        if self.path != '/':
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        self._reply(FORM_PAGE)

    def do_POST(self) -> None:
        if self.path != '/decide':
            self.send_error(HTTPStatus.NOT_FOUND)
            return
        body = self.rfile.read(int(self.headers.get('Content-Length', '0'))).decode('ascii')
        fields = parse_qs(body, keep_blank_values=True, strict_parsing=True)
        cast(FormServer, self.server).posts.put(fields)
        file, column = (html.escape(fields[name][0]) for name in ('file', 'points_column'))
        self._reply(
            '<!doctype html><meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<title>Decided</title><h1>Importing {file}</h1><p id="decision">Points from column {column}</p>'
        )

    def _reply(self, page: str) -> None:
        payload = page.encode('utf-8')
        self.send_response(HTTPStatus.OK)
        self.send_header('Content-Type', 'text/html; charset=utf-8')
        self.send_header('Content-Length', str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: pytest shows what a failing test needs."""


@pytest.fixture
def form_server() -> Iterator[FormServer]:
    server = FormServer()
    thread = threading.Thread(target=server.serve_forever, name='form-server', daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(WAIT_S)


@pytest.mark.parametrize('options', [NO_JS, PHONE_NO_JS], ids=['desktop', 'phone'])
def test_a_form_is_filled_and_posted_with_javascript_off(
    new_page: NewPage, options: PageOptions, form_server: FormServer, tmp_path: Path
) -> None:
    # GIVEN the form page, opened in Chromium with JavaScript off
    page = new_page(options)
    page.goto(form_server.url)
    expect(page.get_by_role('heading', level=1)).to_have_text('Which column holds the current balance?')
    expect(page.locator('#no-script')).to_be_visible()
    expect(page.locator('#script-ran')).to_have_count(0)
    # WHEN a person picks the other column and submits
    page.get_by_label('Points column').select_option('Redeemed points')
    with page.expect_navigation():
        page.get_by_role('button', name='Import with this column').click()
    # THEN the server received the form's fields, posted
    assert form_server.posts.get(timeout=WAIT_S) == {'file': ['export.csv'], 'points_column': ['7']}
    assert form_server.posts.empty()
    # AND the browser shows the server's answer
    expect(page).to_have_title('Decided')
    expect(page.locator('#decision')).to_have_text('Points from column 7')
    # AND a screenshot of it is a PNG as wide as the viewport, in device pixels (a phone's is 390 CSS
    # pixels wide only because the page says width=device-width, else it lays out 980)
    shot = tmp_path / 'decided.png'
    page.screenshot(path=shot, full_page=True)
    png = shot.read_bytes()
    assert png.startswith(PNG_SIGNATURE)
    assert png[12:16] == b'IHDR'
    assert int.from_bytes(png[16:20], 'big') == options.viewport['width'] * options.device_scale_factor


def test_page_runs_javascript_and_page_no_js_does_not(page: Page, page_no_js: Page) -> None:
    # GIVEN the same page in the default context and in the one with JavaScript off
    for opened in (page, page_no_js):
        opened.set_content(FORM_PAGE)
    # THEN only the default one ran its script; the other shows its <noscript>
    expect(page.locator('#script-ran')).to_have_text('JavaScript ran.')
    expect(page.locator('#no-script')).to_have_count(0)
    expect(page_no_js.locator('#script-ran')).to_have_count(0)
    expect(page_no_js.locator('#no-script')).to_be_visible()
