"""Doppler centroid from the data (DiapOTB SARDoppler0), compared with the annotation.

StripMap: per range block, f = PRF · arg(Σ lag-one products) / 2π over the
whole block; its spread is the standard deviation of the same estimate over
azimuth sub-blocks.

TOPS (IW/EW): the antenna steering sweeps the Doppler centroid linearly
through each burst (and past ±PRF/2), so a plain average means nothing. Per
range block the sub-block estimates are unwrapped along azimuth and fitted by
a line; the centroid reported is the fit at the burst's mid time (where the
steering is zero), with the residual spread.
"""

from __future__ import annotations

import numpy as np

from dinsar.io.annotation import Annotation
from dinsar.kernels.doppler import lag_one_sums


def _wrap(x, period):
    return (x + period / 2) % period - period / 2


def _sensor_model(sensor):
    """(line interval s, near range time s, range sampling rate Hz, first line time, bursts, Doppler model)
    of a product (dinsar.sensors.product.SarProduct) or of a bare Sentinel-1 annotation (an annotation
    file with a crop of its image, no SAFE around it: the Azores IW test data)."""
    if isinstance(sensor, Annotation):
        from dinsar.sensors.sentinel1 import bursts_of, doppler_centroid_of

        return (sensor.azimuth_time_interval_s, sensor.slant_range_time_s, sensor.range_sampling_rate_hz,
                sensor.first_line_time, bursts_of(sensor), doppler_centroid_of(sensor))
    g = sensor.radar_grid
    return (g.line_interval_s, g.near_range_time_s, g.range_sampling_rate_hz, sensor.start_time, sensor.bursts,
            sensor.doppler_centroid)


def estimate(samples: np.ndarray, sensor, first_line: int = 0, first_col: int = 0,
             az_block: int = 32, rg_block: int = 256) -> dict:
    """Doppler0 of a block of SLC samples whose top-left sample is (first_line, first_col).

    sensor: the product (SarProduct), or a Sentinel-1 Annotation for an image crop without its SAFE.
    """
    line_interval, near_range_time, range_rate, first_line_time, bursts, model = _sensor_model(sensor)
    prf = 1.0 / line_interval
    sums = lag_one_sums(samples, az_block, rg_block)
    n_az, n_rg = sums.shape
    cols = first_col + (np.arange(n_rg) + 0.5) * rg_block - 0.5
    tau = near_range_time + cols / range_rate
    cell_f = prf * np.angle(sums) / (2 * np.pi)
    tops = bool(bursts)
    blocks = []
    if not tops:
        for j in range(n_rg):
            f = prf * np.angle(sums[:, j].sum()) / (2 * np.pi)
            w = np.abs(sums[:, j]) / max(np.abs(sums[:, j]).max(), 1e-300)
            dev = _wrap(cell_f[:, j] - f, prf)
            spread = float(np.sqrt(np.sum(w * dev**2) / np.sum(w))) if n_az > 1 else float("nan")
            blocks.append((f, spread, None))
        ref_time = first_line_time + np.timedelta64(
            int((first_line + samples.shape[0] / 2) * line_interval * 1e9), "ns")
    else:
        lpb = bursts[0].lines
        burst = (first_line + samples.shape[0] // 2) // lpb
        mid_line_in_crop = burst * lpb + (lpb - 1) / 2 - first_line
        line_centres = (np.arange(n_az) + 0.5) * az_block - 0.5
        x = line_centres - mid_line_in_crop
        for j in range(n_rg):
            f = np.unwrap(cell_f[:, j], period=prf)
            # cells weighted by their lag-one magnitude: dark, decorrelated areas (sea) count little
            w = np.abs(sums[:, j]) / np.abs(sums[:, j]).max()
            rate, f0 = np.polyfit(x, f, 1, w=np.sqrt(w))
            residual = f - (f0 + rate * x)
            spread = float(np.sqrt(np.sum(w * residual**2) / np.sum(w)))
            blocks.append((float(_wrap(f0, prf)), spread, float(rate / line_interval)))
        ref_time = bursts[burst].azimuth_time + np.timedelta64(int((lpb - 1) / 2 * line_interval * 1e9), "ns")
    ann = model.all(tau)
    nearest = model.nearest(ref_time) if model else None
    f_all = np.array([b[0] for b in blocks])
    return {
        "mode": "TOPS" if tops else "StripMap",
        "prf_hz": prf,
        "reference_time": str(ref_time),
        "doppler_hz": float(np.mean(f_all)),
        "spread_hz": float(np.sqrt(np.mean([b[1] ** 2 for b in blocks]) + np.var(f_all))),
        "annotation_nearest_hz": float(np.mean(ann[nearest])) if nearest is not None else None,
        "annotation_mean_hz": float(ann.mean()) if ann.size else None,
        "annotation_min_hz": float(ann.min()) if ann.size else None,
        "annotation_max_hz": float(ann.max()) if ann.size else None,
        "range_blocks": [
            {"first_col": int(first_col + j * rg_block), "slant_range_time_s": float(tau[j]),
             "doppler_hz": b[0], "spread_hz": b[1],
             "annotation_hz": float(ann[nearest, j]) if nearest is not None else None,
             **({"doppler_rate_hz_per_s": b[2]} if b[2] is not None else {})}
            for j, b in enumerate(blocks)
        ],
    }
