"""PNG quicklooks of radar rasters, bounded in size whatever the scene (the pair's quantitative
maps, with colour bars, are dinsar.io.plots')."""

from __future__ import annotations

import numpy as np
import rasterio
from rasterio.enums import Resampling


def read_decimated(path, max_size: int, band: int = 1, resampling: Resampling = Resampling.average) -> np.ndarray:
    """Band `band` of `path`, averaged down (or `resampling`: nearest for a wrapped phase or a mask) so
    that neither side exceeds max_size: memory bounded whatever the scene."""
    with rasterio.open(path) as src:
        factor = max(1, int(np.ceil(max(src.height, src.width) / max_size)))
        shape = (max(1, src.height // factor), max(1, src.width // factor))
        return src.read(band, out_shape=shape, resampling=resampling)


def robust_stretch(amplitude: np.ndarray, low_pct: float = 2.0, high_pct: float = 98.0) -> np.ndarray:
    """Amplitude -> uint8 on a dB scale between two percentiles; 0 marks no data.

    SAR amplitude spans decades and has bright outliers, so a linear min/max
    stretch shows black; percentiles of dB values ignore the few strong
    scatterers and the shadows.
    """
    valid = np.isfinite(amplitude) & (amplitude > 0)
    out = np.zeros(amplitude.shape, dtype=np.uint8)
    if not valid.any():
        return out
    db = 20.0 * np.log10(amplitude[valid])
    lo, hi = np.percentile(db, [low_pct, high_pct])
    if hi <= lo:
        hi = lo + 1.0
    out[valid] = (1 + np.clip((db - lo) / (hi - lo), 0.0, 1.0) * 254).astype(np.uint8)
    return out


def write_png(path, image: np.ndarray) -> None:
    """A single-band 8-bit PNG (0 = no data)."""
    profile = dict(driver="PNG", height=image.shape[0], width=image.shape[1], count=1, dtype="uint8")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(image, 1)
