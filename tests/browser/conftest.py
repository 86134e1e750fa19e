"""Real headless Chromium for the browser tests: Debian's package, driven by Playwright for Python.

`make test` installs the browser (`make chromium`: Debian's `chromium` with apt-get) and Playwright
(requirements/dev.txt); Playwright's own browser downloads are never used, so `playwright install`
is never run. The browser is `$CHROMIUM`, else /usr/bin/chromium; a missing browser FAILS the tests
that need it, so a CI run without one can never pass by skipping them.

Fixtures:
- `browser`: one headless Chromium per session (closed at its end). Playwright gives it a new, empty
  profile of its own (a temporary --user-data-dir, removed at close; `--user-data-dir` in `args` is
  refused by `launch`), and the flags this closed network needs (no background networking).
- `new_page(options)`: a page in a browser context of its own (`PageOptions`: JavaScript on or off,
  viewport, phone emulation); every context it opened is closed after the test.
- `page`: one such page, JavaScript on, desktop viewport; parametrize it indirectly for others:
  `@pytest.mark.parametrize('page', [NO_JS, PHONE_NO_JS], indirect=True)`.
- `page_no_js`: a desktop page with JavaScript off (the review page must work without it).

Every Playwright wait (actions, navigations, `expect`) gives up after `TIMEOUT_MS`, so a hang fails
the test instead of blocking the run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, expect, sync_playwright

DEFAULT_CHROMIUM = '/usr/bin/chromium'
# Each Playwright action, navigation and expect(...) assertion; starting the browser gets longer.
TIMEOUT_MS = 15_000
LAUNCH_TIMEOUT_MS = 60_000
# As run as root here: no sandbox (root has none), no GPU, and nothing that calls out to Google's
# hosts, whose connections this closed network refuses.
CHROMIUM_ARGS = (
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
)

DESKTOP_VIEWPORT: ViewportSize = {'width': 1280, 'height': 800}
PHONE_VIEWPORT: ViewportSize = {'width': 390, 'height': 844}


@dataclass(frozen=True)
class PageOptions:
    """How a test's browser context is made: JavaScript, screen size, phone emulation."""

    javascript: bool = True
    viewport: ViewportSize = field(default_factory=DESKTOP_VIEWPORT.copy)
    is_mobile: bool = False
    has_touch: bool = False
    device_scale_factor: float = 1
    locale: str = 'en-US'
    timezone_id: str = 'UTC'


DESKTOP = PageOptions()
NO_JS = PageOptions(javascript=False)
PHONE = PageOptions(viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=3)
PHONE_NO_JS = PageOptions(
    javascript=False, viewport=PHONE_VIEWPORT, is_mobile=True, has_touch=True, device_scale_factor=3
)


class NewPage(Protocol):
    def __call__(self, options: PageOptions = DESKTOP, /) -> Page: ...


@pytest.fixture(scope='session')
def chromium_executable() -> Path:
    """The browser binary: $CHROMIUM, else Debian's /usr/bin/chromium. Missing: the test fails."""
    path = Path(os.environ.get('CHROMIUM') or DEFAULT_CHROMIUM)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(
            f'No Chromium at {path}: the browser tests (tests/browser) run a real headless Chromium. '
            "`make test` installs Debian's chromium package (alone: `make chromium`); "
            'or set CHROMIUM to a Chromium binary.',
            pytrace=False,
        )
    return path


@pytest.fixture(scope='session', name='playwright')
def playwright_fixture() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        expect.set_options(timeout=TIMEOUT_MS)
        yield playwright


@pytest.fixture(scope='session')
def browser(
    playwright: Playwright, chromium_executable: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    # What Chromium writes outside its profile (crash reports, caches) goes to a session folder, not ~.
    home = tmp_path_factory.mktemp('chromium-home')
    env: dict[str, str | float | bool] = {
        **os.environ,
        'XDG_CONFIG_HOME': str(home / 'config'),
        'XDG_CACHE_HOME': str(home / 'cache'),
    }
    browser = playwright.chromium.launch(
        executable_path=chromium_executable,
        headless=True,
        args=list(CHROMIUM_ARGS),
        env=env,
        timeout=LAUNCH_TIMEOUT_MS,
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def new_page(browser: Browser) -> Iterator[NewPage]:
    """Open a page in a new browser context (`PageOptions`); all are closed after the test."""
    with ExitStack() as opened:

        def open_page(options: PageOptions = DESKTOP, /) -> Page:
            context = browser.new_context(
                java_script_enabled=options.javascript,
                viewport=options.viewport,
                is_mobile=options.is_mobile,
                has_touch=options.has_touch,
                device_scale_factor=options.device_scale_factor,
                locale=options.locale,
                timezone_id=options.timezone_id,
            )
            opened.callback(context.close)
            context.set_default_timeout(TIMEOUT_MS)
            context.set_default_navigation_timeout(TIMEOUT_MS)
            return context.new_page()

        yield open_page


@pytest.fixture
def page(new_page: NewPage, request: pytest.FixtureRequest) -> Page:
    """A page in a context of its own: DESKTOP, or the `PageOptions` given by indirect parametrization."""
    options = getattr(request, 'param', DESKTOP)
    if not isinstance(options, PageOptions):
        raise TypeError(f'parametrize `page` with PageOptions, not {options!r}')
    return new_page(options)


@pytest.fixture
def page_no_js(new_page: NewPage) -> Page:
    """A desktop page with JavaScript off: what the review page must work with."""
    return new_page(NO_JS)
