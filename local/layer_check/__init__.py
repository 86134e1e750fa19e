"""What the Lambdas import, and whether their layers hold it.

`product_imports()` reads the product's code (the handlers and the shared layer) and lists every
top-level module it imports, lazy imports inside functions included. `check_layers()` checks that a
built stack (`make build`'s .aws-sam/build) holds each of them, beside the standard library, and
that each distribution of the dependencies layer has what it requires: the X-Ray SDK the
Tracer needs is never imported by our code, only required by `aws-lambda-powertools[tracer]`.
tests/lambda_env checks the same on an environment built from requirements/runtime.txt, where the
handlers really run.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from rehearsal.runtime_env import RUNTIME_REQUIREMENTS

REPO_ROOT = Path(__file__).resolve().parents[2]
PRODUCT_CODE = (REPO_ROOT / 'functions', REPO_ROOT / 'layers' / 'shared')
# The interpreter the layer is built for (template.yaml: python3.13 on arm64).
LAMBDA_MARKERS: dict[str, str] = {
    **{key: str(value) for key, value in default_environment().items()},
    'python_version': '3.13',
    'python_full_version': '3.13.0',
    'platform_machine': 'aarch64',
    'sys_platform': 'linux',
    'platform_system': 'Linux',
    'os_name': 'posix',
    'implementation_name': 'cpython',
}


def product_imports(roots: Iterable[Path] = PRODUCT_CODE) -> set[str]:
    """Top-level names of every absolute import in the product's code (relative ones stay inside)."""
    names: set[str] = set()
    for root in roots:
        for path in root.rglob('*.py'):
            names |= _imports_of(ast.parse(path.read_bytes(), filename=str(path)))
    return names


def _imports_of(tree: ast.AST) -> set[str]:
    names: set[str] = set()
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            names |= _imports_of(ast.Module(body=node.orelse, type_ignores=[]))
            continue  # only the type checker runs those imports
        if isinstance(node, ast.Import):
            names.update(alias.name.partition('.')[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.partition('.')[0])
        names |= _imports_of(node)
    return names


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == 'TYPE_CHECKING') or (
        isinstance(test, ast.Attribute) and test.attr == 'TYPE_CHECKING'
    )


def third_party(names: Iterable[str], own: Iterable[str] = ('loyalty_import', 'app')) -> set[str]:
    return set(names) - set(sys.stdlib_module_names) - {'__future__'} - set(own)


def top_level_modules(folder: Path) -> set[str]:
    """Importable top-level names in a folder on sys.path (packages and single-file modules)."""
    names = set()
    for entry in folder.iterdir() if folder.is_dir() else ():
        if entry.is_dir() and not entry.name.endswith(('.dist-info', '.egg-info', '__pycache__')):
            names.add(entry.name)
        elif entry.suffix in {'.py', '.so', '.pyd'}:
            names.add(entry.name.split('.')[0])
    return names


def requirements_of(path: Path) -> list[Requirement]:
    lines = (line.split('#', 1)[0].strip() for line in path.read_text(encoding='utf-8').splitlines())
    return [Requirement(line) for line in lines if line]


def missing_requirements(site: Path, wanted: list[Requirement]) -> list[str]:
    """Requirements (and, recursively, theirs) that no distribution in `site` satisfies."""
    installed = {canonicalize_name(d.metadata['Name']): d for d in metadata.distributions(path=[str(site)])}
    problems: list[str] = []
    seen: set[tuple[str, str]] = set()
    queue = [(requirement, frozenset(requirement.extras)) for requirement in wanted]
    while queue:
        requirement, extras = queue.pop()
        name = canonicalize_name(requirement.name)
        dist = installed.get(name)
        if dist is None or not requirement.specifier.contains(dist.version, prereleases=True):
            problems.append(f'{requirement} is not in the layer')
            continue
        for extra in sorted(extras | {''}):
            if (name, extra) in seen:
                continue
            seen.add((name, extra))
            for spec in dist.requires or []:
                sub = Requirement(spec)
                if sub.marker is None or sub.marker.evaluate({**LAMBDA_MARKERS, 'extra': extra}):
                    queue.append((sub, frozenset(sub.extras)))
    return problems


def check_layers(build_dir: Path) -> list[str]:
    """What a `sam build` output lacks: empty when its layers hold everything the product needs."""
    dependencies = build_dir / 'DependenciesLayer' / 'python'
    shared = build_dir / 'SharedLayer' / 'python'
    provided = top_level_modules(dependencies) | top_level_modules(shared)
    problems = [
        f'{name} is imported by the product but no layer holds it'
        for name in sorted(third_party(product_imports()) - provided)
    ]
    if 'loyalty_import' not in provided:
        problems.append('the shared layer holds no loyalty_import package')
    return problems + missing_requirements(dependencies, requirements_of(RUNTIME_REQUIREMENTS))
