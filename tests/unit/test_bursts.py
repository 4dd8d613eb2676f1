"""Burst IDs, valid windows, box selection and matching on the real IW annotations (Azores IW3, Rome IW1).

Expected values come from the XML text (regular expressions, not the reader), from the ESA formula
written out again here from its definition, and from the EOF orbit: nothing is taken from
dinsar.sensors.bursts itself.
"""

import dataclasses
import re

import numpy as np
import pytest

from dinsar.errors import DinsarError, ProductError
from dinsar.io.annotation import parse_annotation
from dinsar.io.eof import read_eof
from dinsar.sensors import bursts
from dinsar.sensors.sentinel1 import open_product
from tests.conftest import AZORES_EOF, AZORES_XML, ROME_SAFE, xml_values

ROME_XML = next((ROME_SAFE / "annotation").glob("s1a-iw1-slc-vv-*.xml"))
# relative orbits: Rome's from its manifest text; Azores (no manifest) from ESA's S1A orbit numbering
ROME_TRACK = int(re.search(r'relativeOrbitNumber type="start">(\d+)<', (ROME_SAFE / "manifest.safe").read_text())[1])
AZORES_TRACK = (int(xml_values(AZORES_XML, "absoluteOrbitNumber")[0]) - 73) % 175 + 1
CASES = {"azores_iw3": (AZORES_XML, AZORES_TRACK), "rome_iw1": (ROME_XML, ROME_TRACK)}
SIX_DAYS = np.timedelta64(6 * 86400, "s")
ON_TIME = np.timedelta64(0, "ns")


def _ann(path):
    return parse_annotation(path.read_bytes(), str(path))


@pytest.fixture(scope="module")
def azores():
    return _ann(AZORES_XML)


@pytest.fixture(scope="module", params=list(CASES))
def case(request):
    path, track = CASES[request.param]
    ann = _ann(path)
    return path, track, ann, bursts.bursts_of(ann, relative_orbit=track)


def esa_burst_id(swath: str, sensing: np.datetime64, anx: np.datetime64, track: int) -> tuple[int, float]:
    """The Sentinel-1 L1 DAD (S1-TN-MDA-52-7445) eq. 9-89 / 9-91, written out independently.

    Δt_b = t_b − t_ANX + (r − 1)·T_orb with t_b the IW2 mid-burst sensing time of the cycle,
    id = 1 + floor((Δt_b − T_pre)/T_beam); T_orb = 12 d/175, T_beam = 2.758273 s, T_pre = 2.299849 s.
    Returns the ID and where Δt_b falls within its T_beam bin (0..1).
    """
    # IW1 → IW2 → IW3 sensing starts 0.832 s and 1.078 s apart; the IW2 burst's middle is 1.078/2 in
    to_mid = {"IW1": 0.832 + 0.539, "IW2": 0.539, "IW3": -0.539}[swath]
    dt_b = float((sensing - anx) / np.timedelta64(1, "ns")) * 1e-9 + to_mid + (track - 1) * 12 * 86400 / 175
    q = (dt_b - 2.299849) / 2.758273
    return 1 + int(np.floor(q)), q % 1.0


def test_annotations_carry_burst_ids():
    # both real files are IPF >= 3.40: their burstId is the reference, per burst
    assert len(xml_values(AZORES_XML, "burstId")) == 9
    assert len(xml_values(ROME_XML, "burstId")) == 9


def test_ids_equal_annotated_burst_id(case):
    path, track, ann, refs = case
    annotated = [int(v) for v in xml_values(path, "burstId")]
    assert [b.burst_id for b in refs] == annotated
    assert [b.index for b in refs] == list(range(9))
    assert all(b.relative_orbit == track and b.swath == ann.swath for b in refs)


def test_ids_equal_the_esa_formula(case):
    path, track, ann, refs = case
    anx = np.datetime64(xml_values(path, "ascendingNodeTime")[0], "ns")
    for b, t in zip(refs, xml_values(path, "sensingTime"), strict=True):
        bid, where = esa_burst_id(ann.swath, np.datetime64(t, "ns"), anx, track)
        assert b.burst_id == bid
        # the bursts sit mid-bin (0.499 Azores, 0.502 Rome): no rounding decides these IDs
        assert 0.45 < where < 0.55


def test_named_ids():
    # t117: Rome's track; ESA IDs grow northward on an ascending pass and southward on a descending one
    rome = bursts.bursts_of(_ann(ROME_XML), relative_orbit=ROME_TRACK)
    assert [b.name for b in rome[:2]] == ["t117_249402_iw1", "t117_249403_iw1"]
    azores = bursts.bursts_of(_ann(AZORES_XML))  # relative orbit from the S1A absolute orbit
    assert (azores[0].name, azores[-1].name) == ("t009_018023_iw3", "t009_018031_iw3")


def test_product_takes_its_manifest_relative_orbit():
    p = open_product(ROME_SAFE)
    refs = bursts.bursts_of(p)
    assert p.manifest.relative_orbit == ROME_TRACK == bursts.relative_orbit_of("S1A", p.annotation.absolute_orbit)
    assert [b.burst_id for b in refs] == [int(v) for v in xml_values(ROME_XML, "burstId")]
    assert refs[0].product == p.name


def test_ascending_node_time(case):
    path, _, ann, _ = case
    assert ann.ascending_node_time == np.datetime64(xml_values(path, "ascendingNodeTime")[0], "ns")
    # azimuthAnxTime = the burst's azimuthTime since that ANX: the ANX the processor used
    for b, since in zip(ann.bursts, xml_values(path, "azimuthAnxTime"), strict=True):
        assert abs((b.azimuth_time - ann.ascending_node_time) / np.timedelta64(1, "s") - float(since)) < 1e-6


def test_ascending_node_is_the_orbit_equator_crossing(azores):
    # the restituted orbit crosses z = 0 (Earth-fixed) northward 60 ms after the annotated ANX, 40 min
    # before the product: the ANX of this orbit, not of another (5925 s away); the processor's own ANX
    # comes from another orbit solution / frame, and 60 ms is far below the 1.38 s half-bin of an ID
    sv = read_eof(AZORES_EOF)
    z, vz = sv.position[:, 2], sv.velocity[:, 2]
    i = np.flatnonzero((z[:-1] < 0) & (z[1:] >= 0) & (vz[:-1] > 0))
    i = i[np.argmin(np.abs(sv.time[i] - azores.ascending_node_time))]
    h = (sv.time[i + 1] - sv.time[i]) / np.timedelta64(1, "s")
    # cubic Hermite z(s) on the two state vectors around the crossing, its root by bisection
    coef = np.polynomial.polynomial.Polynomial
    s = coef([0, 1 / h])
    h00, h10, h01, h11 = 2 * s**3 - 3 * s**2 + 1, s**3 - 2 * s**2 + s, -2 * s**3 + 3 * s**2, s**3 - s**2
    zt = z[i] * h00 + h * vz[i] * h10 + z[i + 1] * h01 + h * vz[i + 1] * h11
    lo, hi = 0.0, h
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if zt(mid) < 0 else (lo, mid)
    crossing = sv.time[i] + np.timedelta64(int(lo * 1e9), "ns")
    assert abs((crossing - azores.ascending_node_time) / np.timedelta64(1, "ms")) < 100


def test_same_cycle_same_id_and_wrap():
    anx = np.datetime64("2022-09-18T07:10:45", "ns")
    t1 = anx + np.timedelta64(2000, "s")
    # the IW1, IW2, IW3 bursts of one beam cycle share the ID
    ids = {bursts.burst_id(sw, t1 + np.timedelta64(int(d * 1e9), "ns"), anx, 9)[0]
           for sw, d in (("IW1", 0.0), ("IW2", 0.832), ("IW3", 1.910))}
    assert len(ids) == 1
    # a burst past the next ANX (a product crossing the equator) gets the ID and track of the next orbit,
    # and past orbit 175 the cycle wraps to orbit 1
    t_orb = np.timedelta64(int(bursts.T_ORBIT_S * 1e9), "ns")
    for track in (9, 175):
        late = bursts.burst_id("IW2", anx + t_orb + np.timedelta64(30, "s"), anx, track)
        same = bursts.burst_id("IW2", anx + t_orb + np.timedelta64(30, "s"), anx + t_orb, track % 175 + 1)
        assert late[:2] == same[:2] and late[1] == track % 175 + 1
    # the burst just after the ANX of orbit 1 (its IW2 middle 0.92 s after it, before T_pre) is the
    # cycle's last, 375887, and its cycle began on orbit 175
    assert bursts.burst_id("IW2", anx + np.timedelta64(382, "ms"), anx, 1)[:2] == (375887, 175)
    assert bursts.burst_id("IW2", anx + np.timedelta64(1500, "ms"), anx, 1)[0] == 375887  # between bins
    assert bursts.burst_id("IW2", anx + np.timedelta64(1800, "ms"), anx, 1)[0] == 1
    assert bursts.MAX_BURST_ID == 375887


def test_wrong_relative_orbit_is_refused(azores):
    with pytest.raises(ProductError, match="annotated burstId 18023"):
        bursts.bursts_of(azores, relative_orbit=10)


def test_valid_windows(case):
    path, _, ann, refs = case
    firsts = [np.array(v.split(), int) for v in xml_values(path, "firstValidSample")]
    lasts = [np.array(v.split(), int) for v in xml_values(path, "lastValidSample")]
    for b, first, last in zip(refs, firsts, lasts, strict=True):
        (l0, l1), (s0, s1) = b.valid_lines, b.valid_samples
        assert (first[:l0] == -1).all() and (first[l1:] == -1).all() and (first[l0:l1] >= 0).all()
        assert (first[l0:l1] <= s0).all() and (last[l0:l1] >= s1 - 1).all()
        assert s0 in first[l0:l1] and s1 - 1 in last[l0:l1]  # the tightest such window
        assert b.lines == ann.lines_per_burst and b.first_line == b.index * ann.lines_per_burst
    if path == AZORES_XML:  # figures read off the annotation
        assert refs[0].valid_lines == (26, 1490) and refs[0].valid_samples == (312, 23982)
        assert refs[5].valid_lines == (32, 1487) and refs[5].valid_samples == (243, 23912)


def _grid_point(ann, row: int, column: int):
    g = ann.geolocation_grid
    m = np.flatnonzero(g.line == np.unique(g.line)[row])
    return g.longitude[m[column]], g.latitude[m[column]]


def test_select_by_box(azores):
    refs = bursts.bursts_of(azores)
    assert bursts.select(refs) == refs
    g = azores.geolocation_grid
    whole = (g.longitude.min() - 1, g.latitude.min() - 1, g.longitude.max() + 1, g.latitude.max() + 1)
    assert [b.index for b in bursts.select(refs, whole)] == list(range(9))
    assert bursts.select(refs, (0.0, 0.0, 1.0, 1.0)) == []
    # the grid's row k lies at burst k's first line: inside the valid lines of burst k-1 only (burst k's
    # first 26 lines are invalid, ~0.003° of latitude), at near, mid and far range
    eps = 0.0003
    for row in range(1, 9):
        for column in (1, 10, 19):
            lon, lat = _grid_point(azores, row, column)
            got = bursts.select(refs, (lon - eps, lat - eps, lon + eps, lat + eps))
            assert [b.index for b in got] == [row - 1], (row, column)
    # halfway between burst 4's first valid line and burst 3's last one: in both
    mid = (refs[3].footprint[31] + refs[4].footprint[10]) / 2
    got = bursts.select(refs, (mid[0] - 0.002, mid[1] - 0.002, mid[0] + 0.002, mid[1] + 0.002))
    assert [b.index for b in got] == [3, 4]
    with pytest.raises(DinsarError, match="lon_min < lon_max"):
        bursts.select(refs, (1.0, 0.0, 0.0, 1.0))


def _shifted(ann, dt, source, late=ON_TIME, **changes):
    """The annotation as another date would carry it: its ANX moved by dt, its lines by dt + late."""
    g = ann.geolocation_grid
    anx, dt = ann.ascending_node_time + dt, dt + late
    return dataclasses.replace(
        ann, source=source, first_line_time=ann.first_line_time + dt, last_line_time=ann.last_line_time + dt,
        ascending_node_time=anx,
        geolocation_grid=dataclasses.replace(g, azimuth_time=g.azimuth_time + dt),
        bursts=[dataclasses.replace(b, azimuth_time=b.azimuth_time + dt, sensing_time=b.sensing_time + dt)
                for b in ann.bursts], **changes)


def test_match_slave_missing_first_burst(azores):
    master = bursts.bursts_of(azores)
    slave = bursts.bursts_of(dataclasses.replace(azores, source="slave.xml", bursts=azores.bursts[1:]))
    pairs = bursts.match(master, slave)
    assert [(m.index, s.index) for m, s in pairs] == [(k, k - 1) for k in range(1, 9)]
    assert all(m.burst_id == s.burst_id for m, s in pairs)
    assert bursts.match(slave, master)[0][0].burst_id == 18024


def test_match_other_satellite_six_days_later(azores):
    # S1B flies the same track 6 days after S1A; its absolute orbit numbering is its own: 38885 is track 9
    # and its bursts come 80 ms later after its ANX (within the orbital tube's few ms, exaggerated)
    slave_ann = _shifted(azores, SIX_DAYS, "s1b.xml", np.timedelta64(80, "ms"), mission="S1B",
                         absolute_orbit=38885)
    slave = bursts.bursts_of(slave_ann)
    assert slave[0].relative_orbit == 9
    pairs = bursts.match(bursts.bursts_of(azores), slave)
    assert [(m.index, s.index) for m, s in pairs] == [(k, k) for k in range(9)]
    assert all(abs(m.cycle_time_s - s.cycle_time_s - (-0.08)) < 1e-6 for m, s in pairs)


def test_same_id_at_another_time_is_refused(azores):
    # 1 s later keeps the IDs (bins are ±1.38 s) but is no acquisition on the same burst grid
    slave = bursts.bursts_of(_shifted(azores, SIX_DAYS * 2, "late.xml", np.timedelta64(1, "s")))
    assert [b.burst_id for b in slave] == [b.burst_id for b in bursts.bursts_of(azores)]
    with pytest.raises(DinsarError, match="repeat cycle") as e:
        bursts.match(bursts.bursts_of(azores), slave)
    assert "\n" not in str(e.value) and "late.xml" in str(e.value)


def test_no_common_burst_is_refused(azores):
    master = bursts.bursts_of(azores)
    with pytest.raises(DinsarError, match="share no burst") as e:
        bursts.match(master[:4], master[5:])
    rome = bursts.bursts_of(open_product(ROME_SAFE))
    with pytest.raises(DinsarError, match="share no burst") as e:
        bursts.match(master, rome)
    message = str(e.value)
    assert "\n" not in message and str(AZORES_XML) in message and ROME_SAFE.stem in message
