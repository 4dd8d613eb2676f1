"""MintPy export of a pair or a stack: what MintPy's `load_data.py` reads, and a ready smallbaselineApp.cfg.

The processor written is ROI_PAC's (`mintpy.load.processor = roipac`): binary rasters with a `.rsc`
of attributes beside each (dinsar.io.roipac), which MintPy reads without GDAL. (Its HyP3 reader takes
GeoTIFFs, but only through GDAL's Python bindings, which MintPy does not install; its ISCE reader wants
an ISCE stack's folders and shelve files.) Everything is geocoded, on the one lon/lat grid of the pairs'
geocoded products (`X_FIRST`/`Y_FIRST`/`X_STEP`/`Y_STEP`): every pair of a site is geocoded in its
master's geometry onto the same grid; a pair whose rasters are on another grid is resampled onto the
first pair's.

    <mintpy>/interferograms/<date1>_<date2>/filt_<date1>_<date2>.unw       amplitude, unwrapped phase (rad)
                                           .../filt_<date1>_<date2>.cor       amplitude, coherence
                                           .../filt_<date1>_<date2>_snap_connect.byt   connected components
    <mintpy>/geometry/height.hgt, incidenceAngle.hgt, azimuthAngle.hgt, shadowMask.hgt
    <mintpy>/smallbaselineApp.cfg

date1 is the earlier acquisition (MintPy's reference date of the pair), whichever was the pair's master:
the phase is dinsar's (d = -λφ/4π toward the satellite, MintPy's convention too) from date1 to date2.
No-data is 0 (MintPy's no-data value for phase and coherence). Connected components are SNAPHU's
labels (0: not unwrapped), clipped to 255; MintPy's ROI_PAC reader takes a `.byt` as zero / non-zero.
The unwrapped phase, coherence and LOS vector come from the pair's geocoded COGs; the connected
components, amplitudes and the master's shadow and layover masks are sampled from their radar rasters
at each output node's position in the master geometry (nearest for labels and masks, bilinear
otherwise), the position geocoding itself uses (dinsar.interferometry.geocode).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from dinsar.errors import DinsarError
from dinsar.geometry.multilook import MultilookGrid
from dinsar.io import atomic, describe, roipac
from dinsar.steps.common import open_chain_product, set_threads

log = logging.getLogger(__name__)

BLOCK_ROWS = 256  # output rows per block
REFERENCE_SEARCH_PX = 4_000_000  # the default reference is searched on a grid decimated to at most this
REFERENCE_BOX = 5  # ... smoothed over this many of its pixels a side
UNW, COR, CONNCOMP = "filt_{}.unw", "filt_{}.cor", "filt_{}_snap_connect.byt"
GEOMETRY = {"height": "height.hgt", "incidenceAngle": "incidenceAngle.hgt", "azimuthAngle": "azimuthAngle.hgt",
            "shadowMask": "shadowMask.hgt"}


@dataclass(frozen=True)
class PairFiles:
    """One pair's products: its two chain products, its geocoded COGs and its radar rasters."""

    reference: str  # the pair's master (reference) product, as the chain opens it
    secondary: str
    los: str  # los_displacement.tif (geocoded, m toward the satellite)
    coherence: str  # coherence_geo.tif
    unwrapped: str  # unwrapped.tif (radar geometry; band 2 the connected components)
    ifg: str  # interferogram_ml.tif (radar geometry; band 1 the amplitude; the multilook grid's tags)


# --- MintPy's conventions


def los_angles(east, north, up) -> tuple[np.ndarray, np.ndarray]:
    """(incidence, azimuth) angles in degrees of LOS unit vectors ground -> satellite (E, N, U), as MintPy
    (and ISCE's los.rdr) define them: the incidence from the vertical; the azimuth of the LOS vector from
    north, anti-clockwise positive (ascending right-looking: ~ +100°): E = -sin(inc) sin(az),
    N = sin(inc) cos(az), U = cos(inc)."""
    inc = np.degrees(np.arccos(np.clip(up, -1.0, 1.0)))
    az = np.degrees(np.arctan2(-np.asarray(east), np.asarray(north)))
    return inc, az


def date12(day1: str, day2: str) -> str:
    """MintPy's DATE12 of two YYYYMMDD dates: YYMMDD-YYMMDD."""
    return f"{day1[2:]}-{day2[2:]}"


def _day(product) -> str:
    return str(product.start_time.astype("M8[D]")).replace("-", "")


def _enu_basis(lon_deg: float, lat_deg: float) -> np.ndarray:
    lo, la = math.radians(lon_deg), math.radians(lat_deg)
    return np.array([[-math.sin(lo), math.cos(lo), 0.0],
                     [-math.sin(la) * math.cos(lo), -math.sin(la) * math.sin(lo), math.cos(la)],
                     [math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)]])


def scene_attributes(product, mlgrid: MultilookGrid) -> dict:
    """The ROI_PAC / MintPy attributes of the master's geometry at the scene centre (multilooked grid):
    WAVELENGTH, HEADING (flight direction, clockwise from north), ORBIT_DIRECTION, ANTENNA_SIDE,
    STARTING_RANGE (slant range of the first multilooked column), RANGE_PIXEL_SIZE and AZIMUTH_PIXEL_SIZE
    (of a multilooked pixel), EARTH_RADIUS (geocentric radius of the centre's ground point) and HEIGHT
    (the satellite's above that radius: together MintPy's spherical triangle), CENTER_LINE_UTC (seconds
    of the day), ALOOKS / RLOOKS, PRF, INCIDENCE_ANGLE, SLANT_RANGE_DISTANCE."""
    from dinsar.geometry.ellipsoid import geodetic_to_ecef

    g = product.radar_grid
    lines, cols = product.shape
    naz, nrg = mlgrid.looks
    mid_line, mid_col = (lines - 1) / 2, (cols - 1) / 2
    lon, lat, h = product.rdr2geo(np.array([mid_line]), np.array([mid_col]), np.zeros(1))
    ground = geodetic_to_ecef(lon, lat, h).reshape(3)
    pos, vel, _ = product.orbit.interpolate(np.atleast_1d(g.azimuth_time(mid_line)))
    pos, vel = np.asarray(pos).reshape(3), np.asarray(vel).reshape(3)
    ve, vn, _ = _enu_basis(float(lon[0]), float(lat[0])) @ vel
    centre = product.start_time + np.timedelta64(int(round(mid_line * g.line_interval_s * 1e9)), "ns")
    day = centre.astype("M8[D]")
    earth_radius = float(np.linalg.norm(ground))
    return {
        "WAVELENGTH": float(g.wavelength_m),
        "PLATFORM": "Sen" if product.mission.upper().startswith("S1") else product.mission,
        "ORBIT_DIRECTION": "ASCENDING" if vn > 0 else "DESCENDING",
        "HEADING": float(np.degrees(np.arctan2(ve, vn))),
        "ANTENNA_SIDE": -1 if product.look_side == "right" else 1,
        "STARTING_RANGE": float(g.slant_range((nrg - 1) / 2)),
        "RANGE_PIXEL_SIZE": float(nrg * product.range_pixel_spacing_m),
        "AZIMUTH_PIXEL_SIZE": float(naz * product.azimuth_pixel_spacing_m),
        "EARTH_RADIUS": earth_radius,
        "HEIGHT": float(np.linalg.norm(pos)) - earth_radius,
        "CENTER_LINE_UTC": float((centre - day) / np.timedelta64(1, "ns") / 1e9),
        "ALOOKS": naz,
        "RLOOKS": nrg,
        "PRF": float(1.0 / g.line_interval_s),
        "INCIDENCE_ANGLE": float(product.incidence_angle_mid_deg),
        "SLANT_RANGE_DISTANCE": float(g.slant_range(mid_col)),
        "POLARIZATION": product.polarisation,
    }


def grid_attributes(transform, shape: tuple[int, int]) -> dict:
    """The size and geocoding attributes of a lon/lat grid (MintPy: X_FIRST/Y_FIRST the outer corner)."""
    rows, cols = shape
    return {"WIDTH": cols, "FILE_LENGTH": rows, "LENGTH": rows, "X_FIRST": float(transform.c),
            "Y_FIRST": float(transform.f), "X_STEP": float(transform.a), "Y_STEP": float(transform.e),
            "X_UNIT": "degrees", "Y_UNIT": "degrees", "EPSG": 4326}


def perpendicular_baselines(master, products: dict) -> dict[str, tuple[float, float]]:
    """B⊥ (m) of each product against the master at the first and the last line of the scene (mid
    range, on the ellipsoid): MintPy's P_BASELINE_TOP_HDR / P_BASELINE_BOTTOM_HDR of a pair are the
    differences, date2 - date1. Sign: positive above the master's line of sight (ISCE's), which makes
    MintPy's DEM-error term +B⊥Δz/(R sin θ) the phase's."""
    from dinsar.geometry.baseline import perpendicular_baseline

    lines, cols = master.shape
    lon, lat, h = master.rdr2geo(np.array([0.0, lines - 1.0]), np.full(2, (cols - 1) / 2), np.zeros(2))
    out = {}
    for key, p in products.items():
        if p.name == master.name:
            out[key] = (0.0, 0.0)
            continue
        b_perp, _ = perpendicular_baseline(master, p, lon, lat, h)
        if not np.all(np.isfinite(b_perp)):
            raise DinsarError(f"{p.path}: its orbit does not see the master's scene; no baseline")
        out[key] = (float(b_perp[0]), float(b_perp[1]))
    return out


def smallbaseline_cfg(site: str, interferograms: str, geometry: str, reference_latlon: tuple[float, float],
                      reference_origin: str, n_pairs: int, n_dates: int) -> str:
    """The smallbaselineApp.cfg text: the load options of this export (paths relative to its folder) and
    the stack's reference point; MintPy's own defaults for the rest (it adds them on its first run)."""
    ig, ge = interferograms, geometry
    lat, lon = reference_latlon
    return f"""\
## MintPy smallbaselineApp.cfg of dinsar site {site}: {n_pairs} interferogram(s) of {n_dates} dates, geocoded
## (WGS84 lon/lat), in ROI_PAC's format (binary + .rsc), written by dinsar {describe.version()}.
## Run it here as it is:   smallbaselineApp.py smallbaselineApp.cfg
## Paths are relative to this folder. MintPy adds its other options, at their defaults, on its first run.
mintpy.load.processor      = roipac
mintpy.load.autoPath       = no
mintpy.load.updateMode     = no    #reload every run: a new export is never hidden by an older inputs/
mintpy.load.unwFile        = {ig}/*/{UNW.format('*')}
mintpy.load.corFile        = {ig}/*/{COR.format('*')}
mintpy.load.connCompFile   = {ig}/*/{CONNCOMP.format('*')}
mintpy.load.intFile        = no
mintpy.load.magFile        = no
mintpy.load.demFile        = {ge}/{GEOMETRY['height']}
mintpy.load.lookupYFile    = no    #geocoded: no lookup table
mintpy.load.lookupXFile    = no
mintpy.load.incAngleFile   = {ge}/{GEOMETRY['incidenceAngle']}
mintpy.load.azAngleFile    = {ge}/{GEOMETRY['azimuthAngle']}
mintpy.load.shadowMaskFile = {ge}/{GEOMETRY['shadowMask']}
mintpy.load.waterMaskFile  = no

## the stack's one reference point (lat, lon): {reference_origin}
mintpy.reference.lalo      = {lat:.8f}, {lon:.8f}

## ERA5 through PyAPS needs an account and downloads: set pyaps (or height_correlation) to correct it
mintpy.troposphericDelay.method = no
"""


# --- reading the pairs' rasters on the common grid


def _on_grid(stack: contextlib.ExitStack, path: str, ref: dict):
    """A geocoded raster read on the reference grid: itself, or a bilinear WarpedVRT onto it."""
    from rasterio.enums import Resampling
    from rasterio.vrt import WarpedVRT

    src = stack.enter_context(rasterio.open(path))
    if (src.crs == ref["crs"] and src.transform.almost_equals(ref["transform"], precision=1e-12)
            and (src.height, src.width) == ref["shape"]):
        return src
    log.warning("%s: not on the grid of %s; resampled onto it (bilinear)", path, ref["path"])
    return stack.enter_context(WarpedVRT(src, crs=ref["crs"], transform=ref["transform"], height=ref["shape"][0],
                                         width=ref["shape"][1], resampling=Resampling.bilinear, nodata=np.nan,
                                         dtype="float32"))


def _nearest(raster: np.ndarray, y: np.ndarray, x: np.ndarray, fill) -> np.ndarray:
    """raster at the nearest pixel of fractional positions (y, x); `fill` outside or at NaN positions."""
    out = np.full(y.shape, fill, dtype=raster.dtype)
    iy, ix = np.rint(np.nan_to_num(y, nan=-1.0)), np.rint(np.nan_to_num(x, nan=-1.0))
    ok = (iy >= 0) & (iy < raster.shape[0]) & (ix >= 0) & (ix < raster.shape[1])
    out[ok] = raster[iy[ok].astype(np.int64), ix[ok].astype(np.int64)]
    return out


def _radar_read(path: str, band: int, box, scale: tuple[int, int] = (1, 1)):
    """(band window, its origin) of a radar raster over the multilooked box (r0, r1, c0, c1), scaled to
    full resolution by `scale` (looks) for a full-resolution raster."""
    r0, r1, c0, c1 = box
    sy, sx = scale
    with rasterio.open(path) as src:
        win = Window(c0 * sx, r0 * sy, min(src.width, c1 * sx) - c0 * sx, min(src.height, r1 * sy) - r0 * sy)
        return src.read(band, window=win), (r0 * sy, c0 * sx)


# --- the step


def export(master_product, pairs: list[PairFiles], dem, enu_tif, shadow_tif, layover_tif, dst_interferograms,
           dst_geometry, dst_cfg, reference_lonlat: dict | tuple | None = None, polarisation: str | None = None,
           orbits=None, dem_vertical=None, geoid_dir=None, site: str = "", threads: int = 1) -> list[Path]:
    """Write the MintPy (ROI_PAC) files of `pairs` into dst_interferograms and dst_geometry, and
    dst_cfg, a smallbaselineApp.cfg loading them. reference_lonlat: the stack's reference point
    ({lon, lat} or (lon, lat); the config's mintpy.reference), checked to have data in every pair;
    None: the centre of the most coherent 5 × 5 area (of a grid decimated to <= 4 Mpx) with data in
    every pair. enu_tif: a pair's los_enu.tif (the master's LOS, the same for every pair); shadow_tif,
    layover_tif: the master's masks (geometry/<master>/, full resolution)."""
    from scipy.ndimage import uniform_filter

    from dinsar.geometry.dem import scene_dem
    from dinsar.geometry.projection import sample_dem
    from dinsar.interferometry.geocode import bilinear_many, radar_window
    from dinsar.interferometry.geocode_grid import radar_coordinates_block

    if not pairs:
        raise DinsarError(f"{dst_cfg}: no pair to export")
    set_threads(threads)
    master = open_chain_product(master_product, polarisation, orbits)
    products = {path: open_chain_product(path, polarisation, orbits)
                for path in dict.fromkeys(p for f in pairs for p in (f.reference, f.secondary))}
    days = {path: _day(p) for path, p in products.items()}
    named = {}
    for path, day in days.items():
        if day in named and named[day] != products[path].name:
            raise DinsarError(f"{path}: acquired on {day} like {named[day]}; MintPy tells acquisitions by their "
                              "date, so a stack for it has one product a date")
        named[day] = products[path].name
    mlgrid = MultilookGrid.from_raster(pairs[0].ifg)
    with rasterio.open(pairs[0].los) as src:
        ref = {"path": pairs[0].los, "crs": src.crs, "transform": src.transform, "shape": (src.height, src.width)}
    if not ref["crs"] or not ref["crs"].is_geographic or ref["transform"].b or ref["transform"].d:
        raise DinsarError(f"{pairs[0].los}: not a north-up lon/lat grid ({ref['crs']}); MintPy's X/Y_FIRST need one")
    rows, cols = ref["shape"]
    tr = ref["transform"]
    wavelength = master.radar_grid.wavelength_m
    dem_grid = scene_dem(master, dem, dem_vertical, geoid_dir)
    baselines = perpendicular_baselines(master, products)
    common = {**grid_attributes(tr, (rows, cols)), **scene_attributes(master, mlgrid), "PROCESSOR": "roipac",
              "DINSAR_VERSION": describe.version(), "DINSAR_MASTER": master.name}

    # each pair's dates in time order (MintPy's date1 < date2), the sign that takes its phase there
    order = []
    for f in pairs:
        d_ref, d_sec = days[f.reference], days[f.secondary]
        flip = d_ref > d_sec
        first, second = (f.secondary, f.reference) if flip else (f.reference, f.secondary)
        top = baselines[second][0] - baselines[first][0]
        bottom = baselines[second][1] - baselines[first][1]
        order.append({"files": f, "sign": -1.0 if flip else 1.0, "date12": f"{days[first]}_{days[second]}",
                      "attrs": {**common, "DATE12": date12(days[first], days[second]),
                                "P_BASELINE_TOP_HDR": top, "P_BASELINE_BOTTOM_HDR": bottom}})
    names = [o["date12"] for o in order]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise DinsarError(f"{dst_cfg}: pairs {', '.join(dup)} given twice")

    # the reference point given: its pixel, checked while the blocks pass
    given = None
    if reference_lonlat is not None:
        lon0, lat0 = ((reference_lonlat["lon"], reference_lonlat["lat"]) if isinstance(reference_lonlat, dict)
                      else reference_lonlat)
        col0, row0 = ~tr * (float(lon0), float(lat0))
        given = (int(math.floor(row0)), int(math.floor(col0)))
        if not (0 <= given[0] < rows and 0 <= given[1] < cols):
            raise DinsarError(f"mintpy.reference: lon {lon0}, lat {lat0} is outside the geocoded grid (lon "
                              f"{tr.c:.5f}..{tr.c + cols * tr.a:.5f}, lat {tr.f + rows * tr.e:.5f}..{tr.f:.5f})")
    at_given = {}
    k = max(1, math.ceil(math.sqrt(rows * cols / REFERENCE_SEARCH_PX)))  # decimation of the default's search
    coh_sum = np.zeros((math.ceil(rows / k), math.ceil(cols / k)), np.float64)
    valid_all = np.ones_like(coh_sum, dtype=bool)

    outs = [Path(dst_interferograms), Path(dst_geometry), Path(dst_cfg)]
    with atomic.outputs(*outs) as (t_ifg, t_geo, t_cfg), contextlib.ExitStack() as stack:
        t_ifg.mkdir()
        t_geo.mkdir()
        writers = []
        for o in order:
            folder = t_ifg / o["date12"]
            folder.mkdir()
            ws = {kind: stack.enter_context(roipac.Writer(folder / name.format(o["date12"]), (rows, cols)))
                  for kind, name in (("unw", UNW), ("cor", COR), ("cc", CONNCOMP))}
            for w in ws.values():
                roipac.write_rsc(w.path, {**o["attrs"], **({"UNIT": "radian"} if w.path.suffix == ".unw" else {})})
            src = {"los": _on_grid(stack, o["files"].los, ref), "coh": _on_grid(stack, o["files"].coherence, ref)}
            writers.append((o, ws, src))
        geo_w = {name: stack.enter_context(roipac.Writer(t_geo / fname, (rows, cols)))
                 for name, fname in GEOMETRY.items()}
        for name, w in geo_w.items():
            roipac.write_rsc(w.path, {**common, "UNIT": {"height": "m", "shadowMask": "1"}.get(name, "degrees")})
        enu_src = _on_grid(stack, enu_tif, ref)

        for first in range(0, rows, BLOCK_ROWS):
            n = min(BLOCK_ROWS, rows - first)
            r, c = np.mgrid[first:first + n, 0:cols]
            lon, lat = tr.c + (c + 0.5) * tr.a, tr.f + (r + 0.5) * tr.e
            y, x, _ = radar_coordinates_block(master, dem_grid, lon, lat, mlgrid)
            height = sample_dem(dem_grid, lon.ravel(), lat.ravel()).reshape(n, cols)
            win = Window(0, first, cols, n)
            east, north, up = enu_src.read(window=win).astype(np.float64)
            inc, az = los_angles(east, north, up)
            inside, box = radar_window(y, x, mlgrid.shape)
            masks = np.zeros(n * cols, np.float32)
            if box is not None:
                for tif in (shadow_tif, layover_tif):
                    m, (o_r, o_c) = _radar_read(tif, 1, box, mlgrid.looks)
                    fy, fx = mlgrid.to_full(y, x)
                    masks = np.maximum(masks, _nearest(m, fy - o_r, fx - o_c, 0).astype(np.float32))
            amps, ccs = [], []
            for o, _, _ in writers:
                amp, cc = np.zeros(n * cols), np.zeros(n * cols, np.uint8)
                if box is not None:
                    r0, _, c0, _ = box
                    a, _ = _radar_read(o["files"].ifg, 1, box)
                    amp[inside] = bilinear_many(a[None], y[inside] - r0, x[inside] - c0)[0]
                    lab, _ = _radar_read(o["files"].unwrapped, 2, box)
                    lab = np.where(np.isfinite(lab), np.clip(lab, 0, 255), 0).astype(np.uint8)
                    cc = _nearest(lab, y - r0, x - c0, 0)
                amps.append(np.nan_to_num(amp).reshape(n, cols))
                ccs.append(cc.reshape(n, cols))
            amp0 = amps[0]
            for name, value in (("height", height), ("incidenceAngle", inc), ("azimuthAngle", az),
                                ("shadowMask", masks.reshape(n, cols))):
                geo_w[name].write(first, amp0, value)
            keep = np.arange(first, first + n) % k == 0
            for (o, ws, src), amp, cc in zip(writers, amps, ccs, strict=True):
                d = src["los"].read(1, window=win).astype(np.float64)
                coh = src["coh"].read(1, window=win).astype(np.float64)
                ok = np.isfinite(d) & np.isfinite(coh)
                phase = np.where(ok, o["sign"] * (-4.0 * np.pi / wavelength) * np.where(ok, d, 0.0), 0.0)
                coh = np.where(ok, coh, 0.0)
                cc = np.where(ok, cc, 0).astype(np.uint8)
                ws["unw"].write(first, amp, phase)
                ws["cor"].write(first, amp, coh)
                ws["cc"].write(first, cc)
                if given is not None and first <= given[0] < first + n:
                    at_given[o["date12"]] = (bool(ok[given[0] - first, given[1]]), int(cc[given[0] - first, given[1]]))
                if keep.any():
                    rows_k = np.flatnonzero(keep)
                    sub_ok, sub_coh = (ok & (cc > 0))[rows_k, ::k], coh[rows_k, ::k]
                    rk = (first + rows_k) // k
                    valid_all[rk] &= sub_ok
                    coh_sum[rk] += sub_coh

        if given is not None:
            bad = [d12 for d12, (ok, cc) in at_given.items() if not ok or cc == 0]
            if bad:
                raise DinsarError(f"mintpy.reference: lon {lon0}, lat {lat0} has no unwrapped data in pair(s) "
                                  f"{', '.join(bad)}; choose a point with data in every pair")
            row, col = given
            origin = f"mintpy.reference of the config (lon {lon0}, lat {lat0})"
        else:
            score = uniform_filter(np.where(valid_all, coh_sum / len(order), 0.0), size=REFERENCE_BOX,
                                   mode="constant")
            score[~valid_all] = -1.0
            if score.max() <= 0:
                raise DinsarError(f"{dst_cfg}: no pixel has unwrapped data in every pair; no reference point for "
                                  "the stack")
            rk, ck = np.unravel_index(int(np.argmax(score)), score.shape)
            row, col = int(rk * k), int(ck * k)
            origin = (f"the most coherent {REFERENCE_BOX}x{REFERENCE_BOX} area with data in every pair "
                      "(set mintpy.reference: {lon, lat} in the dinsar config to choose it)")
        lon_ref, lat_ref = tr * (col + 0.5, row + 0.5)
        rel = {p: os.path.relpath(p, Path(dst_cfg).parent) for p in (dst_interferograms, dst_geometry)}
        t_cfg.write_text(smallbaseline_cfg(site or master.name, rel[dst_interferograms], rel[dst_geometry],
                                           (lat_ref, lon_ref), origin, len(order), len(set(days.values()))))
    log.info("MintPy export: %d pairs of %d dates on %d x %d (lon/lat), reference lon %.6f lat %.6f (%s)",
             len(order), len(set(days.values())), rows, cols, lon_ref, lat_ref, origin)
    return outs
