"""Unzip / VH prune: safe extraction, pruning, and one clear error for each broken input."""

import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dinsar import steps
from dinsar.errors import ProductError
from dinsar.sensors.sentinel1 import open_product


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_unpack_prunes_vh(tmp_path, demo_zip):
    dst = steps.unpack(demo_zip, tmp_path / "products" / f"{demo_zip.stem}.SAFE", keep=["VV"])
    names = [str(p.relative_to(dst)) for p in dst.rglob("*") if p.is_file()]
    assert not [n for n in names if "-vh-" in n]
    assert any(n.startswith("measurement/") and "-vv-" in n for n in names)
    product = open_product(dst, "VV")
    assert product.polarisations == ["VV"]
    with pytest.raises(ProductError, match=r"no VH measurement .*offered: S3/VV"):
        open_product(dst, "VH")
    assert _leftovers(tmp_path / "products") == [dst.name]


def test_unpack_keeps_what_is_asked(tmp_path, demo_zip):
    dst = steps.unpack(demo_zip, tmp_path / f"{demo_zip.stem}.SAFE", keep=["VH", "VV"])
    assert open_product(dst, "VH").polarisations == ["VH", "VV"]
    # a SAFE folder as input is mirrored (hard links), with the same pruning
    again = steps.unpack(dst, tmp_path / "mirror" / dst.name, keep=["VH"])
    assert open_product(again, "VH").polarisations == ["VH"]


def test_product_without_the_asked_polarisation(tmp_path, demo_zip):
    with pytest.raises(ProductError, match="no HH measurement with annotation .has VH, VV."):
        steps.unpack(demo_zip, tmp_path / "x.SAFE", keep=["HH"])
    assert _leftovers(tmp_path) == []


def _rezip(src: Path, dst: Path, rename=None, extra=None, drop=None):
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for info in zin.infolist():
            if drop and drop(info.filename):
                continue
            data = zin.read(info)
            info.filename = rename(info.filename) if rename else info.filename
            zout.writestr(info, data)
        for info, data in extra or []:
            zout.writestr(info, data)
    return dst


def test_zip_with_parent_member_is_refused(tmp_path, demo_zip):
    bad = _rezip(demo_zip, tmp_path / "bad.zip", extra=[(zipfile.ZipInfo("../evil.txt"), b"x")])
    with pytest.raises(ProductError, match=r"bad.zip: member '../evil.txt' leaves the destination"):
        steps.unpack(bad, tmp_path / "out" / "x.SAFE")
    assert not (tmp_path / "evil.txt").exists() and _leftovers(tmp_path / "out") == []


def test_zip_with_absolute_member_is_refused(tmp_path, demo_zip):
    bad = _rezip(demo_zip, tmp_path / "abs.zip", extra=[(zipfile.ZipInfo("/tmp/evil.txt"), b"x")])
    with pytest.raises(ProductError, match="absolute path; refused"):
        steps.unpack(bad, tmp_path / "out" / "x.SAFE")
    assert _leftovers(tmp_path / "out") == []


def test_zip_with_symlink_member_is_refused(tmp_path, demo_zip):
    link = zipfile.ZipInfo(f"{demo_zip.stem}.SAFE/measurement/link.tiff")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    bad = _rezip(demo_zip, tmp_path / "link.zip", extra=[(link, b"/etc/passwd")])
    with pytest.raises(ProductError, match="is a symbolic link; refused"):
        steps.unpack(bad, tmp_path / "out" / "x.SAFE")
    assert _leftovers(tmp_path / "out") == []


def test_corrupt_zip(tmp_path, demo_zip):
    data = bytearray(demo_zip.read_bytes())
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(ProductError, match="truncated.zip: not a readable zip"):
        steps.unpack(truncated, tmp_path / "out" / "x.SAFE")
    # flip bytes inside the VV measurement's compressed data: the CRC check catches it
    with zipfile.ZipFile(demo_zip) as zf:
        info = next(i for i in zf.infolist() if "-vv-" in i.filename and i.filename.endswith(".tiff"))
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 1000
    data[start:start + 64] = bytes(64)
    flipped = tmp_path / "flipped.zip"
    flipped.write_bytes(data)
    with pytest.raises(ProductError, match=r"flipped.zip: member '.*-vv-.*tiff' is corrupt"):
        steps.unpack(flipped, tmp_path / "out" / "x.SAFE")
    assert _leftovers(tmp_path / "out") == []


def test_safe_missing_its_annotation(tmp_path, demo_zip):
    bad = _rezip(demo_zip, tmp_path / "noann.zip", drop=lambda n: "/annotation/" in n)
    with pytest.raises(ProductError, match="noann.zip: no annotation files in the product"):
        steps.unpack(bad, tmp_path / "out" / "x.SAFE")
    assert _leftovers(tmp_path / "out") == []


def test_truncated_measurement_tiff(tmp_path, demo_zip):
    good = steps.unpack(demo_zip, tmp_path / "good" / f"{demo_zip.stem}.SAFE", keep=["VV", "VH"])
    broken = tmp_path / "broken" / good.name
    shutil.copytree(good, broken)
    tiff = next((broken / "measurement").glob("*-vv-*.tiff"))
    os.truncate(tiff, tiff.stat().st_size - 5000)
    with pytest.raises(ProductError, match=r"-vv-.*tiff: truncated measurement TIFF"):
        steps.unpack(broken, tmp_path / "out" / good.name, keep=["VV"])
    assert _leftovers(tmp_path / "out") == []


def _broken_inputs(tmp_path: Path, demo_zip: Path) -> dict[str, Path]:
    data = demo_zip.read_bytes()
    (tmp_path / "corrupt.zip").write_bytes(data[: len(data) // 2])
    _rezip(demo_zip, tmp_path / "parent.zip", extra=[(zipfile.ZipInfo("../evil.txt"), b"x")])
    _rezip(demo_zip, tmp_path / "noann.zip", drop=lambda n: "/annotation/" in n)
    good = steps.unpack(demo_zip, tmp_path / "good" / f"{demo_zip.stem}.SAFE", keep=["VV"])
    broken = tmp_path / "trunc" / good.name
    shutil.copytree(good, broken)
    tiff = next((broken / "measurement").glob("*.tiff"))
    os.truncate(tiff, tiff.stat().st_size // 2)
    return {"corrupt zip": tmp_path / "corrupt.zip", "../ member": tmp_path / "parent.zip",
            "no annotation": tmp_path / "noann.zip", "truncated tiff": broken}


@pytest.mark.parametrize("case,message", [
    ("corrupt zip", "not a readable zip"), ("../ member", "leaves the destination"),
    ("no annotation", "no annotation files"), ("truncated tiff", "truncated measurement TIFF"),
])
def test_cli_gives_one_line_exit_1_and_no_output(tmp_path, demo_zip, case, message):
    src = _broken_inputs(tmp_path, demo_zip)[case]
    out = tmp_path / "out"
    cli = [sys.executable, "-m", "dinsar.cli", "unpack", str(src), "--out", str(out)]
    run = subprocess.run(cli, capture_output=True, text=True)
    assert run.returncode == 1
    assert run.stderr.count("\n") == 1 and run.stderr.startswith(f"dinsar: {src}") and message in run.stderr
    assert _leftovers(out) == []


def test_cli_unpack_ok(tmp_path, demo_zip):
    cli = [sys.executable, "-m", "dinsar.cli", "unpack", str(demo_zip), "--out", str(tmp_path / "o")]
    ok = subprocess.run(cli, capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.strip().endswith(".SAFE")
