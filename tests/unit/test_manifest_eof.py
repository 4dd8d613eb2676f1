"""manifest.safe and EOF orbit readers against real files."""

import numpy as np
import pytest

from dinsar.errors import ProductError
from dinsar.io.annotation import parse_annotation
from dinsar.io.eof import describe, read_eof, select_orbit
from dinsar.io.manifest import parse_manifest
from tests.conftest import AZORES_EOF, AZORES_XML, ROME_SAFE, S3_SAFE, S6_SAFE, xml_values

MANIFESTS = {
    # product: (mission, mode, swaths, pass, absolute orbit, relative orbit)
    S3_SAFE: ("S1A", "SM", ("S3",), "Ascending", 37258, 86),
    S6_SAFE: ("S1A", "SM", ("S6",), "Descending", 37271, 99),
    ROME_SAFE: ("S1A", "IW", ("IW1", "IW2", "IW3"), "Ascending", 41314, 117),
}


@pytest.mark.parametrize("safe", list(MANIFESTS), ids=lambda p: p.name[:6])
def test_manifest(safe):
    path = safe / "manifest.safe"
    m = parse_manifest(path.read_bytes(), str(path))
    mission, mode, swaths, direction, absolute, relative = MANIFESTS[safe]
    assert (m.mission, m.mode, m.swaths, m.pass_direction) == (mission, mode, swaths, direction)
    assert (m.absolute_orbit, m.relative_orbit) == (absolute, relative)
    assert m.polarisations == ("VV", "VH") and m.product_type == "SLC"
    # the product name carries the start time and absolute orbit too
    assert str(m.start_time)[:19].replace("-", "").replace(":", "") in safe.name
    assert f"_{absolute:06d}_" in safe.name
    assert str(m.stop_time)[:26] == xml_values(path, "safe:stopTime")[0][:26]
    # relative orbit from the absolute one (S1A: (abs - 73) mod 175 + 1)
    assert (absolute - 73) % 175 + 1 == relative


def test_not_a_manifest():
    with pytest.raises(ProductError, match="x.safe: no platform metadata"):
        parse_manifest(b"<a/>", "x.safe")


def test_eof_reader():
    sv = read_eof(AZORES_EOF)
    assert len(sv) == int(xml_values(AZORES_EOF, "Absolute_Orbit").__len__())
    assert sv.time[0] == np.datetime64("2022-09-18T05:31:55.470319")
    np.testing.assert_array_equal(sv.position[0], [-7017370.359270, -913614.605891, -40855.463295])
    np.testing.assert_array_equal(sv.velocity[0], [-238.237193, 1566.344102, 7430.427935])
    assert np.all(np.diff(sv.time) == np.timedelta64(10, "s"))


def test_eof_agrees_with_the_annotation_orbit():
    """The annotation's state vectors are samples of the same restituted orbit, 131 µs apart
    in time at most: moved by v·dt, positions agree to a few centimetres (the files' rounding
    is millimetres; the remainder is the curvature over dt)."""
    eof = read_eof(AZORES_EOF)
    ann = parse_annotation(AZORES_XML.read_bytes(), str(AZORES_XML)).state_vectors
    k = np.abs(eof.time[None, :] - ann.time[:, None]).argmin(axis=1)
    dt = (ann.time - eof.time[k]) / np.timedelta64(1, "ns") * 1e-9
    assert np.abs(dt).max() < 1e-3
    moved = eof.position[k] + eof.velocity[k] * dt[:, None]
    assert np.abs(moved - ann.position).max() < 0.05


def test_select_orbit(tmp_path):
    ann = parse_annotation(AZORES_XML.read_bytes(), str(AZORES_XML))
    other = tmp_path / "S1B_OPER_AUX_POEORB_OPOD_20220920T000000_V20220917T225942_20220919T005942.EOF"
    newer_precise = tmp_path / "S1A_OPER_AUX_POEORB_OPOD_20221008T081845_V20220917T225942_20220919T005942.EOF"
    not_covering = tmp_path / "S1A_OPER_AUX_POEORB_OPOD_20221008T081845_V20220918T225942_20220920T005942.EOF"
    candidates = [AZORES_EOF, other, not_covering, tmp_path / "notes.txt"]
    assert select_orbit(candidates, "S1A", ann.first_line_time, ann.last_line_time) == AZORES_EOF
    assert select_orbit(candidates + [newer_precise], "S1A", ann.first_line_time,
                        ann.last_line_time) == newer_precise
    assert describe(AZORES_EOF).kind == "RESORB"
    with pytest.raises(ProductError, match="no S1A orbit file among 2 candidates covers"):
        select_orbit([other, not_covering], "S1A", ann.first_line_time, ann.last_line_time)
