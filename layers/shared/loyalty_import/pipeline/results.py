"""Where results about a source file go in the drop bucket (the importer's report, Wix's error file)."""

from __future__ import annotations

from loyalty_import.pipeline.models import ImportRecord
from loyalty_import.pipeline.settings import DropBucketVariables


def results_key(settings: DropBucketVariables, record: ImportRecord, suffix: str) -> str:
    """Beside the source, under the results prefix (never under the incoming prefix, so writing them
    cannot trigger the importer)."""
    relative = record.key
    if settings.incoming_prefix and relative.startswith(settings.incoming_prefix):
        relative = relative[len(settings.incoming_prefix) :]
    return f'{settings.results_prefix}{relative}.{suffix}'
