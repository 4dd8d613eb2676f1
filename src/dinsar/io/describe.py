"""What a product raster says of itself: each band's name and unit, the acquisitions, dinsar's version
and the config values that made it.

The rasters a user opens (interferogram_ml.tif, filtered.tif, unwrapped.tif, the geocoded products)
carry, besides their band descriptions and units (`gdalinfo` shows both):
- PRODUCT (what the raster is), DINSAR_VERSION and TIFFTAG_SOFTWARE (`dinsar <version>`);
- the pair's tags (dinsar.steps.interferometry.pair_tags: MASTER, SLAVE, MASTER_TIME, SLAVE_TIME,
  MASTER_PLATFORM, SLAVE_PLATFORM, MODE, POLARISATION, WAVELENGTH_M, LOS_SIGN), passed on from the
  interferogram to everything made from it;
- the multilook grid (ML_LOOKS, ML_ENL, and on radar-geometry rasters ML_SHAPE, ML_FULL_SHAPE);
- CONFIG, the JSON of the config values the steps that made the raster were given (their own over
  those their input records), and CONFIG_SHA256, its hash: two rasters made with the same settings
  have the same hash.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence

from dinsar.geometry.multilook import TAG_ENL, TAG_LOOKS

PAIR_TAGS = ("MASTER", "SLAVE", "MASTER_TIME", "SLAVE_TIME", "MASTER_PLATFORM", "SLAVE_PLATFORM", "MODE",
             "POLARISATION", "WAVELENGTH_M", "LOS_SIGN")
CONFIG, CONFIG_SHA256 = "CONFIG", "CONFIG_SHA256"


def version() -> str:
    """The installed dinsar's version (the package metadata), else the source's."""
    from importlib import metadata

    try:
        return metadata.version("dinsar")
    except metadata.PackageNotFoundError:
        from dinsar import __version__

        return __version__


def _dataclass(value):
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    raise TypeError(f"{type(value).__name__} is not a config value")


def config_tags(sections: dict, inherited: dict | None = None) -> dict[str, str]:
    """CONFIG and CONFIG_SHA256 of a raster made with `sections` ({config key: value, a
    dinsar.settings section or plain values}) from an input whose tags are `inherited` (its CONFIG
    is kept, under this step's keys)."""
    merged = json.loads((inherited or {}).get(CONFIG, "{}"))
    merged.update(json.loads(json.dumps(sections, default=_dataclass)))
    text = json.dumps(merged, sort_keys=True, separators=(",", ":"))
    return {CONFIG: text, CONFIG_SHA256: hashlib.sha256(text.encode()).hexdigest()}


def carried(tags: dict, geocoded: bool = False) -> dict[str, str]:
    """What a product passes on to a raster made from it: the pair's tags, the config and the looks
    (a geocoded raster keeps the looks and the ENL, not the radar grid's shape)."""
    keep = set(PAIR_TAGS) | {CONFIG, CONFIG_SHA256}
    ml = (TAG_LOOKS, TAG_ENL) if geocoded else tuple(k for k in tags if k.startswith("ML_"))
    return {k: v for k, v in tags.items() if k in keep or k in ml}


def describe(dst, product: str, bands: Sequence[tuple[str, str]], *tag_sets: dict, **tags: str) -> None:
    """Name and unit ('m', 'rad', '1') of every band of an open writer `dst`; PRODUCT, dinsar's version,
    then `tag_sets` and `tags` (a later one wins)."""
    if len(bands) != dst.count:
        raise ValueError(f"{dst.name}: {len(bands)} band descriptions for {dst.count} bands")
    for k, (name, unit) in enumerate(bands, start=1):
        dst.set_band_description(k, name)
        dst.set_band_unit(k, unit)
    v = version()
    merged = {"PRODUCT": product, "DINSAR_VERSION": v, "TIFFTAG_SOFTWARE": f"dinsar {v}"}
    for t in tag_sets:
        merged.update(t)
    dst.update_tags(**merged, **tags)
