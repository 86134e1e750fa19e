"""The SAM transform, run in the translator's own venv (.venv/tools/sam-translator).

aws-sam-translator pins pydantic to one minor version; in the dev venv it would hold the Lambda
runtime's pydantic back to that pin. So it lives in a venv of its own (with cfn-lint, which uses
it), and the rehearsal calls this script there: JSON in on stdin
({"template", "parameters"}), JSON out on stdout ({"template"} or {"error"}).
Standard library and the translator only: this file is never imported by the dev venv.
"""

from __future__ import annotations

import json
import sys
from typing import Any


def translate(template: dict[str, Any], parameters: dict[str, Any]) -> dict[str, Any]:
    import boto3  # the translator's own dependency  # noqa: PLC0415
    from samtranslator.model.exceptions import InvalidDocumentException  # noqa: PLC0415
    from samtranslator.parser.parser import Parser  # noqa: PLC0415
    from samtranslator.translator.translator import Translator  # noqa: PLC0415

    def no_managed_policy_lookup() -> dict[str, str]:
        # SAM ships a map of AWS managed policies; a name outside it would need IAM, i.e. an account.
        raise LookupError('a managed policy unknown to aws-sam-translator needs IAM to resolve')

    region = str(parameters.get('AWS::Region', 'us-east-1'))
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=region))
    try:
        translated: dict[str, Any] = translator.translate(
            template, parameters, get_managed_policy_map=no_managed_policy_lookup
        )
    except (InvalidDocumentException, LookupError) as exc:
        return {'error': f'the SAM transform refused the template: {exc}'}
    return {'template': translated}


def main() -> int:
    request = json.load(sys.stdin)
    json.dump(translate(request['template'], request['parameters']), sys.stdout)
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
