"""An interpreter that sees only what the deployed Lambdas see: requirements/runtime.txt, nothing else.

The dev virtualenv holds far more than the dependencies layer (moto alone pulls in the X-Ray SDK,
cfn-lint, Flask ...), so a handler that imports a package the layer lacks works in every test run
there and crashes on its first event in AWS. `ensure_runtime_env()` builds, once per content of
runtime.txt, a virtualenv holding exactly that file's packages; the rehearsal's isolated mode runs
the handlers with its interpreter, their code folder and the shared layer on the path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
RUNTIME_REQUIREMENTS = REPO_ROOT / 'requirements' / 'runtime.txt'
# Beside the dev venv, so `make clean` removes it and git ignores it.
CACHE_DIR = REPO_ROOT / '.venv' / 'lambda-runtime'
READY = '.ready'


class RuntimeEnvError(Exception):
    """The runtime environment could not be built (pip failed)."""


def runtime_env_dir(requirements: Path = RUNTIME_REQUIREMENTS) -> Path:
    digest = hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]
    return CACHE_DIR / digest


def ensure_runtime_env(requirements: Path = RUNTIME_REQUIREMENTS) -> Path:
    """The python of a venv made from `requirements` alone (built on first use, then reused)."""
    target = runtime_env_dir(requirements)
    if (target / READY).is_file():
        return target / 'bin' / 'python'
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    # Built beside its final place and renamed into it, so a run cut off halfway leaves no
    # half-installed environment that a later run would trust.
    scratch = Path(tempfile.mkdtemp(prefix='building-', dir=CACHE_DIR))
    try:
        _build(scratch, requirements)
        (scratch / READY).write_text(requirements.read_text(encoding='utf-8'), encoding='utf-8')
        if target.exists():
            shutil.rmtree(target)
        os.replace(scratch, target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return target / 'bin' / 'python'


def _build(folder: Path, requirements: Path) -> None:
    base = getattr(sys, '_base_executable', sys.executable)  # never the dev venv's site-packages
    commands = [
        [base, '-m', 'venv', '--without-pip', str(folder)],
        [
            sys.executable,
            '-m',
            'pip',
            'install',
            '--quiet',
            '--disable-pip-version-check',
            '--no-compile',
            '--only-binary=:all:',
            '--target',
            str(_site_packages(folder)),
            '--requirement',
            str(requirements),
        ],
    ]
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - fixed argv
        if done.returncode != 0:
            raise RuntimeEnvError(f'{" ".join(command[:4])} ... failed:\n{done.stderr[-2000:]}')


def _site_packages(folder: Path) -> Path:
    version = f'python{sys.version_info.major}.{sys.version_info.minor}'
    return folder / 'lib' / version / 'site-packages'


def main() -> int:
    print(ensure_runtime_env())
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
