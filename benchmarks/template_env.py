"""Each function's environment variables, read from template.yaml (Globals, then the function's own).

A !Ref to a parameter takes its Default unless overridden (the Wix URLs point at the emulator); a
!Ref to a resource takes what the benchmark created for it. So the cold start runs each handler
with exactly the variables a deploy gives it, whatever the template holds today.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rehearsal.template import load_template

TEMPLATE = Path(__file__).resolve().parent.parent / 'template.yaml'
PSEUDO = {
    'AWS::StackName': 'loyalty-import',
    'AWS::AccountId': '123456789012',
    'AWS::Region': 'us-east-1',
    'AWS::Partition': 'aws',
}


def function_environments(resources: dict[str, str], parameters: dict[str, str]) -> dict[str, dict[str, str]]:
    """{function folder name: its variables}; `resources` and `parameters` resolve the !Refs."""
    template = load_template(TEMPLATE)  # the rehearsal's reader: CloudFormation's short tags
    defaults = {name: str(spec.get('Default', '')) for name, spec in template.get('Parameters', {}).items()}
    values = {**PSEUDO, **defaults, **parameters, **resources}
    shared = template.get('Globals', {}).get('Function', {}).get('Environment', {}).get('Variables', {})
    environments = {}
    for resource in template['Resources'].values():
        if resource.get('Type') != 'AWS::Serverless::Function':
            continue
        props = resource.get('Properties', {})
        own = props.get('Environment', {}).get('Variables', {})
        folder = Path(str(props.get('CodeUri', ''))).name
        environments[folder] = {name: _resolve(value, values) for name, value in {**shared, **own}.items()}
    return environments


def _resolve(value: Any, values: dict[str, str]) -> str:
    if isinstance(value, dict) and 'Ref' in value:
        return _lookup(value['Ref'], values)
    if isinstance(value, dict) and 'Fn::Sub' in value and isinstance(value['Fn::Sub'], str):
        return re.sub(r'\$\{([^}]+)\}', lambda m: _lookup(m.group(1), values), value['Fn::Sub'])
    if isinstance(value, dict) and 'Fn::GetAtt' in value:
        return _lookup('.'.join(value['Fn::GetAtt']), values)
    if isinstance(value, dict):
        raise ValueError(f'the benchmark cannot resolve {value!r} in template.yaml')
    return str(value).lower() if isinstance(value, bool) else str(value)


def _lookup(name: str, values: dict[str, str]) -> str:
    if name not in values:
        raise ValueError(f'template.yaml refers to {name}, which the benchmark does not create')
    return values[name]
