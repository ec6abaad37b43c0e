"""The verdict of each published claim of a study, with the numbers and the reason:

- ``reproduced``: the published value lies inside our 95 % interval (value tests), or
  the difference's interval lies wholly in the stated direction (order, above/below,
  ratio, monotonic);
- ``not reproduced``: the interval excludes the published value, or lies wholly on the
  wrong side;
- ``not resolved``: the interval is too wide to decide (or one run gave no spread); the
  reason says how many seeds would resolve it at the measured spread;
- ``not testable at this scale``: only for a claim whose conditions the preset does not
  meet (``testable_from`` and ``needs`` say which).

Intervals are Student's t over seeds with n - 1 dof (Welch for differences; paired when
both quantities come from the same runs); fits (Arrhenius) are weighted by each run's
own error with the fit's covariance and n - 2 dof. A deterministic study (statics, a
fixed model's pattern) is exact: its rules compare the numbers themselves within the
claim's tolerance, which comes from the paper's printed precision. The test kinds are
in :mod:`omm_cx.studies.claim_tests`.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from omm_cx.studies.aggregate import Group
from omm_cx.studies.claim_tests import (NOT_REPRODUCED, NOT_RESOLVED, NOT_TESTABLE, REPRODUCED,
                                        VERDICTS, Outcome, curves_test, difference,
                                        direction_rule, equal_rule, linear_test, monotonic_test,
                                        ours_entry, ratio_test, threshold_test, value_rule,
                                        value_test, worst)
from omm_cx.studies.spec import SCALES, ClaimInput, StudySpec
from omm_cx.studies.stats import weighted_line_fit

__all__ = ["REPRODUCED", "NOT_REPRODUCED", "NOT_RESOLVED", "NOT_TESTABLE", "VERDICTS",
           "judge", "judge_all", "arrhenius_outcome"]

K_B_EV = 8.617333262e-5  # eV/K


def _partitions(groups: list[Group], selectors: Sequence[str]) -> list[list[Group | None]]:
    """For each combination of the axes the selectors do not fix, the groups matching
    each selector in order (missing ones as None)."""
    if not selectors:
        return [[g] for g in groups]
    axes = {s.partition("=")[0] for s in selectors}
    parts: dict[tuple, list] = {}
    for g in groups:
        rest = tuple(sorted((k, str(v)) for k, v in g.labels.items() if k not in axes))
        parts.setdefault(rest, [None] * len(selectors))
        for i, sel in enumerate(selectors):
            if g.matches(sel):
                parts[rest][i] = g
    return [p for p in parts.values() if any(x is not None for x in p)]


def _entry(claim: ClaimInput, spec: StudySpec, scale: str) -> dict:
    q = spec.quantities[claim.quantity]
    return {"id": claim.id, "statement": claim.statement, "source": claim.source,
            "ref": claim.ref or spec.paper.refs[0], "line": claim.line, "quote": claim.quote,
            "test": claim.test, "quantity": claim.quantity, "unit": q.unit,
            "published": claim.published, "published_sem": claim.published_sem,
            "threshold": claim.threshold, "tolerance": claim.tolerance,
            "reproduced_if": claim.reproduced_if, "testable_from": claim.testable_from,
            "deterministic": spec.deterministic, "scale": scale, "ours": []}


def judge(claim: ClaimInput, spec: StudySpec, scale: str, agg: dict[str, list[Group]]) -> dict:
    """The verdict entry of one claim (JSON-ready)."""
    entry = _entry(claim, spec, scale)
    groups = agg[claim.quantity]
    selected = [g for g in groups if all(g.matches(s) for s in claim.groups)]
    if SCALES.index(scale) < SCALES.index(claim.testable_from):
        need = f": {claim.needs}" if claim.needs else ""
        entry.update(verdict=NOT_TESTABLE, reason=f"needs the {claim.testable_from} preset"
                     f"{need}; this study ran at {scale}",
                     ours=[ours_entry(g) for g in selected if g.x is None and g.n])
        return entry
    outcomes = _outcomes(claim, spec, groups, selected, agg)
    if not outcomes:
        outcomes = [Outcome(NOT_RESOLVED, "no run matches the claim's groups")]
    entry["verdict"] = worst([o.verdict for o in outcomes])
    entry["reason"] = "; ".join(o.reason for o in outcomes)
    entry["ours"] = [x for o in outcomes for x in o.ours]
    needed = [o.seeds_needed for o in outcomes if o.verdict == NOT_RESOLVED and o.seeds_needed]
    if needed:
        entry["seeds_to_resolve"] = max(needed)
    return entry


def _no_data(g: Group | None, label: str) -> str:
    """Why a group has no value: its runs did not finish, or finished without the key."""
    if g is not None and g.absent and len(g.absent) == len(g.missing):
        return (f"{label}: the runs finished, but their outputs have no value for this "
                f"quantity (the analysis or call does not write it)")
    return f"{label}: no finished run"


def _missing(part: list[Group | None], claim: ClaimInput) -> Outcome | None:
    gone = [_no_data(g, claim.groups[i] if i < len(claim.groups) else "all")
            for i, g in enumerate(part) if g is None or g.n == 0]
    return Outcome(NOT_RESOLVED, "; ".join(gone)) if gone else None


def _outcomes(claim: ClaimInput, spec: StudySpec, groups: list[Group],
              selected: list[Group], agg: dict) -> list[Outcome]:
    det, unit = spec.deterministic, spec.quantities[claim.quantity].unit
    test = claim.test
    if test == "arrhenius":
        gate = None
        if claim.exclude_runs is not None:
            gate = {k: v for g in agg[claim.exclude_runs.quantity] for k, v in zip(g.keys, g.values)}
        return [arrhenius_outcome(claim, selected, det, gate)]
    if claim.other is not None:
        return [_with_other(claim, g, next((o for o in agg[claim.other] if o.labels == g.labels),
                                           None), det) for g in selected]
    if test in ("order", "equal", "curves_equal", "ratio"):
        out = []
        for part in _partitions(groups, claim.groups):
            miss = _missing(part, claim)
            out.append(miss or _pairwise(claim, part, det))
        return out
    out = []
    for g in selected:
        if g.n == 0:
            out.append(Outcome(NOT_RESOLVED, _no_data(g, g.label_text())))
        elif test == "value":
            out.append(value_test(claim, g, det, unit))
        elif test in ("above", "below"):
            out.append(threshold_test(claim, g, det))
        elif test == "monotonic":
            out.append(monotonic_test(claim, g, det))
        elif test == "linear":
            out.append(linear_test(claim, g, det))
    return out


def _pairwise(claim: ClaimInput, part: list[Group], det: bool) -> Outcome:
    if claim.test == "curves_equal":
        return curves_test(claim, part[0], part[1], det)
    if claim.test == "ratio":
        return ratio_test(claim, part[0], part[1], det)
    tol = claim.tolerance or 0.0
    steps = []
    for a, b in zip(part, part[1:]):
        label = f"{a.label_text()} minus {b.label_text()}"
        iv = difference(a, b, det)
        rule = equal_rule if claim.test == "equal" else direction_rule
        steps.append(rule(label, iv, tol, det, min(a.n, b.n)))
    out = Outcome(worst([s.verdict for s in steps]), "; ".join(s.reason for s in steps),
                  [ours_entry(g) for g in part])
    needed = [s.seeds_needed for s in steps if s.seeds_needed]
    out.seeds_needed = max(needed) if needed else None
    return out


def _with_other(claim: ClaimInput, g: Group, o: Group | None, det: bool) -> Outcome:
    """``quantity`` against ``other`` within one group (paired over the same runs)."""
    if o is None or g.n == 0 or o.n == 0:
        return Outcome(NOT_RESOLVED, _no_data(o if o is not None and o.n == 0 else g, g.label_text()))
    a = Group({"q": claim.quantity, **g.labels}, keys=g.keys, mean=g.mean, sem=g.sem,
              values=g.values, x=g.x)
    b = Group({"q": claim.other, **o.labels}, keys=o.keys, mean=o.mean, sem=o.sem,
              values=o.values, x=o.x)
    if claim.test == "curves_equal":
        return curves_test(claim, a, b, det)
    label = f"{g.label_text()}: {claim.quantity} minus {claim.other}"
    iv = difference(a, b, det, paired=True)
    rule = equal_rule if claim.test == "equal" else direction_rule
    out = rule(label, iv, claim.tolerance or 0.0, det, min(a.n, b.n))
    out.ours = [ours_entry(a), ours_entry(b)]
    return out


def arrhenius_outcome(claim: ClaimInput, groups: list[Group], det: bool = False,
                      gate: dict | None = None) -> Outcome:
    """Ea from a weighted fit of ln D on 1/(k_B T) over every run (each weighted by its
    own D error where every run has one), then the value rule on Ea's t interval
    (n - 2 dof). Runs with D <= 0 are listed, not fitted; so are runs whose
    ``exclude_runs`` quantity (``gate``: run key -> value) is below the claim's limit.
    The fit needs >= 2 runs at each of >= 2 temperatures (a spread at each point)."""
    pts, dropped, gated = [], [], []
    rule = claim.exclude_runs
    for g in groups:
        if claim.x not in g.labels:
            continue
        T = float(g.labels[claim.x])
        for key, d, e in zip(g.keys, g.values, g.errors or [math.nan] * g.n):
            if rule is not None and not (gate or {}).get(key, -math.inf) >= rule.below:
                gated.append((key, (gate or {}).get(key)))
                continue
            (pts if math.isfinite(d) and d > 0 else dropped).append((T, float(d), float(e), key))
    drop_text = ("; not fitted (ln D undefined): " + ", ".join(
        f"{k} D = {d:.3g}" for _, d, _, k in dropped)) if dropped else ""
    if gated:
        drop_text += (f"; left out ({rule.quantity} below {rule.below:g} or missing): " +
                      ", ".join(f"{k} ({v:.3g})" if v is not None else f"{k} (missing)"
                                for k, v in gated))
    temps = sorted({p[0] for p in pts})
    per_t = {t: sum(p[0] == t for p in pts) for t in temps}
    ours = [{"group": "runs", "temperatures_K": [p[0] for p in pts], "D": [p[1] for p in pts],
             "D_err": [p[2] for p in pts], "keys": [p[3] for p in pts],
             "dropped": [{"key": k, "T_K": t, "D": d} for t, d, _, k in dropped],
             "left_out": [{"key": k, "value": v} for k, v in gated]}]
    if len(temps) < 2 or (not det and min(per_t.values()) < 2):
        return Outcome(NOT_RESOLVED, f"runs with D > 0 per temperature {per_t or '{}'}: the fit "
                       f"needs >= 2 temperatures with >= 2 seeds each{drop_text}", ours, 3)
    T = np.array([p[0] for p in pts])
    D = np.array([p[1] for p in pts])
    E = np.array([p[2] for p in pts])
    weighted = bool(np.all(np.isfinite(E) & (E > 0)))
    fit = weighted_line_fit(1.0 / (K_B_EV * T), np.log(D), E / D if weighted else None)
    iv = fit.slope_interval
    ea = type(iv)(-iv.estimate, iv.half_width, iv.se, iv.dof, iv.n)
    ours.insert(0, {"group": "Arrhenius fit", "mean": ea.estimate, "sem": ea.se, "n": fit.n,
                    "ci95": [ea.low, ea.high], "dof": ea.dof, "weighted": weighted,
                    "chi2": fit.chi2, "ln_D0": fit.intercept})
    how = ("weighted by each run's own D error" if weighted else
           "unweighted (not every run has its own D error)")
    out = value_rule(claim, ea, f"Ea from {fit.n} runs at {len(temps)} temperatures ({how})",
                     ours, "eV")
    out.reason += drop_text
    return out


def judge_all(spec: StudySpec, scale: str, agg: dict[str, list[Group]]) -> list[dict]:
    """The verdict entries of every claim of ``spec``."""
    return [judge(c, spec, scale, agg) for c in spec.claims]
