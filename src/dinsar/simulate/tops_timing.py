"""Real Sentinel-1 IW timing and TOPS carrier values of the simulated sub-swaths, from ../shared/data.

Two real annotations are the sources: the Azores IW3 VV annotation (S1A 2022-09-18, 9 bursts) and the
Rome IW1 VV annotation (S1A 2022-01-04, 9 bursts). The simulated IW1 takes Rome's own values (steering
rate, FM rate and Doppler centroid lists, lines per burst, valid windows); the simulated IW2 takes
the Azores values (IW2's own steering rate, ~0.98 °/s, is not in the data, so its carrier's is IW3's).
Both share the values every IW sub-swath shares: azimuthTimeInterval, rangeSamplingRate and the beam
cycle T_beam (one burst of each sub-swath).

Polynomials are the annotations' (in τ - t0, τ the two-way slant range time); the simulator puts t0 at
each sub-swath's own near range time (Rome's t0 sit within 10 µs of its slantRangeTime). Over a
simulated sub-swath (~16 µs of τ) the linear and quadratic terms add a few Hz at most.
"""

from __future__ import annotations

from dataclasses import dataclass

# Common to every IW sub-swath, and IW2's own (the single sub-swath of the first simulator): the keys
# callers have always read.
IW_TIMING = dict(
    azimuth_time_interval_s=2.055556299999998e-03,  # azimuthTimeInterval, Azores and Rome alike
    range_sampling_rate_hz=6.434523812571428e07,  # rangeSamplingRate, both (= S4_TIMING's)
    lines_per_burst=1514,  # Azores linesPerBurst (Rome IW1: 1501, the simulated IW1's)
    # Azores burst azimuthTime steps: 2.758556 s = 1342.00 lines (a few steps are 1341 or 1343 lines;
    # the sensingTime steps are 2.758277 s = T_beam); Rome's steps are the same 1342 lines
    burst_cycle_lines=1342,
    valid_lines=(26, 1489),  # Azores: firstValidSample >= 0 on burst lines 26 .. 1488
    # Azores: firstValidSample 312, lastValidSample 23981 of 24203 samples: the invalid fractions
    invalid_samples_fraction=(312 / 24203, (24203 - 1 - 23981) / 24203),
    sensing_after_azimuth_s=1.137,  # Azores sensingTime - azimuthTime, 1.129 .. 1.142 s
    steering_rate_deg_s=1.397440818,  # Azores productInformation/azimuthSteeringRate (IW3)
    azimuth_bandwidth_hz=314.0,  # Azores azimuth processingBandwidth (Rome IW1: 327 Hz)
    range_bandwidth_hz=42789918.40322842,  # Azores range processingBandwidth (Rome IW1: 56.5 MHz)
)

# Sensing start of an IW1 burst to that of the IW2 burst of the same beam cycle: the nominal spacing
# (s1-reader measured it on real products; ESA's burst ID rule moves IW1 bursts by it)
IW1_TO_IW2_SENSING_S = 0.832
# Range overlap of consecutive sub-swaths, as a fraction of the simulated sub-swath width: real IW1/IW2
# overlap by ~1500-2000 of ~22000 samples (7-9 %), most of it outside IW1's valid window (Rome's last
# 1624 samples are invalid), so 15 % keeps a valid overlap of a few tens of samples at small sizes.
SUBSWATH_OVERLAP_FRACTION = 0.15
# Near range times of real sub-swaths step by 1/(7 f_s) (IPF's range grid); IW2's near range sits this
# fraction of a sample beyond a whole number of IW1 samples, so a merge has a fractional column offset
NEAR_RANGE_FRACTION = 3 / 7


@dataclass(frozen=True)
class SubSwathTiming:
    """What the annotation of one sub-swath says about its bursts and carrier (all real values)."""

    name: str
    image_number: int  # in a 1SDV IW product: VH IW1-3 are 001-003, VV IW1-3 004-006
    source: str
    lines_per_burst: int
    valid_lines: tuple[int, int]  # [first, stop) burst lines with valid samples
    invalid_samples_fraction: tuple[float, float]  # near, far: of the sub-swath width
    sensing_after_azimuth_s: float
    steering_rate_deg_s: float
    data_dc: tuple[tuple[float, ...], ...]  # one dcEstimate per burst, cycled
    geometry_dc: tuple[tuple[float, ...], ...]
    dc_rms_hz: tuple[float, ...]
    fm: tuple[tuple[float, ...], ...] | None  # one azimuthFmRate per burst, cycled; None: from the orbit


# Azores dcEstimates 1-3 (one per burst; cycled past three bursts): data and geometry polynomials and
# dataDcRmsError. Over 1024 samples (16 µs) the c1, c2 terms add < 0.2 Hz.
IW2 = SubSwathTiming(
    name="IW2", image_number=5, source="Azores IW3 VV (S1A 2022-09-18)",
    lines_per_burst=IW_TIMING["lines_per_burst"], valid_lines=IW_TIMING["valid_lines"],
    invalid_samples_fraction=IW_TIMING["invalid_samples_fraction"],
    sensing_after_azimuth_s=IW_TIMING["sensing_after_azimuth_s"], steering_rate_deg_s=IW_TIMING["steering_rate_deg_s"],
    data_dc=((11.32602, 2321.723, -3.455068e6), (11.79078, -4370.843, 2.745246e6), (8.624313, 11518.98, -1.240621e7)),
    geometry_dc=((-0.7267593, -221.8316, 67974.45), (-1.944907, -116.0222, 60604.33),
                 (-3.171158, -167.8543, 93389.68)),
    dc_rms_hz=(3.203357, 3.444824, 2.731964),
    fm=None,  # k_a from the simulated orbit's speed and range (dinsar.simulate.tops_bursts)
)

# Rome IW1: linesPerBurst 1501; firstValidSample >= 0 on lines 20 .. 1481 (bursts 1, 2; 19 .. 1482 on
# later ones); firstValidSample 623 and lastValidSample 21069 of 22694 on bursts 2-9 (burst 1: 536,
# 20982); sensingTime - azimuthTime 1.1307 .. 1.1313 s on bursts 1-3; azimuthSteeringRate; its
# dcEstimates 1-3 and azimuthFmRate 1-3 (k_a = -2325.8 Hz/s at its near range).
IW1 = SubSwathTiming(
    name="IW1", image_number=4, source="Rome IW1 VV (S1A 2022-01-04)",
    lines_per_burst=1501, valid_lines=(20, 1482), invalid_samples_fraction=(623 / 22694, (22694 - 1 - 21069) / 22694),
    sensing_after_azimuth_s=1.131, steering_rate_deg_s=1.590368784,
    data_dc=((-5.82795, 60957.86, -4.94897e7), (3.81654, 29745.1, -3.4244e7), (3.099216, 42590.41, -4.70596e7)),
    geometry_dc=((-1.620414, -982.3553, 275554.4), (-1.204149, -529.4519, 153813.5),
                 (-0.519294, -317.4202, 88935.73)),
    dc_rms_hz=(6.453935146331787, 4.807826995849609, 4.783758163452148),
    fm=((-2.325806087284300e03, 4.505288748089427e05, -7.879821298097527e07),
        (-2.325728040087356e03, 4.505470373834581e05, -7.880964994526018e07),
        (-2.325650137765073e03, 4.505648928914500e05, -7.881798057378964e07)),
)

SUBSWATHS = {"IW1": IW1, "IW2": IW2}  # nearest range first
