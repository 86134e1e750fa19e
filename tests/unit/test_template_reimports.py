"""The template's part of the re-import guard: the window parameter and the imports table's TTL."""

from __future__ import annotations

from rehearsal.template import load_template
from tests.conftest import REPO_ROOT


def test_the_reimport_window_reaches_the_importer_and_finalizer_and_the_table_expires_fingerprints() -> None:
    template = load_template(REPO_ROOT / 'template.yaml')
    assert template['Parameters']['ReimportWindowDays']['Default'] == 30
    resources = template['Resources']
    for function in ('ImporterFunction', 'FinalizerFunction'):
        variables = resources[function]['Properties']['Environment']['Variables']
        assert variables['REIMPORT_WINDOW_DAYS'] == {'Ref': 'ReimportWindowDays'}
    # Only the fingerprint items carry expiresAt: the records (the audit trail) never expire
    table = resources['ImportsTable']['Properties']
    assert table['TimeToLiveSpecification'] == {'AttributeName': 'expiresAt', 'Enabled': True}
