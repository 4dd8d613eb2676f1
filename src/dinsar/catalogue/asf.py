"""ASF SearchAPI: geojson search, Earthdata credentials."""

from __future__ import annotations

import logging

from dinsar.catalogue.provider import CatalogueError, Provider
from dinsar.catalogue.records import Product, Query, strip_suffix

log = logging.getLogger(__name__)


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
