"""Enhanced Spectral Diversity (ESD): the residual azimuth misregistration of a TOPS (IW) pair, from the
phase of its burst overlaps.

A target in the overlap of bursts k and k+1 of a sub-swath is seen twice: at the end of burst k
(forward look, Doppler centroid f_k) and at the start of burst k+1 (backward look, f_k+1). A
coregistered slave that is late by Δy lines, i.e. shows at master line y what the master shows at
y − Δy, carries in each look the interferometric phase of that delay at the look's Doppler:

    s(η) = m(η − Δy·Δt)   →   arg(m · s*) = φ_geo + 2π f(η) Δy Δt      (+ a term common to both looks)

where f(η) is the local azimuth frequency of the (reramped) SLC samples, (1/2π)·dψ/dη of the sample
phase ψ: the Doppler centroid, which in a TOPS burst sweeps linearly, f(η) = f_dc + kt·(η − η_mid).
The double difference of the two looks cancels the geometric and deformation phase φ_geo (the same
ground) and the linear azimuth ramps:

    ifg_fwd = m_k · conj(s_k),   ifg_bwd = m_k+1 · conj(s_k+1),   dd = ifg_fwd · conj(ifg_bwd)
    arg(dd) = 2π Δf_ovl Δy Δt,   Δf_ovl(τ) = f_k(η, τ) − f_k+1(η, τ) = kt(τ) · T_cycle    (same f_dc)

with T_cycle the time between the two bursts' centres (2.758 s on IW), NOT the burst length (≈ 1500
lines · Δt ≈ 3.08 s): GMTSAR's kt × burst length overstates Δf_ovl by ~11 % and so understates the
shift by ~10 %. Prats-Iraola et al. 2012 (IEEE TGRS 50(8), eq. 13–16) and Yagüe-Martínez et al. 2016
(IEEE TGRS 54(4), sec. IV) give the same formulas.

Sign convention (that of `dinsar.interferometry.offsets`: slave line − master line): Δy > 0 means the
coregistered slave is late — a feature at master line y sits at line y + Δy of the coregistered slave
— and is corrected by reading the slave at y + Δy, i.e. by adding Δy to the azimuth offsets.

The estimator (per overlap, then across overlaps):
1. multilook m·s*, |m|², |s|² of each look over `looks` cells (Bamler & Hartl 1998, Inverse Problems
   14 R1, eq. 60: coherence γ = |Σ m s*| / sqrt(Σ|m|² Σ|s|²), unless a coherence is given);
2. weight each cell by its Fisher information: the Cramér–Rao variance of a multilooked phase is
   (1 − γ²) / (2 L γ²) (Rodriguez & Martin 1992, IEE Proc. F 139(2)); the double difference adds the
   two looks' variances, w = 1 / (var_fwd + var_bwd). Low-coherence cells keep a tiny weight instead of
   being cut by a hard threshold (isce2's 0.85 leaves nothing of a γ = 0.8 scene);
3. solve the circular weighted mean for Δy with the per-column Δf_ovl: Σ w·sin(θ_c − a_c Δy) = 0,
   a_c = 2π Δf_c Δt, θ_c = arg(dd_c), by a few Newton steps from arg(Σ w e^{jθ}) / ā. Its standard
   error is the M-estimator sandwich Σ_b (Σ_{c∈b} w sin r)² / (Σ w a cos r)² (r the cell residuals,
   b range strips spanning the overlap, so that correlated neighbouring cells count once), which sees
   the real scatter of the cells (oversampled data, an optimistic γ) rather than trusting the CRB;
4. across overlaps: reject estimates farther than `outlier_sigma` robust scales (1.4826·MAD, and never
   less than the overlap's own standard error) from the median, then the inverse-variance mean; its
   standard error is inflated by the Birge ratio sqrt(χ²/(n − 1)) when the overlaps scatter more than
   their errors say (Fattahi, Agram & Simons 2017, IEEE TGRS 55(2), combine overlaps the same way).

Ambiguity: arg(dd) is known modulo 2π, so ESD is unambiguous only for |Δy| < 1 / (2 |Δf_ovl| Δt)
(≈ 0.055 lines on IW). `esd_shift` refuses to estimate when the coregistration it refines may be off
by that much: the caller states its bound, and refines the azimuth offsets first (cross-correlation)
when it is too loose.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from dinsar.errors import DinsarError

log = logging.getLogger(__name__)

# why: a noise-free cell's estimated coherence tends to 1 and its weight to infinity; capping it keeps
# one bright, clean cell from deciding an overlap of thousands.
GAMMA_MAX = 0.99
STRIP_CELLS = 4  # range cells per strip of the standard error's clusters (at least 10 strips per overlap)
NEWTON_STEPS = 4  # the first step is exact for a constant Δf; the others absorb Δf's range variation


class EsdError(DinsarError):
    """ESD cannot give a trustworthy shift for these overlaps (ambiguity, nothing coherent)."""


def tops_doppler_centroid(line_time_s, burst_mid_time_s, kt_hz_per_s, fdc_hz=0.0) -> np.ndarray:
    """Doppler centroid (Hz) of one burst's reramped samples: f = f_dc(τ) + kt(τ)·(η − η_mid).

    line_time_s: azimuth times η of the overlap's lines, shape (lines, 1) or (lines,); burst_mid_time_s:
    the burst's reference (centre) time η_mid, scalar or per column; kt_hz_per_s, fdc_hz: the Doppler
    centroid rate and the geometric Doppler centroid, scalar or per column (range). Times in seconds
    from any common origin. The difference of two consecutive bursts at the same η is then
    kt·(η_mid,k+1 − η_mid,k): kt × the burst cycle, whatever the burst length.
    """
    eta = np.asarray(line_time_s, dtype=np.float64)
    if eta.ndim == 1:
        eta = eta[:, None]
    return np.asarray(fdc_hz, np.float64) + np.asarray(kt_hz_per_s, np.float64) * (eta - burst_mid_time_s)


@dataclass(frozen=True)
class Overlap:
    """One burst overlap (bursts `burst` and `burst` + 1 of a sub-swath), as seen by both bursts.

    master_fwd, slave_fwd: the overlap's samples in burst k (forward look); master_bwd, slave_bwd: the
    same ground in burst k+1 (backward look). Complex, same 2-D shape (lines, columns), slave
    coregistered on the master and reramped; 0 marks an invalid sample. doppler_difference_hz:
    Δf_ovl = f_k − f_k+1 at the overlap, per column (columns,) or per sample; build it from the two
    bursts' Doppler centroids with `from_dopplers`. coherence: optional γ per sample (else estimated
    on the `looks` cells of `esd_shift`).
    """

    master_fwd: np.ndarray
    slave_fwd: np.ndarray
    master_bwd: np.ndarray
    slave_bwd: np.ndarray
    doppler_difference_hz: np.ndarray
    azimuth_interval_s: float
    coherence: np.ndarray | None = None
    burst: int = 0

    def __post_init__(self):
        arrays = (self.master_fwd, self.slave_fwd, self.master_bwd, self.slave_bwd)
        shape = np.shape(self.master_fwd)
        if len(shape) != 2 or any(np.shape(a) != shape or not np.iscomplexobj(a) for a in arrays):
            raise ValueError(f"ESD overlap {self.burst}: needs four complex 2-D arrays of one shape, got "
                             f"{[np.shape(a) for a in arrays]}")
        if not self.azimuth_interval_s > 0:
            raise ValueError(f"ESD overlap {self.burst}: azimuth interval must be > 0 s, got {self.azimuth_interval_s}")
        df = np.broadcast_to(np.asarray(self.doppler_difference_hz, np.float64), shape)
        # why: a Δf that changes sign or vanishes within the overlap maps one phase to two shifts
        if not np.all(np.isfinite(df)) or not (np.all(df > 0) or np.all(df < 0)):
            raise ValueError(f"ESD overlap {self.burst}: the Doppler difference must be finite, non-zero and of "
                             f"one sign (got {df.min():.1f} .. {df.max():.1f} Hz)")
        object.__setattr__(self, "doppler_difference_hz", df)
        if self.coherence is not None and np.shape(self.coherence) != shape:
            raise ValueError(f"ESD overlap {self.burst}: coherence {np.shape(self.coherence)} is not {shape}")

    @classmethod
    def from_dopplers(cls, master_fwd, slave_fwd, master_bwd, slave_bwd, doppler_fwd_hz, doppler_bwd_hz,
                      azimuth_interval_s: float, coherence=None, burst: int = 0) -> Overlap:
        """The overlap, with Δf_ovl from the two bursts' Doppler centroids at the overlap (per column or per
        sample, e.g. `tops_doppler_centroid` of each burst at the overlap's line times)."""
        df = np.asarray(doppler_fwd_hz, np.float64) - np.asarray(doppler_bwd_hz, np.float64)
        return cls(master_fwd, slave_fwd, master_bwd, slave_bwd, df, azimuth_interval_s, coherence, burst)

    @property
    def ambiguity_lines(self) -> float:
        """The largest |Δy| (lines) this overlap measures without wrapping: 1 / (2 max|Δf| Δt)."""
        return 1.0 / (2.0 * float(np.abs(self.doppler_difference_hz).max()) * self.azimuth_interval_s)


@dataclass(frozen=True)
class OverlapShift:
    """One overlap's estimate: Δy (lines), its standard error, the pixels used, its ambiguity limit, and
    whether the robust combination rejected it."""

    burst: int
    shift_lines: float
    std_lines: float
    pixels: int
    ambiguity_lines: float
    rejected: bool = False


@dataclass(frozen=True)
class EsdResult:
    """The pair's azimuth correction Δy (lines; > 0: the slave is late, add Δy to the azimuth offsets),
    its standard error, the full-resolution pixels used (kept overlaps) and each overlap's estimate."""

    shift_lines: float
    std_lines: float
    pixels: int
    per_overlap: tuple[OverlapShift, ...]

    def per_burst(self) -> dict[int, float]:
        """A correction per burst: the inverse-variance mean of the kept overlaps that touch it (burst j
        touches overlaps j − 1 and j). Noisier than `shift_lines`; for a per-burst timing fix."""
        sums: dict[int, list[float]] = {}
        for o in self.per_overlap:
            if o.rejected:
                continue
            w = 1.0 / o.std_lines**2
            for b in (o.burst, o.burst + 1):
                acc = sums.setdefault(b, [0.0, 0.0])
                acc[0] += w * o.shift_lines
                acc[1] += w
        return {b: s / w for b, (s, w) in sorted(sums.items())}


def esd_shift(overlaps: Iterable[Overlap], *, max_prior_error_lines: float, looks: tuple[int, int] = (5, 20),
              outlier_sigma: float = 3.0) -> EsdResult:
    """The residual azimuth misregistration (lines) of a coregistered TOPS pair from its burst overlaps.

    overlaps: any iterable, consumed one overlap at a time (a generator keeps memory to one overlap:
    a frame's 24 overlaps hold ~3 GB of samples). max_prior_error_lines: how far off the coregistration
    refined here may be (lines); refused when it reaches the ESD ambiguity 1 / (2 |Δf_ovl| Δt). looks:
    (azimuth, range) cell of the multilook (and of the coherence estimate when an overlap has none).
    outlier_sigma: rejection distance in robust scales. See the module docstring for the formulas.
    """
    if len(looks) != 2 or min(looks) < 1:
        raise ValueError(f"ESD looks must be two integers >= 1, got {looks}")
    estimates, worst = [], None
    for o in overlaps:
        estimates.append(_overlap_shift(o, looks))
        if worst is None or o.ambiguity_lines < worst[0]:
            worst = (o.ambiguity_lines, float(np.abs(o.doppler_difference_hz).max()), o.azimuth_interval_s * 1e3)
    if not estimates:
        raise ValueError("ESD needs at least one burst overlap")
    limit, df_max, dt_ms = worst
    if not max_prior_error_lines < limit:
        raise EsdError(f"ESD is unambiguous only for |Δy| < {limit:.4f} lines (1/(2·|Δf_ovl|·Δt), |Δf_ovl| up to "
                       f"{df_max:.0f} Hz, Δt {dt_ms:.3f} ms) but the coregistration may be off by "
                       f"{max_prior_error_lines:g} lines: refine the azimuth offsets (cross-correlation) first")
    est = np.array([e.shift_lines for e in estimates])
    std = np.array([e.std_lines for e in estimates])
    keep = np.isfinite(est) & np.isfinite(std) & (std > 0)
    if not keep.any():
        raise EsdError(f"ESD: no coherent samples in any of the {len(overlaps)} burst overlaps")
    if keep.sum() >= 3:
        # why: MAD needs a few values to mean anything; a faulty overlap (a burst-timing jump, a moving
        # glacier, a wrapped estimate) then lies far from the median and is dropped, not averaged in
        med = np.median(est[keep])
        scale = 1.4826 * np.median(np.abs(est[keep] - med))
        keep &= np.abs(est - med) <= outlier_sigma * np.maximum(scale, std)
    w = np.where(keep, 1.0 / np.where(keep, std, 1.0) ** 2, 0.0)
    shift = float(np.sum(w * np.where(keep, est, 0.0)) / w.sum())
    std_shift = float(1.0 / np.sqrt(w.sum()))
    n = int(keep.sum())
    if n >= 2:
        chi2 = float(np.sum(w * (np.where(keep, est, shift) - shift) ** 2)) / (n - 1)
        std_shift *= np.sqrt(max(1.0, chi2))
    per = tuple(OverlapShift(e.burst, e.shift_lines, e.std_lines, e.pixels, e.ambiguity_lines, rejected=not k)
                for e, k in zip(estimates, keep, strict=True))
    if abs(shift) > 0.5 * limit:
        log.warning("ESD shift %.4f lines is over half the ambiguity limit %.4f: apply it and run ESD again",
                    shift, limit)
    pixels = sum(p.pixels for p in per if not p.rejected)
    log.info("ESD: %.5f ± %.5f lines from %d of %d overlaps (%d pixels)", shift, std_shift, n, len(estimates),
             pixels)
    return EsdResult(shift, std_shift, pixels, per)


def _cells(a: np.ndarray, na: int, nr: int) -> np.ndarray:
    """Sums over na × nr cells; the last partial cells are padded with zeros (invalid samples)."""
    pad = (-a.shape[0] % na, -a.shape[1] % nr)
    if any(pad):
        a = np.pad(a, ((0, pad[0]), (0, pad[1])))
    acc = np.complex128 if np.iscomplexobj(a) else np.float64
    return a.reshape(a.shape[0] // na, na, a.shape[1] // nr, nr).sum(axis=(1, 3), dtype=acc)


def _overlap_shift(o: Overlap, looks: tuple[int, int]) -> OverlapShift:
    na, nr = looks
    mf, sf, mb, sb = o.master_fwd, o.slave_fwd, o.master_bwd, o.slave_bwd
    valid = (mf != 0) & (sf != 0) & (mb != 0) & (sb != 0)
    for a in (mf, sf, mb, sb):
        valid &= np.isfinite(a)
    # why: zero the invalid samples once so that every cell sum below is over the same valid set
    mf, sf, mb, sb = (np.where(valid, a, 0) for a in (mf, sf, mb, sb))
    n = _cells(valid.astype(np.float64), na, nr)
    ifg_f, ifg_b = _cells(mf * np.conj(sf), na, nr), _cells(mb * np.conj(sb), na, nr)
    if o.coherence is None:
        pf = _cells(np.abs(mf) ** 2, na, nr) * _cells(np.abs(sf) ** 2, na, nr)
        pb = _cells(np.abs(mb) ** 2, na, nr) * _cells(np.abs(sb) ** 2, na, nr)
        with np.errstate(invalid="ignore", divide="ignore"):
            g_f, g_b = np.abs(ifg_f) / np.sqrt(pf), np.abs(ifg_b) / np.sqrt(pb)
    else:
        with np.errstate(invalid="ignore", divide="ignore"):
            g_f = g_b = _cells(np.where(valid, o.coherence, 0.0), na, nr) / n
    dd = ifg_f * np.conj(ifg_b)
    ok = (n > 0) & (np.abs(dd) > 0) & np.isfinite(g_f) & np.isfinite(g_b) & (g_f > 0) & (g_b > 0)
    pixels = int(n[ok].sum())
    if not ok.any():
        return OverlapShift(o.burst, np.nan, np.nan, 0, o.ambiguity_lines)
    g_f, g_b, n = np.minimum(g_f[ok], GAMMA_MAX), np.minimum(g_b[ok], GAMMA_MAX), n[ok]
    var = (1 - g_f**2) / (2 * n * g_f**2) + (1 - g_b**2) / (2 * n * g_b**2)  # CRB of each look, added
    w = 1.0 / var
    theta = np.angle(dd[ok])
    with np.errstate(invalid="ignore", divide="ignore"):
        df = _cells(np.where(valid, o.doppler_difference_hz, 0.0), na, nr)[ok] / n
    a = 2 * np.pi * df * o.azimuth_interval_s  # rad per line of shift, per cell
    a_mean = np.sum(w * a) / np.sum(w)
    shift = np.angle(np.sum(w * np.exp(1j * theta))) / a_mean
    for _ in range(NEWTON_STEPS):
        shift += np.angle(np.sum(w * np.exp(1j * (theta - a * shift)))) / a_mean
    r = np.angle(np.exp(1j * (theta - a * shift)))  # wrapped cell residuals
    denom = np.sum(w * a * np.cos(r))
    # why: neighbouring cells of oversampled (band-limited) data are correlated, and a per-cell sandwich
    # then understates the error (~1.4x on the tests' data); summing the scores over range strips that
    # span the whole overlap first (a cluster-robust sandwich) absorbs that correlation
    strip = np.nonzero(ok)[1] // max(1, min(STRIP_CELLS, ok.shape[1] // 10))
    score = np.bincount(strip, weights=w * np.sin(r))
    std = float(np.sqrt(np.sum(score**2)) / abs(denom)) if denom != 0 else np.nan
    return OverlapShift(o.burst, float(shift), std, pixels, o.ambiguity_lines)
