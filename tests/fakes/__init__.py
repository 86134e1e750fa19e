"""The fakes every suite shares: one clock (`tests.fakes.clock`) and one Wix (`tests.fakes.wix`).

Unit tests run on them; adapter tests use moto and the Wix emulator; end-to-end tests use the
rehearsal (tests/e2e).
"""
