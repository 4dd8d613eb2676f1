"""No truncated raster under its final name (issue 16.3), and burst products refused (16.2).

GDAL flushes its cached blocks when a dataset closes and rasterio does not raise when that flush
fails, so a full disk left a truncated interferogram_ml.tif renamed into place. Reproduced without
root with a file size limit (`ulimit -f`: write() then fails with EFBIG as it fails with ENOSPC on
a full disk), and on a 2-MiB tmpfs where the machine lets us mount one.
"""

import errno
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import rasterio

from dinsar import steps
from dinsar.errors import DinsarError, WriteError
from dinsar.io import atomic, raster, tiffcheck
from dinsar.sensors.sentinel1 import UnsupportedProductError, open_product
from dinsar.steps.common import open_chain_product
from tests.conftest import ROME_SAFE, S3_SAFE

# what the interferogram step does: 85-line windows (256 // 3 lines of 3x3 looks) of a tiled
# 4-band raster, so partial tiles wait in GDAL's cache until the dataset closes
WRITER = """
import resource, signal, sys
import numpy as np, rasterio
from rasterio.windows import Window
from dinsar.io import atomic, raster
if sys.argv[2] != "-":
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), resource.RLIM_INFINITY))
prof = raster.geotiff_profile(2048, 2048, np.float32, count=4)
with atomic.outputs(sys.argv[1]) as (tmp,), rasterio.open(tmp, "w", **prof) as w:
    for first in range(0, 2048, 85):
        n = min(85, 2048 - first)
        w.write(np.ones((4, n, 2048), np.float32), window=Window(0, first, 2048, n))
"""


def _write(path: Path, limit: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", WRITER, str(path), limit], capture_output=True, text=True,
                          timeout=120)


def test_a_raster_cut_by_a_file_size_limit_is_not_renamed_into_place(tmp_path):
    out = tmp_path / "interferogram_ml.tif"
    run = _write(out, str(8 << 20))  # the raster needs 64 MiB
    assert run.returncode != 0
    assert "file size limit reached" in run.stderr and "interferogram_ml.tif" in run.stderr
    assert list(tmp_path.iterdir()) == []  # neither the final name nor the temporary file
    ok = _write(out, "-")
    assert ok.returncode == 0, ok.stderr
    assert tiffcheck.incomplete(out) is None
    with rasterio.open(out) as src:
        assert (src.read(4, window=((2000, 2048), (0, 2048))) == 1).all()


def test_a_full_disk_says_no_space_left_on_device(tmp_path):
    mount = tmp_path / "small"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (the file size limit test covers the same path)")
    try:
        run = _write(mount / "interferogram_ml.tif", "-")
        assert run.returncode != 0
        assert "No space left on device" in run.stderr and "interferogram_ml.tif" in run.stderr
        assert list(mount.iterdir()) == []
    finally:
        subprocess.run(["umount", str(mount)], check=True)


def test_a_failed_write_of_any_output_names_the_folder_and_keeps_nothing(tmp_path):
    with pytest.raises(WriteError, match=r"No space left on device while writing grid.tif, grid.json; nothing"):
        with atomic.outputs(tmp_path / "grid.tif", tmp_path / "grid.json") as (_, tj):
            tj.write_text("{}")
            raise OSError(errno.ENOSPC, "No space left on device")
    assert list(tmp_path.iterdir()) == []


def test_a_step_that_leaves_one_output_unwritten_keeps_none(tmp_path):
    with pytest.raises(WriteError, match=r"b.tif: the step did not write it; none of its outputs was kept"):
        with atomic.outputs(tmp_path / "a.json", tmp_path / "b.tif") as (ta, _):
            ta.write_text("{}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.999])
def test_tiffcheck_finds_truncation_and_passes_complete_files(tmp_path, cut):
    path = tmp_path / "a.tif"
    prof = raster.geotiff_profile(600, 700, np.complex64, BIGTIFF="YES")
    with rasterio.open(path, "w", **prof) as w:
        w.write(np.ones((600, 700), np.complex64), 1)
    assert tiffcheck.incomplete(path) is None
    plain, cog = tmp_path / "f.tif", tmp_path / "cog.tif"
    with rasterio.open(plain, "w", **raster.geotiff_profile(1600, 1700, np.float32)) as w:
        w.write(np.ones((1600, 1700), np.float32), 1)
    from rasterio.shutil import copy

    copy(plain, cog, driver="COG", compress="DEFLATE", predictor=3)  # as geocode writes, with overviews
    with rasterio.open(cog) as src:
        assert src.overviews(1)
    assert tiffcheck.incomplete(cog) is None
    data = path.read_bytes()
    cut_path = tmp_path / "cut.tif"
    cut_path.write_bytes(data[:int(len(data) * cut)])
    assert tiffcheck.incomplete(cut_path)
    (tmp_path / "html.tif").write_text("<html>")
    assert tiffcheck.incomplete(tmp_path / "html.tif").startswith("not a TIFF")


def test_burst_products_are_refused_by_the_stripmap_chain(tmp_path):
    # a StripMap step called on an IW SAFE itself (dinsar run merges the bursts first: steps.tops.merge)
    with pytest.raises(UnsupportedProductError, match=r"IW product \(TOPS bursts: merge its bursts first, "
                                                      r"dinsar.steps.tops.merge; dinsar run does\); "
                                                      r"this chain processes SM only"):
        open_chain_product(ROME_SAFE, "VV")
    with pytest.raises(DinsarError, match="IW product"):
        steps.dem_projection(ROME_SAFE, ROME_SAFE.parent / "Rome-30m-DEM.tif", tmp_path / "p.tif",
                             tmp_path / "h.tif", tmp_path / "x.tif")
    assert list(tmp_path.iterdir()) == []
    from dinsar.steps.interferometry import open_pair

    with pytest.raises(DinsarError, match="IW product"):
        open_pair(S3_SAFE, ROME_SAFE, "VH")
    assert open_chain_product(S3_SAFE, "VH").manifest.mode == "SM"
    assert open_product(ROME_SAFE, "VV").annotation.mode == "IW"  # readers still read it (info, quicklook)


def test_an_iw_product_with_several_swaths_names_the_option(tmp_path):
    import shutil

    safe = tmp_path / ROME_SAFE.name
    shutil.copytree(ROME_SAFE, safe)
    for folder in ("annotation", "measurement"):
        for f in (safe / folder).glob("s1a-iw1-*"):
            shutil.copy(f, f.with_name(f.name.replace("-iw1-", "-iw2-")))
    cli = [sys.executable, "-m", "dinsar.cli", "info", str(safe)]
    several = subprocess.run(cli, capture_output=True, text=True)
    assert several.returncode == 1
    assert "several swaths for VV (IW1, IW2); name one with --swath" in several.stderr
    assert subprocess.run(cli + ["--swath", "IW2"], capture_output=True, text=True).returncode == 0
    with pytest.raises(UnsupportedProductError, match="IW product"):  # the chain refuses it first
        open_chain_product(safe, "VV")
