"""`make bench` builds its own small stack: it must give every function each variable the template does."""

from __future__ import annotations

from benchmarks.cold_start import CREATED
from benchmarks.template_env import function_environments


def test_the_benchmark_creates_every_resource_the_functions_variables_name() -> None:
    resources = {name: f'<{name}>' for name in CREATED}
    environments = function_environments(resources, {})
    assert set(environments) == {'importer', 'poller', 'executor', 'finalizer', 'reviewer'}
    assert environments['importer']['SITES_TABLE'] == '<SitesTable>'
    assert environments['importer']['LAYOUTS_TABLE'] == '<LayoutsTable>'
