"""A local Wix Loyalty Imports API: the same paths, fields, auth and asynchronous statuses as Wix.

Runs on 127.0.0.1 only. Used by tests (as a pytest fixture), by `make wix-emulator` and by the
local rehearsal (`make demo`).
"""
