"""COSMO-SkyMed SLC metadata (HDF5): which attribute lives where in each generation, read once.

First generation (CSK, `Mission ID` "CSK") and second (CSG, "CSG") share most attribute names but not
their places. The names, places and types here are those the public readers read:

- isce2 `components/isceobj/Sensor/COSMO_SkyMed_SLC.py` (CSK): the root's orbit, Doppler and timing
  references, `S01` (polarisation, chirp), `S01/SBI` (timing of the image grid, spacings);
- sarpy `sarpy/io/complex/csk.py` (CSK and CSG): `CSKDetails._get_hdf_dicts` (`S01/SBI` or `S01/IMG`,
  burst group `B0001`), `_get_dop_poly_details` (the CSG Doppler on the swath group, RAW to
  zero-Doppler), `_get_symmetry` (`Lines Order`, `Columns Order`);
- sarkit-convert `sarkit_convert/cosmo.py` (CSK and CSG): `hdf5_to_sicd` (each CSG attribute's group,
  the burst groups `B001` / `B0001`, steering of the Spotlight modes) and `main` (CSG's root
  `Polarization`).

Strings are fixed-length ASCII attributes (h5py gives numpy.bytes_: isce2 decodes them), numbers are
float64 scalars, polynomials and state vectors float64 arrays. Times are seconds since the root's
`Reference UTC` ("YYYY-MM-DD HH:MM:SS.fffffffff"). "First Time" is the earliest azimuth time and the
nearest range time whatever the storage order (sarpy `_get_symmetry` / `update_image_data`); sarpy's
further reversal of left-looking images is SICD's display convention, not the file's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from dinsar.errors import ProductError
from dinsar.io.statevectors import StateVectors

C = 299_792_458.0

GENERATIONS = {"CSK": 1, "CSG": 2}  # root `Mission ID`
LABEL = {1: "COSMO-SkyMed first-generation (CSK)", 2: "COSMO-SkyMed second-generation (CSG)"}
IMAGE_DATASET = {1: "SBI", 2: "IMG"}
BURST_GROUP = {1: "B001", 2: "B0001"}  # sarkit-convert: burst_str
PRODUCT_TYPES = ("SCS_B", "SCS_U")  # L1A single-look complex slant, balanced / unbalanced: both zero-Doppler
STRIPMAP_MODES = {1: ("HIMAGE", "PINGPONG"), 2: ("STRIPMAP", "PINGPONG", "QUADPOL")}
SPOTLIGHT_MODES = {1: ("ENHANCED SPOTLIGHT", "SMART"), 2: ("SPOTLIGHT",)}  # CSG: every SPOTLIGHT-* mode
SCANSAR_MODES = ("WIDEREGION", "HUGEREGION", "SCANSAR-1", "SCANSAR-2")
LINES_ORDERS = ("EARLY-LATE", "LATE-EARLY")
COLUMNS_ORDERS = ("NEAR-FAR", "FAR-NEAR")
_UTC = re.compile(r"(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)\s*Z?")
RAW_TO_ZD_SAMPLES = 51  # CSG: raw azimuth times sampled to refit the Doppler in zero-Doppler time
RAW_TO_ZD_DEGREE = 4  # as sarkit-convert refits it


def imaging_mode(generation: int, acquisition_mode: str) -> str | None:
    """"StripMap" or "Spotlight" for an `Acquisition Mode` this reader knows, else None."""
    mode = acquisition_mode.upper()
    if mode in STRIPMAP_MODES[generation]:
        return "StripMap"
    if any(mode.startswith(s) for s in SPOTLIGHT_MODES[generation]):
        return "Spotlight"
    return None


class Attributes:
    """The attributes of one HDF5 node, read as the type a real product stores, with one-line errors
    naming the file, the node and the attribute."""

    def __init__(self, node, where: str, source: str, generation: int):
        self._attrs = node.attrs if node is not None else {}
        self.where, self.source, self.generation = where, source, generation

    def __contains__(self, name: str) -> bool:
        return name in self._attrs

    def _raw(self, name: str):
        if name not in self._attrs:
            raise ProductError(f"{self.source}: attribute '{name}' missing on {self.where} "
                               f"(a {LABEL[self.generation]} SCS product has it)")
        return self._attrs[name]

    def _wrong(self, name: str, value, expected: str) -> ProductError:
        kind = getattr(value, "dtype", type(value).__name__)
        return ProductError(f"{self.source}: attribute '{name}' on {self.where} is {kind} "
                            f"({str(value)[:40]}), expected {expected}")

    def text(self, name: str) -> str:
        value = self._raw(name)
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(-1)[0]
        if isinstance(value, bytes | np.bytes_):
            return bytes(value).decode("ascii", errors="replace").strip("\x00 ")
        if isinstance(value, str):
            return value.strip()
        raise self._wrong(name, value, "text")

    def number(self, name: str) -> float:
        value = self._raw(name)
        arr = np.asarray(value)
        if arr.size != 1 or arr.dtype.kind not in "iuf":
            raise self._wrong(name, value, "a number")
        x = float(arr.reshape(-1)[0])
        if not np.isfinite(x):
            raise self._wrong(name, value, "a finite number")
        return x

    def array(self, name: str, shape: tuple[int | None, ...] = (None,)) -> np.ndarray:
        """float64 array of `shape` (None: any length on that axis)."""
        value = self._raw(name)
        arr = np.asarray(value)
        if arr.dtype.kind not in "iuf" or arr.ndim != len(shape) or any(
                n is not None and n != m for n, m in zip(shape, arr.shape, strict=True)):
            want = "x".join("n" if n is None else str(n) for n in shape)
            raise self._wrong(name, value, f"a {want} numeric array (found shape {arr.shape})")
        arr = arr.astype(np.float64)
        if not np.all(np.isfinite(arr)):
            raise self._wrong(name, value, "finite numbers")
        return arr

    def utc(self, name: str) -> np.datetime64:
        text = self.text(name)
        m = _UTC.fullmatch(text)
        if m is None:
            raise ProductError(f"{self.source}: attribute '{name}' on {self.where} is '{text}', "
                               "expected a UTC time 'YYYY-MM-DD HH:MM:SS.fffffffff'")
        return np.datetime64(f"{m.group(1)}T{m.group(2)}", "ns")

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.text(name).upper()
        if value not in allowed:
            raise ProductError(f"{self.source}: attribute '{name}' on {self.where} is '{value}', "
                               f"expected one of {', '.join(allowed)}")
        return value


@dataclass(frozen=True)
class DopplerModel:
    """f(τ, t) = R(τ - τ_ref) + A(t - t_ref) - (R[0] + A[0]) / 2 (sarpy `_get_band_specific_sicds`,
    sarkit-convert `hdf5_to_sicd`): a Doppler centroid (Hz) or rate (Hz/s) over two-way slant-range time
    τ (s) and zero-Doppler azimuth time t (s since `Reference UTC`). Both polynomials hold the value at
    the reference point in their constant term, hence the mean of the two."""

    range_coefficients: np.ndarray
    range_ref_s: float
    azimuth_coefficients: np.ndarray
    azimuth_ref_s: float

    def __call__(self, tau, t) -> np.ndarray:
        pv = np.polynomial.polynomial.polyval
        return (pv(np.asarray(tau, dtype=np.float64) - self.range_ref_s, self.range_coefficients)
                + pv(np.asarray(t, dtype=np.float64) - self.azimuth_ref_s, self.azimuth_coefficients)
                - 0.5 * (self.range_coefficients[0] + self.azimuth_coefficients[0]))

    def range_coefficients_at(self, t: float) -> np.ndarray:
        """The model at azimuth time t as a polynomial of (τ - τ_ref) alone."""
        out = self.range_coefficients.copy()
        out[0] = float(self(self.range_ref_s, t))
        return out

    def azimuth_rate(self, t: float) -> float:
        """∂f/∂t at azimuth time t (Hz/s for a centroid)."""
        d = np.polynomial.polynomial.polyder(self.azimuth_coefficients) if self.azimuth_coefficients.size > 1 \
            else np.zeros(1)
        return float(np.polynomial.polynomial.polyval(t - self.azimuth_ref_s, d))


@dataclass(frozen=True)
class CosmoMetadata:
    """What the reader takes from one image (swath group) of a COSMO-SkyMed SCS file."""

    source: str
    generation: int  # 1 (CSK) or 2 (CSG)
    mission_id: str
    satellite_id: str
    product_type: str
    acquisition_mode: str
    imaging_mode: str  # "StripMap" or "Spotlight"
    beam: str  # `Multi-Beam ID`
    swath_group: str  # "S01", "S02" (PINGPONG)
    dataset_path: str  # "S01/SBI", "S01/IMG"
    polarisation: str
    look_side: str  # "right" / "left"
    lines_flipped: bool  # `Lines Order` LATE-EARLY: the file's first row is the latest line
    columns_flipped: bool  # `Columns Order` FAR-NEAR: the file's first column is the farthest
    shape: tuple[int, int]
    sample_dtype: np.dtype
    reference_utc: np.datetime64
    first_line_s: float  # seconds since reference_utc
    last_line_s: float
    line_interval_s: float
    near_range_time_s: float
    far_range_time_s: float
    column_interval_s: float
    line_spacing_m: float
    column_spacing_m: float
    prf_hz: float
    wavelength_m: float
    range_bandwidth_hz: float
    azimuth_bandwidth_hz: float
    state_vectors: StateVectors
    doppler_centroid: DopplerModel
    fm_rate: DopplerModel | None
    centre_height_m: float | None
    rescaling_factor: float | None
    azimuth_steering: tuple[np.ndarray, np.ndarray] | None  # (code-change lines, steering deg): Spotlight

    def time(self, seconds) -> np.datetime64:
        """UTC of seconds since `Reference UTC` (ns)."""
        return self.reference_utc + np.round(np.asarray(seconds, dtype=np.float64) * 1e9).astype("m8[ns]")


def _not_cosmo(source: str, f, why: str) -> ProductError:
    keys = ", ".join(sorted(f.keys())[:12]) or "none"
    attrs = ", ".join(sorted(f.attrs.keys())[:6]) or "none"
    return ProductError(f"{source}: not a COSMO-SkyMed SLC ({why}); it holds top-level keys: {keys}; "
                        f"root attributes: {attrs}")


def _swath_groups(f, generation: int) -> list[str]:
    return sorted(k for k in f.keys() if re.fullmatch(r"S\d\d", k) and IMAGE_DATASET[generation] in f[k])


def _polarisation_of(f, group: str, root: Attributes, source: str, generation: int) -> str:
    """CSK: `Polarisation` of the swath group (isce2, sarpy); CSG: the root's `Polarization` (sarkit-convert
    `main`; sarpy `_get_polarization` looks at the group first)."""
    g = Attributes(f[group], group, source, generation)
    pol = g.text("Polarisation") if generation == 1 or "Polarisation" in g else root.text("Polarization")
    return pol.upper()


def _choose_group(f, source: str, generation: int, root: Attributes, polarisation: str | None) -> tuple[str, str]:
    groups = _swath_groups(f, generation)
    if not groups:
        raise _not_cosmo(source, f, f"Mission ID {root.text('Mission ID')} but no S01/{IMAGE_DATASET[generation]} "
                                    "image dataset")
    pols = {g: _polarisation_of(f, g, root, source, generation) for g in groups}
    if polarisation is None:
        if len(groups) > 1:
            raise ProductError(f"{source}: several images ({', '.join(f'{g} {p}' for g, p in pols.items())}); "
                               "name one with polarisation=")
        return groups[0], pols[groups[0]]
    matches = [g for g in groups if pols[g] == polarisation.upper()]
    if not matches:
        raise ProductError(f"{source}: no {polarisation.upper()} image (offered: "
                           f"{', '.join(f'{g} {p}' for g, p in pols.items())})")
    return matches[0], pols[matches[0]]


def _raw_to_zero_doppler(centroid_raw: np.ndarray, rate_raw: np.ndarray, ref_raw_s: float, ref_zd_s: float,
                         raw_first_s: float, raw_last_s: float) -> tuple[np.ndarray, np.ndarray]:
    """CSG: the centroid's and the rate's azimuth polynomials, given in raw (beam-centre) time, refitted in
    zero-Doppler time t_zd = t_raw - f_dc / f_rate (sarpy `_get_dop_poly_details`, sarkit-convert
    `hdf5_to_sicd`), over the raw times of the burst group."""
    raw = np.linspace(raw_first_s, raw_last_s, RAW_TO_ZD_SAMPLES)
    f_dc = np.polynomial.polynomial.polyval(raw - ref_raw_s, centroid_raw)
    f_rate = np.polynomial.polynomial.polyval(raw - ref_raw_s, rate_raw)
    zd = raw - f_dc / f_rate - ref_zd_s
    fit = np.polynomial.polynomial.polyfit
    return (fit(zd, f_dc, min(RAW_TO_ZD_DEGREE, max(centroid_raw.size - 1, 1))),
            fit(zd, f_rate, min(RAW_TO_ZD_DEGREE, max(rate_raw.size - 1, 1))))


def _doppler(gen: int, root: Attributes, swath: Attributes, burst: Attributes):
    """The Doppler centroid and FM-rate models (None where the product annotates no rate polynomials)."""
    if gen == 1:  # isce2 _populateExtras, sarpy/sarkit-convert: all on the root
        tau_ref = root.number("Range Polynomial Reference Time")
        t_ref = root.number("Azimuth Polynomial Reference Time")
        dc = DopplerModel(root.array("Centroid vs Range Time Polynomial"), tau_ref,
                          root.array("Centroid vs Azimuth Time Polynomial"), t_ref)
        names = ("Doppler Rate vs Range Time Polynomial", "Doppler Rate vs Azimuth Time Polynomial")
        fm = DopplerModel(root.array(names[0]), tau_ref, root.array(names[1]), t_ref) \
            if all(n in root for n in names) else None
        return dc, fm
    # CSG (sarkit-convert hdf5_to_sicd): on the swath group, the azimuth polynomials in raw time; the
    # azimuth rate polynomial is needed to go to zero-Doppler time
    tau_ref = swath.number("Range Polynomial Reference Time")
    t_raw_ref = swath.number("Azimuth Polynomial Reference Time")
    t_zd_ref = swath.number("Azimuth Polynomial Reference Time - ZD")
    raw_first, raw_last = burst.number("Azimuth First Time"), burst.number("Azimuth Last Time")
    rate_az = swath.array("Doppler Rate vs Azimuth Time Polynomial")
    if not raw_last > raw_first or not np.all(np.polynomial.polynomial.polyval(
            np.linspace(raw_first, raw_last, RAW_TO_ZD_SAMPLES) - t_raw_ref, rate_az) < 0):
        raise ProductError(f"{root.source}: {burst.where} Azimuth First/Last Time {raw_first!r} .. {raw_last!r} "
                           "with the swath's Doppler Rate vs Azimuth Time Polynomial give no negative Doppler rate "
                           "over an interval; the Doppler cannot be put in zero-Doppler time")
    centroid_zd, rate_zd = _raw_to_zero_doppler(
        swath.array("Doppler Centroid vs Azimuth Time Polynomial - RAW"), rate_az, t_raw_ref, t_zd_ref,
        raw_first, raw_last)
    dc = DopplerModel(swath.array("Doppler Centroid vs Range Time Polynomial"), tau_ref, centroid_zd, t_zd_ref)
    # sarpy looks for the range rate polynomial on the root first, then on the image's groups
    name = "Doppler Rate vs Range Time Polynomial"
    where = root if name in root else swath
    if name not in where:
        return dc, None
    return dc, DopplerModel(where.array(name), tau_ref, rate_zd, t_zd_ref)


def read_metadata(f, source: str, polarisation: str | None) -> CosmoMetadata:
    """The metadata of one image of an open h5py.File `f`; `source` names the file in errors."""
    if "Mission ID" not in f.attrs:
        raise _not_cosmo(source, f, "no root attribute 'Mission ID'")
    mission = Attributes(f, "/", source, 1).text("Mission ID").upper()
    if mission not in GENERATIONS:
        raise _not_cosmo(source, f, f"Mission ID '{mission}', expected CSK or CSG")
    gen = GENERATIONS[mission]
    root = Attributes(f, "/", source, gen)
    product_type = root.text("Product Type").upper()
    if product_type not in PRODUCT_TYPES:
        level = "not a single-look complex (SCS) product" if not product_type.startswith("SCS") \
            else "an SCS variant this reader does not know"
        raise ProductError(f"{source}: Product Type {product_type} is {level}; the reader takes "
                           f"{' and '.join(PRODUCT_TYPES)}")
    acquisition_mode = root.text("Acquisition Mode").upper()
    kind = imaging_mode(gen, acquisition_mode)
    if kind is None:
        why = "ScanSAR (several beams, bursts) is not supported" if acquisition_mode in SCANSAR_MODES else \
            "an acquisition mode this reader does not know"
        raise ProductError(f"{source}: Acquisition Mode {acquisition_mode} is {why}; the reader takes StripMap "
                           f"({', '.join(STRIPMAP_MODES[gen])}) and Spotlight ({', '.join(SPOTLIGHT_MODES[gen])}...)")
    group, pol = _choose_group(f, source, gen, root, polarisation)
    path = f"{group}/{IMAGE_DATASET[gen]}"
    dataset = f[path]
    swath = Attributes(f[group], group, source, gen)
    image = Attributes(dataset, path, source, gen)
    burst_path = f"{group}/{BURST_GROUP[gen]}"
    burst = Attributes(f[burst_path] if burst_path in f else None, burst_path, source, gen)
    # by name, whatever the byte order (sarpy PIXEL_TYPE by dtype.name; sarkit-convert keeps dtype.byteorder)
    if dataset.ndim != 3 or dataset.shape[2] != 2 or dataset.dtype.name not in ("int16", "float32"):
        raise ProductError(f"{source}: {path} is {dataset.dtype} of shape {dataset.shape}, expected int16 or "
                           "float32 I/Q pairs (lines x samples x 2)")
    lines, samples = int(dataset.shape[0]), int(dataset.shape[1])

    t_ref = root.utc("Reference UTC")
    svt = root.array("State Vectors Times")
    n = svt.size
    pos, vel = root.array("ECEF Satellite Position", (n, 3)), root.array("ECEF Satellite Velocity", (n, 3))
    times = t_ref + np.round(svt * 1e9).astype("m8[ns]")
    sv = StateVectors(times, pos, vel, f"{source} (state vectors)")

    first, last = image.number("Zero Doppler Azimuth First Time"), image.number("Zero Doppler Azimuth Last Time")
    dt = image.number("Line Time Interval")
    near, far = image.number("Zero Doppler Range First Time"), image.number("Zero Doppler Range Last Time")
    dtau = image.number("Column Time Interval")
    for what, a, b, step, count in (("Azimuth", first, last, dt, lines), ("Range", near, far, dtau, samples)):
        if step <= 0 or abs((b - a) - (count - 1) * step) > 1.5 * step:
            raise ProductError(f"{source}: {path} Zero Doppler {what} First/Last Time {a!r} .. {b!r} do not span "
                               f"{count} samples of {step!r} s (the reader takes 'First' as the earliest / nearest)")
    wavelength = root.number("Radar Wavelength") if "Radar Wavelength" in root else C / root.number("Radar Frequency")
    az_bw = "Azimuth Focusing Transition Bandwidth" if gen == 1 else "Azimuth Focusing Bandwidth"  # sarkit-convert
    dc, fm = _doppler(gen, root, swath, burst)
    centre = root.array("Scene Centre Geodetic Coordinates", (3,)) if "Scene Centre Geodetic Coordinates" in root \
        else None  # [lat, lon, h] (sarkit-convert llh_ddm; eoreader GeoCoordSceneCentre)
    steering = None
    if kind == "Spotlight" and "Azimuth Steering" in burst and "Azimuth Ramp Code Change Lines" in burst:
        steering = (burst.array("Azimuth Ramp Code Change Lines"), burst.array("Azimuth Steering"))
    return CosmoMetadata(
        source=source, generation=gen, mission_id=mission, satellite_id=root.text("Satellite ID"),
        product_type=product_type, acquisition_mode=acquisition_mode, imaging_mode=kind,
        beam=root.text("Multi-Beam ID"), swath_group=group, dataset_path=path, polarisation=pol,
        look_side=root.choice("Look Side", ("RIGHT", "LEFT")).lower(),
        lines_flipped=root.choice("Lines Order", LINES_ORDERS) == "LATE-EARLY",
        columns_flipped=root.choice("Columns Order", COLUMNS_ORDERS) == "FAR-NEAR",
        shape=(lines, samples), sample_dtype=dataset.dtype, reference_utc=t_ref,
        first_line_s=first, last_line_s=last, line_interval_s=dt, near_range_time_s=near, far_range_time_s=far,
        column_interval_s=dtau, line_spacing_m=image.number("Line Spacing"),
        column_spacing_m=image.number("Column Spacing"), prf_hz=swath.number("PRF"), wavelength_m=wavelength,
        range_bandwidth_hz=swath.number("Range Focusing Bandwidth"), azimuth_bandwidth_hz=swath.number(az_bw),
        state_vectors=sv, doppler_centroid=dc, fm_rate=fm,
        centre_height_m=None if centre is None else float(centre[2]),
        rescaling_factor=root.number("Rescaling Factor") if "Rescaling Factor" in root else None,
        azimuth_steering=steering,
    )
