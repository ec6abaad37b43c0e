"""Mean square displacement, diffusion coefficient (Einstein relation in 3D) and the
Arrhenius fit of D(T) that gives a migration energy (003, step c).

MSD(tau) = < |r_i(t + tau) - r_i(t)|^2 >, averaged over the selected atoms and over time
origins every ``origin_stride`` frames, from coordinates unwrapped across periodic
boundaries (:class:`~omm_cx.periodic.Unwrapper`). Memory is bounded by
``max_lag / origin_stride`` stored origins, whatever the trajectory length.

D = slope / 6 of a straight-line fit MSD = 6 D tau + b over a lag window, by default
[max_lag / 10, max_lag / 2] (past the ballistic and cage regime, before the noisy long
lags). Error of D: the selected atoms are dealt round-robin into ``n_blocks``
independent groups, D is fitted per group, and the error is the standard error of the
mean of the group values; with fewer atoms than blocks (one interstitial Cu, as in 003),
the standard error of the fitted slope is given instead (it ignores the correlation of
MSD points and underestimates the error; summary.json says which).

Arrhenius: ln D = ln D0 - E_a / (k_B T), weighted least squares in 1/T when the errors
of D are known (sigma_lnD = sigma_D / D), ordinary least squares otherwise; E_a in eV with
its standard error.

:func:`compute_msd` works on an in-memory trajectory; :class:`MSDAnalysis` is the
streaming ``msd`` analysis of the driver (msd.csv and D in summary.json); combining runs
into the Arrhenius fit is :func:`omm_cx.analysis.runs.combine_runs`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from omm_cx.analysis.base import Analysis, AnalysisContext, AnalysisOutput, CannotRun
from omm_cx.analysis.trajectory import Frame, frames_of
from omm_cx.errors import AnalysisError
from omm_cx.periodic import Unwrapper
from omm_cx.units import BOLTZMANN_EV_PER_K, a2_per_ps_to_cm2_per_s

if TYPE_CHECKING:  # pragma: no cover
    import mdtraj as md

    from omm_cx.analysis.membership import FrameMembership


@dataclass
class MSDResult:
    """``lag_ps`` (n_lags,) ps; ``msd_A2`` (n_lags,) Å^2; ``n_origins`` (n_lags,) time
    origins per lag; ``block_msd_A2`` (n_blocks, n_lags); ``n_atoms``."""

    lag_ps: np.ndarray
    msd_A2: np.ndarray
    n_origins: np.ndarray
    block_msd_A2: np.ndarray
    n_atoms: int

    def table(self) -> dict[str, np.ndarray]:
        return {"lag_ps": self.lag_ps, "msd_A2": self.msd_A2, "n_origins": self.n_origins}


@dataclass
class DiffusionFit:
    """D from MSD = 6 D tau + b over ``window_ps``: ``D_A2_per_ps`` (Å^2/ps) and
    ``D_cm2_per_s``, their errors, ``intercept_A2``, ``error_method``."""

    D_A2_per_ps: float
    D_err_A2_per_ps: float
    intercept_A2: float
    window_ps: tuple[float, float]
    n_points: int
    error_method: str

    @property
    def D_cm2_per_s(self) -> float:
        return float(a2_per_ps_to_cm2_per_s(self.D_A2_per_ps))

    @property
    def D_err_cm2_per_s(self) -> float:
        return float(a2_per_ps_to_cm2_per_s(self.D_err_A2_per_ps))

    def as_dict(self) -> dict:
        return {"D_A2_per_ps": self.D_A2_per_ps, "D_err_A2_per_ps": self.D_err_A2_per_ps,
                "D_cm2_per_s": self.D_cm2_per_s, "D_err_cm2_per_s": self.D_err_cm2_per_s,
                "intercept_A2": self.intercept_A2, "fit_window_ps": list(self.window_ps),
                "n_points": self.n_points, "error_method": self.error_method,
                "relation": "MSD = 6 D tau + b (3D Einstein relation)"}


@dataclass
class ArrheniusFit:
    """ln D = ln D0 - Ea / (k_B T): ``Ea_eV`` and ``Ea_err_eV`` (standard error),
    ``D0`` (units of the D given) and ``ln_D0_err``, ``n_points``, ``weighted``."""

    Ea_eV: float
    Ea_err_eV: float
    D0: float
    ln_D0_err: float
    n_points: int
    weighted: bool

    def as_dict(self) -> dict:
        return dict(self.__dict__)


class MSDAccumulator:
    """Streams consecutive, equally spaced frames into MSD sums. ``atoms``: indices;
    ``max_lag`` in frames; ``origin_stride`` frames between time origins; ``n_blocks``
    atom groups for the error of D."""

    def __init__(self, atoms: np.ndarray, max_lag: int, origin_stride: int = 1, n_blocks: int = 5):
        self.atoms = np.asarray(atoms, dtype=int)
        if len(self.atoms) == 0:
            raise AnalysisError("msd: no atoms selected")
        self.max_lag = int(max_lag)
        self.stride = max(1, int(origin_stride))
        self.n_blocks = max(1, min(int(n_blocks), len(self.atoms)))
        # atoms dealt round-robin into blocks, stored block by block (contiguous)
        block = np.arange(len(self.atoms)) % self.n_blocks
        order = np.argsort(block, kind="stable")
        self.atoms = self.atoms[order]
        self._block_n = np.bincount(block, minlength=self.n_blocks).astype(float)
        self._starts = np.concatenate([[0], np.cumsum(self._block_n)[:-1]]).astype(int)
        self._unwrap = Unwrapper()
        n_slots = self.max_lag // self.stride + 1  # origins within max_lag of the frame
        self._buf = np.zeros((n_slots, len(self.atoms), 3))
        self._buf2 = np.zeros((n_slots, len(self.atoms)))  # |origin|^2 per atom
        self._t0 = np.full(n_slots, -1, dtype=np.int64)
        self.sum = np.zeros((self.n_blocks, self.max_lag + 1))
        self.count = np.zeros(self.max_lag + 1, dtype=np.int64)
        self.t = 0

    def add(self, xyz_A: np.ndarray, box_A: np.ndarray | None) -> None:
        """The next frame: positions (N, 3) Å, box (3, 3) Å or None."""
        u = self._unwrap(xyz_A[self.atoms], box_A)
        if self.t == 0:
            self._shift = u.mean(axis=0)
        u -= self._shift  # keeps |u|^2 small for the expansion below
        u2 = np.einsum("ai,ai->a", u, u)
        if self.t % self.stride == 0:
            slot = (self.t // self.stride) % len(self._t0)
            self._buf[slot] = u
            self._buf2[slot] = u2
            self._t0[slot] = self.t
        valid = (self._t0 >= 0) & (self.t - self._t0 <= self.max_lag)
        # |u - o|^2 = |u|^2 + |o|^2 - 2 u.o for every stored origin o: (n_slots, n_atoms)
        d2 = self._buf2 + u2[None] - 2.0 * np.einsum("sai,ai->sa", self._buf, u, optimize=True)
        block = np.add.reduceat(d2, self._starts, axis=1)  # (n_slots, n_blocks)
        lags = self.t - self._t0[valid]
        self.sum[:, lags] += np.maximum(block[valid], 0.0).T
        self.count[lags] += 1
        self.t += 1

    def result(self, dt_ps: float) -> MSDResult:
        ok = self.count > 0
        c = np.maximum(self.count, 1)
        block = self.sum / (c[None, :] * self._block_n[:, None])
        total = self.sum.sum(axis=0) / (c * len(self.atoms))
        lags = np.arange(self.max_lag + 1)
        return MSDResult(lags[ok] * float(dt_ps), total[ok], self.count[ok], block[:, ok], len(self.atoms))


def compute_msd(traj: "md.Trajectory", atoms: np.ndarray, max_lag_ps: float | None = None,
                origin_stride: int = 1, n_blocks: int = 5, dt_ps: float | None = None) -> MSDResult:
    """MSD (Å^2) against lag (ps) of an in-memory mdtraj trajectory with equally spaced
    frames. ``max_lag_ps`` default: half the trajectory."""
    frames = list(frames_of(traj, dt_ps))
    dt = dt_ps if dt_ps is not None else (frames[1].time_ps - frames[0].time_ps if len(frames) > 1 else 1.0)
    max_lag = (len(frames) // 2) if max_lag_ps is None else int(round(max_lag_ps / dt))
    acc = MSDAccumulator(atoms, min(max_lag, len(frames) - 1), origin_stride, n_blocks)
    for fr in frames:
        acc.add(fr.xyz_A, fr.box_A)
    return acc.result(dt)


def _line_fit(x: np.ndarray, y: np.ndarray, sigma: np.ndarray | None = None):
    """Least squares y = a + b x: (b, a, se_b, se_a). With ``sigma``: weights 1/sigma^2 and
    absolute errors; without: errors from the residual variance (NaN for 2 points)."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    w = np.ones_like(x) if sigma is None else 1.0 / np.asarray(sigma, float) ** 2
    S, Sx, Sy = w.sum(), (w * x).sum(), (w * y).sum()
    Sxx, Sxy = (w * x * x).sum(), (w * x * y).sum()
    delta = S * Sxx - Sx * Sx
    b = (S * Sxy - Sx * Sy) / delta
    a = (Sxx * Sy - Sx * Sxy) / delta
    if sigma is not None:
        return b, a, float(np.sqrt(S / delta)), float(np.sqrt(Sxx / delta))
    n = len(x)
    if n <= 2:
        return b, a, float("nan"), float("nan")
    s2 = np.sum((y - a - b * x) ** 2) / (n - 2)
    return b, a, float(np.sqrt(s2 * S / delta)), float(np.sqrt(s2 * Sxx / delta))


def fit_diffusion(msd: MSDResult, window_ps: tuple[float, float] | None = None) -> DiffusionFit:
    """D = slope / 6 of MSD against lag over ``window_ps`` (default [max_lag/10,
    max_lag/2])."""
    lag = msd.lag_ps
    if window_ps is None:
        window_ps = (0.1 * lag[-1], 0.5 * lag[-1])
    lo, hi = map(float, window_ps)
    m = (lag >= lo - 1e-9) & (lag <= hi + 1e-9) & (lag > 0)
    if m.sum() < 2:
        raise AnalysisError(f"msd: fewer than two lags in the fit window {lo:g}-{hi:g} ps "
                            f"(lags up to {lag[-1]:g} ps)")
    b, a, se_b, _ = _line_fit(lag[m], msd.msd_A2[m])
    if msd.block_msd_A2.shape[0] >= 2:
        per_block = [(_line_fit(lag[m], blk[m])[0]) / 6.0 for blk in msd.block_msd_A2]
        err = float(np.std(per_block, ddof=1) / np.sqrt(len(per_block)))
        method = f"standard error of the mean over {len(per_block)} independent atom groups"
    else:
        err = se_b / 6.0
        method = "standard error of the fitted slope (one atom group; underestimates)"
    return DiffusionFit(float(b / 6.0), err, float(a), (lo, hi), int(m.sum()), method)


def arrhenius_fit(temperature_K: Sequence[float], D: Sequence[float],
                  D_err: Sequence[float] | None = None) -> ArrheniusFit:
    """Fit ln D = ln D0 - Ea / (k_B T). ``D`` in any unit (D0 comes back in it);
    ``D_err`` (same unit) weights the fit when all are finite and positive."""
    T = np.asarray(temperature_K, float)
    D = np.asarray(D, float)
    if len(T) != len(D) or len(T) < 2:
        raise AnalysisError("arrhenius: need D at two temperatures or more")
    if np.any(D <= 0) or np.any(T <= 0):
        raise AnalysisError("arrhenius: D and T must be positive")
    x = 1.0 / (BOLTZMANN_EV_PER_K * T)
    sigma = None
    if D_err is not None:
        e = np.asarray(D_err, float)
        if np.all(np.isfinite(e)) and np.all(e > 0):
            sigma = e / D
    b, a, se_b, se_a = _line_fit(x, np.log(D), sigma)
    return ArrheniusFit(float(-b), float(se_b), float(np.exp(a)), float(se_a), len(T), sigma is not None)


@dataclass(frozen=True)
class MSDOptions:
    """Atoms (a species or group), longest lag (ps; None: half the run), the lag window of
    the Einstein fit (ps; None: max_lag/10 to max_lag/2), the most time origins."""

    select: str = "in_going"
    max_lag_ps: float | None = None
    fit_window_ps: tuple | list | None = None
    max_origins: int = 50


class MSDAnalysis(Analysis):
    """msd.csv (lag, MSD, time origins), msd.png, and D from the Einstein relation in
    summary.json (the ``select`` atoms; needs three equally spaced frames or more)."""

    name = "msd"
    Options = MSDOptions
    flat_options = {"msd_select": "select", "msd_max_lag_ps": "max_lag_ps",
                    "msd_fit_window_ps": "fit_window_ps", "msd_max_origins": "max_origins"}
    summary_keys = {"selection": "the atoms", "n_atoms": "their number",
                    "diffusion": "D_cm2_per_s and D_err_cm2_per_s (block error) of the fit"}

    @classmethod
    def report_line(cls, entry) -> str | None:
        d = entry.get("diffusion", {})
        if "D_cm2_per_s" not in d:
            return None
        return f"D = {d['D_cm2_per_s']:.3g} ± {d['D_err_cm2_per_s']:.2g} cm^2/s"

    def prepare(self, ctx: AnalysisContext) -> None:
        super().prepare(ctx)
        opt, n = self.options, ctx.n_frames
        atoms = ctx.groups.select(opt.select)
        if len(atoms) == 0:
            raise CannotRun(f"no atoms in selection {opt.select!r}")
        if n < 3 or not ctx.dt_ps > 0:
            raise CannotRun("needs at least 3 equally spaced frames")
        max_lag = n // 2 if opt.max_lag_ps is None else int(round(opt.max_lag_ps / ctx.dt_ps))
        max_lag = max(1, min(max_lag, n - 1))
        self.acc = MSDAccumulator(atoms, max_lag, max(1, math.ceil(max_lag / opt.max_origins)))

    def add(self, frame: Frame, membership: "FrameMembership | None") -> None:
        self.acc.add(frame.xyz_A, frame.box_A)

    def finish(self) -> AnalysisOutput:
        res = self.acc.result(self.ctx.dt_ps)
        s = {"selection": self.options.select, "n_atoms": res.n_atoms,
             "max_lag_ps": float(res.lag_ps[-1]), "origin_stride_frames": self.acc.stride}
        try:
            window = self.options.fit_window_ps
            fit = fit_diffusion(res, tuple(window) if window is not None else None)
            s["diffusion"] = fit.as_dict()
        except AnalysisError as exc:
            fit = None
            s["diffusion"] = {"error": str(exc)}
        return AnalysisOutput(s, tables={"msd.csv": res.table()},
                              figures={"msd.png": lambda: _figure(res, fit)})


def _figure(res: MSDResult, fit: DiffusionFit | None):
    from omm_cx.analysis.plots import plot_msd
    from omm_cx.io.figures import new_figure

    fig, (ax,) = new_figure()
    plot_msd(res, fit, ax=ax)
    return fig
