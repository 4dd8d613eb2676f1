"""The four catalogues behind one interface: search(query) -> [Product], and what a download needs.

The registry: `make(name, ...)` gives the provider of that name (dinsar.catalogue.cdse, asf, geodes,
peps; their base in dinsar.catalogue.provider).
"""

from __future__ import annotations

import requests

from dinsar.catalogue.asf import Asf
from dinsar.catalogue.cdse import Cdse
from dinsar.catalogue.geodes import Geodes
from dinsar.catalogue.peps import Peps
from dinsar.catalogue.provider import STAGING_WAIT_S, CatalogueError, Provider, _get_json

__all__ = ["PROVIDERS", "STAGING_WAIT_S", "Asf", "CatalogueError", "Cdse", "Geodes", "Peps", "Provider", "_get_json",
           "make"]

PROVIDERS = {"cdse": Cdse, "asf": Asf, "geodes": Geodes, "peps": Peps}


def make(name: str, session: requests.Session, base_url: str | None = None, auth_file=None) -> Provider:
    try:
        cls = PROVIDERS[name]
    except KeyError:
        raise CatalogueError(f"unknown provider {name!r} (choose {', '.join(PROVIDERS)})") from None
    return cls(session, base_url, auth_file)

