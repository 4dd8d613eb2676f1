"""Sensor models behind one product protocol (product.SarProduct): Sentinel-1 StripMap and IW (sentinel1,
iw, merged), COSMO-SkyMed CSK and CSG (cosmo).

Standard library only here: the workflow planner asks `sensor_of` on every parse.
"""

from __future__ import annotations

from pathlib import PurePath

SENSORS = {"sentinel1": "Sentinel-1", "cosmo": "COSMO-SkyMed"}  # sensor_of's answers, as a user reads them
HDF5_SUFFIXES = (".h5",)


def sensor_of(path) -> str:
    """The sensor of a product from its path: "cosmo" for a COSMO-SkyMed HDF5 file (*.h5), else
    "sentinel1" (a SAFE dir or zip, or an IW date merged from one)."""
    return "cosmo" if PurePath(str(path).rstrip("/")).suffix.lower() in HDF5_SUFFIXES else "sentinel1"
