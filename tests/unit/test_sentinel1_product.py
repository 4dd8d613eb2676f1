"""open_product on real SAFE products, as directories and as zips."""

import shutil
import zipfile

import numpy as np
import pytest
from rasterio.windows import Window

from dinsar.errors import ProductError
from dinsar.sensors.sentinel1 import open_product
from tests.conftest import AZORES_EOF, ROME_SAFE, S3_SAFE


def _zip(safe, dst):
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(safe.rglob("*")):
            if p.is_file():
                zf.write(p, f"{safe.name}/{p.relative_to(safe)}")
    return dst


def test_stripmap_dir_and_zip_read_the_same(tmp_path):
    d = open_product(S3_SAFE, polarisation="VH")
    z = open_product(_zip(S3_SAFE, tmp_path / f"{S3_SAFE.stem}.zip"), polarisation="VH")
    assert d.name == z.name == S3_SAFE.stem
    assert d.shape == z.shape == (36895, 18998)
    assert d.polarisations == ["VH"]  # the VV annotation/measurement are not in the test product
    assert z.measurement_path.startswith("/vsizip/")
    w = Window(9000, 18000, 300, 200)  # a window of a 36895-line image, read without loading it
    a, b = d.read(w), z.read(w)
    assert a.dtype == np.complex64 and a.shape == (200, 300)
    np.testing.assert_array_equal(a, b)


def test_iw_product_and_choice_errors():
    p = open_product(ROME_SAFE, polarisation="vv", swath="iw1")
    assert (p.annotation.mode, p.annotation.swath, p.shape) == ("IW", "IW1", (13509, 22694))
    with pytest.raises(ProductError, match=r"no VH measurement with annotation \(offered: IW1/VV\)"):
        open_product(ROME_SAFE, polarisation="VH")
    with pytest.raises(ProductError, match="no IW2/VV"):
        open_product(ROME_SAFE, polarisation="VV", swath="IW2")


def test_external_orbit_must_cover_the_acquisition():
    with pytest.raises(ProductError, match="does not cover the acquisition"):
        open_product(ROME_SAFE, polarisation="VV", orbit=AZORES_EOF)


def test_missing_annotation_or_manifest(tmp_path):
    broken = tmp_path / S3_SAFE.name
    shutil.copytree(S3_SAFE, broken)
    shutil.rmtree(broken / "annotation")
    with pytest.raises(ProductError, match=r"no VH measurement with annotation \(offered: none\)"):
        open_product(broken, polarisation="VH")
    (broken / "manifest.safe").unlink()
    with pytest.raises(ProductError, match="manifest.safe missing"):
        open_product(broken, polarisation="VH")


def test_orbit_folder_picks_the_covering_file(tmp_path):
    """A folder of EOF files: the one covering the acquisition is used (the Azores RESORB covers
    07:49 on 2022-09-18; the Rome product of 2022-01-04 is not covered -> one clear error)."""
    import shutil

    shutil.copy(AZORES_EOF, tmp_path / AZORES_EOF.name)
    with pytest.raises(ProductError, match="orbits: .* has no EOF file covering S1A_IW_SLC__1SDV_20220104T170557"):
        open_product(ROME_SAFE, polarisation="VV", orbit=tmp_path)
