"""A synthetic shield volcano DEM (the demo's terrain): no download needed.

Shaped like Piton de la Fournaise: a ~2600 m summit (ellipsoidal height here,
so the demo needs no geoid grid), flanks of 10-25°, a summit crater, on a
30 m (1 arc-second) WGS84 grid. Written with CRS EPSG:4979 (ellipsoidal heights).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

SUMMIT_LON_LAT = (55.7137, -21.2440)
SUMMIT_M = 2600.0
POSTING_DEG = 1.0 / 3600.0


def volcano_height(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Ellipsoidal height (m): a shield with a steeper summit cone and a 1 km crater."""
    x = (lon - SUMMIT_LON_LAT[0]) * 111_320.0 * np.cos(np.radians(SUMMIT_LON_LAT[1]))
    y = (lat - SUMMIT_LON_LAT[1]) * 110_570.0
    r = np.hypot(x, y)
    shield = 1900.0 * np.exp(-((r / 11_000.0) ** 1.3))
    cone = 700.0 * np.exp(-((r / 1_800.0) ** 2))
    crater = -250.0 * np.exp(-((r / 450.0) ** 4))
    return shield + cone + crater + SUMMIT_M - (1900.0 + 700.0)


def write_volcano_dem(path: str | Path, half_size_deg: float = 0.08,
                      centre: tuple[float, float] = SUMMIT_LON_LAT) -> Path:
    """The volcano over ±half_size_deg around `centre` (default the summit), float32 GeoTIFF (EPSG:4979)."""
    # rasterio only where a file is written: the planner reads SUMMIT_LON_LAT on every parse
    import rasterio
    from rasterio.transform import from_origin

    path = Path(path)
    n = int(round(2 * half_size_deg / POSTING_DEG))
    west = centre[0] - half_size_deg
    north = centre[1] + half_size_deg
    lon = west + (np.arange(n) + 0.5) * POSTING_DEG
    lat = north - (np.arange(n) + 0.5) * POSTING_DEG
    height = volcano_height(lon[None, :], lat[:, None]).astype(np.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with rasterio.open(tmp, "w", driver="GTiff", height=n, width=n, count=1, dtype="float32",
                       crs="EPSG:4979", transform=from_origin(west, north, POSTING_DEG, POSTING_DEG),
                       tiled=True, blockxsize=256, blockysize=256, nodata=-32768.0) as dst:
        dst.write(height, 1)
    tmp.replace(path)
    return path
