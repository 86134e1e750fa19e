from __future__ import annotations

from pathlib import Path
from typing import Any

import loyalty_import
from tests.conftest import REPO_ROOT


def test_shared_package_is_imported_from_the_layer_folder() -> None:
    # GIVEN the editable install of the project
    # WHEN the shared package is imported
    # THEN it is the code the shared Lambda layer ships, not a copy
    assert Path(loyalty_import.__file__).parent == REPO_ROOT / 'layers' / 'shared' / 'loyalty_import'


def test_contract_lists_the_seven_operations(wix_contract: dict[str, Any]) -> None:
    assert len(wix_contract['endpoints']) == 7
