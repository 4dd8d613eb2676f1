"""The normalised search record and the query, shared by every provider."""

from __future__ import annotations

import datetime
import re
from dataclasses import asdict, dataclass, field

from dinsar.errors import ConfigError, ProductError

# Product names of every supported catalogue (S1A_S4_SLC__1SDV_..., S1_123456_IW1_..._VV_ABCD-BURST,
# S1A_OPER_AUX_POEORB_...): one path component, and never `.` or `..` (the first character is no dot).
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass
class Query:
    """peps_download.py's search options, provider-neutral."""

    collection: str = "S1"
    product_type: str = "SLC"
    sensor_mode: str | None = "SM"
    start_date: str | None = None  # YYYY-MM-DD
    end_date: str | None = None
    box: tuple[float, float, float, float] | None = None  # lonmin, latmin, lonmax, latmax
    point: tuple[float, float] | None = None  # lon, lat
    location: str | None = None
    orbit: int | None = None  # relative orbit
    direction: str | None = None  # ascending / descending
    polarisation: str | None = None
    max_results: int = 500

    def wkt(self) -> str | None:
        if self.box:
            w, s, e, n = self.box
            return f"POLYGON(({w} {s},{e} {s},{e} {n},{w} {n},{w} {s}))"
        if self.point:
            return f"POINT({self.point[0]} {self.point[1]})"
        return None

    def bbox(self) -> tuple[float, float, float, float] | None:
        if self.box:
            return self.box
        if self.point:
            lon, lat = self.point
            return (lon, lat, lon, lat)
        return None


@dataclass
class Product:
    provider: str
    id: str  # the provider's identifier (download id)
    name: str  # product name, without .SAFE/.zip
    start: str
    stop: str | None = None
    collection: str | None = None
    product_type: str | None = None
    mode: str | None = None
    relative_orbit: int | None = None
    absolute_orbit: int | None = None
    direction: str | None = None
    polarisation: str | None = None
    size: int | None = None  # bytes
    online: bool = True
    checksums: dict = field(default_factory=dict)  # {"MD5": hex, "BLAKE3": hex}
    url: str | None = None
    footprint: dict | None = None  # GeoJSON geometry

    @property
    def swath(self) -> str | None:
        """S1..S6, IW, EW, WV from a Sentinel-1 name (S1A_S4_SLC__...)."""
        parts = self.name.split("_")
        return parts[1] if self.name.startswith("S1") and len(parts) > 1 else None

    @property
    def storage(self) -> str:
        """peps_download's words: disk (online) or tape (to be staged/ordered first)."""
        return "disk" if self.online else "tape"

    @property
    def filename(self) -> str:
        return f"{safe_name(self.name)}.zip"

    def to_json(self) -> dict:
        d = asdict(self)
        d.update(swath=self.swath, storage=self.storage)
        return d


def strip_suffix(name: str) -> str:
    for suffix in (".zip", ".SAFE"):
        name = name.removesuffix(suffix)
    return name


def safe_name(name: str) -> str:
    """`name` itself when it is a plain product name, which can only be a file inside the download folder.

    Anything else is refused rather than rewritten to a basename: the workflow finds a download by
    the product's name (downloads/<name>.zip, products/<name>.SAFE), so a rewritten file would not be
    found, and two hostile names could be rewritten onto the same file.
    """
    if not isinstance(name, str) or not _PLAIN_NAME.fullmatch(name):
        raise ProductError(f"{name!r}: the catalogue gave a product name that is not a plain file name "
                           "(letters, digits, '_', '-', '.'); refused: as a path it could lead outside the "
                           "download folder")
    return name


def check_date(text: str, key: str) -> str:
    """`text` when it is a real calendar date YYYY-MM-DD; else ConfigError naming `key`."""
    try:
        if _DATE.fullmatch(text):
            datetime.date.fromisoformat(text)
            return text
    except (TypeError, ValueError):
        pass
    raise ConfigError(f"{key}: {text!r} is not a date YYYY-MM-DD")
