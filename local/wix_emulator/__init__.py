"""A local Wix Loyalty Imports API: the same paths, fields, auth and asynchronous statuses as Wix.

Runs on 127.0.0.1 only. Used by tests (as a pytest fixture), by `make wix-emulator` and by the
local rehearsal (`make demo`).
"""

from __future__ import annotations

from wix_emulator.accounts import BalanceChange
from wix_emulator.errors import ErrorCode
from wix_emulator.faults import ENDPOINTS, Fault, FaultPlan
from wix_emulator.ratelimit import RATE_LIMITED_ENDPOINTS
from wix_emulator.server import DEFAULT_SITE, LoggedRequest, Site, WixEmulator
from wix_emulator.settings import MAX_FILE_BYTES, Credentials, EmulatorSettings, Pace
from wix_emulator.store import ImportTiming

__all__ = [
    'DEFAULT_SITE',
    'ENDPOINTS',
    'MAX_FILE_BYTES',
    'RATE_LIMITED_ENDPOINTS',
    'BalanceChange',
    'Credentials',
    'EmulatorSettings',
    'ErrorCode',
    'Fault',
    'FaultPlan',
    'ImportTiming',
    'LoggedRequest',
    'Pace',
    'Site',
    'WixEmulator',
]
