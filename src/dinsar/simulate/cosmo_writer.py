"""Write a synthetic COSMO-SkyMed SCS product: CSK (first generation) or CSG (second) HDF5.

    path, scene = write_product(folder, CosmoConfig(generation=1, mode="HIMAGE"))

Attribute names, places and types are those the public readers read (see dinsar.sensors.cosmo_metadata
for which reader reads which): strings as fixed-length ASCII (numpy.bytes_, which isce2 decodes), numbers
as float64 scalars, polynomials as float64 arrays of 6 coefficients (CSK pads them with zeros; sarpy
strips zero high-order terms), state vectors as float64 (n,) and (n, 3). The image is int16 or float32
I/Q pairs, lines x samples x 2, chunked. Times are seconds since `Reference UTC`, midnight of the
acquisition day; "First Time" is the earliest (azimuth) and nearest (range) whatever the storage order.
The truth (targets, timing, Doppler) goes beside the product as <name>.truth.json.

The geometry is dinsar.simulate.cosmo_scene's own; this module imports nothing of the chain.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from dinsar.simulate import geometry as sg
from dinsar.simulate.cosmo_scene import (
    AZIMUTH_BANDWIDTH_FRACTION,
    RANGE_BANDWIDTH_FRACTION,
    WAVELENGTH_M,
    C,
    CosmoConfig,
    CosmoScene,
    build_scene,
)

N_COEFFICIENTS = 6
CHIRP_LENGTH_S = 40e-6
STEERING_STEP_LINES = 32  # Spotlight: azimuth ramp code changes every this many lines
RESCALING_FACTOR = 0.5  # written, never applied to the samples
CHUNK = (64, 64, 2)

# (acquisition mode, Multi-Beam ID, file-name mode code) per generation and simulated mode; the beam
# names are illustrative
_MODES = {(1, "HIMAGE"): ("HIMAGE", "H4-03", "HI"), (1, "SPOTLIGHT"): ("ENHANCED SPOTLIGHT", "ES-11", "S2"),
          (2, "HIMAGE"): ("STRIPMAP", "STR-05", "STR"), (2, "SPOTLIGHT"): ("SPOTLIGHT-2A", "S2A-07", "S2A")}


def _text(node, name: str, value: str) -> None:
    node.attrs[name] = np.bytes_(value)  # fixed-length ASCII string


def _num(node, name: str, value: float) -> None:
    node.attrs[name] = np.float64(value)


def _arr(node, name: str, value) -> None:
    node.attrs[name] = np.asarray(value, dtype=np.float64)


def _poly(*coefficients: float) -> np.ndarray:
    out = np.zeros(N_COEFFICIENTS)
    out[:len(coefficients)] = coefficients
    return out


def _utc(t: np.datetime64) -> str:
    return str(np.datetime64(t, "ns")).replace("T", " ")  # YYYY-MM-DD HH:MM:SS.fffffffff


def _time(scene: CosmoScene, seconds: float) -> np.datetime64:
    return scene.reference_utc + np.timedelta64(int(round(seconds * 1e9)), "ns")


def product_name(scene: CosmoScene) -> str:
    cfg = scene.cfg
    _, _, code = _MODES[(cfg.generation, cfg.mode)]
    start = _time(scene, scene.first_line_s).astype("M8[s]").item().strftime("%Y%m%d%H%M%S")
    stop = _time(scene, scene.last_line_s).astype("M8[s]").item().strftime("%Y%m%d%H%M%S")
    pt = cfg.product_type.split("_")
    if cfg.generation == 1:  # eoreader's CSK name pattern
        return f"CSKS2_{pt[0]}_{pt[1]}_{code}_03_{cfg.polarisation}_RA_SF_{start}_{stop}.h5"
    return (f"CSG_SSAR1_{pt[0]}_{pt[1]}_0101_{code}_005_{cfg.polarisation}_RA_F_{start}_{stop}_1_F_40N_Z33_N00.h5")


def _corners(scene: CosmoScene, h: float) -> dict[str, np.ndarray]:
    """[lat, lon, h] of the stored image's corners (file row 0 = top, column 0 = left)."""
    cfg = scene.cfg
    poly = sg.PolyOrbit(scene.sv_t, scene.sv_pos, scene.reference_utc)
    rows = {"Top": 0 if not cfg.flip_lines else cfg.lines - 1, "Bottom": cfg.lines - 1 if not cfg.flip_lines else 0}
    cols = {"Left": 0 if not cfg.flip_columns else cfg.samples - 1,
            "Right": cfg.samples - 1 if not cfg.flip_columns else 0}
    out = {}
    for rn, line in rows.items():
        for cn, col in cols.items():
            t = scene.first_line_s + line * scene.line_interval_s
            r = (scene.near_range_time_s + col * scene.column_interval_s) * C / 2
            lon, lat, hh = sg.to_geodetic(sg.ground_point(poly, np.array([t]), np.array([r]), np.array([h])))
            out[f"{rn} {cn} Geodetic Coordinates"] = np.array([lat[0], lon[0], hh[0]])
    return out


def _look_and_incidence(scene: CosmoScene, col: float, h: float) -> tuple[float, float]:
    poly = sg.PolyOrbit(scene.sv_t, scene.sv_pos, scene.reference_utc)
    t = 0.5 * (scene.first_line_s + scene.last_line_s)
    r = (scene.near_range_time_s + col * scene.column_interval_s) * C / 2
    x = sg.ground_point(poly, np.array([t]), np.array([r]), np.array([h]))[0]
    p = poly.position(t)
    lon, lat, _ = sg.to_geodetic(x[None])
    lo, la = np.radians(lon[0]), np.radians(lat[0])
    normal = np.array([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])
    look = np.degrees(np.arccos(np.dot(x - p, -p) / (r * np.linalg.norm(p))))
    return float(look), float(np.degrees(np.arccos(np.dot(normal, p - x) / r)))


def _steering(scene: CosmoScene) -> tuple[np.ndarray, np.ndarray]:
    """Spotlight: the lines where the azimuth ramp code changes and the steering angle there (deg), the
    beam's squint that puts the Doppler centroid where the scene has it."""
    lines = np.arange(0, scene.cfg.lines, STEERING_STEP_LINES, dtype=np.int32)
    t = scene.first_line_s + lines * scene.line_interval_s
    v = float(np.linalg.norm(scene.sv_vel[len(scene.sv_vel) // 2]))
    f = scene.doppler_centroid(scene.doppler_ref[0], t)
    return lines, np.degrees(np.arcsin(WAVELENGTH_M * f / (2 * v)))


def _root(f, scene: CosmoScene) -> None:
    cfg = scene.cfg
    gen = cfg.generation
    acquisition_mode, beam, _ = _MODES[(gen, cfg.mode)]
    lon0, lat0, h0 = cfg.centre
    _text(f, "Mission ID", "CSK" if gen == 1 else "CSG")
    _text(f, "Satellite ID", "CSKS2" if gen == 1 else "CSG1")
    _text(f, "Product Type", cfg.product_type)
    _text(f, "Acquisition Mode", acquisition_mode)
    _text(f, "Multi-Beam ID", beam)
    _text(f, "Look Side", "RIGHT")
    _text(f, "Orbit Direction", "ASCENDING")
    f.attrs["Orbit Number"] = np.int32(45321)
    _text(f, "Lines Order", "LATE-EARLY" if cfg.flip_lines else "EARLY-LATE")
    _text(f, "Columns Order", "FAR-NEAR" if cfg.flip_columns else "NEAR-FAR")
    _text(f, "Projection ID", "SLANT RANGE/AZIMUTH")
    _text(f, "Reference UTC", _utc(scene.reference_utc))
    _text(f, "Scene Sensing Start UTC", _utc(_time(scene, scene.first_line_s)))
    _text(f, "Scene Sensing Stop UTC", _utc(_time(scene, scene.last_line_s)))
    _text(f, "Product Generation UTC", _utc(np.datetime64("2021-04-02T10:00:00", "ns")))
    _text(f, "Processing Centre", "dinsar simulator")
    _text(f, "L0 Software Version", "sim")
    _text(f, "L1A Software Version", "sim")
    _arr(f, "State Vectors Times", scene.sv_t)
    _arr(f, "ECEF Satellite Position", scene.sv_pos)
    _arr(f, "ECEF Satellite Velocity", scene.sv_vel)
    _arr(f, "ECEF Satellite Acceleration", scene.sv_acc)
    _num(f, "Radar Frequency", C / WAVELENGTH_M)
    if gen == 1:
        _num(f, "Radar Wavelength", WAVELENGTH_M)  # isce2 reads it; the CSG readers take the frequency
        _num(f, "Antenna Length", 5.7)
    _arr(f, "Scene Centre Geodetic Coordinates", [lat0, lon0, h0])
    _num(f, "Rescaling Factor", RESCALING_FACTOR)
    weighted = cfg.product_type == "SCS_B"
    for axis in ("Range", "Azimuth"):
        _text(f, f"{axis} Focusing Weighting Function", "HAMMING")
        _num(f, f"{axis} Focusing Weighting Coefficient", 0.75 if weighted else 1.0)
    _text(f, "Range Spreading Loss Compensation Geometry", "NONE")
    if gen == 1:
        _doppler_gen1(f, scene)


def _doppler_gen1(f, scene: CosmoScene) -> None:
    """CSK: the Doppler on the root, azimuth polynomials in zero-Doppler time (isce2, sarpy, sarkit-convert)."""
    f0, d_tau, d_t = scene.doppler
    fm = scene.fm_rate_coefficients
    _num(f, "Range Polynomial Reference Time", scene.doppler_ref[0])
    _num(f, "Azimuth Polynomial Reference Time", scene.doppler_ref[1])
    _arr(f, "Centroid vs Range Time Polynomial", _poly(f0, d_tau))
    _arr(f, "Centroid vs Azimuth Time Polynomial", _poly(f0, d_t))
    _arr(f, "Doppler Rate vs Range Time Polynomial", _poly(*fm))
    _arr(f, "Doppler Rate vs Azimuth Time Polynomial", _poly(fm[0]))


def _doppler_gen2(swath, burst, scene: CosmoScene) -> None:
    """CSG: the Doppler on the swath group, azimuth polynomials in raw (beam-centre) time, whose
    zero-Doppler time is t_zd = t_raw - f_dc / f_rate (sarpy, sarkit-convert). With a rate r constant along
    azimuth and f_dc = f0 + k (t_zd - t_ref): f_dc = f0 + k / (1 + k / r) (t_raw - t_raw_ref), t_raw_ref =
    t_ref + f0 / r."""
    f0, d_tau, k = scene.doppler
    fm = scene.fm_rate_coefficients
    r = fm[0]
    t_ref = scene.doppler_ref[1]
    t_raw_ref = t_ref + f0 / r
    _num(swath, "Range Polynomial Reference Time", scene.doppler_ref[0])
    _num(swath, "Azimuth Polynomial Reference Time", t_raw_ref)
    _num(swath, "Azimuth Polynomial Reference Time - ZD", t_ref)
    _arr(swath, "Doppler Centroid vs Range Time Polynomial", _poly(f0, d_tau))
    _arr(swath, "Doppler Centroid vs Azimuth Time Polynomial - RAW", _poly(f0, k / (1 + k / r)))
    _arr(swath, "Doppler Rate vs Range Time Polynomial", _poly(*fm))
    _arr(swath, "Doppler Rate vs Azimuth Time Polynomial", _poly(r))
    for name, t in (("Azimuth First Time", scene.first_line_s), ("Azimuth Last Time", scene.last_line_s)):
        _num(burst, name, t + float(scene.doppler_centroid(scene.doppler_ref[0], t)) / r)


def _swath(g, scene: CosmoScene) -> None:
    cfg = scene.cfg
    fs = 1.0 / scene.column_interval_s
    range_bw = RANGE_BANDWIDTH_FRACTION * fs
    if cfg.generation == 1:
        _text(g, "Polarisation", cfg.polarisation)  # CSG has the root's Polarization instead
    _num(g, "PRF", 1.0 / scene.line_interval_s)
    _num(g, "Sampling Rate", fs)
    _num(g, "Range Chirp Length", CHIRP_LENGTH_S)
    _num(g, "Range Chirp Rate", range_bw / CHIRP_LENGTH_S)
    _num(g, "Range Focusing Bandwidth", range_bw)
    _num(g, "Echo Sampling Window Length", float(cfg.samples + round(CHIRP_LENGTH_S * fs)))
    # sarkit-convert takes CSK's azimuth bandwidth from the Transition one, CSG's from the other
    _num(g, "Azimuth Focusing Bandwidth", AZIMUTH_BANDWIDTH_FRACTION / scene.line_interval_s)
    if cfg.generation == 1:
        _num(g, "Azimuth Focusing Transition Bandwidth", AZIMUTH_BANDWIDTH_FRACTION / scene.line_interval_s)
    look, _ = _look_and_incidence(scene, (cfg.samples - 1) / 2, cfg.centre[2])
    _num(g, "Antenna Beam Elevation", look)


def _image_attributes(ds, scene: CosmoScene) -> None:
    cfg = scene.cfg
    _num(ds, "Zero Doppler Azimuth First Time", scene.first_line_s)
    _num(ds, "Zero Doppler Azimuth Last Time", scene.last_line_s)
    _num(ds, "Zero Doppler Range First Time", scene.near_range_time_s)
    _num(ds, "Zero Doppler Range Last Time", scene.far_range_time_s)
    _num(ds, "Line Time Interval", scene.line_interval_s)
    _num(ds, "Column Time Interval", scene.column_interval_s)
    _num(ds, "Line Spacing", scene.line_spacing_m)
    _num(ds, "Column Spacing", scene.column_interval_s * C / 2)
    h = cfg.centre[2]
    (near_look, near_inc), (far_look, far_inc) = (_look_and_incidence(scene, c, h) for c in (0, cfg.samples - 1))
    _num(ds, "Near Look Angle", near_look)
    _num(ds, "Far Look Angle", far_look)
    _num(ds, "Near Incidence Angle", near_inc)
    _num(ds, "Far Incidence Angle", far_inc)
    for name, llh in _corners(scene, h).items():
        _arr(ds, name, llh)
    if cfg.generation == 1:
        _arr(ds, "Centre Geodetic Coordinates", [cfg.centre[1], cfg.centre[0], cfg.centre[2]])


def _stored(scene: CosmoScene, block: np.ndarray) -> np.ndarray:
    """Complex samples (chain orientation) as stored: I/Q pairs of the file's type, rows/columns reversed
    where the orders say so."""
    cfg = scene.cfg
    if cfg.flip_lines:
        block = block[::-1]
    if cfg.flip_columns:
        block = block[:, ::-1]
    iq = np.stack([block.real, block.imag], -1)
    if cfg.dtype == "int16":
        return np.clip(np.round(iq), -32768, 32767).astype(np.int16)
    return iq.astype(np.float32)


def write_header(f: h5py.File, scene: CosmoScene) -> h5py.Dataset:
    """Every attribute of the product of `scene` into the open file `f`, and its image dataset, empty
    (lines x samples x 2, chunked); the samples go in with write_lines."""
    cfg = scene.cfg
    gen = cfg.generation
    _root(f, scene)
    if gen == 2:
        _text(f, "Polarization", cfg.polarisation)
    swath = f.create_group("S01")
    _swath(swath, scene)
    burst = swath.create_group("B001" if gen == 1 else "B0001")
    if gen == 2:
        _doppler_gen2(swath, burst, scene)
    if cfg.mode == "SPOTLIGHT":
        lines, angles = _steering(scene)
        burst.attrs["Azimuth Ramp Code Change Lines"] = lines
        _arr(burst, "Azimuth Steering", angles)
    shape = (cfg.lines, cfg.samples, 2)
    ds = swath.create_dataset("SBI" if gen == 1 else "IMG", shape=shape, dtype=cfg.dtype,
                              chunks=tuple(min(c, n) for c, n in zip(CHUNK, shape, strict=True)))
    _image_attributes(ds, scene)
    return ds


def write_lines(ds: h5py.Dataset, scene: CosmoScene, first_line: int, block: np.ndarray) -> None:
    """Lines first_line .. of the image (complex, line 0 the earliest, column 0 the nearest) into the
    dataset where the file's orders put them."""
    lines = scene.cfg.lines
    n = block.shape[0]
    rows = slice(lines - first_line - n, lines - first_line) if scene.cfg.flip_lines else \
        slice(first_line, first_line + n)
    ds[rows] = _stored(scene, block)


def write_product(folder: str | Path, cfg: CosmoConfig) -> tuple[Path, CosmoScene]:
    """Write the product of `cfg` into `folder`; its path, and the scene (truth) it was made from."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    scene = build_scene(cfg)
    path = folder / product_name(scene)
    gen = cfg.generation
    with h5py.File(path, "w") as f:
        write_lines(write_header(f, scene), scene, 0, scene.image)
    truth = {
        "product": path.name, "generation": gen, "mode": cfg.mode, "reference_utc": _utc(scene.reference_utc),
        "first_line_s": scene.first_line_s, "line_interval_s": scene.line_interval_s,
        "near_range_time_s": scene.near_range_time_s, "column_interval_s": scene.column_interval_s,
        "wavelength_m": WAVELENGTH_M, "doppler": list(scene.doppler), "doppler_ref": list(scene.doppler_ref),
        "fm_rate_coefficients": scene.fm_rate_coefficients.tolist(), "targets": scene.targets,
        "flip_lines": cfg.flip_lines, "flip_columns": cfg.flip_columns,
    }
    path.with_suffix(".truth.json").write_text(json.dumps(truth, indent=1))
    return path, scene
