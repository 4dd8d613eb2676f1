"""Deburst and sub-swath merge plans on the real IW annotations (Azores IW3, Rome IW1).

Expected values come from the XML text (regular expressions, not the reader) and plain arithmetic on
the definitions in dinsar.geometry.deburst's docstring; the figures written out were read off the
Azores annotation that way.
"""

import dataclasses
import math
import re

import numpy as np
import pytest

from dinsar.errors import DinsarError
from dinsar.geometry import deburst
from dinsar.geometry.radar import RadarGrid
from dinsar.io.annotation import parse_annotation
from dinsar.sensors import bursts
from tests.conftest import AZORES_XML, ROME_SAFE, xml_values

ROME_XML = next((ROME_SAFE / "annotation").glob("s1a-iw1-slc-vv-*.xml"))
NS = np.timedelta64(1, "ns")


def _ann(path):
    return parse_annotation(path.read_bytes(), str(path))


def _xml_bursts(path):
    """(azimuth times, sensing times, valid [first, stop) lines, valid [first, stop) columns) per burst."""
    text = path.read_text()
    blocks = re.findall(r"<burst>(.*?)</burst>", text, re.S)
    out = []
    for blk in blocks:
        az = np.datetime64(re.search(r"<azimuthTime>([^<]*)<", blk)[1], "ns")
        sensing = np.datetime64(re.search(r"<sensingTime>([^<]*)<", blk)[1], "ns")
        first = np.array(re.search(r"<firstValidSample[^>]*>([^<]*)<", blk)[1].split(), int)
        last = np.array(re.search(r"<lastValidSample[^>]*>([^<]*)<", blk)[1].split(), int)
        good = np.flatnonzero(first >= 0)
        out.append((az, sensing, (good[0], good[-1] + 1), (first[good].max(), last[good].min() + 1)))
    return out


DT = float(xml_values(AZORES_XML, "azimuthTimeInterval")[0])
FS = float(xml_values(AZORES_XML, "rangeSamplingRate")[0])


@pytest.fixture(scope="module")
def azores():
    ann = _ann(AZORES_XML)
    refs = bursts.bursts_of(ann)
    return ann, refs, deburst.deburst_plan(refs, ann.azimuth_time_interval_s, ann.samples_per_burst)


def test_azores_grid_and_overlaps(azores):
    _, _, plan = azores
    xb = _xml_bursts(AZORES_XML)
    # burst k's line 0 in lines after burst 0's line 0: on one grid to 4e-4 line (µs annotation times)
    offs = np.array([(b[0] - xb[0][0]) / NS * 1e-9 / DT for b in xb])
    assert np.abs(offs - np.round(offs)).max() < 5e-4
    start = np.round(offs).astype(int) - xb[0][2][0]  # debursted line of each burst's line 0
    assert [s.start for s in plan.spans] == list(start)
    assert plan.first_line_time - (xb[0][0] + np.timedelta64(int(round(26 * DT * 1e9)), "ns")) == np.timedelta64(0)
    assert plan.lines == start[-1] + xb[-1][2][1] == 12195
    assert plan.samples == 24203 and plan.line_interval_s == DT
    overlaps, cuts = [], []
    for k in range(8):
        a = start[k + 1] + xb[k + 1][2][0]  # first valid line of the later burst
        b = start[k] + xb[k][2][1] - 1  # last valid line of the earlier one
        overlaps.append(b - a + 1)
        cuts.append(math.ceil((a + b) / 2))
    # measured: 111 to 125 lines (0.23 to 0.26 s), not ~150; the short one follows the 1346-line cycle
    assert overlaps == [122, 121, 121, 122, 111, 125, 120, 123]
    assert [c.overlap_lines for c in plan.cuts] == overlaps
    assert [c.line for c in plan.cuts] == cuts == [1403, 2744, 4086, 5428, 6774, 8111, 9453, 10794]
    assert [(c.before, c.after) for c in plan.cuts] == [(18023 + k, 18024 + k) for k in range(8)]


def test_azores_cut_at_mid_time(azores):
    _, _, plan = azores
    xb = _xml_bursts(AZORES_XML)
    for k, c in enumerate(plan.cuts):
        t_a = xb[k + 1][0] + np.timedelta64(int(round(xb[k + 1][2][0] * DT * 1e9)), "ns")
        t_b = xb[k][0] + np.timedelta64(int(round((xb[k][2][1] - 1) * DT * 1e9)), "ns")
        mid = t_b + (t_a - t_b) / 2
        assert abs((c.time - mid) / NS) < 1000  # < 1 µs: the bursts' sub-µs departures from one grid
        # the later burst starts at the first line at or after the mid time (to within grid noise)
        m = plan.line_of(mid)
        assert c.line - 1 < m + 1e-3 and m - 1e-3 <= c.line


def test_every_line_from_one_burst(azores):
    _, _, plan = azores
    spans = plan.spans
    assert spans[0].first_line == 0 and spans[-1].stop_line == plan.lines
    assert all(a.stop_line == b.first_line for a, b in zip(spans, spans[1:], strict=False))
    assert sum(s.stop_line - s.first_line for s in spans) == plan.lines
    lines = np.arange(plan.lines)
    src = plan.locate(lines)
    assert (src.span >= 0).all() and src.valid.all()
    counts = np.bincount(src.span, minlength=len(spans))
    assert list(counts) == [s.stop_line - s.first_line for s in spans]
    # debursted line -> (burst, line within it) -> back
    starts = np.array([s.start for s in spans])
    assert np.array_equal(src.burst_line + starts[src.span], lines)
    # each burst supplies only its valid lines: the cuts fall inside the overlaps
    for s in spans:
        assert s.valid_lines[0] <= s.first_line - s.start and s.stop_line - s.start <= s.valid_lines[1]
    assert np.array_equal(plan.locate([-1, plan.lines]).span, [-1, -1])


def test_valid_windows_honoured(azores):
    _, _, plan = azores
    xb = _xml_bursts(AZORES_XML)
    for s, x in zip(plan.spans, xb, strict=True):
        assert s.valid_lines == tuple(x[2]) and s.valid_samples == tuple(x[3])
        mid = (s.first_line + s.stop_line) // 2
        c0, c1 = x[3]
        got = plan.valid([mid] * 4, [c0 - 1, c0, c1 - 1, c1])
        assert list(got) == [False, True, True, False]
    # bursts 0-4 are valid from column 312, 5-8 from 243: column 300 is data in burst 5 only
    assert plan.valid(plan.spans[4].first_line, 300) == np.False_
    assert plan.valid(plan.spans[5].first_line, 300) == np.True_
    assert plan.valid_columns == (312, 23912) and plan.any_valid_columns == (243, 23982)


def test_refused(azores):
    ann, refs, _ = azores
    with pytest.raises(DinsarError, match="not consecutive"):
        deburst.deburst_plan(refs[:3] + refs[4:], DT, 24203)
    late = dataclasses.replace(refs[3], azimuth_time=refs[3].azimuth_time + np.timedelta64(int(0.3 * DT * 1e9), "ns"))
    with pytest.raises(DinsarError, match="off the sub-swath's line grid"):
        deburst.deburst_plan(refs[:3] + [late] + refs[4:], DT, 24203)
    iw2 = dataclasses.replace(refs[1], swath="IW2")
    with pytest.raises(DinsarError, match="several sub-swaths"):
        deburst.deburst_plan([refs[0], iw2], DT, 24203)


# --- the slave takes the master's cuts ---------------------------------------------------------------------


def test_slave_missing_first_burst_takes_master_cuts(azores):
    ann, master, plan = azores
    slave = bursts.bursts_of(dataclasses.replace(ann, source="slave.xml", bursts=ann.bursts[1:]))
    pp = deburst.pair_plan(plan, bursts.match(master, slave))
    assert [(s.burst_id, s.index, s.slave_index) for s in pp.spans] == [(18024 + k, 1 + k, k) for k in range(8)]
    # the same grid and the very same cuts (master times) between the bursts both dates have
    assert (pp.first_line_time, pp.lines, pp.line_interval_s) == (plan.first_line_time, plan.lines, DT)
    assert pp.cuts == plan.cuts[1:] and all(a is b for a, b in zip(pp.cuts, plan.cuts[1:], strict=True))
    # burst 18024 has no neighbour before it in the pair: it supplies from its own first valid line
    # (1342), the master's burst 18023 lines before that are a gap for the pair
    assert (pp.spans[0].first_line, pp.spans[0].stop_line) == (1342, plan.cuts[1].line)
    src = pp.locate(np.arange(plan.lines))
    assert (src.span[:1342] == -1).all() and not src.valid[:1342].any()
    assert (src.span[1342:] >= 0).all() and src.valid[1342:].all()
    full = plan.locate(np.arange(plan.cuts[0].line, plan.lines))
    later = src.span[plan.cuts[0].line:]
    assert np.array_equal(full.span, later + 1) and np.array_equal(full.burst_line, src.burst_line[plan.cuts[0].line:])


def test_slave_missing_middle_burst_leaves_a_gap(azores):
    ann, master, plan = azores
    slave = bursts.bursts_of(dataclasses.replace(ann, source="slave.xml", bursts=ann.bursts[:4] + ann.bursts[5:]))
    pp = deburst.pair_plan(plan, bursts.match(master, slave))
    assert [s.burst_id for s in pp.spans] == [18023, 18024, 18025, 18026, 18028, 18029, 18030, 18031]
    assert pp.cuts == plan.cuts[:3] + plan.cuts[5:]
    before, after = pp.spans[3], pp.spans[4]
    # 18026 runs to its last valid line, 18028 from its first: between them only 18027 had data
    assert before.stop_line == before.start + before.valid_lines[1] == 5489
    assert after.first_line == after.start + after.valid_lines[0] == 6719
    gap = pp.locate(np.arange(5489, 6719))
    assert (gap.span == -1).all() and not gap.valid.any()


def test_pair_of_another_swath_refused(azores):
    _, master, plan = azores
    rome = bursts.bursts_of(_ann(ROME_XML), relative_orbit=117)
    with pytest.raises(DinsarError, match="IW3"):
        deburst.pair_plan(plan, [(rome[0], rome[0])])


# --- merging sub-swaths -----------------------------------------------------------------------------------
#
# One frame's three sub-swaths, synthetic: every one takes Rome IW1's bursts (timing, valid windows,
# 22694 samples), shifted
#   in azimuth: IW2 by 0.832 s - 2.402 ms, IW3 by 1.910 s - 4.804 ms. 0.832 s and 1.078 s are the
#     nominal IW1 -> IW2 -> IW3 burst sensing spacings (bursts.TO_IW1_START_S, measured by s1-reader);
#     zero-Doppler azimuth time sits -1.131294 s from sensing time in the real IW1 (Rome) and
#     -1.136098 s in the real IW3 (Azores): -4.804 ms more in IW3, half of it assumed for IW2.
#     That is 403.588 and 926.852 lines: the sub-swaths' azimuth grids are not whole lines apart.
#   in range: IW2 by 19500 3/7 samples, IW3 by 39000 6/7. With IW1's width for all three this leaves
#     ~860 common valid columns per seam (isce2's runMergeBursts counts on > 600 in real frames); the
#     fractions in sevenths as in real products: Azores IW3 and Rome IW1 (two frames) are 43883 3/7
#     samples apart in near range time (test_real_near_ranges_are_not_whole_samples_apart).
AZ_SHIFT_S = {"IW1": 0.0, "IW2": 0.832 - 0.002402, "IW3": 1.910 - 0.004804}
RG_SHIFT = {"IW1": 0.0, "IW2": 19500 + 3 / 7, "IW3": 39000 + 6 / 7}
IW2_RG, IW3_RG = RG_SHIFT["IW2"], RG_SHIFT["IW3"]


@pytest.fixture(scope="module")
def frame():
    ann = _ann(ROME_XML)
    refs = bursts.bursts_of(ann, relative_orbit=117)
    plans, grids = {}, {}
    for sw in ("IW1", "IW2", "IW3"):
        shift = np.timedelta64(int(round(AZ_SHIFT_S[sw] * 1e9)), "ns")
        sub = [dataclasses.replace(b, swath=sw, azimuth_time=b.azimuth_time + shift) for b in refs]
        plans[sw] = deburst.deburst_plan(sub, ann.azimuth_time_interval_s, ann.samples_per_burst)
        grids[sw] = RadarGrid(first_line_s=AZ_SHIFT_S[sw], line_interval_s=ann.azimuth_time_interval_s,
                              near_range_time_s=ann.slant_range_time_s + RG_SHIFT[sw] / ann.range_sampling_rate_hz,
                              range_sampling_rate_hz=ann.range_sampling_rate_hz, wavelength_m=0.0555)
    return ann, plans, grids


def test_azimuth_shift_figures():
    # the azimuth - sensing time differences quoted above, from the two real annotations
    for path, expected in ((ROME_XML, -1.131294), (AZORES_XML, -1.136098)):
        az, sensing = _xml_bursts(path)[0][:2]
        assert abs((az - sensing) / NS * 1e-9 - expected) < 1e-6


def test_real_near_ranges_are_not_whole_samples_apart():
    tau1 = float(xml_values(ROME_XML, "slantRangeTime")[0])
    tau3 = float(xml_values(AZORES_XML, "slantRangeTime")[0])
    # 43883 + 3/7: near range times are set in steps of 1/(7 f_s) (2.2 ns), so sub-swaths' near ranges
    # are in general a non-integer number of samples apart, by a multiple of 1/7 sample
    assert (tau3 - tau1) * FS == pytest.approx(43883 + 3 / 7, abs=1e-6)


def test_merged_grid(frame):
    ann, plans, grids = frame
    # given in any order: sorted by near range
    m = deburst.merge_grid([plans["IW3"], plans["IW1"], plans["IW2"]], [grids["IW3"], grids["IW1"], grids["IW2"]])
    assert [p.swath for p in m.placements] == ["IW1", "IW2", "IW3"]
    assert m.near_range_time_s == grids["IW1"].near_range_time_s and m.range_sampling_rate_hz == FS
    assert m.first_line_time == plans["IW1"].first_line_time and m.line_interval_s == DT
    iw1 = plans["IW1"]
    assert iw1.lines == 10735 + 1483 - 20 == 12198  # Rome: burst 9 at line 10735, valid 19..1482; burst 1 from 20
    off_l = [AZ_SHIFT_S[s] / DT for s in ("IW1", "IW2", "IW3")]
    assert [p.line_offset for p in m.placements] == pytest.approx(off_l, abs=1e-6)
    assert [p.col_offset for p in m.placements] == pytest.approx(list(RG_SHIFT.values()), abs=1e-6)
    assert off_l[1] == pytest.approx(403.588, abs=1e-3) and off_l[2] == pytest.approx(926.852, abs=1e-3)
    assert m.lines == math.floor(off_l[2] + 12198 - 1) + 1 == 13124
    assert m.samples == math.floor(IW3_RG + 22694 - 1) + 1 == 61694
    # cut at mid overlap of the columns valid in every burst: IW1 (Rome) bursts [623, 20983)
    assert iw1.valid_columns == (623, 20983) and iw1.any_valid_columns == (536, 21070)
    a12, b12 = IW2_RG + 623, 20982
    a23, b23 = IW3_RG + 623, IW2_RG + 20982
    assert (b12 - a12 + 1, b23 - a23 + 1) == pytest.approx((859 + 4 / 7, 859 + 4 / 7))
    assert m.cut_columns == (math.ceil((a12 + b12) / 2), math.ceil((a23 + b23) / 2)) == (20553, 40054)
    p1, p2, p3 = m.placements
    assert (p1.first_col, p1.stop_col) == (536, 20553)  # from burst 1's first valid column 536
    assert (p2.first_col, p2.stop_col) == (20553, 40054)
    assert (p3.first_col, p3.stop_col) == (40054, math.floor(IW3_RG + 21069) + 1)


def test_merged_mapping_round_trips(frame):
    _, plans, grids = frame
    m = deburst.merge_grid(list(plans.values()), list(grids.values()))
    rng = np.random.default_rng(3)
    lines = rng.integers(0, m.lines, 20000)
    cols = rng.integers(0, m.samples, 20000)
    src = m.locate(lines, cols)
    ok = src.swath >= 0
    assert ok.mean() > 0.95
    for s in range(3):
        sel = src.swath == s
        back = m.to_merged(s, src.line[sel], src.col[sel])
        np.testing.assert_allclose(back[0], lines[sel], atol=1e-9)
        np.testing.assert_allclose(back[1], cols[sel], atol=1e-9)
        # and through the burst: debursted line = burst line + the burst's start
        plan = m.plans[s]
        starts = np.array([sp.start for sp in plan.spans])
        has = sel & (src.span >= 0)
        np.testing.assert_allclose(src.burst_line[has] + starts[src.span[has]], src.line[has], atol=1e-9)
    # the source positions are fractional as the offsets are: IW2 by .588 lines and 3/7 columns
    sel = src.swath == 1
    np.testing.assert_allclose((lines[sel] - src.line[sel]) % 1, 0.588, atol=1e-3)
    np.testing.assert_allclose((cols[sel] - src.col[sel]) % 1, 3 / 7, atol=1e-9)


def test_merged_is_data_against_brute_force(frame):
    _, plans, grids = frame
    m = deburst.merge_grid(list(plans.values()), list(grids.values()))
    rng = np.random.default_rng(5)
    lines = rng.integers(0, m.lines, 3000)
    cols = rng.integers(0, m.samples, 3000)
    got = m.valid(lines, cols)
    cuts = (0, *m.cut_columns, m.samples)
    for i in range(lines.size):
        sw = next(s for s in range(3) if cuts[s] <= cols[i] < cuts[s + 1])
        p, plan = m.placements[sw], m.plans[sw]
        ln, c = lines[i] - p.line_offset, cols[i] - p.col_offset
        near = math.floor(ln + 0.5)
        spans = [sp for sp in plan.spans if sp.first_line <= near < sp.stop_line]
        expect = (p.first_col <= cols[i] < p.stop_col and len(spans) == 1
                  and spans[0].valid_lines[0] <= ln - spans[0].start <= spans[0].valid_lines[1] - 1
                  and spans[0].valid_samples[0] <= c <= spans[0].valid_samples[1] - 1)
        assert got[i] == expect, (lines[i], cols[i])
    assert 0.85 < got.mean() < 0.95  # the staggered sub-swaths leave empty corners


def test_rectangles_are_locate(frame):
    """The block rectangles hold exactly the valid pixels of locate(), each with its span."""
    _, plans, grids = frame
    m = deburst.merge_grid(list(plans.values()), list(grids.values()))
    for first, n in ((0, 700), (1300, 500), (m.lines - 300, 300)):
        ll, cc = np.mgrid[first:first + n, 0:m.samples:7]
        loc = m.locate(ll, cc)
        got = np.zeros(ll.shape, bool)
        span = np.full(ll.shape, -1)
        for r in m.rectangles(first, n):
            cols = (cc[0] >= r.col0) & (cc[0] < r.col1)
            inside = np.zeros(ll.shape, bool)
            inside[r.row0 - first:r.row1 - first, cols] = True
            assert not (got & inside).any()  # no pixel in two rectangles
            got |= inside
            span[inside] = r.span
            assert np.all(loc.swath[inside] == r.swath)
        assert np.array_equal(got, loc.valid)
        assert np.array_equal(span[got], loc.span[got])


def test_merged_gaps_invalid(frame):
    _, plans, grids = frame
    m = deburst.merge_grid(list(plans.values()), list(grids.values()))
    first_iw1 = plans["IW1"].spans[0]
    in_burst1 = (first_iw1.first_line + first_iw1.stop_line) // 2
    in_burst2 = (plans["IW1"].spans[1].first_line + plans["IW1"].spans[1].stop_line) // 2
    # IW1 near edge: columns 536..622 hold data in burst 1 only
    assert list(m.valid([in_burst1] * 3, [535, 536, 600])) == [False, True, True]
    assert list(m.valid([in_burst2] * 2, [600, 623])) == [False, True]
    # before IW2's first line (403.6 lines in) IW2's columns are empty, IW1's are not
    assert list(m.valid([100, 100], [20000, 30000])) == [True, False]
    # after IW1's last line only IW3 (and IW2 a little longer) have data
    assert list(m.valid([12600, 12600, 12600], [10000, 30000, 50000])) == [False, True, True]
    assert list(m.valid([13000, 13000], [30000, 50000])) == [False, True]
    # either side of a seam: the cut falls where both sub-swaths are valid
    for s, cut in enumerate(m.cut_columns):
        assert m.valid([6000, 6000], [cut - 1, cut]).all()
        assert list(m.locate([6000, 6000], [cut - 1, cut]).swath) == [s, s + 1]


def test_merge_subset_without_overlap(frame):
    # IW1 with IW3: no common columns, so no cut; each keeps its own valid columns, between is a gap
    _, plans, grids = frame
    m = deburst.merge_grid([plans["IW1"], plans["IW3"]], [grids["IW1"], grids["IW3"]])
    assert m.cut_columns == (math.ceil(IW3_RG + 536),)
    assert m.placements[0].stop_col == 21070
    src = m.locate([6000] * 3, [21069, 30000, 39700])
    assert list(src.swath) == [0, -1, 1] and list(src.valid) == [True, False, True]


def test_merge_refuses_other_grids(frame):
    _, plans, grids = frame
    other_fs = dataclasses.replace(grids["IW2"], range_sampling_rate_hz=FS * 0.75)
    with pytest.raises(DinsarError, match="different range grids"):
        deburst.merge_grid([plans["IW1"], plans["IW2"]], [grids["IW1"], other_fs])
    other_dt = dataclasses.replace(plans["IW2"], line_interval_s=DT * 1.001)
    with pytest.raises(DinsarError, match="different azimuth grids"):
        deburst.merge_grid([plans["IW1"], other_dt], [grids["IW1"], grids["IW2"]])
    with pytest.raises(DinsarError, match="more than once"):
        deburst.merge_grid([plans["IW1"], plans["IW1"]], [grids["IW1"], grids["IW2"]])
