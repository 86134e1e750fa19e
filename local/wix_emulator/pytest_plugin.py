"""Pytest fixtures: a fresh Wix emulator per test, with millisecond delays.

Registered from tests/conftest.py (`pytest_plugins = ['wix_emulator.pytest_plugin']`). A test
module that needs other settings overrides the `wix_emulator_settings` fixture.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from wix_emulator.server import WixEmulator
from wix_emulator.settings import EmulatorSettings

UNKNOWN_CONTACT = 'ghost@example.com'


@pytest.fixture
def wix_emulator_settings() -> EmulatorSettings:
    # Retry-After 0 keeps 429 paths fast; a test about honouring Retry-After sets its own value.
    return EmulatorSettings(
        parse_delay_s=0.02,
        import_delay_s=0.02,
        unknown_contacts=frozenset({UNKNOWN_CONTACT}),
        slow_s=1.5,
        retry_after_s=0,
    )


@pytest.fixture
def wix_emulator(wix_emulator_settings: EmulatorSettings) -> Iterator[WixEmulator]:
    with WixEmulator(wix_emulator_settings) as emulator:
        yield emulator
