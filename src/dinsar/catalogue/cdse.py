"""Copernicus Data Space Ecosystem: OData search paged by @odata.nextLink, Keycloak token, $value download."""

from __future__ import annotations

import logging
import os
import shlex
import time

import requests

from dinsar.catalogue import credentials
from dinsar.catalogue.http import TIMEOUT
from dinsar.catalogue.provider import STAGING_WAIT_S, CatalogueError, Provider
from dinsar.catalogue.records import Product, Query, strip_suffix

log = logging.getLogger(__name__)


class Cdse(Provider):
    """Copernicus Data Space: OData search (paged by @odata.nextLink), Keycloak token, $value download."""

    name = "cdse"
    default_url = "https://catalogue.dataspace.copernicus.eu"
    identity_default = "https://identity.dataspace.copernicus.eu"
    download_default = "https://zipper.dataspace.copernicus.eu"

    def __init__(self, session, base_url=None, auth_file=None, identity_url=None, download_url=None):
        super().__init__(session, base_url, auth_file)
        self.identity_url = (identity_url or os.environ.get("DINSAR_CDSE_IDENTITY_URL") or self.identity_default)
        self.download_url = (download_url or os.environ.get("DINSAR_CDSE_DOWNLOAD_URL") or self.download_default)
        self._token = None  # (access, refresh, expiry)

    def _filter(self, q: Query) -> str:
        names = {"S1": "SENTINEL-1", "S2": "SENTINEL-2", "S3": "SENTINEL-3"}
        parts = [f"Collection/Name eq '{names.get(q.collection, q.collection)}'"]
        if q.wkt():
            parts.append(f"OData.CSC.Intersects(area=geography'SRID=4326;{q.wkt()}')")
        if q.start_date:
            parts.append(f"ContentDate/Start ge {q.start_date}T00:00:00.000Z")
        if q.end_date:
            parts.append(f"ContentDate/Start le {q.end_date}T23:59:59.999Z")

        def attr(name, value, kind="String"):
            return (f"Attributes/OData.CSC.{kind}Attribute/any(att:att/Name eq '{name}' and "
                    f"att/OData.CSC.{kind}Attribute/Value eq {value})")

        if q.product_type:
            parts.append(attr("productType", f"'{q.product_type}'"))
        if q.sensor_mode:
            parts.append(attr("operationalMode", f"'{q.sensor_mode}'"))
        if q.orbit:
            parts.append(attr("relativeOrbitNumber", q.orbit, "Integer"))
        if q.direction:
            parts.append(attr("orbitDirection", f"'{q.direction.upper()}'"))
        if q.location:
            raise CatalogueError("cdse: free-text place names are not searchable; give a box or a point")
        return " and ".join(parts)

    @staticmethod
    def parse(v: dict) -> Product:
        attrs = {a["Name"]: a.get("Value") for a in v.get("Attributes", [])}
        return Product(
            provider="cdse", id=v["Id"], name=strip_suffix(v["Name"]), start=v["ContentDate"]["Start"],
            stop=v["ContentDate"].get("End"), collection=attrs.get("platformShortName"),
            product_type=attrs.get("productType"), mode=attrs.get("operationalMode"),
            relative_orbit=attrs.get("relativeOrbitNumber"), absolute_orbit=attrs.get("orbitNumber"),
            direction=(attrs.get("orbitDirection") or "").lower() or None,
            polarisation=attrs.get("polarisationChannels"), size=v.get("ContentLength"),
            online=bool(v.get("Online", True)),
            checksums={c["Algorithm"].upper(): c["Value"].lower() for c in v.get("Checksum", []) if c.get("Value")},
            url=None, footprint=v.get("GeoFootprint"),
        )

    def search(self, q: Query) -> list[Product]:
        url = f"{self.base_url}/odata/v1/Products"
        params = {"$filter": self._filter(q), "$top": min(q.max_results, 1000), "$expand": "Attributes",
                  "$orderby": "ContentDate/Start asc"}
        out: list[Product] = []
        while url and len(out) < q.max_results:
            data = self._search_json(url, params=params)
            out += [self._with_url(self.parse(v)) for v in data.get("value", [])]
            url, params = data.get("@odata.nextLink"), None
        return out[: q.max_results]

    def _with_url(self, p: Product) -> Product:
        p.url = f"{self.download_url}/odata/v1/Products({p.id})/$value"
        return p

    def token(self) -> str:
        now = time.time()
        if self._token and now < self._token[2] - 30:
            return self._token[0]
        creds = self.credentials()
        if not creds:
            raise credentials.AuthError(f"cdse: no credentials; looked in: {'; '.join(creds.searched)}")
        url = f"{self.identity_url}/auth/realms/CDSE/protocol/openid-connect/token"
        data = ({"grant_type": "refresh_token", "refresh_token": self._token[1], "client_id": "cdse-public"}
                if self._token else
                {"grant_type": "password", "username": creds.username, "password": creds.password,
                 "client_id": "cdse-public"})
        try:
            r = self.session.post(url, data=data, timeout=TIMEOUT)
        except requests.RequestException as e:
            raise CatalogueError(f"cdse: token request failed ({type(e).__name__})") from None
        if r.status_code in (400, 401):
            if self._token:  # refresh token expired: start again with the password
                self._token = None
                return self.token()
            raise self.auth_error("token request")
        if r.status_code >= 400:
            raise CatalogueError(f"cdse: token request answered HTTP {r.status_code}")
        j = r.json()
        self._token = (j["access_token"], j.get("refresh_token"), now + float(j.get("expires_in", 600)))
        return self._token[0]

    def request(self, product: Product):
        return product.url, {"Authorization": f"Bearer {self.token()}"}, None

    def ensure_online(self, product: Product, poll_s: float = 60.0, max_polls: int | None = None,
                      staging_wait_s: float = STAGING_WAIT_S) -> Product:
        if not product.online:
            raise CatalogueError(f"cdse: {product.name} is offline (Online: false); order it from the Data Space "
                                 "first (on-demand production), then download")
        return product

    def curl(self, product: Product) -> str:
        return (f"curl -L --fail -C - -H \"Authorization: Bearer $CDSE_TOKEN\" -o {product.filename} "
                f"{shlex.quote(product.url or '')}")
