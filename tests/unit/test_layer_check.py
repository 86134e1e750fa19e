"""The check `make build` runs on its output: every module the functions import is in a layer."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from layer_check import _imports_of, check_layers, requirements_of
from rehearsal.runtime_env import RUNTIME_REQUIREMENTS

# What the pinned distributions require, as their METADATA says (only what the check follows).
REQUIRES = {
    'aws-lambda-powertools': ['aws-xray-sdk<3.0.0,>=2.8.0; extra == "tracer"', 'jmespath<2.0.0,>=1.0.1'],
    'jmespath': [],
}
MODULES = {'aws-lambda-powertools': 'aws_lambda_powertools', 'aws-xray-sdk': 'aws_xray_sdk'}


def _fake_build(root: Path, *, leave_out: str = '') -> Path:
    """A .aws-sam/build with the runtime requirements' dist-info and top-level folders."""
    python = root / 'DependenciesLayer' / 'python'
    wanted = {str(r.name): str(r.specifier).lstrip('=') for r in requirements_of(RUNTIME_REQUIREMENTS)}
    wanted['jmespath'] = '1.1.0'
    for name, version in wanted.items():
        if name == leave_out:
            continue
        info = python / f'{name.replace("-", "_")}-{version}.dist-info'
        info.mkdir(parents=True)
        requires = ''.join(f'Requires-Dist: {spec}\n' for spec in REQUIRES.get(name, []))
        (info / 'METADATA').write_text(f'Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n{requires}')
        (python / MODULES.get(name, name.replace('-', '_'))).mkdir()
    for module in ('botocore',):  # boto3's own dependency, imported by the product directly
        (python / module).mkdir()
    (root / 'SharedLayer' / 'python' / 'loyalty_import').mkdir(parents=True)
    return root


def test_a_build_whose_layers_hold_every_module_passes(tmp_path: Path) -> None:
    # GIVEN a build output with every pinned distribution and the shared package
    build = _fake_build(tmp_path)
    # WHEN it is checked
    # THEN nothing is missing
    assert check_layers(build) == []


def test_a_dependencies_layer_without_the_xray_sdk_is_reported(tmp_path: Path) -> None:
    # GIVEN the layer the Tracer bug shipped: Powertools with its tracer extra, but no X-Ray SDK
    build = _fake_build(tmp_path, leave_out='aws-xray-sdk')
    # WHEN it is checked
    problems = check_layers(build)
    # THEN the missing SDK is named, both as a pin and as what Powertools' tracer extra requires
    assert any(problem.startswith('aws-xray-sdk==') for problem in problems)
    assert any('extra == "tracer"' in problem for problem in problems)


@pytest.mark.parametrize('module', ['httpx', 'pydantic'])
def test_a_module_the_product_imports_but_no_layer_holds_is_reported(tmp_path: Path, module: str) -> None:
    # GIVEN a dependencies layer that lacks a module the handlers import
    build = _fake_build(tmp_path, leave_out=module)
    # WHEN it is checked
    problems = check_layers(build)
    # THEN that module is named
    assert f'{module} is imported by the product but no layer holds it' in problems


def test_imports_only_the_type_checker_runs_are_not_required() -> None:
    # GIVEN code importing one module lazily in a function and one only under TYPE_CHECKING
    tree = ast.parse(
        'from typing import TYPE_CHECKING\n'
        'if TYPE_CHECKING:\n    import mypy_boto3_s3\nelse:\n    import json\n'
        'def f():\n    from charset_normalizer import from_bytes\n'
    )
    # WHEN its imports are listed
    # THEN the lazy one counts, the type-checking one does not
    assert _imports_of(tree) == {'typing', 'json', 'charset_normalizer'}
