"""The annotation reader against real Sentinel-1 annotation files (StripMap S3, IW1, IW3).

Expected values come from the XML text itself, read by regular expression,
so that the reader's ElementTree paths are checked by something else.
"""

import numpy as np
import pytest

from dinsar.io.annotation import SPEED_OF_LIGHT, parse_annotation
from tests.conftest import AZORES_XML, ROME_SAFE, S3_SAFE, xml_values

S3_XML = next((S3_SAFE / "annotation").glob("s1a-s3-slc-vh-*.xml"))
ROME_XML = next((ROME_SAFE / "annotation").glob("s1a-iw1-slc-vv-*.xml"))
PRODUCTS = {"s3": S3_XML, "rome_iw1": ROME_XML, "azores_iw3": AZORES_XML}


@pytest.fixture(scope="module", params=list(PRODUCTS))
def case(request):
    path = PRODUCTS[request.param]
    return path, parse_annotation(path.read_bytes(), str(path))


SCALARS = {
    "missionId": "mission", "productType": "product_type", "polarisation": "polarisation",
    "mode": "mode", "absoluteOrbitNumber": "absolute_orbit", "pass": "pass_direction",
    "rangeSamplingRate": "range_sampling_rate_hz", "radarFrequency": "radar_frequency_hz",
    "platformHeading": "platform_heading_deg", "azimuthTimeInterval": "azimuth_time_interval_s",
    "numberOfSamples": "number_of_samples", "numberOfLines": "number_of_lines",
    "rangePixelSpacing": "range_pixel_spacing_m", "azimuthPixelSpacing": "azimuth_pixel_spacing_m",
    "azimuthFrequency": "azimuth_frequency_hz", "incidenceAngleMidSwath": "incidence_angle_mid_deg",
}


def test_scalars_match_xml_text(case):
    path, ann = case
    for tag, attr in SCALARS.items():
        expected = xml_values(path, tag)[0]
        value = getattr(ann, attr)
        if isinstance(value, str):
            assert value == expected, tag
        else:
            assert value == pytest.approx(float(expected), rel=1e-15), tag
    # slantRangeTime also appears in grid points and Doppler lists: the image's is the one
    # right after azimuthTimeInterval's block; it equals the first grid point's (pixel 0)
    assert ann.slant_range_time_s == pytest.approx(float(xml_values(path, "slantRangeTime")[0]), rel=1e-12) \
        or ann.slant_range_time_s == pytest.approx(ann.geolocation_grid.slant_range_time[0], rel=1e-12)
    assert ann.swath == xml_values(path, "swath")[0]
    assert str(ann.first_line_time)[:26] == xml_values(path, "productFirstLineUtcTime")[0][:26]


def test_timing_is_self_consistent(case):
    _, ann = case
    # lines = (last - first) / interval + 1, a relation the reader does not use
    span = (ann.last_line_time - ann.first_line_time) / np.timedelta64(1, "ns") * 1e-9
    if not ann.bursts:  # burst-stacked IW images repeat lines between bursts
        assert span / ann.azimuth_time_interval_s + 1 == pytest.approx(ann.number_of_lines, abs=0.01)
    # grid slant-range time = near range time + pixel / fs; ESA's grid agrees to < 0.002 px
    # (the figure in ../shared/data/README.md), so 0.005 px is the tolerance
    g = ann.geolocation_grid
    predicted = ann.slant_range_time_s + g.pixel / ann.range_sampling_rate_hz
    np.testing.assert_allclose(g.slant_range_time, predicted, rtol=0, atol=0.005 / ann.range_sampling_rate_hz)
    assert ann.wavelength_m == pytest.approx(SPEED_OF_LIGHT / 5.405000454334350e09)


def test_lists_have_the_counts_the_xml_declares(case):
    path, ann = case
    text = path.read_text()
    import re

    def count(tag):
        return int(re.search(rf'<{tag} count="(\d+)"', text).group(1))

    assert len(ann.state_vectors) == count("orbitList")
    assert len(ann.geolocation_grid) == count("geolocationGridPointList")
    assert len(ann.dc_estimates) == count("dcEstimateList")
    assert len(ann.fm_rates) == count("azimuthFmRateList")
    assert len(ann.bursts) == count("burstList")


def test_state_vectors_and_grid_values(case):
    path, ann = case
    sv = ann.state_vectors
    xs = [float(v) for v in xml_values(path, "x")]
    # <x> appears as position then velocity for each orbit entry (attitude has no <x>)
    assert sv.position[0, 0] == float(xs[0]) and sv.velocity[0, 0] == float(xs[1])
    assert np.all(np.diff(sv.time) > np.timedelta64(0, "ns"))
    speed = np.linalg.norm(sv.velocity, axis=1)
    assert np.all((7500 < speed) & (speed < 7700))  # Sentinel-1 orbital speed, m/s
    g = ann.geolocation_grid
    np.testing.assert_array_equal(g.latitude, [float(v) for v in xml_values(path, "latitude")])
    np.testing.assert_array_equal(g.longitude, [float(v) for v in xml_values(path, "longitude")])
    np.testing.assert_array_equal(g.line, [int(v) for v in xml_values(path, "line")])
    np.testing.assert_array_equal(g.pixel, [int(v) for v in xml_values(path, "pixel")])


def test_doppler_and_fm_rate(case):
    path, ann = case
    first_dc = [float(v) for v in xml_values(path, "dataDcPolynomial")[0].split()]
    np.testing.assert_array_equal(ann.dc_estimates[0].data_poly, first_dc)
    first_fm = xml_values(path, "azimuthFmRatePolynomial")[0].split()
    np.testing.assert_array_equal(ann.fm_rates[0].poly, [float(v) for v in first_fm])
    # C-band azimuth FM rate is about -2 V² / (λ R): -2200 .. -2400 Hz/s for Sentinel-1
    assert -2500 < ann.fm_rates[0].poly[0] < -2000
    # the data Doppler centroid at t0 is within the annotation's own RMS error bound scale
    dc = ann.dc_estimates[0]
    assert abs(dc.data_doppler_hz(dc.t0) - dc.data_poly[0]) < 1e-9



def test_processing_bandwidths_match_xml_text(case):
    """rangeProcessing comes before azimuthProcessing in swathProcParams: the two processingBandwidth texts."""
    path, ann = case
    range_text, azimuth_text = xml_values(path, "processingBandwidth")
    assert ann.range_processing_bandwidth_hz == float(range_text)
    assert ann.azimuth_processing_bandwidth_hz == float(azimuth_text)
    # processed, so below the sampling rates: 0.6 .. 0.95 of them on Sentinel-1
    assert 0.6 < ann.range_bandwidth_fraction < 0.95 and 0.6 < ann.azimuth_bandwidth_fraction < 0.95


def test_stripmap_specifics():
    ann = parse_annotation(S3_XML.read_bytes(), str(S3_XML))
    assert (ann.mode, ann.swath, ann.polarisation) == ("S3", "S3", "VH")
    assert ann.shape == (36895, 18998)
    assert ann.bursts == [] and ann.lines_per_burst == 0
    assert ann.first_line_time == np.datetime64("2021-04-01T15:28:55.111501")
    assert ann.state_vectors.time[0] == np.datetime64("2021-04-01T15:27:54")
    first_position = [5.144003824e06, 4.431712581e06, -2.00304803e06]
    np.testing.assert_array_equal(ann.state_vectors.position[0], first_position)
    assert ann.dc_estimates[0].data_rms_error_hz == pytest.approx(1.487949013710022)


def test_iw_bursts():
    ann = parse_annotation(AZORES_XML.read_bytes(), str(AZORES_XML))
    assert ann.lines_per_burst == int(xml_values(AZORES_XML, "linesPerBurst")[0])
    assert len(ann.bursts) == 9
    for b in ann.bursts:
        assert len(b.first_valid_sample) == ann.lines_per_burst == len(b.last_valid_sample)
    offsets = [int(v) for v in xml_values(AZORES_XML, "byteOffset")]
    assert [b.byte_offset for b in ann.bursts] == offsets
    # bursts follow each other by roughly one burst duration (~2.76 s in IW)
    dt = np.diff([b.azimuth_time for b in ann.bursts]) / np.timedelta64(1, "ms")
    assert np.all((2700 < dt) & (dt < 2800))


def test_malformed_annotation_is_one_clear_error(tmp_path):
    from dinsar.errors import ProductError

    bad = tmp_path / "bad.xml"
    bad.write_text("<product><adsHeader><missionId>S1A</missionId></adsHeader></product>")
    no_header = tmp_path / "no_header.xml"
    text = S3_XML.read_text()
    no_header.write_text(text[: text.index("<adsHeader>")] + text[text.index("</adsHeader>") + 12:])
    with pytest.raises(ProductError, match=r"no_header.xml: missing <adsHeader/missionId>"):
        parse_annotation(no_header.read_bytes(), str(no_header))
    with pytest.raises(ProductError, match="bad.xml: fewer than 2 orbit state vectors"):
        parse_annotation(bad.read_bytes(), str(bad))
    with pytest.raises(ProductError, match="not well-formed"):
        parse_annotation(b"<product>", "trunc.xml")
