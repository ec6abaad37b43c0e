"""Powder X-ray diffraction of nanocrystals from the Debye scattering equation, and the
peak and kinetics analysis of 002 [nelson].

    I(Q) = sum_i sum_j f_i(Q) f_j(Q) sin(Q r_ij) / (Q r_ij)           (Debye, 002 Sec. 2.3)

for the atoms of one finite particle (non-periodic coordinates, the particle whole). Q is
the momentum transfer 4 pi sin(theta)/lambda in 1/Å; I is in electrons^2 for the whole
particle (divide by the atom count for a per-atom intensity). Pair distances are
histogrammed per species pair (``bin_width_A``, default 0.002 Å, each bin at its mean
distance), which makes a 7,000-atom particle take about a second; ``bin_width_A=None``
sums over the pairs exactly.

Peaks: (111), (200) and (220) of the parent rocksalt cell, each integrated over its band
between intensity minima (see :func:`find_peaks`). Conversion from the (220) position (002 eq. 7) and the
diffusion-in-a-sphere model of the conversion (002 eq. 6) complete the analysis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from omm_cx.analysis.xrd.form_factors import form_factor_table

#: Reflections analysed by default, as in 002.
HKLS: tuple[tuple[int, int, int], ...] = ((1, 1, 1), (2, 0, 0), (2, 2, 0))
#: h^2 + k^2 + l^2 of the fcc reflections, in order of Q.
FCC_H2: tuple[int, ...] = (3, 4, 8, 11, 12, 16, 19, 20, 24, 27)


def q_grid(q_min_invA: float = 1.0, q_max_invA: float = 4.0, dq_invA: float = 0.002) -> np.ndarray:
    """Evenly spaced Q values (1/Å), both ends included."""
    n = int(round((q_max_invA - q_min_invA) / dq_invA)) + 1
    return np.linspace(q_min_invA, q_max_invA, n)


def _pair_distances(xyz_A: np.ndarray, a: np.ndarray, b: np.ndarray | None, chunk: int = 1024):
    """Yield blocks of distances (Å) between atoms ``a`` and ``b`` (pairs i<j within ``a``
    when ``b`` is None)."""
    from scipy.spatial.distance import cdist

    for start in range(0, len(a), chunk):
        block = xyz_A[a[start:start + chunk]]
        if b is None:
            d = cdist(block, xyz_A[a[start:]])
            yield d[np.triu_indices(len(block), k=1, m=d.shape[1])]
        else:
            yield cdist(block, xyz_A[b]).ravel()


def _sinc_sum(q: np.ndarray, r: np.ndarray, w: np.ndarray) -> np.ndarray:
    """sum_k w_k sin(q r_k)/(q r_k) for each q (q > 0)."""
    out = np.zeros_like(q)
    for start in range(0, len(r), 4096):
        qr = q[:, None] * r[None, start:start + 4096]
        out += (np.sin(qr) / qr) @ w[start:start + 4096]
    return out


def debye_intensity(xyz_A: np.ndarray, species: Sequence[str], q_invA: np.ndarray, *,
                    form_factors: str | Mapping = "wk1995",
                    bin_width_A: float | None = 0.002) -> np.ndarray:
    """Powder intensity I(Q) (electrons^2) of one particle by the Debye equation.

    ``xyz_A``: (n_atoms, 3) Å, the particle whole (no periodic images are applied);
    ``species``: n_atoms names; ``q_invA``: Q values > 0 (1/Å); ``form_factors``: see
    :func:`~omm_cx.analysis.xrd.form_factors.form_factor_table`; ``bin_width_A``: pair-distance
    histogram bin (Å) or None for the exact pair sum. Returns an array shaped like ``q_invA``.
    """
    xyz = np.asarray(xyz_A, dtype=float)
    species = np.asarray(species)
    q = np.asarray(q_invA, dtype=float)
    if xyz.ndim != 2 or xyz.shape[1] != 3 or len(species) != len(xyz):
        raise ValueError(f"xyz_A must be (n_atoms, 3) with one species each; got {xyz.shape} "
                         f"and {len(species)} species")
    if np.any(q <= 0):
        raise ValueError("Q must be > 0 (the Debye sum's Q -> 0 limit is (sum f)^2)")
    f = form_factor_table(species, q, form_factors)
    names = sorted(f)
    idx = {s: np.flatnonzero(species == s) for s in names}
    total = sum(len(idx[s]) * f[s] ** 2 for s in names)
    r_max = 2 * np.sqrt(((xyz - xyz.mean(0)) ** 2).sum(1).max()) + 1.0
    for i, sa in enumerate(names):
        for sb in names[i:]:
            pairs = _pair_distances(xyz, idx[sa], None if sa == sb else idx[sb])
            if bin_width_A is None:
                rs = np.concatenate([np.empty(0), *pairs])
                w = np.ones_like(rs)
            else:
                nbins = int(r_max / bin_width_A) + 2
                counts = np.zeros(nbins)
                rsum = np.zeros(nbins)
                for r in pairs:
                    k = (r / bin_width_A).astype(np.int64)
                    counts += np.bincount(k, minlength=nbins)
                    rsum += np.bincount(k, weights=r, minlength=nbins)
                nz = counts > 0
                rs, w = rsum[nz] / counts[nz], counts[nz]
            if len(rs) == 0:
                continue
            if rs.min() <= 1e-6:
                raise ValueError(f"two atoms ({sa}, {sb}) at the same position")
            total = total + 2.0 * f[sa] * f[sb] * _sinc_sum(q, rs, w)
    return total


@dataclass
class Peak:
    """One reflection: ``hkl``, ``q_nominal_invA`` (2 pi |hkl| / a), ``q_centre_invA``
    (centroid above background), ``q_max_invA`` (position of the maximum), ``intensity``
    (area above background, electrons^2/Å), ``window_invA`` (lo, hi), ``amplitude``
    (height of a Gaussian fitted to the peak above background, electrons^2; 002 compares
    amplitudes) and its ``fwhm_invA``."""

    hkl: tuple[int, int, int]
    q_nominal_invA: float
    q_centre_invA: float
    q_max_invA: float
    intensity: float
    window_invA: tuple[float, float]
    amplitude: float = float("nan")
    fwhm_invA: float = float("nan")


def find_peaks(q_invA: np.ndarray, intensity: np.ndarray, a_A: float,
               hkls: Sequence[tuple[int, int, int]] = HKLS) -> dict[str, Peak]:
    """Centre and integrated intensity of each reflection ``hkl`` of a cubic (fcc) cell
    with lattice constant ``a_A`` (Å). Keys "111", "200", ...

    Each reflection owns the band of Q between the intensity minima that separate it from
    its neighbouring fcc reflections ((111), (200), (220), (311), ...; split or shifted
    components of a core/shell particle stay inside one band). Above a straight background
    through the band's ends: ``intensity`` is the area (electrons^2/Å) and
    ``q_centre_invA`` the centroid of the part above half maximum around the highest
    point (``q_max_invA``), which keeps the tails' interference fringes out of it.
    """
    q = np.asarray(q_invA, float)
    y = np.asarray(intensity, float)
    nominal = {h: 2 * np.pi * np.sqrt(h) / a_A for h in FCC_H2}
    out = {}
    for hkl in hkls:
        h2 = sum(h * h for h in hkl)
        if h2 not in nominal:
            raise ValueError(f"reflection {hkl} is not an fcc reflection (h, k, l all odd or all even)")
        i = FCC_H2.index(h2)
        q0 = nominal[h2]
        left_nb = nominal[FCC_H2[i - 1]] if i > 0 else q0 - (nominal[FCC_H2[1]] - q0)
        right_nb = nominal[FCC_H2[i + 1]]
        lo = _minimum_between(q, y, left_nb if i > 0 else (left_nb + q0) / 2, q0)
        hi = _minimum_between(q, y, q0, right_nb)
        m = (q >= lo) & (q <= hi)
        if m.sum() < 5:
            raise ValueError(f"peak {hkl}: fewer than 5 Q points between {lo:.3f} and {hi:.3f} "
                             f"1/Å; widen the Q range or refine the grid")
        qw, yw = q[m], y[m]
        base = yw[0] + (yw[-1] - yw[0]) * (qw - qw[0]) / (qw[-1] - qw[0])
        net = np.clip(yw - base, 0, None)
        area = float(np.sum((net[1:] + net[:-1]) * np.diff(qw)) / 2)
        key = "".join(str(h) for h in hkl)
        amp, fwhm = _gaussian_amplitude(qw, net)
        out[key] = Peak(tuple(hkl), float(q0), _half_max_centroid(qw, net),
                        float(qw[np.argmax(yw)]), area, (float(qw[0]), float(qw[-1])), amp, fwhm)
    return out


def _gaussian_amplitude(q: np.ndarray, net: np.ndarray, core: float = 0.3) -> tuple[float, float]:
    """(height, FWHM) of a Gaussian fitted (least squares) to the contiguous part of the
    background-subtracted peak ``net`` above ``core`` times its maximum, around the
    maximum: the peak's amplitude without its tails and fringes. Falls back to the highest
    point (and NaN width) when the fit fails."""
    from scipy.optimize import curve_fit

    k = int(np.argmax(net))
    top = float(net[k])
    if not top > 0:
        return 0.0, float("nan")
    lo, hi = k, k
    while lo > 0 and net[lo - 1] >= core * top:
        lo -= 1
    while hi < len(net) - 1 and net[hi + 1] >= core * top:
        hi += 1
    x, y = q[lo:hi + 1], net[lo:hi + 1]
    width = max(float(x[-1] - x[0]), 2 * float(np.mean(np.diff(q))))
    if len(x) < 4:
        return top, float("nan")
    try:
        (a, x0, sig), _ = curve_fit(lambda t, a, x0, sig: a * np.exp(-0.5 * ((t - x0) / sig) ** 2),
                                    x, y, p0=(top, float(q[k]), width / 2.5), maxfev=2000)
    except (RuntimeError, ValueError):
        return top, float("nan")
    if not (a > 0 and x[0] <= x0 <= x[-1]):
        return top, float("nan")
    return float(a), float(2.3548200450309493 * abs(sig))


def _half_max_centroid(q: np.ndarray, net: np.ndarray) -> float:
    """Centroid of ``net`` over the contiguous run around its maximum where it is at
    least half the maximum (insensitive to the tails and the background's slope)."""
    if not net.max() > 0:
        return float("nan")
    k = int(np.argmax(net))
    above = net >= 0.5 * net[k]
    lo = k
    while lo > 0 and above[lo - 1]:
        lo -= 1
    hi = k
    while hi < len(net) - 1 and above[hi + 1]:
        hi += 1
    w = net[lo:hi + 1]
    return float((w * q[lo:hi + 1]).sum() / w.sum())


def _minimum_between(q: np.ndarray, y: np.ndarray, a: float, b: float) -> float:
    """Q of the lowest intensity in [a, b] (1/Å); an end of the grid if [a, b] leaves it."""
    m = (q >= a) & (q <= b)
    if not m.any():
        raise ValueError(f"no Q points between {a:.3f} and {b:.3f} 1/Å; widen the Q range")
    return float(q[m][np.argmin(y[m])])


#: How I111/I200 is taken: "amplitude" (002: the ratio of the fitted peak heights,
#: Gaussian profile) or "area" (integrated intensities above background).
RATIO_DEFINITIONS = ("amplitude", "area")


#: Below this fraction of the (111) value a (200) amplitude or area is no peak.
_NO_PEAK = 1e-6


def peaks_table(peaks: Mapping[str, Peak], ratio: str = "amplitude") -> dict:
    """JSON-ready dict of :func:`find_peaks` output, with ``I111_over_I200`` when both are
    present: by default 002's ratio of fitted amplitudes; ``ratio="area"`` for the ratio
    of areas. Both are given as ``I111_over_I200_amplitude`` and ``I111_over_I200_area``."""
    if ratio not in RATIO_DEFINITIONS:
        raise ValueError(f"ratio {ratio!r}: use one of {', '.join(RATIO_DEFINITIONS)}")
    d = {k: asdict(p) for k, p in peaks.items()}
    if "111" in peaks and "200" in peaks:
        a, b = peaks["111"], peaks["200"]
        # a (200) band with nothing above its background (a shoulder, no maximum) has an
        # amplitude at rounding level: no ratio then (NaN), rather than ~1e16
        both = {"amplitude": a.amplitude / b.amplitude if b.amplitude > _NO_PEAK * a.amplitude
                else float("nan"),
                "area": a.intensity / b.intensity if b.intensity > _NO_PEAK * a.intensity
                else float("nan")}
        d["I111_over_I200"] = both[ratio]
        d["I111_over_I200_amplitude"], d["I111_over_I200_area"] = both["amplitude"], both["area"]
        d["I111_over_I200_definition"] = ratio
    return d


def conversion_from_q220(q220_invA, q220_parent_invA: float, q220_product_invA: float):
    """Conversion fraction X from the (220) peak position by linear interpolation between
    the parent's (PbS, X = 0) and the product's (CdS, X = 1) bulk positions (002 eq. 7):
    X = (Q220 - Q_parent) / (Q_product - Q_parent).

    002's eq. 7 as printed, (Q_CdS - Q220) / (Q_CdS - Q_PbS), is 1 at the PbS position
    and 0 at the CdS one, i.e. the unconverted fraction; the conversion that its eq. 6
    models (0 at t = 0, 1 at t -> infinity) is one minus that, which is what this returns.
    """
    q = np.asarray(q220_invA, float)
    return (q - q220_parent_invA) / (q220_product_invA - q220_parent_invA)


def sphere_diffusion_conversion(t, D, radius, n_terms: int | None = None):
    """Converted fraction of a sphere of ``radius`` by diffusion with coefficient ``D``
    (002 eq. 6, Crank): X(t) = 1 - 6/pi^2 sum_n exp(-D n^2 pi^2 t / R^2) / n^2.
    Units: any consistent set (e.g. t in s, D in nm^2/s, radius in nm).

    ``n_terms``: 002 stops at n = 40, which is exact to 1e-6 for D t / R^2 >= 1e-3 but
    gives X(0) = 0.015 instead of 0; the default (None) takes as many terms as the
    smallest positive t needs (exp(-n^2 pi^2 D t / R^2) < 1e-13 at the last) and X(0) = 0.
    """
    t = np.asarray(t, float)
    tau = D * t / radius**2
    converged = n_terms is None
    if converged:
        pos = tau[tau > 0]
        n_terms = 40 if not pos.size else int(min(2e5, max(40, np.ceil(np.sqrt(30 / (np.pi**2 * pos.min()))))))
    n = np.arange(1, n_terms + 1)
    X = 1 - 6 / np.pi**2 * np.sum(np.exp(-np.pi**2 * tau[..., None] * n**2) / n**2, axis=-1)
    return np.where(tau > 0, X, 0.0) if converged else X


def fit_sphere_diffusion(t, X, radius, n_terms: int | None = None) -> dict:
    """Least-squares D of :func:`sphere_diffusion_conversion` to conversions ``X`` at
    times ``t`` (fitted in log D). Returns {"D", "D_err", "rms_residual"} in the units of
    t and radius (D: radius^2 / t)."""
    from scipy.optimize import least_squares

    t, X = np.asarray(t, float), np.asarray(X, float)
    if len(t) != len(X) or len(t) < 2:
        raise ValueError("need at least two (t, X) points of equal length")
    tpos = t[t > 0]
    guess = np.log(radius**2 / (np.pi**2 * np.median(tpos))) if len(tpos) else 0.0

    def resid(p):
        return sphere_diffusion_conversion(t, np.exp(p[0]), radius, n_terms) - X

    sol = least_squares(resid, [guess], x_scale=1.0)
    D = float(np.exp(sol.x[0]))
    dof = max(1, len(t) - 1)
    s2 = float(np.sum(sol.fun**2) / dof)
    J = sol.jac
    cov = np.linalg.pinv(J.T @ J) * s2
    return {"D": D, "D_err": float(D * np.sqrt(cov[0, 0])),
            "rms_residual": float(np.sqrt(np.mean(sol.fun**2)))}


def compute_debye(traj, atom_indices: Sequence[int] | None, q_invA: np.ndarray, *,
                  species: Sequence[str] | None = None, stride: int = 1,
                  form_factors: str | Mapping = "wk1995",
                  bin_width_A: float | None = 0.002) -> np.ndarray:
    """Frame-averaged Debye intensity of the atoms ``atom_indices`` (default all) of an
    mdtraj trajectory (coordinates must keep the particle whole, as omm_cx run output
    does). ``species``: per-atom names of the whole topology (default: from the atom
    names). Returns I(Q) (electrons^2), shape of ``q_invA``."""
    from omm_cx.analysis.groups import species_of_topology
    from omm_cx import units

    sp = np.asarray(species) if species is not None else species_of_topology(traj.topology)
    sel = np.arange(traj.n_atoms) if atom_indices is None else np.asarray(atom_indices)
    frames = range(0, traj.n_frames, stride)
    acc = np.zeros_like(np.asarray(q_invA, float))
    for k in frames:
        acc += debye_intensity(units.nm_to_angstrom(traj.xyz[k][sel]), sp[sel], q_invA,
                               form_factors=form_factors, bin_width_A=bin_width_A)
    return acc / len(frames)
