"""The four catalogues behind one interface: search(query) -> [Product], and what a download needs.

Base URLs come from the argument, else DINSAR_<PROVIDER>_URL, else the public service, so
that tests and institutional mirrors can point elsewhere.
"""

from __future__ import annotations

import logging
import os
import re
import shlex
import time
from urllib.parse import urlparse

import requests

from dinsar.catalogue import credentials
from dinsar.catalogue.http import TIMEOUT
from dinsar.catalogue.records import Product, Query, strip_suffix
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


# ------------------------------------------------------------------------------------------ PEPS resto


class Peps(Provider):
    """Legacy PEPS resto API (peps_download.py's URL shape); products on tape are staged first."""

    name = "peps"
    default_url = "https://peps.cnes.fr"

    def _params(self, q: Query, page: int) -> dict:
        p = {"maxRecords": min(q.max_results, 500), "page": page, "productType": q.product_type}
        if q.start_date:
            p["startDate"] = q.start_date
        if q.end_date:
            p["completionDate"] = q.end_date
        if q.sensor_mode:
            p["sensorMode"] = q.sensor_mode
        if q.box:
            p["box"] = ",".join(str(v) for v in q.box)
        elif q.point:
            p["lon"], p["lat"] = q.point
        if q.location:
            p["q"] = q.location
        if q.orbit:
            p["relativeOrbitNumber"] = q.orbit
        if q.direction:
            p["orbitDirection"] = q.direction
        if q.polarisation:
            p["polarisation"] = q.polarisation
        return p

    @staticmethod
    def parse(feature: dict) -> Product:
        p = feature["properties"]
        dl = p.get("services", {}).get("download", {})
        checksum = dl.get("checksum") or p.get("resourceChecksum")
        return Product(
            provider="peps", id=feature["id"], name=strip_suffix(p["title"]), start=p.get("startDate"),
            stop=p.get("completionDate"), collection=p.get("collection"), product_type=p.get("productType"),
            mode=p.get("sensorMode"), relative_orbit=p.get("relativeOrbitNumber"),
            absolute_orbit=p.get("orbitNumber"), direction=(p.get("orbitDirection") or "").lower() or None,
            polarisation=p.get("polarisation"), size=dl.get("size") or p.get("resourceSize"),
            online=p.get("storage", {}).get("mode", "disk") != "tape",
            checksums={"MD5": checksum.lower()} if checksum else {}, url=dl.get("url"),
            footprint=feature.get("geometry"),
        )

    def search(self, q: Query) -> list[Product]:
        url = f"{self.base_url}/resto/api/collections/{q.collection}/search.json"
        out: list[Product] = []
        page, params = 1, self._params(q, 1)
        while url and len(out) < q.max_results:
            data = self._search_json(url, params=params)
            out += [self.parse(f) for f in data.get("features", [])]
            nxt = [lk["href"] for lk in data.get("properties", {}).get("links", []) if lk.get("rel") == "next"]
            if not data.get("features") or not nxt:
                break
            page += 1
            url, params = nxt[0], None
        return out[: q.max_results]

    def ensure_online(self, product: Product, poll_s: float = 60.0, max_polls: int | None = None,
                      staging_wait_s: float = STAGING_WAIT_S) -> Product:
        """Tape products: ask for the download once (PEPS stages it), then poll its storage mode every
        `poll_s` for at most `staging_wait_s` in all (and `max_polls` polls, when given)."""
        if product.online:
            return product
        url, headers, auth = self.request(product)
        try:
            r = self.session.get(url, headers=headers, auth=auth, timeout=TIMEOUT, stream=True)
            r.close()
        except requests.RequestException as e:
            raise CatalogueError(f"peps: staging request for {product.name} failed ({type(e).__name__})") from None
        if r.status_code == 401:
            raise self.auth_error(f"staging of {product.name}")
        search = f"{self.base_url}/resto/api/collections/{product.collection or 'S1'}/search.json"
        # staging takes minutes to hours: say what is awaited, since nothing else shows for that long
        log.warning("peps: %s is on tape; staging asked for, checking every %g s for up to %g s "
                    "(staging_wait_s)", product.name, poll_s, staging_wait_s)
        t0 = time.monotonic()
        polls = 0
        while True:
            data = self._search_json(search, params={"identifier": product.name})
            polls += 1
            found = [self.parse(f) for f in data.get("features", []) if f["id"] == product.id]
            waited = time.monotonic() - t0
            if found and found[0].online:
                log.info("%s is on disk after %d polls (%.0f s)", product.name, polls, waited)
                return found[0]
            if waited + poll_s > staging_wait_s or (max_polls is not None and polls >= max_polls):
                break
            log.info("%s still on tape after %.0f s", product.name, waited)
            time.sleep(poll_s)
        raise CatalogueError(f"peps: {product.name} still on tape after {waited:.0f} s ({polls} "
                             f"poll{'s' * (polls != 1)}, staging_wait_s {staging_wait_s:g} s); PEPS goes on staging "
                             "it: download it again later")


# ------------------------------------------------------------------------------------------ CDSE OData


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


# ------------------------------------------------------------------------------------------ GEODES STAC


class Geodes(Provider):
    """CNES GEODES STAC items (paged by the `next` link); online flag, size and MD5 in asset text."""

    name = "geodes"
    default_url = "https://geodes-portal.cnes.fr"
    collections = {"S1": "PEPS_S1_L1", "S2": "PEPS_S2_L1C"}

    @staticmethod
    def parse(feature: dict) -> Product:
        p = feature["properties"]
        data = [a for a in feature.get("assets", {}).values() if "data" in a.get("roles", [])]
        asset = data[0] if data else {}
        text = asset.get("description", "")

        def field(pattern):
            m = re.search(pattern, text)
            return m.group(1) if m else None

        size, online, md5 = field(r"File size: (\d+)"), field(r"Is online: (\w+)"), field(r"Checksum MD5: (\w+)")
        name = strip_suffix(asset.get("title") or p.get("identifier") or feature["id"])
        return Product(
            provider="geodes", id=feature["id"], name=name, start=p.get("start_datetime") or p.get("datetime"),
            stop=p.get("end_datetime"), collection=p.get("dataset"), product_type=p.get("product:type"),
            mode=p.get("sar:instrument_mode"), relative_orbit=p.get("sat:relative_orbit"),
            absolute_orbit=p.get("sat:absolute_orbit"), direction=p.get("sat:orbit_state"),
            size=int(size) if size else None, online=(online or "true").lower() == "true",
            checksums={"MD5": md5.lower()} if md5 else {}, url=asset.get("href"), footprint=feature.get("geometry"),
        )

    def search(self, q: Query) -> list[Product]:
        coll = self.collections.get(q.collection, q.collection)
        url = f"{self.base_url}/api/stac/collections/{coll}/items"
        params = {"limit": min(q.max_results, 500), "page": 1}
        if q.bbox():
            params["bbox"] = ",".join(str(v) for v in q.bbox())
        if q.start_date or q.end_date:
            params["datetime"] = f"{q.start_date or '..'}T00:00:00Z/{q.end_date or '..'}T23:59:59Z"
        if q.location:
            raise CatalogueError("geodes: free-text place names are not searchable; give a box or a point")
        out: list[Product] = []
        while url and len(out) < q.max_results:
            data = self._search_json(url, params=params, headers=self._headers(), sent=True)
            out += [self.parse(f) for f in data.get("features", [])]
            nxt = [lk["href"] for lk in data.get("links", []) if lk.get("rel") == "next"]
            url, params = (nxt[0] if nxt and data.get("features") else None), None
        # item filters the STAC endpoint does not apply server-side
        keep = [p for p in out if (not q.product_type or p.product_type in (None, q.product_type))
                and (not q.sensor_mode or p.mode in (None, q.sensor_mode))
                and (not q.orbit or p.relative_orbit in (None, q.orbit))]
        return keep[: q.max_results]

    def _headers(self) -> dict:
        key = os.environ.get("DINSAR_GEODES_API_KEY")
        return {"X-API-Key": key} if key else {}

    def auth_error(self, what: str, sent: bool = True) -> credentials.AuthError:
        # GEODES takes an API key, not the user/password the other catalogues look up
        state = "set" if os.environ.get("DINSAR_GEODES_API_KEY") else "not set"
        return credentials.AuthError(f"geodes: {what} refused (401) by {self.base_url}; dinsar sends the API key of "
                                     f"DINSAR_GEODES_API_KEY, which is {state}")

    def request(self, product: Product):
        return product.url, self._headers(), None

    def curl(self, product: Product) -> str:
        return (f"curl -L --fail -C - -H \"X-API-Key: $DINSAR_GEODES_API_KEY\" -o {product.filename} "
                f"{shlex.quote(product.url or '')}")


# ------------------------------------------------------------------------------------------ ASF


class Asf(Provider):
    """Alaska Satellite Facility SearchAPI (geojson), Earthdata login for downloads (netrc / basic)."""

    name = "asf"
    default_url = "https://api.daac.asf.alaska.edu"
    earthdata_host = "urs.earthdata.nasa.gov"

    @property
    def host(self) -> str:
        return self.earthdata_host

    @staticmethod
    def parse(feature: dict) -> Product:
        p = feature["properties"]
        return Product(
            provider="asf", id=p.get("fileID") or p["sceneName"],
            name=strip_suffix(p.get("fileName") or p["sceneName"]),
            start=p.get("startTime"), stop=p.get("stopTime"), collection=p.get("platform"),
            product_type=p.get("processingLevel"), mode=p.get("beamModeType"), relative_orbit=p.get("pathNumber"),
            absolute_orbit=p.get("orbit"), direction=(p.get("flightDirection") or "").lower() or None,
            polarisation=p.get("polarization"), size=p.get("bytes"), online=True,
            checksums={"MD5": p["md5sum"].lower()} if p.get("md5sum") else {}, url=p.get("url"),
            footprint=feature.get("geometry"),
        )

    def search(self, q: Query) -> list[Product]:
        params = {"platform": "Sentinel-1" if q.collection == "S1" else q.collection,
                  "processingLevel": q.product_type, "output": "geojson", "maxResults": q.max_results}
        if q.sensor_mode:
            params["beamMode"] = q.sensor_mode
        if q.start_date:
            params["start"] = f"{q.start_date}T00:00:00Z"
        if q.end_date:
            params["end"] = f"{q.end_date}T23:59:59Z"
        if q.wkt():
            params["intersectsWith"] = q.wkt()
        if q.orbit:
            params["relativeOrbit"] = q.orbit
        if q.direction:
            params["flightDirection"] = q.direction.upper()
        if q.polarisation:
            params["polarization"] = q.polarisation
        if q.location:
            raise CatalogueError("asf: free-text place names are not searchable; give a box or a point")
        data = self._search_json(f"{self.base_url}/services/search/param", params=params)
        feats = data.get("features", []) if data.get("type") == "FeatureCollection" else [data]
        return [self.parse(f) for f in feats][: q.max_results]


PROVIDERS = {"cdse": Cdse, "asf": Asf, "geodes": Geodes, "peps": Peps}


def make(name: str, session: requests.Session, base_url: str | None = None, auth_file=None) -> Provider:
    try:
        cls = PROVIDERS[name]
    except KeyError:
        raise CatalogueError(f"unknown provider {name!r} (choose {', '.join(PROVIDERS)})") from None
    return cls(session, base_url, auth_file)

