"""`python -m layer_check .aws-sam/build`: run by `make build`; exit 1 if a layer lacks a module."""

from __future__ import annotations

import sys
from pathlib import Path

from layer_check import check_layers


def main(argv: list[str]) -> int:
    build_dir = Path(argv[0] if argv else '.aws-sam/build')
    problems = check_layers(build_dir)
    for problem in problems:
        print(f'layer check: {problem}', file=sys.stderr)
    if not problems:
        print(f'layer check: {build_dir} holds every module the functions import')
    return 1 if problems else 0


if __name__ == '__main__':
    raise SystemExit(main(sys.argv[1:]))
