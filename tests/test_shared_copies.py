"""The repository's copies of the shared facts still match the team's ../shared, where it exists."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, SHARED_DIR

UPSTREAM = REPO_ROOT.parent / 'shared'
COPIED = ('samples', 'wix')


def _files(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for folder in COPIED
        for path in sorted((root / folder).rglob('*'))
        if path.is_file()
    }


def test_the_copies_are_in_the_repository() -> None:
    # GIVEN a clone of the repository (with or without ../shared beside it)
    # WHEN the copied folders are listed
    copies = _files(SHARED_DIR)
    # THEN the samples with their answers and the Wix contracts are there
    assert 'samples/expected.json' in copies
    assert 'wix/loyalty-imports-contract.json' in copies
    assert 'wix/loyalty-accounts-contract.json' in copies
    assert 'wix/loyalty-accounts-api.md' in copies
    assert len([name for name in copies if name.endswith('.csv')]) >= 10


@pytest.mark.skipif(not UPSTREAM.is_dir(), reason='no ../shared beside this checkout (a clone from a forge)')
def test_the_copies_match_shared_byte_for_byte() -> None:
    # GIVEN the team's shared folder beside the checkout
    # WHEN both trees are read
    upstream, copies = _files(UPSTREAM), _files(SHARED_DIR)
    # THEN every file is there with the same bytes, and no copy is left over
    assert sorted(upstream) == sorted(copies)
    assert [name for name in upstream if upstream[name] != copies[name]] == []
