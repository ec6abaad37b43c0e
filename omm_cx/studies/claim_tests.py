"""The test kinds of study claims, each a function of the aggregated groups that
returns an :class:`Outcome`: a verdict, the reason in words a reader checks by hand
(the numbers, the interval, the rule), our numbers, and for 'not resolved' how many
seeds would resolve it. The statistics are :mod:`omm_cx.studies.stats` (Student's t at
95 %, Welch for differences); :mod:`omm_cx.studies.verdicts` picks the test and the
groups.

A deterministic study (statics, a fixed model's pattern) has no sampling noise: one run
is exact and each rule compares the number itself. Otherwise one run has no spread and
every test says 'not resolved'.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from omm_cx.studies.aggregate import Group
from omm_cx.studies.spec import ClaimInput
from omm_cx.studies.stats import (Interval, mean_interval, seeds_to_resolve, t_quantile,
                                  welch_difference)

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_RESOLVED = "not resolved"
NOT_TESTABLE = "not testable at this scale"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_RESOLVED, NOT_TESTABLE)


@dataclass
class Outcome:
    verdict: str
    reason: str
    ours: list = field(default_factory=list)
    seeds_needed: int | None = None


def worst(verdicts: list[str]) -> str:
    """not reproduced > not resolved > not testable > reproduced."""
    for v in (NOT_REPRODUCED, NOT_RESOLVED, NOT_TESTABLE):
        if v in verdicts:
            return v
    return REPRODUCED


def ours_entry(g: Group, interval: Interval | None = None) -> dict:
    d = {"group": g.label_text(), "mean": g.mean, "sem": g.sem, "n": g.n}
    if interval is not None:
        d.update(ci95=[interval.low, interval.high], dof=interval.dof)
    return d


def exact(value: float, n: int = 1) -> Interval:
    """A number without sampling noise (a deterministic study)."""
    return Interval(float(value), 0.0, 0.0, math.inf, n)


def group_interval(g: Group, det: bool) -> Interval | None:
    if det:
        return exact(g.mean, g.n)
    return mean_interval(g.values)


def one_run(what: str, n: int) -> Outcome:
    return Outcome(NOT_RESOLVED, f"{what}: {n} run{'s' if n != 1 else ''}, no spread "
                   f"(a verdict needs >= 3 seeds for a t interval)", seeds_needed=3)


def _need(n: int, iv: Interval, distance: float,
          right_side: bool | None = None) -> tuple[str, int | None]:
    """How many seeds per group would decide it: the interval's half-width must shrink
    below ``distance`` (from the mean to the boundary the verdict turns on)."""
    k = seeds_to_resolve(n, iv.half_width, abs(distance))
    if k is None:
        return "; the mean sits on the boundary: no number of seeds decides it", None
    if right_side is None:
        return f"; ~{k} seeds per group would narrow it below {abs(distance):.3g} at this spread", k
    side = "for the claim" if right_side else "against the claim"
    return f"; at this mean and spread ~{k} seeds per group would decide it ({side})", k


# ------------------------------------------------------------------ value, above/below
def value_test(claim: ClaimInput, g: Group, det: bool, unit: str = "") -> Outcome:
    """Ours against the published value (± published_sem, ± tolerance)."""
    iv = group_interval(g, det)
    if iv is None:
        return one_run(g.label_text(), g.n)
    return value_rule(claim, iv, g.label_text(), [ours_entry(g, iv)], unit)


def value_rule(claim: ClaimInput, iv: Interval, label: str, ours: list, unit: str = "") -> Outcome:
    p, ps, tol = claim.published, claim.published_sem or 0.0, claim.tolerance or 0.0
    d = iv.estimate - p
    h = math.hypot(iv.half_width, 1.96 * ps)
    allowed = h + tol
    pub = f"published {p:g}" + (f" ± {ps:g}" if ps else "") + (f" (tolerance {tol:g})" if tol else "")
    text = (f"{label}: ours {iv.text(unit)} vs {pub}: difference {d:+.3g}, allowed {allowed:.3g} (95 % half-width"
            f"{' with the published error' if ps else ''} {h:.3g} + tolerance {tol:g})")
    if abs(d) > allowed:
        return Outcome(NOT_REPRODUCED, text + ": the published value lies outside", ours)
    resolution = tol if tol else 0.5 * abs(p)
    if iv.half_width > resolution > 0 or (resolution == 0 and iv.half_width > 0):
        note, k = _need(iv.n, iv, resolution)
        return Outcome(NOT_RESOLVED, text + f": inside, but our interval ±{iv.half_width:.3g} is "
                       f"wider than {resolution:.3g} ({'the tolerance' if tol else 'half the published value'})"
                       + note, ours, k)
    return Outcome(REPRODUCED, text + ": the published value lies inside", ours)


def threshold_test(claim: ClaimInput, g: Group, det: bool) -> Outcome:
    """above/below: the whole interval beyond the threshold."""
    iv = group_interval(g, det)
    if iv is None:
        return one_run(g.label_text(), g.n)
    t, above = claim.threshold, claim.test == "above"
    word = ">" if above else "<"
    text = f"{g.label_text()}: {iv.text()} against {word} {t:g}"
    ours = [ours_entry(g, iv)]
    right = iv.low > t if above else iv.high < t
    wrong = iv.high < t if above else iv.low > t
    if det:
        right, wrong = (iv.estimate > t, iv.estimate <= t) if above else (iv.estimate < t, iv.estimate >= t)
    if right:
        return Outcome(REPRODUCED, text + ": the interval lies beyond the threshold", ours)
    if wrong:
        return Outcome(NOT_REPRODUCED, text + ": the interval lies on the wrong side", ours)
    note, k = _need(iv.n, iv, iv.estimate - t, (iv.estimate > t) == above)
    return Outcome(NOT_RESOLVED, text + ": the interval contains the threshold" + note, ours, k)


# ------------------------------------------------------------------ differences
def difference(a: Group, b: Group, det: bool, paired: bool = False) -> Interval | None:
    """mean(a) - mean(b): exact (deterministic), paired over the same runs, or Welch."""
    if det:
        return exact(a.mean - b.mean, a.n + b.n)
    if paired and a.keys == b.keys:
        return mean_interval(np.asarray(a.values, float) - np.asarray(b.values, float))
    return welch_difference(a.values, b.values)


def direction_rule(label: str, iv: Interval | None, tol: float, det: bool, n: int) -> Outcome:
    """The difference is > tol (reproduced), < 0 (not reproduced) or undecided."""
    if iv is None:
        return one_run(label, n)
    text = f"{label}: difference {iv.text()}" + (f", stated margin {tol:g}" if tol else "")
    if det:
        ok = iv.estimate > tol
        return Outcome(REPRODUCED if ok else NOT_REPRODUCED,
                       text + (": in the stated direction" if ok else ": not in the stated direction"))
    if iv.low > tol:
        return Outcome(REPRODUCED, text + f": the interval lies above {tol:g}")
    if iv.high < 0:
        return Outcome(NOT_REPRODUCED, text + ": the interval lies below 0 (the opposite order)")
    note, k = _need(n, iv, iv.estimate - tol if iv.estimate > tol else iv.estimate,
                    iv.estimate > tol)
    return Outcome(NOT_RESOLVED, text + f": the interval contains {'0' if not tol else 'the margin'}"
                   + note, seeds_needed=k)


def equal_rule(label: str, iv: Interval | None, tol: float, det: bool, n: int) -> Outcome:
    if iv is None:
        return one_run(label, n)
    text = f"{label}: difference {iv.text()}, tolerance ±{tol:g}"
    d = abs(iv.estimate)
    if det or d + iv.half_width <= tol:
        ok = d <= tol
        return Outcome(REPRODUCED if ok else NOT_REPRODUCED,
                       text + (": within the tolerance" if ok else ": beyond the tolerance"))
    if d - iv.half_width > tol:
        return Outcome(NOT_REPRODUCED, text + ": the interval lies beyond the tolerance")
    note, k = _need(n, iv, tol - d, d <= tol)
    return Outcome(NOT_RESOLVED, text + ": the interval straddles the tolerance" + note,
                   seeds_needed=k)


def ratio_test(claim: ClaimInput, a: Group, b: Group, det: bool) -> Outcome:
    """mean(a) / mean(b) > threshold; the ratio's s.e. by the delta method, t with
    min(n) - 1 dof."""
    label = f"{a.label_text()} / {b.label_text()}"
    ours = [ours_entry(a), ours_entry(b)]
    if not det and (a.n < 2 or b.n < 2):
        return one_run(label, min(a.n, b.n))
    thr = claim.threshold
    if b.mean == 0:  # nothing in the denominator: the ratio exceeds any threshold iff a > 0
        iv = exact(a.mean, a.n) if det else mean_interval(a.values)
        out = direction_rule(f"{label} (denominator 0 in every run; numerator above 0?)",
                             iv, 0.0, det, a.n)
        out.ours = ours
        return out
    r = a.mean / b.mean
    if det:
        ok = r > thr
        return Outcome(REPRODUCED if ok else NOT_REPRODUCED, f"{label} = {r:.4g} against > {thr:g}", ours)
    se = abs(r) * math.hypot(a.sem / a.mean if a.mean else math.inf, b.sem / b.mean)
    dof = min(a.n, b.n) - 1
    iv = Interval(r, t_quantile(dof) * se, se, dof, a.n + b.n)
    out = direction_rule(f"{label} - {thr:g}", Interval(r - thr, iv.half_width, se, dof, iv.n),
                         0.0, False, min(a.n, b.n))
    out.reason = f"ratio {iv.text()} (delta method) against > {thr:g}; " + out.reason
    out.ours = ours
    return out


# ------------------------------------------------------------------ curves
def curves_test(claim: ClaimInput, a: Group, b: Group, det: bool) -> Outcome:
    """RMS difference of two mean curves (where either exceeds 0.05) against the
    tolerance; its noise floor is the RMS of the pointwise combined s.e.m. times t."""
    label = f"{a.label_text()} vs {b.label_text()}"
    if not det and (a.n < 2 or b.n < 2):
        return one_run(label, min(a.n, b.n))
    n = min(len(a.mean), len(b.mean))
    ya, yb = (np.nan_to_num(np.asarray(g.mean, float)[:n]) for g in (a, b))
    m = np.maximum(ya, yb) > 0.05
    if not m.any():
        return Outcome(NOT_RESOLVED, f"{label}: empty curves")
    rms = float(np.sqrt(np.mean((ya[m] - yb[m]) ** 2)))
    tol = claim.tolerance if claim.tolerance is not None else 0.1
    if det:
        return Outcome(REPRODUCED if rms <= tol else NOT_REPRODUCED,
                       f"{label}: RMS difference {rms:.3g}, tolerance {tol:g}")
    sa, sb = (np.nan_to_num(np.asarray(g.sem, float)[:n]) for g in (a, b))
    floor = float(np.sqrt(np.mean(sa[m] ** 2 + sb[m] ** 2))) * t_quantile(min(a.n, b.n) - 1)
    text = (f"{label}: RMS difference {rms:.3g}, its 95 % noise ±{floor:.2g} (pointwise s.e.m. "
            f"x t), tolerance {tol:g}")
    if rms + floor <= tol:
        return Outcome(REPRODUCED, text + ": below the tolerance")
    if rms - floor > tol:
        return Outcome(NOT_REPRODUCED, text + ": above the tolerance")
    return Outcome(NOT_RESOLVED, text + ": the noise straddles the tolerance")


def monotonic_test(claim: ClaimInput, g: Group, det: bool) -> Outcome:
    """Every consecutive step of the series in the stated direction (all points, not a
    fitted slope)."""
    x, y = np.asarray(g.x, float), np.asarray(g.mean, float)
    sem = np.nan_to_num(np.asarray(g.sem, float)) if not det else np.zeros_like(y)
    sign = 1.0 if claim.direction == "increasing" else -1.0
    steps = []
    for i in range(len(y) - 1):
        d = sign * (y[i + 1] - y[i])
        iv = (exact(d) if det else
              Interval(d, t_quantile(g.n - 1) * math.hypot(sem[i], sem[i + 1]),
                       math.hypot(sem[i], sem[i + 1]), g.n - 1, g.n) if g.n > 1 else None)
        steps.append(direction_rule(f"{x[i]:g} -> {x[i + 1]:g}", iv, 0.0, det, g.n))
    if not steps:
        return Outcome(NOT_RESOLVED, f"{g.label_text()}: fewer than two points")
    values = ", ".join(f"{v:.4g}" for v in y)
    return Outcome(worst([s.verdict for s in steps]),
                   f"{g.label_text()}: {claim.direction} at every step? values {values} at "
                   f"{', '.join(f'{v:g}' for v in x)}; " + "; ".join(s.reason for s in steps),
                   [{"group": g.label_text(), "x": x.tolist(), "y": y.tolist(), "n": g.n}])


def linear_test(claim: ClaimInput, g: Group, det: bool) -> Outcome:
    """The largest |residual| of a straight-line fit within the tolerance."""
    x, y = np.asarray(g.x, float), np.asarray(g.mean, float)
    if len(x) < 3:
        return Outcome(NOT_RESOLVED, f"{g.label_text()}: a line through {len(x)} points always fits")
    if not det and g.n < 2:
        return one_run(g.label_text(), g.n)
    slope, icpt = np.polyfit(x, y, 1)
    r = float(np.max(np.abs(y - (slope * x + icpt))))
    noise = 0.0 if det else float(np.nanmax(np.asarray(g.sem, float))) * t_quantile(g.n - 1)
    tol = claim.tolerance or 0.0
    text = (f"{g.label_text()}: line y = {slope:.4g} x + {icpt:.4g}, largest |residual| {r:.3g}"
            + (f" ± {noise:.2g}" if noise else "") + f", tolerance {tol:g}")
    ours = [{"group": g.label_text(), "x": x.tolist(), "y": y.tolist(), "n": g.n}]
    if r + noise <= tol:
        return Outcome(REPRODUCED, text + ": linear within the tolerance", ours)
    if r - noise > tol:
        return Outcome(NOT_REPRODUCED, text + ": beyond the tolerance", ours)
    return Outcome(NOT_RESOLVED, text + ": the noise straddles the tolerance", ours)
