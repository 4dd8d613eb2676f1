"""Figures of the report (matplotlib's Agg canvas, no pyplot state, no display).

The pair's maps are quantitative: a colour bar in the raster's unit (rad, 1, mm), a title naming the
site, the two dates and the product, wrapped phase on a cyclic map from -π to π, and the symmetric
limits of a diverging map as the colour bar's end ticks. Each map is built by a `*_figure` function
(returning the Figure, for tests) from its raster read decimated to at most `max_size` pixels a side
(dinsar.io.png.read_decimated), so memory does not grow with the scene; `save` writes it.
Also: the baselines of a stack and the offsets of a deformation grid.
"""

from __future__ import annotations

import datetime as dt
import textwrap
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

DPI = 100
MIN_SIDE = 480  # a small raster is drawn enlarged to this many pixels, so that its labels fit
PERCENTILE = 99.0  # a diverging map's limit: this percentile of |value|


@dataclass(frozen=True)
class Scale:
    """How values become colours, and what the colour bar says."""

    label: str  # the quantity, e.g. "wrapped phase"
    unit: str  # "rad", "1", "mm"
    cmap: str
    vmin: float
    vmax: float
    ticks: tuple[float, ...] | None = None
    ticklabels: tuple[str, ...] | None = None
    extend: str = "neither"  # "both": values beyond the limits are clipped to them


WRAPPED = Scale("wrapped phase", "rad", "twilight", -np.pi, np.pi, (-np.pi, -np.pi / 2, 0.0, np.pi / 2, np.pi),
                ("−π", "−π/2", "0", "π/2", "π"))
COHERENCE = Scale("coherence", "1", "viridis", 0.0, 1.0, (0.0, 0.25, 0.5, 0.75, 1.0))


def symmetric(label: str, unit: str, limit: float) -> Scale:
    """Blue (-limit) - white (0) - red (+limit), clipped beyond; the limits are the end ticks."""
    ticks = (-limit, -limit / 2, 0.0, limit / 2, limit)
    labels = tuple(f"{t:+.3g}".replace("-", "−") if t else "0" for t in ticks)
    return Scale(label, unit, "RdBu_r", -limit, limit, ticks, labels, "both")


def symmetric_limit(values: np.ndarray) -> float:
    """The PERCENTILE-th percentile of |finite values| (1 when there are none, or all are 0)."""
    finite = np.abs(values[np.isfinite(values)])
    limit = float(np.percentile(finite, PERCENTILE)) if finite.size else 0.0
    return limit if limit > 0 else 1.0


def new_figure(width_in: float, height_in: float) -> Figure:
    """A Figure on its own Agg canvas: nothing registered with pyplot, nothing left open."""
    fig = Figure(figsize=(width_in, height_in), dpi=DPI)
    FigureCanvasAgg(fig)
    return fig


def save(fig: Figure, dst) -> None:
    """The figure as a PNG, renamed into place only once written (dinsar.io.atomic)."""
    from dinsar.io import atomic

    with atomic.outputs(dst) as (tmp,):
        fig.savefig(tmp, format="png", dpi=DPI)


def map_figure(values: np.ndarray, scale: Scale, title: str, subtitle: str = "", extent=None,
               height_ratio: float | None = None, xlabel: str = "", ylabel: str = "", marker=None) -> Figure:
    """`values` (NaN: no data, grey) under `title`, with a colour bar labelled '<label> (<unit>)'.

    extent: (left, right, bottom, top) in axis units (default pixels); height_ratio: the drawn
    height over the drawn width (default that of the array, square pixels); marker: (x, y) marked
    with a cross. The image is drawn at about one figure pixel per value (at least MIN_SIDE a side)."""
    h, w = values.shape
    ratio = height_ratio if height_ratio is not None else h / w
    long_side = max(w, w * ratio)
    zoom = MIN_SIDE / long_side if long_side < MIN_SIDE else 1.0
    iw, ih = w * zoom / DPI, w * ratio * zoom / DPI  # the image, inches
    k = max(1.0, max(iw, ih) * DPI / 1000)  # fonts and margins grow with a large image
    left, bottom, gap, bar, right = 1.0 * k, 0.7 * k, 0.2 * k, 0.22 * k, 1.1 * k
    fw = left + iw + gap + bar + right
    fs = 10 * k
    per_line = max(20, int(fw * 72 / (0.85 * fs * 0.6)))  # characters of the subtitle a line holds
    notes = textwrap.wrap(subtitle, per_line, break_on_hyphens=False)
    top = (0.6 + 0.2 * len(notes)) * k
    fh = bottom + ih + top
    fig = new_figure(fw, fh)
    ax = fig.add_axes((left / fw, bottom / fh, iw / fw, ih / fh))
    cmap = _colormap(scale.cmap)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, vmin=scale.vmin, vmax=scale.vmax,
                      extent=extent, aspect="auto", interpolation="nearest")
    if marker is not None:
        ax.plot([marker[0]], [marker[1]], marker="+", color="k", markersize=12 * k, markeredgewidth=2 * k)
    ax.set_xlabel(xlabel, fontsize=fs)
    ax.set_ylabel(ylabel, fontsize=fs)
    ax.tick_params(labelsize=0.9 * fs)
    cax = fig.add_axes(((left + iw + gap) / fw, bottom / fh, bar / fw, ih / fh))
    bar_ = fig.colorbar(image, cax=cax, extend=scale.extend)
    if scale.ticks is not None:
        bar_.set_ticks(scale.ticks, labels=scale.ticklabels)
    bar_.set_label(f"{scale.label} ({scale.unit})", fontsize=fs)
    cax.tick_params(labelsize=0.9 * fs)
    fig.text(0.5, 1 - 0.28 * k / fh, title, ha="center", va="center", fontsize=1.15 * fs, weight="bold")
    for i, line in enumerate(notes):
        fig.text(0.5, 1 - (0.58 + 0.2 * i) * k / fh, line, ha="center", va="center", fontsize=0.85 * fs)
    return fig


def _colormap(name: str):
    import matplotlib

    return matplotlib.colormaps[name].with_extremes(bad="0.6")


# --- the pair's maps, from their rasters ---


def interferogram_phase_figure(ifg_tif, max_size: int = 2048) -> Figure:
    """Band 2 (wrapped phase) of the 4-band interferogram where band 4 (isData) is 1."""
    from rasterio.enums import Resampling

    from dinsar.io.png import read_decimated

    phase = read_decimated(ifg_tif, max_size, band=2, resampling=Resampling.nearest)
    ok = read_decimated(ifg_tif, max_size, band=4, resampling=Resampling.nearest) > 0.5
    return _radar_map(ifg_tif, np.where(ok, phase, np.nan), WRAPPED, "interferogram phase")


def coherence_figure(ifg_tif, max_size: int = 2048) -> Figure:
    """Band 3 (coherence) of the 4-band interferogram where band 4 (isData) is 1."""
    from rasterio.enums import Resampling

    from dinsar.io.png import read_decimated

    coh = read_decimated(ifg_tif, max_size, band=3)
    ok = read_decimated(ifg_tif, max_size, band=4, resampling=Resampling.nearest) > 0.5
    return _radar_map(ifg_tif, np.where(ok, coh, np.nan), COHERENCE, "coherence")


def filtered_phase_figure(filtered_tif, max_size: int = 2048) -> Figure:
    """The phase of the Goldstein-filtered interferogram (complex, averaged when decimated)."""
    from dinsar.io.png import read_decimated

    z = read_decimated(filtered_tif, max_size)
    phase = np.where(np.abs(z) > 0, np.angle(z), np.nan)
    return _radar_map(filtered_tif, phase, WRAPPED, "filtered phase")


def unwrapped_figure(unwrapped_tif, max_size: int = 2048) -> Figure:
    """The unwrapped phase minus the reference's (the cross), symmetric about 0; the colour bar's
    limits are also given as LOS displacement (d = -λ φ / 4π, the raster's WAVELENGTH_M)."""
    from rasterio.enums import Resampling

    from dinsar.io.png import read_decimated

    unw = read_decimated(unwrapped_tif, max_size, resampling=Resampling.nearest).astype(np.float64)
    tags, _, _ = _raster_info(unwrapped_tif)
    limit = symmetric_limit(unw)
    note = f"colours clipped at ±{limit:.3g} rad"
    if "WAVELENGTH_M" in tags:
        mm = float(tags["WAVELENGTH_M"]) * limit / (4 * np.pi) * 1000
        note += f", i.e. ∓{mm:.3g} mm toward the satellite"
    marker = None
    if "REFERENCE_LINE" in tags:
        marker = (int(tags["REFERENCE_COL"]) + 0.5, int(tags["REFERENCE_LINE"]) + 0.5)
        note += "; +: the reference pixel"
    return _radar_map(unwrapped_tif, unw, symmetric("unwrapped phase − reference", "rad", limit),
                      "unwrapped phase", note, marker)


def los_figure(los_tif, max_size: int = 2048) -> Figure:
    """The geocoded LOS displacement (m in the raster, mm here) on lon/lat axes, symmetric about 0 at
    the PERCENTILE-th percentile of |d|: those ±limits are the colour bar's end ticks."""
    from rasterio.enums import Resampling

    from dinsar.io.png import read_decimated

    mm = 1000.0 * read_decimated(los_tif, max_size, resampling=Resampling.nearest).astype(np.float64)
    tags, (height, width), transform = _raster_info(los_tif)
    limit = symmetric_limit(mm)
    west, north = transform.c, transform.f
    east, south = west + width * transform.a, north + height * transform.e
    ratio = (north - south) / ((east - west) * np.cos(np.radians((north + south) / 2)))
    subtitle = _join(f"colours clipped at ±{limit:.3g} mm ({PERCENTILE:g}th percentile of |d|)",
                     "positive: toward the satellite", _nodata(mm))
    return map_figure(mm, symmetric("LOS displacement toward the satellite", "mm", limit),
                      _title(los_tif, tags, "LOS displacement"), subtitle, extent=(west, east, south, north),
                      height_ratio=ratio, xlabel="longitude (°)", ylabel="latitude (°)")


def _radar_map(path, values: np.ndarray, scale: Scale, product: str, note: str = "", marker=None) -> Figure:
    tags, (height, width), _ = _raster_info(path)
    looks = tags.get("ML_LOOKS")
    where = f"radar geometry, {looks.replace(' ', ' × ')} looks (azimuth × range)" if looks else "radar geometry"
    return map_figure(values, scale, _title(path, tags, product), _join(where, note, _nodata(values)),
                      extent=(0, width, height, 0), height_ratio=height / width, xlabel="column (range)",
                      ylabel="line (azimuth)", marker=marker)


def _raster_info(path):
    import rasterio

    with rasterio.open(path) as src:
        return src.tags(), (src.height, src.width), src.transform


def _title(path, tags: dict, product: str) -> str:
    """'<site> · <master date> → <slave date> · <product>', from the path and the pair's tags."""
    from dinsar.layout import site_of

    parts = [site_of(path) or ""]
    if "MASTER_TIME" in tags and "SLAVE_TIME" in tags:
        a, b = tags["MASTER_TIME"], tags["SLAVE_TIME"]
        n = 10 if a[:10] != b[:10] else 16  # the time of day only where the dates are the same
        parts.append(f"{a[:n]} → {b[:n]}".replace("T", " "))
    return " · ".join([p for p in parts if p] + [product])


def _nodata(values: np.ndarray) -> str:
    return "grey: no data" if not np.isfinite(values).all() else ""


def _join(*notes: str) -> str:
    return "; ".join(n for n in notes if n)


# --- the stack and the deformation grid ---


def baselines_png(records: list[dict], pairs: list[list[str]], dst) -> None:
    """Perpendicular baseline against date; grey lines the master pairs, blue the small-baseline ones."""
    when = {r["name"]: dt.datetime.fromisoformat(r["time"][:26]) for r in records}
    bperp = {r["name"]: r["b_perp_m"] for r in records}
    master = next(r["name"] for r in records if r["master"])
    fig = new_figure(7, 4)
    ax = fig.subplots()
    for r in records:
        if not r["master"]:
            ax.plot([when[master], when[r["name"]]], [0, bperp[r["name"]]], color="0.6", lw=1, zorder=1)
    for a, b in pairs:
        ax.plot([when[a], when[b]], [bperp[a], bperp[b]], color="tab:blue", lw=1, zorder=1)
    ax.scatter([when[n] for n in when], [bperp[n] for n in when], zorder=2,
               c=["tab:red" if n == master else "k" for n in when])
    ax.set_xlabel("acquisition date")
    ax.set_ylabel("perpendicular baseline (m)")
    ax.set_title(f"{len(records)} dates; grey: master pairs, blue: {len(pairs)} small-baseline pairs")
    ax.grid(alpha=0.3)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(dst, format="png")


def offsets_png(dst, node_lines, node_cols, offset_l, offset_c, resid_l, resid_c, kept, title: str) -> None:
    """The slave - master offsets at the grid nodes (lines, columns) and the correlation residuals
    against the fitted model (arrows; grey where rejected)."""
    fig = new_figure(13, 4)
    axes = fig.subplots(1, 3)
    extent = (node_cols[0], node_cols[-1], node_lines[-1], node_lines[0])
    for ax, values, name in ((axes[0], offset_l, "line offset (px)"), (axes[1], offset_c, "column offset (px)")):
        im = ax.imshow(values, extent=extent, aspect="auto", cmap="viridis")
        ax.set_title(name)
        ax.set_xlabel("master column")
        ax.set_ylabel("master line")
        fig.colorbar(im, ax=ax, shrink=0.85, label="px")
    ax = axes[2]
    nl, nc = np.meshgrid(node_lines, node_cols, indexing="ij")
    ok = np.isfinite(resid_l) & np.isfinite(resid_c)
    scale = max(float(np.nanpercentile(np.hypot(resid_l, resid_c)[ok], 95)) if ok.any() else 0.0, 1e-3)
    for mask, colour in ((ok & kept, "tab:blue"), (ok & ~kept, "0.6")):
        ax.quiver(nc[mask], nl[mask], resid_c[mask], -resid_l[mask], color=colour, angles="xy",
                  scale=scale * 20, width=0.004)
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_title(f"correlation - model (95 %: {scale:.3f} px)")
    ax.set_xlabel("master column")
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(dst, format="png")
