"""template.yaml -> plain CloudFormation, offline, the way `sam package` + the SAM transform do it.

`sam deploy` first uploads every local path the template names (a function's `CodeUri`, a layer's
`ContentUri`, a state machine's `DefinitionUri`) to an artifacts bucket and rewrites the path to
that S3 location; CloudFormation then runs the SAM transform. The rehearsal does the same two
steps: `package` records which local folder/file each rewritten location stands for, the
artifacts go into moto's S3, and `translate` runs the same translator SAM CLI embeds
(`aws-sam-translator`, in a venv of its own: see sam_translate.py). Nothing here describes the
wiring: it all comes from template.yaml.
"""

from __future__ import annotations

import copy
import io
import json
import subprocess
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml  # type: ignore[import-untyped]

# Properties that hold a local path `sam package` replaces with an S3 location, per resource type.
PACKAGEABLE = {
    'AWS::Serverless::Function': 'CodeUri',
    'AWS::Serverless::LayerVersion': 'ContentUri',
    'AWS::Serverless::StateMachine': 'DefinitionUri',
}
ARTIFACTS_BUCKET = 'rehearsal-artifacts'
# The SAM translator runs in a venv of its own (see sam_translate.py); `make install` creates it.
TRANSLATOR_PYTHON = (
    Path(__file__).resolve().parents[2] / '.venv' / 'tools' / 'sam-translator' / 'bin' / 'python'
)
TRANSLATOR_SCRIPT = Path(__file__).with_name('sam_translate.py')


class TemplateError(Exception):
    """template.yaml cannot be rehearsed (unreadable, or the SAM transform refuses it)."""


class _CfnLoader(yaml.SafeLoader):  # type: ignore[misc]
    """YAML loader that understands CloudFormation's short tags (!Ref, !Sub, !GetAtt ...).

    A subclass, so the tags are not registered on yaml.SafeLoader for the whole process (which is
    what samtranslator.yaml_helper does).
    """


def _construct_intrinsic(loader: _CfnLoader, tag_suffix: str, node: Any) -> dict[str, Any]:
    name = tag_suffix
    key = name if name in ('Ref', 'Condition') else f'Fn::{name}'
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if name == 'GetAtt':  # !GetAtt Resource.Attribute -> [Resource, Attribute]
            value = str(value).split('.', 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {key: value}


_CfnLoader.add_multi_constructor('!', _construct_intrinsic)


def load_template(path: Path) -> dict[str, Any]:
    try:
        loaded = yaml.load(path.read_text(encoding='utf-8'), Loader=_CfnLoader)  # noqa: S506 - a SafeLoader subclass
    except (OSError, yaml.YAMLError) as exc:
        raise TemplateError(f'cannot read {path}: {exc}') from exc
    if not isinstance(loaded, dict) or not isinstance(loaded.get('Resources'), dict):
        raise TemplateError(f'{path} is not a CloudFormation/SAM template')
    return loaded


@dataclass(frozen=True)
class Artifact:
    """One local path of the template and the S3 location `package` gave it."""

    logical_id: str
    prop: str
    local_path: Path
    key: str


@dataclass
class PackagedTemplate:
    template: dict[str, Any]
    root: Path
    artifacts: dict[str, Artifact] = field(default_factory=dict)  # by S3 key

    def artifact_for(self, logical_id: str, prop: str) -> Artifact | None:
        return next(
            (a for a in self.artifacts.values() if a.logical_id == logical_id and a.prop == prop),
            None,
        )


def package(template: dict[str, Any], root: Path) -> PackagedTemplate:
    """Rewrite local paths to `s3://rehearsal-artifacts/<LogicalId>/<Prop>` (what `sam package` does)."""
    packaged = copy.deepcopy(template)
    result = PackagedTemplate(packaged, root)
    for logical_id, resource in packaged['Resources'].items():
        prop = PACKAGEABLE.get(resource.get('Type', ''))
        properties = resource.get('Properties') or {}
        local = properties.get(prop) if prop else None
        if prop is None or not isinstance(local, str) or local.startswith('s3://'):
            continue
        local_path = (root / local).resolve()
        if not local_path.exists():
            raise TemplateError(f'{logical_id}.{prop} names {local}, which does not exist under {root}')
        key = f'{logical_id}/{prop}'
        properties[prop] = f's3://{ARTIFACTS_BUCKET}/{key}'
        result.artifacts[key] = Artifact(logical_id, prop, local_path, key)
    return result


def artifact_bytes(artifact: Artifact) -> bytes:
    """A zip of a folder (code, layer) or a file's own bytes (a state machine definition)."""
    if artifact.local_path.is_file():
        return artifact.local_path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w', zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(artifact.local_path.rglob('*')):
            if path.is_file() and '__pycache__' not in path.parts:
                archive.write(path, path.relative_to(artifact.local_path).as_posix())
    return buffer.getvalue()


def translate(
    packaged: PackagedTemplate, parameters: dict[str, str], *, region: str, account_id: str, stack_name: str
) -> dict[str, Any]:
    """Run the SAM transform (the library inside SAM CLI) offline: no IAM call, no AWS account."""
    template = packaged.template
    transform = template.get('Transform')
    transforms = transform if isinstance(transform, list) else [transform]
    if 'AWS::LanguageExtensions' in transforms:
        # Not implemented: the rehearsal would have to expand Fn::ForEach & co before the SAM transform.
        raise TemplateError('AWS::LanguageExtensions is not supported by the rehearsal yet')
    values: dict[str, Any] = {
        'AWS::Region': region,
        'AWS::AccountId': account_id,
        'AWS::StackName': stack_name,
        'AWS::Partition': 'aws',
        **parameters,
    }
    request = json.dumps({'template': template, 'parameters': values}, sort_keys=True)
    return copy.deepcopy(_translated(request))


@lru_cache(maxsize=32)
def _translated(request: str) -> dict[str, Any]:
    # Cached: a test session starts dozens of stacks from a handful of parameter sets.
    if not TRANSLATOR_PYTHON.is_file():
        raise TemplateError(f'the SAM translator venv is missing ({TRANSLATOR_PYTHON}): run `make install`')
    done = subprocess.run(  # noqa: S603 - our own venv's interpreter and script
        [str(TRANSLATOR_PYTHON), '-I', str(TRANSLATOR_SCRIPT)],
        input=request,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise TemplateError(f'the SAM translator failed: {done.stderr[-2000:]}')
    answer: dict[str, Any] = json.loads(done.stdout)
    if 'error' in answer:
        raise TemplateError(str(answer['error']))
    translated: dict[str, Any] = answer['template']
    return translated
