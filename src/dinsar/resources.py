"""Cluster resources that fit the scene: each rule's memory and run time from the size of what it reads.

Every rule's `resources:` asks this module (`RES.mem_mb(rule, *input_keys)`, `RES.runtime(...)`: Snakemake
resource callables of `wildcards, input, attempt`; RES a `SceneResources` made once by the Snakefile), so a
PBS / Slurm job asks what its scene needs:

    mem_mb  = SAFETY_MEM  × (JOB_MB + peak_mb(Mpx))          × attempt    (rounded up to 100 MB)
    runtime = SAFETY_TIME × (JOB_S  + count × wall_s(Mpx)) / 60 × attempt  (minutes, at least MIN_RUNTIME_MIN)

Mpx: the millions of pixels the rule processes, read cheaply from its inputs (`image_pixels`): a SAFE's
annotation (numberOfLines × numberOfSamples, a few kB into the XML; IW: its sub-swaths summed), an IW
merged date's sidecar ("shape"), a TerraSAR-X folder's XML (numberOfRows × numberOfColumns), a GeoTIFF's
first IFD, a folder of rasters' largest (a pair's truth); the multilooked rasters for unwrap and geocode;
bytes on disk / 4 (CInt16 samples) for unpack. JOB_MB / JOB_S: the Snakemake process around each cluster
job (it parses the workflow: 131 MB peak RSS measured). `count`: pairs of images made one after the other
(simulate_pair of a stack), or the pairs one job exports (mintpy: its geocoded rasters, each pair's).

peak_mb and wall_s (`Curve`): piecewise linear through the step's measured peak RSS and wall time (2
threads) at 2048 × 2048 (4.2 Mpx), 8192 × 4096 (34 Mpx), 16384 × 8192 (134 Mpx) and, for the steps
benchmarks/run.py ran at full size, 40000 × 25000 (1000 Mpx; multilooked 13333 × 8333 = 111 Mpx), from
benchmarks/RESULTS.md (see `_MEASURED_MB`); extended past the largest measurement along its last segment.
Most steps stream by blocks of lines and their memory would be nearly constant, but the scene's DEM, the
per-line tables and GDAL's block cache (5 % of RAM: 1.26 GB on the measuring machine) grow with it; what
each step holds is in `MODELS[rule].memory`. The run times were measured on a laptop, partly shared
(upper bounds); SAFETY_TIME covers a slower node, and a job killed for its memory or its walltime is
resubmitted with `attempt` + 1 (`retries:` in the PBS and Slurm profiles), asking that many times more.

While a rule's inputs do not exist yet (planning, a dry run, the products of a checkpoint or a
download), its size is the site's planned scene (`SceneResources.from_config`: a simulated pair's
`simulate.size`, else PLANNED_SCENE_PX, a full-size StripMap scene); Snakemake evaluates the resources
again when the job is about to start, from the real inputs. Standard library only: the Snakefile imports
this on every parse.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import os
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SAFETY_MEM = 1.25  # memory is near deterministic for a given size
SAFETY_TIME = 1.3  # run times: measured on a 2-core laptop; nodes, disks and shared file systems differ
JOB_MB = 150  # the Snakemake process of a cluster job (parses the Snakefile): 131 MB peak RSS measured
JOB_S = 30  # its start: imports, workflow parse, the step's own interpreter and numba's cached load
MIN_RUNTIME_MIN = 5
# geocoded grid / multilooked grid pixels (its lon/lat box around the footprint, at the looks' ground size):
# 1.43 on the demo (819 × 811 over 682 × 682), 1.46 at full size (14776 × 10994 over 13333 × 8333)
GEOCODED_PER_MULTILOOKED = 1.5
PLANNED_SCENE_PX = 40000 * 25000  # a full-size StripMap scene (an IW date of three sub-swaths is ~0.9 Gpx)


@dataclass(frozen=True)
class Curve:
    """A measured quantity (MB or s) against Mpx: piecewise linear through the measurements, flat below
    the first, extended past the last along its last segment; never decreasing (each value is at least
    the ones measured on smaller scenes)."""

    points: tuple[tuple[float, float], ...]  # (Mpx, value), increasing Mpx

    @classmethod
    def of(cls, *points: tuple[float, float]) -> Curve:
        pts, top = [], 0.0
        for x, y in sorted(points):
            top = max(top, y)
            pts.append((x, top))
        return cls(tuple(pts))

    def __call__(self, mpx: float) -> float:
        pts = self.points
        if len(pts) == 1 or mpx <= pts[0][0]:
            return pts[0][1]
        for (x0, y0), (x1, y1) in zip(pts, pts[1:], strict=False):
            if mpx <= x1:
                return y0 + (y1 - y0) * (mpx - x0) / (x1 - x0)
        (x0, y0), (x1, y1) = pts[-2:]
        return y1 + (y1 - y0) / (x1 - x0) * (mpx - x1)

    @property
    def per_mpx(self) -> list[float]:
        """The slope of each segment (MB or s per Mpx)."""
        return [(y1 - y0) / (x1 - x0) for (x0, y0), (x1, y1) in zip(self.points, self.points[1:], strict=False)]


@dataclass(frozen=True)
class RuleModel:
    size: str  # what Mpx counts: scene (full-resolution image), multilooked, geocoded, bytes (/4), simulated, none
    mem_mb: Curve
    time_s: Curve
    memory: str  # how the step's memory behaves (why its curve is steep or flat)


def _fixed(mem_mb: float, minutes: float, memory: str) -> RuleModel:
    """A rule whose size does not depend on the scene: asks mem_mb and minutes (× attempt) as they are."""
    return RuleModel("none", Curve.of((0.0, mem_mb)), Curve.of((0.0, minutes * 60)), memory)


# Calibration sizes (Mpx): full resolution, and multilooked 3 × 3
DEMO, MID, BIG, FULL = 2048 * 2048 / 1e6, 8192 * 4096 / 1e6, 16384 * 8192 / 1e6, 40000 * 25000 / 1e6
DEMO_ML, MID_ML, BIG_ML, FULL_ML = (682 * 682 / 1e6, 2730 * 1365 / 1e6, 5461 * 2730 / 1e6, 13333 * 8333 / 1e6)
SYNTH_ML = 3333 * 2083 / 1e6  # benchmarks/unwrap_scale.py's `mid` case

# Measurements: peak RSS (MB) and wall time (s) of each step alone, 2 threads, on this 2-core machine.
#   DEMO, FULL: benchmarks/RESULTS.md, "2048×2048 ... 12:43 UTC" and the 40000×25000 runs of 12:05, 12:36
#     and 13:14 UTC (memory the largest of them, time the longest) — /usr/bin/time -v;
#   MID, BIG: the 8192 × 4096 and 16384 × 8192 pairs, RESULTS.md "Scene-size calibration" (benchmarks/run.py's
#     steps under /usr/bin/time -v, and the Snakemake benchmark files of `dinsar run` on them: the larger);
#     their run times were taken on a shared machine (load 4 to 9 on 2 cores): upper bounds;
#   FULL, as of 2026-12-02 21:00 UTC: the Snakemake benchmark files of `dinsar run` on the 40000 × 25000 pair
#     (RESULTS.md "40000×25000 pair, SAFE → geocoded LOS through `dinsar run --cores 2`"; idle machine) where they
#     are the larger or the step's code changed since (geocode: coarse-grid radar coordinates; compare_truth by
#     blocks; doppler0 on one thread); wall times from them, peak RSS their sampled maximum.
_MEASURED_MB = {
    "dem_projection": ((DEMO, 275.5), (MID, 342.7), (BIG, 554.4), (FULL, 1282.0)),
    "deformation_grid": ((DEMO, 211.8), (MID, 241.2), (BIG, 295.2), (FULL, 426.4)),
    "coregister": ((DEMO, 274.2), (MID, 529.7), (BIG, 1371.3), (FULL, 1956.4)),
    "interferogram": ((DEMO, 306.3), (MID, 844.4), (BIG, 1621.2), (FULL, 1989.2)),
    "geocode": ((DEMO_ML, 300.0), (MID_ML, 431.5), (BIG_ML, 710.5), (FULL_ML, 2158.1)),
    "simulate_pair": ((DEMO, 836.8), (MID, 1476.8), (BIG, 2042.6), (FULL, 2400.8)),
    "unpack": ((2 * DEMO, 130.6), (2 * MID, 130.6), (2 * BIG, 130.7)),  # Mpx: bytes / 4, both polarisations
    "quicklook": ((DEMO, 264.2), (MID, 469.7), (BIG, 902.3), (FULL, 1545.6)),
    "simulate_amplitude": ((DEMO, 355.0), (MID, 567.7), (BIG, 1295.9), (FULL, 2366.0)),
    "doppler0": ((DEMO, 197.8), (MID, 204.9), (BIG, 218.5), (FULL, 272.3)),
    # by blocks since fa772b2 (before, the whole truth in float64: 3150.6 MB at BIG)
    "compare_truth": ((DEMO, 203.1), (FULL, 1831.4)),
    # unwrapping on the whole image (SNAPHU): the step and SNAPHU together where unwrap_scale.py measured
    # both (`mid` case 07:43 UTC), SNAPHU alone at full size (RESULTS.md 12:36 UTC)
    "unwrap:whole": ((DEMO_ML, 272.0), (SYNTH_ML, 1265.0), (FULL_ML, 11518.3)),
    # multiscale (the default): RESULTS.md unwrap_scale.py `demo` and `mid` cases, and this BIG run
    "unwrap:multiscale": ((DEMO_ML, 243.0), (MID_ML, 384.1), (SYNTH_ML, 565.0), (BIG_ML, 689.7), (FULL_ML, 1771.6)),
}
_MEASURED_S = {
    "dem_projection": ((DEMO, 2.33), (MID, 8.82), (BIG, 33.29), (FULL, 92.9)),
    "deformation_grid": ((DEMO, 2.59), (MID, 24.73), (BIG, 17.73), (FULL, 5.99)),
    "coregister": ((DEMO, 1.66), (MID, 9.33), (BIG, 39.81), (FULL, 84.97)),
    "interferogram": ((DEMO, 1.56), (MID, 7.83), (BIG, 34.69), (FULL, 66.53)),
    "geocode": ((DEMO_ML, 2.11), (MID_ML, 19.6), (BIG_ML, 77.77), (FULL_ML, 85.22)),
    "simulate_pair": ((DEMO, 10.96), (MID, 198.32), (BIG, 1052.71), (FULL, 1846.88)),
    "unpack": ((2 * DEMO, 3.39), (2 * MID, 3.74), (2 * BIG, 1.39)),
    "quicklook": ((DEMO, 9.8), (MID, 4.67), (BIG, 7.8), (FULL, 10.11)),
    "simulate_amplitude": ((DEMO, 71.22), (MID, 163.23), (BIG, 783.41), (FULL, 1381.89)),
    "doppler0": ((DEMO, 10.86), (MID, 3.25), (BIG, 5.18), (FULL, 15.66)),
    "compare_truth": ((DEMO, 7.39), (MID, 6.49), (BIG, 22.17), (FULL, 60.51)),
    "unwrap:whole": ((DEMO_ML, 4.59), (SYNTH_ML, 144.6), (FULL_ML, 1203.55)),
    "unwrap:multiscale": ((DEMO_ML, 2.3), (MID_ML, 4.84), (SYNTH_ML, 27.1), (BIG_ML, 17.13), (FULL_ML, 35.37)),
}


def _measured(name: str, size: str, memory: str) -> RuleModel:
    return RuleModel(size, Curve.of(*_MEASURED_MB[name]), Curve.of(*_MEASURED_S[name]), memory)


def _plus(model: RuleModel, mb_per_mpx: float, time_factor: float, memory: str) -> RuleModel:
    """Another rule's curves, with memory growing by mb_per_mpx more and run time time_factor times."""
    mem = Curve.of(*((x, y + mb_per_mpx * x) for x, y in model.mem_mb.points))
    time = Curve.of(*((x, y * time_factor) for x, y in model.time_s.points))
    return RuleModel(model.size, mem, time, memory)


_WHOLE = _measured("unwrap:whole", "multilooked", "the whole multilooked image in memory (SNAPHU: ~100 bytes a pixel)")
_COREGISTER = _measured("coregister", "scene", "streams blocks of lines; the slave-geometry table, the offset grid "
                        "and GDAL's block cache (5 % of RAM, 1.26 GB here) grow with the scene")

MODELS: dict[str, RuleModel] = {
    "simulate_pair": _measured("simulate_pair", "simulated", "rolling accumulators of output lines: grows with the "
                               "columns, not the lines; Mpx per image, run time per pair of images"),
    "unpack": _measured("unpack", "bytes", "copies or extracts file by file in chunks: constant; time with the bytes"),
    "quicklook": _measured("quicklook", "scene", "streams blocks of lines; grows with the columns (tiles in cache)"),
    "dem_projection": _measured("dem_projection", "scene", "streams blocks of 256 lines; the scene's DEM (its "
                                "footprint) and the DEM-grid projection grow with it"),
    "simulate_amplitude": _measured("simulate_amplitude", "scene", "blocks of 64 lines; the scene's DEM grows with it"),
    "doppler0": _measured("doppler0", "scene", "blocks of lines: nearly constant"),
    "deformation_grid": _measured("deformation_grid", "scene", "at most coregistration.max_windows correlation "
                                  "windows: nearly constant"),
    "coregister": _COREGISTER,
    "interferogram": _measured("interferogram", "scene", "streams blocks of lines (flattening and multilook in one "
                               "pass); per-line tables and GDAL's block cache grow with the scene"),
    "unwrap": _WHOLE,  # without unwrap.method in the config
    "unwrap:snaphu": _WHOLE,
    "unwrap:snaphu_tiles": _WHOLE,
    "unwrap:whirlwind": _WHOLE,
    "unwrap:multiscale": _measured("unwrap:multiscale", "multilooked", "the filter and the fine grid by blocks of "
                                   "lines, whole-image SNAPHU on a coarse grid of <= ~4 Mpx: grows slowly"),
    "geocode": _measured("geocode", "multilooked", "streams blocks of output rows, each reading its radar window; "
                         "the DEM of the footprint grows"),
    "compare_truth": _measured("compare_truth", "scene", "blocks of multilooked rows, the truth read by windows: "
                               "grows with the columns"),
    # IW: measured on the IW demo only (merged 4555 × 947: tops_merge 240 MB, 6.9 s; tops_grid 194 MB, 8 s):
    # tops_merge reads bursts and writes complex64 blocks as coregister does (its curves); tops_coregister
    # adds the master's whole height raster (float32, and its flag band read once: 9 bytes a pixel) and ESD
    "tops_merge": _plus(_COREGISTER, 0.0, 1.0, "blocks of lines of the merged grid, as coregister"),
    "tops_coregister": _plus(_COREGISTER, 9.0, 2.0, "blocks of lines, plus the whole master height raster for ESD"),
    "tops_grid": _fixed(1000, 10, "the merged grid's sidecar from the annotations"),
    # the MintPy export of one pair: the demo's (819 × 811 geocoded, 278.7 MB, 2.47 s) and the full-size pair's
    # (14776 × 10994, 2551.7 MB, 77.0 s), `dinsar run` 2026-12-02; Mpx: the largest geocoded LOS raster, the
    # run time × the pairs (each is written block by block beside the others; the memory was measured with one)
    "mintpy": RuleModel("geocoded", Curve.of((0.664, 278.7), (162.4, 2551.7)), Curve.of((0.664, 2.47), (162.4, 77.0)),
                        "blocks of output rows, every pair's writers open: grows with the columns and the pairs"),
    # staging a COSMO-SkyMed file or a TerraSAR-X folder: a check (first and last lines) and a chunked copy.
    # Peak RSS 135.5 MB (1 MB CSK file) and 137.7 MB (135 MB, 8192 × 4096), 120.8 MB (TSX folder, 1 MB);
    # flat (the 2 MB between 1 and 135 MB is noise); the copies ran from the page cache (0.85 s for 135 MB):
    # the time assumes 100 MB/s (a shared file system), 0.04 s per Mpx of bytes / 4
    "stage_hdf5": RuleModel("bytes", Curve.of((0.27, 137.7)), Curve.of((0.0, 1.0), (1000.0, 41.0)),
                            "copies in chunks: constant; time with the bytes"),
    "stage_terrasar": RuleModel("bytes", Curve.of((0.27, 137.7)), Curve.of((0.0, 1.0), (1000.0, 41.0)),
                                "copies file by file in chunks: constant; time with the bytes"),
    # fixed: catalogue and network steps, the stack's baselines (annotations only), the pair's JSON
    "search": _fixed(500, 10, "catalogue pages"),
    "download": _fixed(500, 240, "streams to disk; the time is the network's"),
    "fetch_dem": _fixed(2000, 60, "the DEM tiles over the footprint"),
    "fetch_orbit": _fixed(500, 30, "one orbit file"),
    "baselines": _fixed(1000, 10, "annotations and orbits only"),
    "pair_info": _fixed(200, 1, "a JSON sidecar"),
}


@dataclass(frozen=True)
class Request:
    mem_mb: int
    runtime: int  # minutes


def request(rule: str, mpx: float, attempt: int = 1, count: float = 1.0) -> Request:
    """What a job of `rule` on `mpx` million pixels asks at its `attempt` (1, 2, ...)."""
    m = MODELS[rule]
    attempt = max(1, int(attempt))
    if m.size == "none":
        return Request(math.ceil(m.mem_mb(0)) * attempt, math.ceil(m.time_s(0) / 60) * attempt)
    mem = math.ceil(SAFETY_MEM * (JOB_MB + m.mem_mb(mpx)) / 100) * 100
    seconds = SAFETY_TIME * (JOB_S + count * m.time_s(mpx))
    return Request(mem * attempt, max(MIN_RUNTIME_MIN, math.ceil(seconds / 60)) * attempt)


# --- sizes of the inputs, read cheaply (a few kB of each file; cached by path, size and mtime)

_DIM = re.compile(rb"<numberOf(Lines|Samples)>\s*(\d+)\s*</numberOf")
_TSX_DIM = re.compile(rb"<numberOf(Rows|Columns)>\s*(\d+)\s*</numberOf")  # TerraSAR-X imageRaster
_ANNOTATION = re.compile(r"(?:^|/)annotation/([^/]+)\.xml$")


def _scan_dims(stream) -> tuple[int, int] | None:
    """(numberOfLines, numberOfSamples), the first of each, from an annotation XML stream."""
    found: dict[bytes, int] = {}
    tail = b""
    while chunk := stream.read(1 << 16):
        buf = tail + chunk
        for m in _DIM.finditer(buf):
            found.setdefault(m.group(1), int(m.group(2)))
        if len(found) == 2:
            return found[b"Lines"], found[b"Samples"]
        tail = buf[-64:]
    return None


def _terrasar_pixels(xml: Path) -> int | None:
    """numberOfRows × numberOfColumns of a TerraSAR-X level1Product XML (its imageRaster, the first of each)."""
    found: dict[bytes, int] = {}
    for m in _TSX_DIM.finditer(xml.read_bytes()):
        found.setdefault(m.group(1), int(m.group(2)))
    return found[b"Rows"] * found[b"Columns"] if len(found) == 2 else None


def _safe_pixels(annotations: dict[str, tuple[int, int]]) -> int | None:
    """A SAFE's pixels from its annotations (name -> lines, samples): the sub-swaths of one polarisation
    summed (IW), the largest polarisation."""
    per_pol: dict[str, int] = {}
    for name, (lines, samples) in annotations.items():
        fields = name.split("-")
        pol = fields[3] if len(fields) > 3 else name
        per_pol[pol] = per_pol.get(pol, 0) + lines * samples
    return max(per_pol.values()) if per_pol else None


def _safe_dir_pixels(path: Path) -> int | None:
    dims = {}
    for xml in sorted((path / "annotation").glob("*.xml")):
        with open(xml, "rb") as f:
            d = _scan_dims(f)
        if d:
            dims[xml.stem] = d
    return _safe_pixels(dims)


def _safe_zip_pixels(path: Path) -> int | None:
    dims = {}
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            m = _ANNOTATION.search(name)
            if m:
                with z.open(name) as f:
                    d = _scan_dims(f)
                if d:
                    dims[m.group(1)] = d
    return _safe_pixels(dims)


_TIFF_SHORT = {3: "H", 4: "I", 16: "Q"}  # SHORT, LONG, LONG8


def tiff_shape(path) -> tuple[int, int] | None:
    """(height, width) of a TIFF or BigTIFF from its first IFD, None if it is not one."""
    with open(path, "rb") as f:
        head = f.read(16)
        order = {b"II": "<", b"MM": ">"}.get(head[:2])
        if order is None or len(head) < 16:
            return None
        magic = struct.unpack(order + "H", head[2:4])[0]
        if magic == 42:
            ifd, count_fmt, entry, value_at = struct.unpack(order + "I", head[4:8])[0], "H", 12, 8
        elif magic == 43:
            ifd, count_fmt, entry, value_at = struct.unpack(order + "Q", head[8:16])[0], "Q", 20, 12
        else:
            return None
        f.seek(ifd)
        raw = f.read(struct.calcsize(count_fmt))
        if len(raw) < struct.calcsize(count_fmt):
            return None
        n = struct.unpack(order + count_fmt, raw)[0]
        data = f.read(n * entry)
    dims = {}
    for i in range(min(n, len(data) // entry)):
        e = data[i * entry:(i + 1) * entry]
        tag, typ = struct.unpack(order + "HH", e[:4])
        if tag in (256, 257) and typ in _TIFF_SHORT:
            fmt = _TIFF_SHORT[typ]
            dims[tag] = struct.unpack(order + fmt, e[value_at:value_at + struct.calcsize(fmt)])[0]
    return (dims[257], dims[256]) if len(dims) == 2 else None


def _tiff_pixels(path: Path) -> int | None:
    shape = tiff_shape(path)
    return shape[0] * shape[1] if shape else None


@functools.lru_cache(maxsize=256)
def _pixels_cached(path: str, _size: int, _mtime_ns: int) -> int | None:
    p = Path(path)
    name = p.name.lower()
    if p.is_dir():
        if name.endswith(".safe") or (p / "manifest.safe").is_file():
            return _safe_dir_pixels(p)
        if (p / f"{p.name}.xml").is_file():  # a TerraSAR-X product folder
            return _terrasar_pixels(p / f"{p.name}.xml")
        sizes = [_tiff_pixels(t) for t in sorted(p.glob("*.tif*"))]  # a folder of rasters (a pair's truth)
        return max((s for s in sizes if s), default=None)
    if name.endswith(".merged.json"):  # an IW date debursted and merged (dinsar.sensors.merged)
        lines, samples = json.loads(p.read_text())["shape"]
        return int(lines) * int(samples)
    if name.endswith(".zip"):
        return _safe_zip_pixels(p)
    if name.endswith((".tif", ".tiff")):
        return _tiff_pixels(p)
    return None


def image_pixels(path) -> int | None:
    """Pixels of the image a path holds (a SAFE dir or zip, an IW merged sidecar, a GeoTIFF, a folder of
    rasters); None where it does not exist yet or cannot be read."""
    try:
        st = os.stat(path)
        return _pixels_cached(str(path), st.st_size, st.st_mtime_ns)
    except (OSError, ValueError, KeyError, TypeError, struct.error, zipfile.BadZipFile) as e:
        log.debug("%s: no image size (%s)", path, e)
        return None


def disk_bytes(path) -> int | None:
    """Bytes of a file, a folder's files, or a zip's members uncompressed; None where it does not exist."""
    p = Path(path)
    try:
        if p.is_dir():
            return sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
        if p.suffix.lower() == ".zip":
            with zipfile.ZipFile(p) as z:
                return sum(i.file_size for i in z.infolist())
        return p.stat().st_size
    except (OSError, zipfile.BadZipFile) as e:
        log.debug("%s: no size (%s)", path, e)
        return None


def _paths(value) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (str, os.PathLike)):
        return [str(value)]
    return [str(v) for v in value]


# --- the site's resources, for the rules


@dataclass(frozen=True)
class SceneResources:
    planned_px: int  # full-resolution pixels of an image assumed while the inputs do not exist
    looks: tuple[int, int] = (3, 3)
    simulated_px: int = 0  # a simulated site: pixels per image
    simulated_images: int = 2
    unwrap_method: str | None = None

    @classmethod
    def from_config(cls, config: dict) -> SceneResources:
        """From a validated config: the simulated scene's size (else a full-size StripMap scene), the
        multilook looks, the unwrapping method."""
        sim = config.get("simulate") or None
        looks = tuple(int(v) for v in (config.get("multilook") or {}).get("looks", (3, 3)))
        method = (config.get("unwrap") or {}).get("method")
        if sim:
            lines, samples = (int(v) for v in sim.get("size", (1024, 1024)))
            images = 1 + (len(sim["stack"]) if sim.get("stack") else 1)
            # IW: two sub-swaths of size[1] samples, three bursts of real IW timing (~4600 merged lines)
            px = 4600 * 2 * samples if sim.get("mode") == "IW" else lines * samples
            return cls(px, looks, px, images, method)
        return cls(PLANNED_SCENE_PX, looks, unwrap_method=method)

    def rule_model(self, rule: str) -> str:
        """The MODELS key of a rule (unwrap: per method)."""
        if rule == "unwrap" and self.unwrap_method and f"unwrap:{self.unwrap_method}" in MODELS:
            return f"unwrap:{self.unwrap_method}"
        return rule

    def mpx(self, rule: str, paths: list[str]) -> tuple[float, float]:
        """(Mpx, count) of a job of `rule` reading `paths`: the largest input, else the planned size."""
        size = MODELS[self.rule_model(rule)].size
        if size == "none":
            return 0.0, 1.0
        if size == "simulated":
            return self.simulated_px / 1e6, self.simulated_images / 2
        if size == "bytes":
            known = [b for b in map(disk_bytes, paths) if b]
            return (max(known) / 4 if known else 2 * self.planned_px) / 1e6, 1.0
        if size == "geocoded":  # one raster per pair: the largest's pixels, and as many pairs as rasters
            known = [px for px in map(image_pixels, paths) if px]
            ml = self.planned_px // (self.looks[0] * self.looks[1])
            return (max(known) if known else GEOCODED_PER_MULTILOOKED * ml) / 1e6, float(max(1, len(paths)))
        known = [px for px in map(image_pixels, paths) if px]
        if known:
            return max(known) / 1e6, 1.0
        planned = self.planned_px // (self.looks[0] * self.looks[1]) if size == "multilooked" else self.planned_px
        return planned / 1e6, 1.0

    def request(self, rule: str, paths=(), attempt: int = 1) -> Request:
        mpx, count = self.mpx(rule, _paths(paths))
        return request(self.rule_model(rule), mpx, attempt, count)

    def _callable(self, rule: str, keys: tuple[str, ...], field: str):
        MODELS[self.rule_model(rule)]  # a KeyError at parse for a rule without a model

        def resource(wildcards, input, attempt):
            paths = [p for k in keys for p in _paths(getattr(input, k, None))]
            return getattr(self.request(rule, paths, attempt), field)

        return resource

    def mem_mb(self, rule: str, *input_keys: str):
        """Snakemake `mem_mb` of a rule: from the size of its inputs `input_keys` (the largest), × attempt."""
        return self._callable(rule, input_keys, "mem_mb")

    def runtime(self, rule: str, *input_keys: str):
        """Snakemake `runtime` (minutes) of a rule: from the size of its inputs `input_keys`, × attempt."""
        return self._callable(rule, input_keys, "runtime")
