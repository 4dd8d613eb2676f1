"""Cluster resources that fit the scene (dinsar.resources): the model against the measurements it was
calibrated on, the cheap size readers against real files, attempt scaling and planning defaults."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from dinsar import resources as R
from tests.conftest import ROME_SAFE, S3_SAFE

# Measured peak RSS (MB) and wall time (s) of each step alone on the 40000 × 25000 StripMap pair
# (multilooked 13333 × 8333), 2 threads, from benchmarks/RESULTS.md:
#   "40000×25000 pair, steps `ifg`, 2 threads — 2026-11-26 13:14 UTC" (dem_projection .. interferogram),
#   "40000×25000 pair, steps `all`, 2 threads — 2026-11-26 12:36 UTC" (unwrap: SNAPHU on the whole image),
#   "40000×25000 pair, steps `ifg`, 2 threads — 2026-11-26 10:02 UTC" (simulate),
#   "40000×25000 pair, SAFE → geocoded LOS through `dinsar run --cores 2`" of 2026-12-02 (geocode with its
#   coarse-grid radar coordinates, compare_truth by blocks, the multiscale unwrapping, the larger figures of
#   dem_projection, coregister and interferogram).
FULL_SIZE_MEASURED = {
    "dem_projection": (1282.0, 92.9),
    "deformation_grid": (426.4, 2.99),
    "coregister": (1956.4, 84.97),
    "interferogram": (1989.2, 66.53),
    "unwrap": (11518.3, 1203.55),
    "geocode": (2158.1, 85.22),
    "compare_truth": (1831.4, 60.51),
    "simulate_pair": (2400.8, 1846.88),
}
MULTISCALE_FULL = (1771.6, 35.37)  # unwrap's default method, the same dinsar run
# the rule's input the model reads, per rule (as the rule files name it)
SCENE_RULES = ["quicklook", "dem_projection", "simulate_amplitude", "doppler0", "deformation_grid", "coregister",
               "interferogram", "compare_truth"]
ML_RULES = ["unwrap", "geocode"]


def _tiff_header(path: Path, height: int, width: int, big: bool = False) -> Path:
    """A TIFF with only its first IFD (ImageWidth, ImageLength): what the size reader looks at."""
    if big:
        head = b"II" + struct.pack("<HHHQ", 43, 8, 0, 16)
        ifd = struct.pack("<Q", 2) + struct.pack("<HHQQ", 256, 16, 1, width) + struct.pack("<HHQQ", 257, 16, 1, height)
    else:
        head = b"II" + struct.pack("<HI", 42, 8)
        ifd = struct.pack("<H", 2) + struct.pack("<HHII", 256, 4, 1, width) + struct.pack("<HHII", 257, 3, 1, height)
    path.write_bytes(head + ifd + b"\0" * 8)
    return path


STAMP = "20160818t142205-20160818t142206-012668-00317c"


def _safe(root: Path, lines: int, samples: int, swaths=("s4",)) -> Path:
    """A SAFE folder with only what the size reader reads: VV and VH annotations of each swath."""
    safe = root / "S1A_S4_SLC__1SDV_20160818T142205_20160818T142206_012668_00317C_159D.SAFE"
    (safe / "annotation" / "calibration").mkdir(parents=True)
    (safe / "manifest.safe").write_text("<xfdu/>")
    for n, (pol, swath) in enumerate(((p, s) for p in ("vv", "vh") for s in swaths), start=1):
        body = (f"<product><adsHeader/><imageAnnotation><imageInformation><numberOfSamples>{samples}"
                f"</numberOfSamples><numberOfLines>{lines}</numberOfLines></imageInformation></imageAnnotation>"
                "</product>")
        (safe / "annotation" / f"s1a-{swath}-slc-{pol}-{STAMP}-00{n}.xml").write_text(body)
    (safe / "annotation" / "calibration" / "calibration-vv.xml").write_text("<numberOfLines>1</numberOfLines>")
    return safe


@pytest.fixture
def scene(tmp_path):
    """Inputs shaped like a pair of (lines, samples), multilooked 3 × 3."""

    def make(lines: int, samples: int) -> dict[str, Path]:
        root = tmp_path / f"{lines}x{samples}"
        root.mkdir()
        ml = _tiff_header(root / "interferogram_ml.tif", lines // 3, samples // 3)
        truth = root / "truth"
        truth.mkdir()
        _tiff_header(truth / "los_displacement.tif", lines, samples, big=True)
        return {"safe": _safe(root, lines, samples), "ml": ml, "truth": truth}

    return make


def _job(res: R.SceneResources, rule: str, paths: dict, attempt: int = 1) -> R.Request:
    key = "ml" if rule in ML_RULES else "truth" if rule == "compare_truth" else "safe"
    return res.request(rule, [] if rule == "simulate_pair" else [paths[key]], attempt)


def test_full_size_requests_cover_the_measured_peaks_and_not_twice(scene):
    paths = scene(40000, 25000)
    res = R.SceneResources(planned_px=1, simulated_px=40000 * 25000, unwrap_method="snaphu")
    for rule, (peak_mb, wall_s) in FULL_SIZE_MEASURED.items():
        got = _job(res, rule, paths)
        assert peak_mb < got.mem_mb < 2 * peak_mb, (rule, got, peak_mb)
        assert wall_s < got.runtime * 60 <= max(2 * wall_s, R.MIN_RUNTIME_MIN * 60), (rule, got, wall_s)


def test_demo_size_requests_are_far_below_a_node(scene):
    paths = scene(2048, 2048)
    res = R.SceneResources(planned_px=1, simulated_px=2048 * 2048)
    for rule in SCENE_RULES + ML_RULES + ["simulate_pair"]:
        got = _job(res, rule, paths)
        assert got.mem_mb < 4000 and got.runtime <= 10, (rule, got)
    unpack = res.request("unpack", [paths["safe"]])
    assert unpack.mem_mb < 1000 and unpack.runtime == R.MIN_RUNTIME_MIN


def test_requests_grow_with_the_scene_and_the_attempt(scene):
    small, full = scene(2048, 2048), scene(40000, 25000)
    res = R.SceneResources(planned_px=1)
    for rule in SCENE_RULES + ML_RULES:
        a, b = _job(res, rule, small), _job(res, rule, full)
        assert a.mem_mb <= b.mem_mb and a.runtime <= b.runtime, rule
        again = _job(res, rule, full, attempt=2)
        assert (again.mem_mb, again.runtime) == (2 * b.mem_mb, 2 * b.runtime), rule
    assert _job(res, "unwrap", full).mem_mb > 10 * _job(res, "unwrap", small).mem_mb  # whole image in memory
    assert _job(res, "deformation_grid", full).mem_mb < 2 * _job(res, "deformation_grid", small).mem_mb  # windows
    for rule in ("download", "search", "fetch_dem", "fetch_orbit", "baselines", "pair_info", "tops_grid"):
        one, two = res.request(rule, [], 1), res.request(rule, [], 2)
        assert (two.mem_mb, two.runtime) == (2 * one.mem_mb, 2 * one.runtime), rule
    assert res.request("download").runtime == 240  # the network's time, not the scene's


def test_staging_asks_a_constant_memory_and_time_with_the_bytes(tmp_path):
    """A COSMO-SkyMed file or TerraSAR-X folder is copied in chunks: the memory measured (~138 MB) whatever
    the size, the time with the bytes (100 MB/s assumed); a 2 GB file still fits the minimum walltime."""
    small, big = tmp_path / "small.h5", tmp_path / "big.h5"
    small.write_bytes(b"\0" * 1000)
    with open(big, "wb") as f:  # sparse: 8 GB on the size reader's scale, nothing on the disk
        f.truncate(8 * 10**9)
    folder = tmp_path / "TSX1_SAR__SSC" / "IMAGEDATA"
    folder.mkdir(parents=True)
    (folder / "IMAGE_HH_SRA_strip_005.cos").write_bytes(b"\0" * 4000)
    res = R.SceneResources(planned_px=1)
    for rule, path in (("stage_hdf5", small), ("stage_hdf5", big), ("stage_terrasar", folder.parent)):
        got = res.request(rule, [path])
        assert 138 < got.mem_mb / R.SAFETY_MEM - R.JOB_MB <= 240, (rule, got)
    assert res.request("stage_hdf5", [small]).runtime == R.MIN_RUNTIME_MIN
    # 8 GB: 2000 Mpx at 0.04 s each = 80 s, + the job's start, × SAFETY_TIME: 2.4 min -> the 5-minute minimum
    assert res.request("stage_hdf5", [big]).runtime == R.MIN_RUNTIME_MIN
    assert res.request("stage_hdf5", [big], 2).runtime == 2 * R.MIN_RUNTIME_MIN


def test_mintpy_asks_from_its_geocoded_rasters_and_pairs(tmp_path):
    """The export's measured peaks (one pair: the demo 278.7 MB, the full-size pair 2551.7 MB / 77 s) are covered,
    not doubled; its time grows with the pairs it writes."""
    demo = _tiff_header(tmp_path / "demo_los.tif", 811, 819)
    full = [_tiff_header(tmp_path / f"los{k}.tif", 14776, 10994) for k in range(6)]
    res = R.SceneResources(planned_px=1)
    small, one = res.request("mintpy", [demo]), res.request("mintpy", full[:1])
    assert small.mem_mb < 1000 and small.runtime == R.MIN_RUNTIME_MIN
    assert 2551.7 < one.mem_mb < 2 * 2551.7 and 77.0 < one.runtime * 60
    six = res.request("mintpy", full)
    assert six.mem_mb == one.mem_mb and six.runtime > one.runtime and six.runtime * 60 > 6 * 77.0
    planned = R.SceneResources(planned_px=40000 * 25000).mpx("mintpy", [str(tmp_path / "not_yet.tif")])
    assert planned[0] == pytest.approx(R.GEOCODED_PER_MULTILOOKED * 40000 * 25000 // 9 / 1e6) and planned[1] == 1.0


def test_multiscale_unwrapping_needs_far_less_than_the_whole_image(scene):
    full = scene(40000, 25000)
    multiscale = _job(R.SceneResources(planned_px=1, unwrap_method="multiscale"), "unwrap", full)
    peak_mb, wall_s = MULTISCALE_FULL
    assert peak_mb < multiscale.mem_mb < 2 * peak_mb and wall_s < multiscale.runtime * 60
    whole = _job(R.SceneResources(planned_px=1, unwrap_method="snaphu"), "unwrap", full)
    assert multiscale.mem_mb < whole.mem_mb / 3
    assert R.SceneResources(planned_px=1, unwrap_method="snaphu").rule_model("unwrap") == "unwrap:snaphu"


def test_planning_without_inputs_uses_the_site_size(tmp_path):
    missing = [str(tmp_path / "nothing_yet.SAFE")]
    demo = R.SceneResources.from_config({"simulate": {"size": [2048, 2048]}, "multilook": {"looks": [3, 3]}})
    real = R.SceneResources.from_config({"products": {"master": "a.zip"}})
    assert demo.mpx("coregister", missing) == (2048 * 2048 / 1e6, 1.0)
    assert demo.mpx("unwrap", missing) == (2048 * 2048 // 9 / 1e6, 1.0)
    assert real.mpx("coregister", missing) == (R.PLANNED_SCENE_PX / 1e6, 1.0)
    assert real.request("coregister", missing).mem_mb > 2000  # a full-size scene until the product is there
    stack = R.SceneResources.from_config({"simulate": {"size": [1000, 1000], "stack": [{}, {}, {}]}})
    assert stack.mpx("simulate_pair", []) == (1.0, 2.0)  # 4 images: twice a pair's run time


def test_resource_callables_read_the_named_inputs(scene):
    paths = scene(4000, 3000)

    class Input:  # what Snakemake passes: the rule's named inputs as attributes
        safe = str(paths["safe"])
        dem = str(paths["truth"] / "los_displacement.tif")

    res = R.SceneResources(planned_px=1)
    mem, runtime = res.mem_mb("dem_projection", "safe"), res.runtime("dem_projection", "safe")
    want = res.request("dem_projection", [paths["safe"]], 3)
    assert (mem(None, Input, 3), runtime(None, Input, 3)) == (want.mem_mb, want.runtime)
    assert res.mem_mb("pair_info")(None, Input, 1) == 200
    with pytest.raises(KeyError):
        res.mem_mb("no_such_rule")


def test_sizes_of_real_products():
    assert R.image_pixels(S3_SAFE) == 36895 * 18998  # annotation numberOfLines × numberOfSamples
    iw = [R._scan_dims(open(x, "rb")) for x in sorted((ROME_SAFE / "annotation").glob("*-vv-*.xml"))]
    assert iw and R.image_pixels(ROME_SAFE) == sum(a * b for a, b in iw)  # its sub-swaths summed


def test_sizes_of_an_iw_safe_sum_its_sub_swaths(tmp_path):
    safe = _safe(tmp_path, 13509, 22694, swaths=("iw1", "iw2", "iw3"))
    assert R.image_pixels(safe) == 3 * 13509 * 22694  # one polarisation's three sub-swaths


def test_sizes_of_a_zip_and_rasters(demo_zip, tmp_path):
    import rasterio

    assert R.image_pixels(demo_zip) == 256 * 320
    for kw in ({}, {"BIGTIFF": "YES", "TILED": "YES"}):
        path = tmp_path / f"r{len(kw)}.tif"
        with rasterio.open(path, "w", driver="GTiff", height=70, width=90, count=4, dtype="float32", **kw) as w:
            w.write(np.zeros((4, 70, 90), np.float32))
        assert R.tiff_shape(path) == (70, 90)
    assert R.tiff_shape(_tiff_header(tmp_path / "big.tif", 40000, 25000, big=True)) == (40000, 25000)
    merged = tmp_path / "x.merged.json"
    merged.write_text('{"shape": [4555, 947]}')
    assert R.image_pixels(merged) == 4555 * 947
    assert R.image_pixels(tmp_path / "missing.tif") is None
    (tmp_path / "junk.tif").write_bytes(b"not a tiff")
    assert R.image_pixels(tmp_path / "junk.tif") is None


def test_the_model_is_standard_library_only():
    from tests.unit.test_planner_light import HEAVY, _modules_after

    loaded = _modules_after("import dinsar.resources")
    assert not loaded & set(HEAVY)
    assert not {m for m in loaded if m.split(".")[0] in ("numpy", "yaml", "snakemake")}
