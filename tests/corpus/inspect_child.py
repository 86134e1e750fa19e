"""Inspect one file in a child process, with its address space capped: the guard for inputs that
could hang or balloon (5,000 columns, a 2 MB cell, > 10 MB, binary). The parent gives it a timeout.

Usage: python -m tests.corpus.inspect_child PATH CHECKS_JSON   (prints one Outcome as JSON)
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

from tests.corpus.outcomes import Outcome, WixLimits, inspect_bytes

# Far above the 4x-file-size bar for a 10 MB file, low enough that a runaway fails instead of
# swapping the machine. Exceeding it surfaces as MemoryError, which the parent reports.
MEMORY_CAP_BYTES = 2 * 1024**3


def main(argv: list[str]) -> int:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
    data = Path(argv[1]).read_bytes()
    checks = [(str(email), int(points)) for email, points in json.loads(argv[2])]
    try:
        outcome = inspect_bytes(data, checks, WixLimits.from_contract())
    except MemoryError:
        outcome = Outcome(kind='error', code='MemoryError', message=f'over the {MEMORY_CAP_BYTES} byte cap')
    sys.stdout.write(outcome.to_json() + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
