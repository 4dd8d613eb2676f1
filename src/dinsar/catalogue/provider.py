"""What every catalogue provides: the Provider base (search, request, staging, credentials) and its errors.

Base URLs come from the argument, else DINSAR_<PROVIDER>_URL, else the public service, so
that tests and institutional mirrors can point elsewhere.
"""

from __future__ import annotations

import logging
import os
import shlex
from urllib.parse import urlparse

import requests

from dinsar.catalogue import credentials
from dinsar.catalogue.http import TIMEOUT
from dinsar.catalogue.records import Product, Query
from dinsar.errors import DinsarError

log = logging.getLogger(__name__)

STAGING_WAIT_S = 3600.0  # the schema's search.staging_wait_s: PEPS stages a tape product within the hour


class CatalogueError(DinsarError):
    """A catalogue answered something unusable."""


def _get_json(session, url, provider, params=None, headers=None, on_401=None):
    """The JSON answer of a search; `on_401` builds the AuthError of a refusal (where credentials were looked for)."""
    try:
        r = session.get(url, params=params, headers=headers, timeout=TIMEOUT)
    except requests.RequestException as e:
        raise CatalogueError(f"{provider}: search failed ({type(e).__name__})") from None
    if r.status_code == 401:
        raise on_401() if on_401 else credentials.AuthError(f"{provider}: search refused (401)")
    if r.status_code >= 400:
        raise CatalogueError(f"{provider}: search answered HTTP {r.status_code}")
    try:
        return r.json()
    except ValueError:
        raise CatalogueError(f"{provider}: search answer is not JSON") from None


class Provider:
    name = "?"
    default_url = ""

    def __init__(self, session: requests.Session, base_url: str | None = None, auth_file=None):
        self.session = session
        self.base_url = (base_url or os.environ.get(f"DINSAR_{self.name.upper()}_URL") or self.default_url).rstrip("/")
        self.auth_file = auth_file
        self._creds = None

    @property
    def host(self) -> str:
        return urlparse(self.base_url).hostname or ""

    def credentials(self) -> credentials.Credentials:
        if self._creds is None:
            self._creds = credentials.lookup(self.name, self.host, self.auth_file)
        return self._creds

    def auth_error(self, what: str, sent: bool = True) -> credentials.AuthError:
        """The 401 message: which credentials were used and where they were looked for, never their values.
        `sent` is False for a search, which carries no credentials: then a wrong URL is as likely as a
        catalogue that has started to want them."""
        creds = self.credentials()
        searched = creds.searched + ([] if self.auth_file else ["no auth file given (-a, search.auth)"])
        where = "; ".join(searched)
        if not sent:
            found = f"found in {creds.source}" if creds else "none found"
            return credentials.AuthError(
                f"{self.name}: {what} refused (401) by {self.base_url}; dinsar sends no credentials with a "
                f"{what} (check the catalogue URL); credentials for downloads: {found}; looked in: {where}")
        used = f"used: {creds.source}" if creds else "none found"
        return credentials.AuthError(f"{self.name}: {what} refused (401); credentials {used}; looked in: {where}")

    def _search_json(self, url, params=None, headers=None, sent: bool = False):
        return _get_json(self.session, url, self.name, params=params, headers=headers,
                         on_401=lambda: self.auth_error("search", sent=sent))

    def search(self, query: Query) -> list[Product]:
        raise NotImplementedError

    def request(self, product: Product) -> tuple[str, dict, tuple | None]:
        """URL, headers and basic auth for downloading `product`."""
        creds = self.credentials()
        return product.url, {}, (creds.username, creds.password) if creds else None

    def ensure_online(self, product: Product, poll_s: float = 60.0, max_polls: int | None = None,
                      staging_wait_s: float = STAGING_WAIT_S) -> Product:
        return product

    def curl(self, product: Product) -> str:
        return f"curl -L --fail -C - --netrc -o {product.filename} {shlex.quote(product.url or '')}"
