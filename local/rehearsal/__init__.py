"""Local rehearsal of the whole pipeline: template.yaml in moto, the real handlers, a Wix emulator.

`make demo` runs `python -m rehearsal`; tests/e2e drive `Rehearsal` directly.
"""

from __future__ import annotations

from rehearsal.harness import Drop, Outcome, Rehearsal, RehearsalConfig, RehearsalError, SnsMessage

__all__ = ['Drop', 'Outcome', 'Rehearsal', 'RehearsalConfig', 'RehearsalError', 'SnsMessage']
