"""A local Wix Loyalty Imports API: the same paths, fields, auth and asynchronous statuses as Wix.

Runs on 127.0.0.1 only. Used by tests (as a pytest fixture), by `make wix-emulator` and by the
local rehearsal (`make demo`).
"""

from __future__ import annotations

from wix_emulator.accounts import BalanceChange
from wix_emulator.errors import ErrorCode
from wix_emulator.faults import ENDPOINTS, Fault, FaultPlan
from wix_emulator.server import LoggedRequest, WixEmulator
from wix_emulator.settings import MAX_FILE_BYTES, Credentials, EmulatorSettings

__all__ = [
    'ENDPOINTS',
    'MAX_FILE_BYTES',
    'BalanceChange',
    'Credentials',
    'EmulatorSettings',
    'ErrorCode',
    'Fault',
    'FaultPlan',
    'LoggedRequest',
    'WixEmulator',
]
