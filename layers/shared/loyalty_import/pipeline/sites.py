"""Which Wix site a dropped file goes to, and that site's credentials (docs/sites.md).

A site is named by the first folder under the incoming prefix: `incoming/<site>/file.csv`. The one
credentials secret has two shapes:
- flat, `{"mode": "api_key", ...}` or `{"mode": "oauth", ...}`: single-site mode, every file in
  any folder goes to that site, named `default` (a deployment that never heard of sites);
- `{"sites": {"<name>": {"mode": ...}, ...}}`: multi-site mode, the file's first folder must be a
  key of `sites`, or the file is refused UNKNOWN_SITE (never sent to another site).
One map in one secret rather than a secret per site: one IAM grant, one cached read for every site,
and an unknown site is a dictionary lookup rather than a Secrets Manager miss per file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from loyalty_import.pipeline.errors import PipelineError

DEFAULT_SITE: Final = 'default'
SITES_KEY: Final = 'sites'
SITE_NAME: Final = re.compile(r'[a-z0-9][a-z0-9-]{0,62}')


class UnknownSite(PipelineError):  # noqa: N818 - a verdict on the file's folder, not a failure
    """Multi-site mode and the file's site is not a key of the secret's `sites` map."""

    def __init__(self, site: str, known: list[str]) -> None:
        super().__init__(f'no Wix site named {site or "(none)"} in the credentials secret')
        self.site = site
        self.known = known


@dataclass(frozen=True)
class SiteChoice:
    """The site a file goes to (`known`), or the name that was looked for and not found."""

    site: str
    known: bool


def single_site(key: str) -> SiteChoice:
    """Single-site mode's choice for every file: the one site, `default`."""
    return SiteChoice(DEFAULT_SITE, known=True)


def folder_site(key: str, incoming_prefix: str) -> str:
    """The first folder of `key` under the incoming prefix, lower-cased ('' directly under it)."""
    rest = key[len(incoming_prefix) :] if key.startswith(incoming_prefix) else key
    folder, slash, _ = rest.partition('/')
    return folder.lower() if slash else ''


def is_multi_site(secret: Mapping[str, Any]) -> bool:
    return SITES_KEY in secret


def site_map(secret: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The valid entries of a multi-site secret's map, by lower-cased site name."""
    sites = secret.get(SITES_KEY)
    if not isinstance(sites, Mapping):
        return {}
    return {
        str(name).lower(): entry
        for name, entry in sites.items()
        if isinstance(entry, Mapping) and SITE_NAME.fullmatch(str(name).lower())
    }


def choose_site(secret: Mapping[str, Any], key: str, incoming_prefix: str) -> SiteChoice:
    """The site of the dropped file `key` under this secret (single-site mode: always `default`)."""
    if not is_multi_site(secret):
        return SiteChoice(DEFAULT_SITE, known=True)
    name = folder_site(key, incoming_prefix)
    return SiteChoice(name, known=bool(name) and name in site_map(secret))


def site_credentials(secret: Mapping[str, Any], site: str) -> Mapping[str, Any]:
    """The flat credentials of `site` (the secret itself in single-site mode), or `UnknownSite`."""
    if not is_multi_site(secret):
        return secret
    sites = site_map(secret)
    entry = sites.get(site.lower())
    if entry is None:
        raise UnknownSite(site, sorted(sites))
    return entry
