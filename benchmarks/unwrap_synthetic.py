"""A synthetic multilooked interferogram with an exact truth, for the unwrapping benchmark.

The phase is a known smooth field (azimuth and range ramps plus three Mogi-like bumps, several hundred
fringes at the full 13333 × 8333 size), the noise that of `looks` looks of circular Gaussian pairs at a
coherence map with low-coherence patches, and a few holes (isData 0). Written as the interferogram
step writes it (4 bands: amplitude, phase, coherence, isData; the ML_* tags), by blocks of lines, so
the generator's memory does not grow with the size. The truth (rad, unwrapped) is analytic:
`Scene.truth(first, n)` gives any block of lines of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

FULL = (13333, 8333)  # the 40000 × 25000 StripMap pair over 3 × 3 looks


@dataclass(frozen=True)
class Scene:
    shape: tuple[int, int] = FULL
    seed: int = 1
    looks: int = 9  # independent looks of the noise (the ML_ENL written)
    gain: float = 1.0  # the phase field times this (fringe rates: ~0.2 rad/px at 1)

    @property
    def scale(self) -> float:
        """Sizes (bump radii and heights, patches, holes) scale with the image; fringe rates do not."""
        return min(self.shape) / FULL[1]

    def _bumps(self):
        s = self.scale
        ny, nx = self.shape
        # (centre line, centre col, peak phase rad, radius px): peak gradient 0.86 A / d ≈ 0.2 rad/px
        return [(0.30 * ny, 0.35 * nx, 2 * np.pi * 40 * s, 1200 * s),
                (0.70 * ny, 0.62 * nx, -2 * np.pi * 30 * s, 800 * s),
                (0.52 * ny, 0.16 * nx, 2 * np.pi * 20 * s, 500 * s)]

    def truth(self, first: int, n: int) -> np.ndarray:
        """Unwrapped phase (rad, float64) of lines first .. first + n - 1."""
        ny, nx = self.shape
        y = np.arange(first, first + n, dtype=np.float64)[:, None]
        x = np.arange(nx, dtype=np.float64)[None, :]
        phi = 0.028 * y + 0.068 * x  # ~60 fringes along azimuth, ~90 along range at full size
        for cy, cx, a, d in self._bumps():
            phi = phi + a / (1 + ((y - cy) ** 2 + (x - cx) ** 2) / d**2) ** 1.5
        return self.gain * phi

    def _patches(self):
        """(centre line, centre col, semi-axis lines, semi-axis cols, coherence) of the decorrelated areas."""
        s, (ny, nx) = self.scale, self.shape
        return [(0.18 * ny, 0.75 * nx, 500 * s, 900 * s, 0.12),  # masked by min_coherence 0.2
                (0.45 * ny, 0.45 * nx, 350 * s, 300 * s, 0.30),  # kept, noisy
                (0.85 * ny, 0.25 * nx, 700 * s, 500 * s, 0.25),
                (0.62 * ny, 0.88 * nx, 300 * s, 250 * s, 0.35)]

    def coherence(self, first: int, n: int) -> np.ndarray:
        ny, nx = self.shape
        y = np.arange(first, first + n, dtype=np.float64)[:, None]
        x = np.arange(nx, dtype=np.float64)[None, :]
        g = 0.8 + 0.1 * np.sin(2 * np.pi * y / (0.37 * ny)) * np.cos(2 * np.pi * x / (0.29 * nx))
        for cy, cx, ay, ax, low in self._patches():
            r = np.sqrt(((y - cy) / ay) ** 2 + ((x - cx) / ax) ** 2)
            w = np.clip((1.2 - r) / 0.4, 0, 1)  # a smooth 20 % edge
            g = g * (1 - w) + low * w
        return g

    def valid(self, first: int, n: int) -> np.ndarray:
        """isData: holes (discs), a 60-px strip part-way across, and a 12-px invalid left border."""
        s, (ny, nx) = self.scale, self.shape
        y = np.arange(first, first + n, dtype=np.float64)[:, None]
        x = np.arange(nx, dtype=np.float64)[None, :]
        ok = np.ones((n, nx), bool)
        for cy, cx, r in ((0.25 * ny, 0.55 * nx, 250 * s), (0.60 * ny, 0.30 * nx, 400 * s),
                          (0.90 * ny, 0.70 * nx, 150 * s)):
            ok &= (y - cy) ** 2 + (x - cx) ** 2 > r**2
        ok &= ~((np.abs(y - 0.40 * ny) < 30 * s) & (x > 0.55 * nx))
        ok &= x >= 12
        return ok

    def block(self, first: int, n: int):
        """amplitude, phase, coherence estimate, isData (float32) of lines first .. first + n - 1."""
        rng = np.random.default_rng([self.seed, first])
        g = self.coherence(first, n)
        phi = self.truth(first, n)
        shape = (self.looks, n, self.shape[1])

        def cn():
            return ((rng.standard_normal(shape, np.float32) + 1j * rng.standard_normal(shape, np.float32))
                    * np.float32(np.sqrt(0.5)))

        a = cn()
        b = (g.astype(np.float32) * a + np.sqrt(1 - g * g).astype(np.float32) * cn())
        p1 = np.sum(np.abs(a) ** 2, axis=0)
        p2 = np.sum(np.abs(b) ** 2, axis=0)
        z = np.sum(a * np.conj(b), axis=0) * np.exp(1j * phi).astype(np.complex64)
        del a, b
        ok = self.valid(first, n)
        coh = np.abs(z) / np.sqrt(p1 * p2)
        amp = (p1 * p2) ** 0.25 / np.sqrt(self.looks)
        bands = np.stack([amp, np.angle(z), coh, ok.astype(np.float32)]).astype(np.float32)
        bands[:3, ~ok] = 0
        return bands


def write_interferogram(path, scene: Scene, block_lines: int = 512) -> None:
    """The scene as interferogram_ml.tif (4 bands, ML_* tags of 3 × 3 looks, pair tags), by blocks."""
    import rasterio
    from rasterio.control import GroundControlPoint
    from rasterio.crs import CRS
    from rasterio.windows import Window

    from dinsar.geometry.multilook import MultilookGrid
    from dinsar.io import describe, raster

    ny, nx = scene.shape
    grid = MultilookGrid((3, 3), (ny * 3, nx * 3), float(scene.looks))
    prof = raster.geotiff_profile(ny, nx, np.float32, count=4)
    with rasterio.open(path, "w", **prof) as w:
        w.gcps = ([GroundControlPoint(row=r, col=c, x=55.6 + 0.1 * c / nx, y=-21.3 + 0.1 * r / ny, z=0.0)
                   for r in (0, ny) for c in (0, nx)], CRS.from_epsg(4979))
        for first in range(0, ny, block_lines):
            n = min(block_lines, ny - first)
            w.write(scene.block(first, n), window=Window(0, first, nx, n))
        describe.describe(w, "interferogram", (("amplitude", "1"), ("phase (rad)", "rad"), ("coherence", "1"),
                                               ("isData", "1")),
                          {"MASTER": "synthetic_master", "SLAVE": "synthetic_slave", "WAVELENGTH_M": "0.05546576",
                           "LOS_SIGN": "1", "MODE": "SM", "POLARISATION": "VV"},
                          grid.tags(), describe.config_tags({"multilook": {"looks": [3, 3]}}))
