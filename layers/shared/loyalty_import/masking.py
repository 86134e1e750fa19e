"""Customer emails as reports, notifications and the demo show them: enough to find, not to read.

Its own module, with no imports, so the inspection and the pipeline share it without either
loading the other (the poller and the finalizer never import the CSV inspection).
"""

from __future__ import annotations


def mask_email(email: str) -> str:
    """'john@example.com' -> 'j***@example.com'; something that is no address -> '***'."""
    local, at, domain = email.partition('@')
    if not at:
        return '***'
    return f'{local[:1]}***@{domain}'
