"""PNG quicklooks of radar rasters, bounded in size whatever the scene."""

from __future__ import annotations

import numpy as np
import rasterio
from rasterio.enums import Resampling


def read_decimated(path: str, max_size: int, band: int = 1) -> np.ndarray:
    """Band `band` of `path`, averaged down so that neither side exceeds max_size."""
    with rasterio.open(path) as src:
        factor = max(1, int(np.ceil(max(src.height, src.width) / max_size)))
        shape = (max(1, src.height // factor), max(1, src.width // factor))
        return src.read(band, out_shape=shape, resampling=Resampling.average)


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


def to_uint8(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Linear stretch lo..hi to 1..255 (0 = no data)."""
    out = np.zeros(values.shape, dtype=np.uint8)
    ok = np.isfinite(values)
    out[ok] = (1 + np.clip((values[ok] - lo) / (hi - lo), 0, 1) * 254).astype(np.uint8)
    return out


def cyclic_rgb(phase: np.ndarray, brightness: np.ndarray) -> np.ndarray:
    """(3, ...) uint8: phase (rad) on a cyclic hue wheel, value from brightness (0..1)."""
    hue = (np.mod(phase, 2 * np.pi) / (2 * np.pi))[None]
    shifts = np.array([0.0, 1 / 3, 2 / 3])[:, None, None]
    rgb = 0.5 + 0.5 * np.cos(2 * np.pi * (hue - shifts))
    return (255 * rgb * np.clip(brightness, 0, 1)[None]).astype(np.uint8)


def write_phase_png(path, ifg_tif) -> None:
    """Wrapped phase in a cyclic colour map over the stretched amplitude (bands 1 and 2 of ifg_tif)."""
    amp = read_decimated(str(ifg_tif), 2048, band=1)
    with rasterio.open(ifg_tif) as src:
        phase = src.read(2, out_shape=amp.shape, resampling=rasterio.enums.Resampling.nearest)
    brightness = 0.25 + 0.75 * robust_stretch(amp).astype(np.float64) / 255.0
    rgb = cyclic_rgb(phase, brightness)
    profile = dict(driver="PNG", height=rgb.shape[1], width=rgb.shape[2], count=3, dtype="uint8")
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(rgb)


def diverging_rgb(values: np.ndarray, limit: float) -> np.ndarray:
    """(3, ...) uint8: blue (-limit) - white (0) - red (+limit); NaN black."""
    v = np.clip(np.nan_to_num(values, nan=0.0) / (limit or 1.0), -1, 1)
    r = np.where(v > 0, 1.0, 1.0 + v)
    b = np.where(v < 0, 1.0, 1.0 - v)
    g = 1.0 - np.abs(v)
    rgb = (255 * np.stack([r, g, b])).astype(np.uint8)
    rgb[:, ~np.isfinite(values)] = 0
    return rgb


def write_rgb(path, rgb: np.ndarray) -> None:
    with rasterio.open(path, "w", driver="PNG", height=rgb.shape[1], width=rgb.shape[2], count=3,
                       dtype="uint8") as dst:
        dst.write(rgb)


def write_diverging_png(path, raster_path, band: int = 1, max_size: int = 2048) -> float:
    """A diverging-colour PNG of one band, symmetric about 0 at its 99th |value| percentile; returns it."""
    with rasterio.open(raster_path) as src:
        factor = max(1, int(np.ceil(max(src.height, src.width) / max_size)))
        shape = (max(1, src.height // factor), max(1, src.width // factor))
        data = src.read(band, out_shape=shape, resampling=rasterio.enums.Resampling.nearest).astype(np.float64)
    finite = data[np.isfinite(data)]
    limit = float(np.percentile(np.abs(finite), 99)) if finite.size else 1.0
    write_rgb(path, diverging_rgb(data, limit))
    return limit
