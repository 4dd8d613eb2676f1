"""Tiled GeoTIFFs written by blocks, with the product's geolocation grid as GCPs."""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

import numpy as np
from rasterio.control import GroundControlPoint
from rasterio.crs import CRS
from rasterio.errors import NotGeoreferencedWarning

from dinsar.geometry.multilook import MultilookGrid
from dinsar.io.annotation import GeolocationGrid

warnings.filterwarnings("ignore", category=NotGeoreferencedWarning)

TILE = 256


def geotiff_profile(height: int, width: int, dtype, count: int = 1, **extra) -> dict:
    big = height * width * count * np.dtype(dtype).itemsize > 2**31
    profile = dict(
        driver="GTiff", height=height, width=width, count=count, dtype=np.dtype(dtype).name,
        tiled=True, blockxsize=TILE, blockysize=TILE, BIGTIFF="YES" if big else "IF_SAFER",
    )
    profile.update(extra)
    return profile


def gcps_from_grid(grid: GeolocationGrid, looks: MultilookGrid | tuple[int, int] = (1, 1)) -> tuple[list, CRS]:
    """GCPs of the geolocation grid on a multilooked raster (GDAL's pixel-corner convention).

    looks: the raster's MultilookGrid, or its (azimuth, range) looks; the grid owns the convention
    (multilooked pixel j's centre is at full-resolution j·n + (n-1)/2); GDAL puts a pixel's centre at j + 0.5.
    """
    ml = looks if isinstance(looks, MultilookGrid) else MultilookGrid(tuple(looks), None)
    rows, cols = ml.to_multilooked(grid.line, grid.pixel)
    gcps = [
        GroundControlPoint(row=float(row) + 0.5, col=float(col) + 0.5, x=lon, y=lat, z=h, id=str(k))
        for k, (row, col, lon, lat, h) in enumerate(
            zip(rows, cols, grid.longitude, grid.latitude, grid.height, strict=True)
        )
    ]
    return gcps, CRS.from_epsg(4979)


def line_blocks(height: int, lines: int) -> Iterator[tuple[int, int]]:
    """(first line, number of lines) covering 0..height in steps of `lines`."""
    for start in range(0, height, lines):
        yield start, min(lines, height - start)


def read_xyz(path, window=None) -> np.ndarray:
    """ECEF X/Y/Z (3, lines, cols) float64 from an xyz.tif (float32 offsets + XYZ_ORIGIN tag)."""
    import rasterio

    with rasterio.open(path) as src:
        origin = np.array([float(v) for v in src.tags()["XYZ_ORIGIN"].split()])
        return src.read(window=window).astype(np.float64) + origin[:, None, None]


class _Samples:
    def __init__(self, src):
        self._src = src

    def read(self, window=None) -> np.ndarray:
        return self._src.read(1, window=window).astype(np.complex64, copy=False)


@contextlib.contextmanager
def open_samples(path) -> Iterator[_Samples]:
    """A complex raster of ours (slave_coreg.tif) read like a product's image: `r.read(window)` ->
    complex64 of band 1, so a step takes either as the master of an interferogram."""
    import rasterio

    with rasterio.open(path) as src:
        yield _Samples(src)


class BackgroundWrites:
    """Block writes in one background thread, in order, while the caller computes the next block.

    GDAL releases the GIL while it writes, so a disk-bound step overlaps its output with its
    computation. At most `depth` blocks wait (memory stays bounded); a write's error is raised by a
    later submit or on leaving the context (the step's atomic outputs then remove the partial files).
    """

    def __init__(self, depth: int = 4):
        from concurrent.futures import ThreadPoolExecutor

        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raster-write")
        self._pending = []
        self._depth = depth

    def submit(self, fn, *args, **kwargs) -> None:
        while self._pending and (len(self._pending) >= self._depth or self._pending[0].done()):
            self._pending.pop(0).result()
        self._pending.append(self._pool.submit(fn, *args, **kwargs))

    def wait(self) -> None:
        """Until every submitted write is done (raising the first error): call it before touching a
        dataset the writes go to from this thread (tags), since a GDAL dataset is not thread-safe."""
        while self._pending:
            self._pending.pop(0).result()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        try:
            while self._pending:
                future = self._pending.pop(0)
                if exc_type is None:
                    future.result()
                else:
                    future.cancel()
        finally:
            self._pool.shutdown(wait=True)
        return False


def read_interferogram(path):
    """The 4 bands of a multilooked interferogram (isData as a mask), its GCPs and its multilook grid."""
    import rasterio

    mlgrid = MultilookGrid.from_raster(path)
    with rasterio.open(path) as src:
        amp, phase, coh, ok = src.read()
        gcps = src.gcps
    return amp, phase, coh, ok > 0.5, gcps, mlgrid
