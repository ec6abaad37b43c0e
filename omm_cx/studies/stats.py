"""The statistics behind study verdicts: Student's t intervals over seeds, Welch's
interval of a difference, the weighted straight-line fit with its covariance, and how
many seeds would resolve a difference. Plain functions of numbers; no study objects.

Every interval is two-sided at :data:`CONFIDENCE` (95 %). One value has no spread: its
interval is ``None`` (never a zero-width interval), and a claim that needs a spread is
then 'not resolved'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
from scipy import stats

__all__ = ["CONFIDENCE", "Interval", "t_quantile", "mean_interval", "welch_difference",
           "LineFit", "weighted_line_fit", "seeds_to_resolve"]

CONFIDENCE = 0.95


@dataclass(frozen=True)
class Interval:
    """``estimate`` ± ``half_width`` at :data:`CONFIDENCE`, from ``n`` values (or points)
    with ``dof`` degrees of freedom and standard error ``se``."""

    estimate: float
    half_width: float
    se: float
    dof: float
    n: int

    @property
    def low(self) -> float:
        return self.estimate - self.half_width

    @property
    def high(self) -> float:
        return self.estimate + self.half_width

    @property
    def t(self) -> float:
        return self.half_width / self.se if self.se > 0 else float("nan")

    def text(self, unit: str = "") -> str:
        u = f" {unit}" if unit else ""
        if math.isinf(self.dof):
            return f"{self.estimate:.4g}{u} (exact: no sampling noise)"
        return (f"{self.estimate:.4g}{u}, 95 % interval [{self.low:.4g}, {self.high:.4g}] "
                f"(s.e. {self.se:.2g}, t = {self.t:.3g} with {self.dof:.3g} dof, n = {self.n})")


def t_quantile(dof: float, confidence: float = CONFIDENCE) -> float:
    """Two-sided Student's t quantile, e.g. 4.303 for 2 dof at 95 %."""
    return float(stats.t.ppf(0.5 + confidence / 2.0, dof))


def mean_interval(values: Sequence[float]) -> Interval | None:
    """Mean of the finite ``values`` with its t interval (n - 1 dof); None for fewer than
    two values (one run gives no s.e.m.)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if len(v) < 2:
        return None
    se = float(np.std(v, ddof=1) / math.sqrt(len(v)))
    dof = len(v) - 1
    return Interval(float(v.mean()), t_quantile(dof) * se, se, dof, len(v))


def welch_difference(a: Sequence[float], b: Sequence[float]) -> Interval | None:
    """mean(a) - mean(b) with Welch's t interval (Welch-Satterthwaite dof); None when
    either side has fewer than two values. Where both spreads are 0 the interval is 0."""
    ia, ib = mean_interval(a), mean_interval(b)
    if ia is None or ib is None:
        return None
    va, vb = ia.se ** 2, ib.se ** 2
    se = math.sqrt(va + vb)
    if se == 0:
        return Interval(ia.estimate - ib.estimate, 0.0, 0.0, ia.n + ib.n - 2, ia.n + ib.n)
    dof = (va + vb) ** 2 / (va ** 2 / (ia.n - 1) + vb ** 2 / (ib.n - 1))
    return Interval(ia.estimate - ib.estimate, t_quantile(dof) * se, se, dof, ia.n + ib.n)


@dataclass(frozen=True)
class LineFit:
    """y = intercept + slope x by weighted least squares. ``cov`` (2x2, order slope,
    intercept) is scaled by the reduced chi^2 (the points' scatter sets the scale, the
    weights their relative precision); ``slope_interval`` uses n - 2 dof."""

    slope: float
    intercept: float
    cov: np.ndarray
    chi2: float
    n: int
    weighted: bool

    @property
    def dof(self) -> int:
        return self.n - 2

    @property
    def slope_interval(self) -> Interval | None:
        if self.dof < 1:
            return None
        se = math.sqrt(max(self.cov[0, 0], 0.0))
        return Interval(self.slope, t_quantile(self.dof) * se, se, self.dof, self.n)


def weighted_line_fit(x: Sequence[float], y: Sequence[float],
                      sigma: Sequence[float] | None = None) -> LineFit:
    """Weighted least squares of y on x with weights 1/sigma^2 (unweighted without
    ``sigma``): solves the normal equations (X^T W X) beta = X^T W y, covariance
    (X^T W X)^-1 chi^2 / (n - 2). Needs two points or more."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) != len(y) or len(x) < 2:
        raise ValueError("a line fit needs two points or more")
    w = np.ones_like(x) if sigma is None else 1.0 / np.asarray(sigma, float) ** 2
    X = np.column_stack([x, np.ones_like(x)])
    A = X.T @ (w[:, None] * X)
    beta = np.linalg.solve(A, X.T @ (w * y))
    r = y - X @ beta
    chi2 = float(np.sum(w * r ** 2))
    dof = len(x) - 2
    cov = np.linalg.inv(A) * (chi2 / dof if dof > 0 else float("nan"))
    return LineFit(float(beta[0]), float(beta[1]), cov, chi2, len(x), sigma is not None)


def seeds_to_resolve(n: int, half_width: float, margin: float) -> int | None:
    """Seeds per group that would shrink an interval of ``half_width`` (from ``n``
    seeds) below ``margin``, assuming the s.e.m. falls as 1/sqrt(n) and t ~ 2; None
    when ``margin`` <= 0 (no number of seeds resolves a difference of zero)."""
    if margin <= 0 or not math.isfinite(half_width) or n < 2:
        return None
    se = half_width / t_quantile(n - 1)
    return max(n + 1, math.ceil(n * (2.0 * se / margin) ** 2 + 1e-9))
