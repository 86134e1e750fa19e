"""Fixtures every kind of test shares: the repository's copies of the shared facts, and the Wix contract."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# The `wix_emulator` fixture: a fresh local Wix per test (local/wix_emulator/pytest_plugin.py).
pytest_plugins = ['wix_emulator.pytest_plugin']

REPO_ROOT = Path(__file__).resolve().parent.parent
# Copies of the team's shared/ folder (samples, Wix contracts) kept in the repository, so a clone
# tests on its own; tests/test_shared_copies.py keeps them equal to ../shared where it exists.
SHARED_DIR = REPO_ROOT / 'tests' / 'fixtures' / 'shared'
WIX_CONTRACT_PATH = SHARED_DIR / 'wix' / 'loyalty-imports-contract.json'
WIX_ACCOUNTS_CONTRACT_PATH = SHARED_DIR / 'wix' / 'loyalty-accounts-contract.json'


@pytest.fixture(scope='session')
def shared_dir() -> Path:
    return SHARED_DIR


@pytest.fixture(scope='session')
def wix_contract() -> dict[str, Any]:
    """The machine-readable Wix Loyalty Imports contract; tests read it rather than copy it."""
    contract: dict[str, Any] = json.loads(WIX_CONTRACT_PATH.read_text(encoding='utf-8'))
    return contract


@pytest.fixture(scope='session')
def wix_accounts_contract() -> dict[str, Any]:
    """The machine-readable Wix Loyalty Accounts (and Contacts) contract."""
    contract: dict[str, Any] = json.loads(WIX_ACCOUNTS_CONTRACT_PATH.read_text(encoding='utf-8'))
    return contract
