"""Geoid grids fetched on demand: the EGM96 / EGM2008 grid as PROJ's CDN publishes it, downloaded once
into the cache (<cache>/geoid) where PROJ is then pointed, so that a GLO-30 DEM (EGM2008 heights)
works on a machine without proj-data.

A whole-file download of our own rather than PROJ's network mode (PROJ_NETWORK=ON): PROJ fetches
pieces into its own database and, when the CDN is unreachable, falls back to N = 0 without a word;
here the file is checked, kept where the user can see it, and an unreachable CDN is one clear error.
PROJ_NETWORK=OFF set explicitly means no download at all.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import requests

from dinsar.catalogue.http import TIMEOUT
from dinsar.catalogue.orbits import cache_root
from dinsar.errors import DinsarError
from dinsar.io import atomic, tiffcheck

log = logging.getLogger(__name__)

CDN_URL = "https://cdn.proj.org"
GRIDS = {"egm96": "us_nga_egm96_15.tif", "egm2008": "us_nga_egm08_25.tif"}  # PROJ's names on its CDN


class GeoidError(DinsarError):
    """A geoid grid that could not be fetched."""


def grid_folder(cache=None) -> Path:
    return cache_root(cache) / "geoid"


def fetch_grid(model: str, cache=None, session=None, url: str | None = None) -> Path:
    """The cached grid file of `model` ('egm96' or 'egm2008'), downloaded from PROJ's CDN if needed."""
    name = GRIDS[model]
    path = grid_folder(cache) / name
    if path.is_file():
        return path
    base = (url or os.environ.get("DINSAR_GEOID_URL") or CDN_URL).rstrip("/")
    src = f"{base}/{name}"
    by_hand = f"download {src} by hand into {path.parent}/ (or a `geoid_dir`), or install proj-data"
    if os.environ.get("PROJ_NETWORK", "").strip().upper() == "OFF":
        raise GeoidError(f"{name} not fetched (PROJ_NETWORK=OFF); {by_hand}")
    from dinsar.catalogue import http

    session = session or http.session()
    log.info("fetching the %s geoid grid %s into %s", model.upper(), src, path.parent)
    try:
        r = session.get(src, timeout=TIMEOUT, stream=True)
        try:
            if r.status_code >= 400:
                raise GeoidError(f"{name} not fetched: {src} answered HTTP {r.status_code}; {by_hand}")
            with atomic.outputs(path) as (tmp,):
                with open(tmp, "wb") as f:
                    for chunk in r.iter_content(1 << 20):
                        f.write(chunk)
                if (why := tiffcheck.incomplete(tmp)) is not None:  # an error page, or a cut transfer
                    raise GeoidError(f"{name} not fetched: {src} gave no usable grid ({why}); {by_hand}")
        finally:
            r.close()
    except requests.RequestException as e:
        raise GeoidError(f"{name} not fetched: {src} unreachable ({type(e).__name__}); {by_hand}") from None
    return path
