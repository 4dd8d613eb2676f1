"""The dinsar command: version, quicklook (QuickMlView.py options), info."""

import subprocess
import sys

import rasterio

from dinsar import __version__
from tests.conftest import AZORES_CROP, ROME_SAFE

CLI = [sys.executable, "-m", "dinsar.cli"]


def test_version():
    run = subprocess.run(CLI + ["--version"], capture_output=True, text=True)
    assert run.returncode == 0 and run.stdout.strip() == f"dinsar {__version__}"


def test_quicklook_like_quickmlview(tmp_path):
    out = tmp_path / "crop_ml.tif"
    run = subprocess.run(CLI + ["quicklook", "-in", str(AZORES_CROP), "-ml", "2", "4", "-out", str(out)],
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [str(out), str(out.with_suffix(".png"))]
    with rasterio.open(out) as ql:
        assert (ql.height, ql.width) == (601 // 2, 1401 // 4)


def test_quicklook_bad_input_is_one_line(tmp_path):
    missing = tmp_path / "none.tiff"
    run = subprocess.run(CLI + ["quicklook", "-in", str(missing)], capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr == f"dinsar: {tmp_path / 'none.tiff'}: no such file\n"
    not_tiff = tmp_path / "x.tiff"
    not_tiff.write_text("hello")
    run = subprocess.run(CLI + ["quicklook", "-in", str(not_tiff)], capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr.startswith(f"dinsar: {not_tiff}: unreadable") and \
        run.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == [not_tiff]


def test_info_on_a_real_iw_product():
    run = subprocess.run(CLI + ["info", str(ROME_SAFE), "--swath", "IW1"], capture_output=True, text=True)
    assert run.returncode == 0
    assert "IW / IW1" in run.stdout and "13509 x 22694" in run.stdout and "41314 / 117" in run.stdout
