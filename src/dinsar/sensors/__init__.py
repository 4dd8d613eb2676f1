"""Sensor models behind one product protocol (product.SarProduct): Sentinel-1 StripMap and IW (sentinel1,
iw, merged), COSMO-SkyMed CSK and CSG (cosmo), TerraSAR-X / TanDEM-X StripMap SSC (terrasar).

Standard library only here: the workflow planner asks `sensor_of` on every parse.
"""

from __future__ import annotations

from pathlib import PurePath

SENSORS = {"sentinel1": "Sentinel-1", "cosmo": "COSMO-SkyMed", "terrasar": "TerraSAR-X"}  # as a user reads them
HDF5_SUFFIXES = (".h5",)
TERRASAR_PREFIXES = ("TSX1_SAR__SSC", "TDX1_SAR__SSC")  # a TerraSAR-X / TanDEM-X SSC product folder's name


def sensor_of(path) -> str:
    """The sensor of a product from its path: "cosmo" for a COSMO-SkyMed HDF5 file (*.h5), "terrasar" for a
    TerraSAR-X / TanDEM-X SSC product folder (named TSX1_SAR__SSC... or TDX1_SAR__SSC...), else "sentinel1"
    (a SAFE dir or zip, or an IW date merged from one). By name only: a staged path may not exist yet."""
    p = PurePath(str(path).rstrip("/"))
    if p.suffix.lower() in HDF5_SUFFIXES:
        return "cosmo"
    return "terrasar" if p.name.startswith(TERRASAR_PREFIXES) else "sentinel1"
