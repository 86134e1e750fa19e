"""Fixtures every kind of test shares: where ../shared is, and the Wix contract read from it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# The `wix_emulator` fixture: a fresh local Wix per test (local/wix_emulator/pytest_plugin.py).
pytest_plugins = ['wix_emulator.pytest_plugin']

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / 'shared'


@pytest.fixture(scope='session')
def shared_dir() -> Path:
    if not SHARED_DIR.is_dir():  # pragma: no cover - a broken checkout, not a test outcome
        pytest.fail(f'../shared is missing beside the checkout: {SHARED_DIR}')
    return SHARED_DIR


@pytest.fixture(scope='session')
def wix_contract(shared_dir: Path) -> dict[str, Any]:
    """The machine-readable Wix Loyalty Imports contract; tests read it rather than copy it."""
    contract: dict[str, Any] = json.loads((shared_dir / 'wix' / 'loyalty-imports-contract.json').read_text())
    return contract
