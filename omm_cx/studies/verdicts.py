"""The verdict of each published statement of a study: ``reproduced``, ``not
reproduced`` or ``not testable at this scale`` (never a bare pass), with the numbers and
the reason.

Tests (``claims[].test``; ``sigmas`` k, default 2; s = combined s.e.m.):

- ``value``: ours (mean ± sem) vs published (± published_sem): reproduced when
  |ours - published| <= tolerance, or <= k sqrt(sem^2 + published_sem^2), unless our
  s.e.m. exceeds half the published value (then not testable: agreement only because
  nothing is resolved);
- ``above`` / ``below`` threshold: reproduced when mean ∓ k sem is beyond the threshold,
  not reproduced when mean ± k sem is on the wrong side, else not testable;
- ``order``: the groups in the published order, largest first (or, with ``other``, the
  quantity above ``other`` in every group): each neighbouring difference must exceed
  k s (and ``tolerance``); a difference beyond k s the other way is 'not reproduced';
  anything else 'not testable at this scale' (not resolved);
- ``equal``: |difference| <= max(tolerance, k s);
- ``curves_equal``: RMS difference of two mean curves (where either exceeds 0.05) <=
  tolerance;
- ``arrhenius``: ln D against 1/T over the ``x`` axis (weighted by the s.e.m. where
  known) gives Ea ± err, then the ``value`` test.

With one run per group the s.e.m. is unknown: ``order``, ``equal``, ``above`` and
``below`` are then 'not testable at this scale' unless the claim gives a ``tolerance``
(the resolution that counts, e.g. two g(r) bins), which the difference must exceed (or,
for ``equal``, stay within); the reason says so. A statement is
'not testable at this scale' below its ``testable_from`` preset or when runs are missing.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from omm_cx.studies.aggregate import Group
from omm_cx.studies.spec import SCALES, ClaimInput, StudySpec

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
NOT_TESTABLE = "not testable at this scale"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, NOT_TESTABLE)
_CURVE_FLOOR = 0.05


def _s(x: float) -> float:
    return 0.0 if x is None or not math.isfinite(x) else float(x)


def _fmt(m: float, s: float, unit: str = "") -> str:
    u = f" {unit}" if unit else ""
    if not math.isfinite(m):
        return "n/a"
    return f"{m:.4g} ± {s:.2g}{u}" if math.isfinite(s) else f"{m:.4g}{u} (one run)"


def _partitions(groups: list[Group], selectors: Sequence[str]) -> list[list[Group]]:
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


def judge(claim: ClaimInput, spec: StudySpec, scale: str, agg: dict[str, list[Group]]) -> dict:
    """The verdict entry of one claim (JSON-ready)."""
    q = spec.quantities[claim.quantity]
    entry = {"id": claim.id, "statement": claim.statement, "source": claim.source,
             "test": claim.test, "quantity": claim.quantity, "unit": q.unit,
             "published": claim.published, "published_sem": claim.published_sem,
             "threshold": claim.threshold, "tolerance": claim.tolerance,
             "reproduced_if": claim.reproduced_if, "testable_from": claim.testable_from,
             "scale": scale, "ours": []}
    if SCALES.index(scale) < SCALES.index(claim.testable_from):
        entry.update(verdict=NOT_TESTABLE, reason=f"needs the {claim.testable_from} preset or "
                     f"larger; this study ran at {scale}")
        _fill_ours(entry, claim, agg)
        return entry
    groups = agg[claim.quantity]
    others = agg[claim.other] if claim.other else None
    if claim.test == "arrhenius":
        outcomes = [_arrhenius(claim, [g for g in groups if all(g.matches(s) for s in claim.groups)])]
    elif claim.other is not None:
        outcomes = [_with_other(claim, g, _same(others, g)) for g in groups
                    if all(g.matches(s) for s in claim.groups)]
    else:
        sel = claim.groups if claim.test in ("order", "equal", "curves_equal") else []
        pool = groups if sel else [g for g in groups if all(g.matches(s) for s in claim.groups)]
        outcomes = [_test(claim, part) for part in _partitions(pool, sel)]
    if not outcomes:
        outcomes = [(NOT_TESTABLE, "no run matches the claim's groups", [])]
    verdicts = [o[0] for o in outcomes]
    verdict = (NOT_REPRODUCED if NOT_REPRODUCED in verdicts else
               NOT_TESTABLE if NOT_TESTABLE in verdicts else REPRODUCED)
    entry["verdict"] = verdict
    entry["reason"] = "; ".join(o[1] for o in outcomes)
    entry["ours"] = [x for o in outcomes for x in o[2]]
    return entry


def _same(groups: list[Group], g: Group) -> Group | None:
    return next((o for o in groups if o.labels == g.labels), None)


def _fill_ours(entry: dict, claim: ClaimInput, agg: dict) -> None:
    for g in agg[claim.quantity]:
        if g.x is None and all(g.matches(s) for s in claim.groups if claim.test != "order"):
            entry["ours"].append({"group": g.label_text(), "mean": g.mean, "sem": g.sem, "n": g.n})


def _ours(g: Group) -> dict:
    return {"group": g.label_text(), "mean": g.mean, "sem": g.sem, "n": g.n}


def _test(claim: ClaimInput, part: list) -> tuple[str, str, list]:
    if any(g is None or g.n == 0 for g in part):
        missing = [claim.groups[i] if claim.groups else "all"
                   for i, g in enumerate(part) if g is None or g.n == 0]
        return NOT_TESTABLE, f"no finished run for {', '.join(missing)}", []
    ours = [_ours(g) for g in part if g.x is None]
    k = claim.sigmas
    if claim.test == "curves_equal":
        return (*_curves(claim, part[0], part[1]), [])
    if claim.test in ("order", "equal"):
        return (*_pairwise(claim, part), ours)
    g = part[0]
    m, s = g.mean, _s(g.sem)
    one = "" if math.isfinite(g.sem) else " (one run: s.e.m. unknown, taken as 0)"
    if claim.test == "value":
        return (*_value(claim, m, s, one), ours)
    t = claim.threshold
    if one and not claim.tolerance:
        return NOT_TESTABLE, (f"{g.label_text()}: {_fmt(m, g.sem)} vs {t:g} from one run: no "
                              f"s.e.m. and no tolerance in the claim"), ours
    lo, hi = (m - k * s, m + k * s) if not one else (m - claim.tolerance, m + claim.tolerance)
    above = claim.test == "above"
    if (lo > t) if above else (hi < t):
        return REPRODUCED, f"{g.label_text()}: {_fmt(m, g.sem)} {'>' if above else '<'} {t:g}{one}", ours
    if (hi < t) if above else (lo > t):
        return NOT_REPRODUCED, f"{g.label_text()}: {_fmt(m, g.sem)} on the wrong side of {t:g}{one}", ours
    return NOT_TESTABLE, f"{g.label_text()}: {_fmt(m, g.sem)} within {k:g} s.e.m. of {t:g}", ours


def _value(claim: ClaimInput, m: float, s: float, note: str = "") -> tuple[str, str]:
    p, ps = claim.published, _s(claim.published_sem)
    d = m - p
    allowed = max(claim.tolerance or 0.0, claim.sigmas * math.hypot(s, ps))
    text = f"ours {m:.4g} ± {s:.2g} vs published {p:g} ± {ps:g}: difference {d:+.3g} (allowed {allowed:.3g}){note}"
    if p and s > 0.5 * abs(p) and abs(d) <= allowed:
        return NOT_TESTABLE, text + "; our uncertainty is more than half the published value: not resolved"
    return (REPRODUCED if abs(d) <= allowed else NOT_REPRODUCED), text


def _pairwise(claim: ClaimInput, part: list[Group]) -> tuple[str, str]:
    k, tol = claim.sigmas, claim.tolerance or 0.0
    states, texts = [], []
    for a, b in zip(part, part[1:]):
        d, s = a.mean - b.mean, math.hypot(_s(a.sem), _s(b.sem))
        one = "" if math.isfinite(a.sem) and math.isfinite(b.sem) else ", one run each: s.e.m. taken as 0"
        texts.append(f"{a.label_text()} {a.mean:.4g} vs {b.label_text()} {b.mean:.4g}: "
                     f"difference {d:+.3g} (combined s.e.m. {s:.2g}{one})")
        if one and not tol:
            states.append(NOT_TESTABLE)
            texts[-1] += " - not testable: no s.e.m. from one run and no tolerance in the claim"
        elif claim.test == "equal":
            states.append(REPRODUCED if abs(d) <= max(tol, k * s) else NOT_REPRODUCED)
        elif d > k * s and d > tol:
            states.append(REPRODUCED)
        elif d < -k * s and -d > tol:
            states.append(NOT_REPRODUCED)
        else:
            states.append(NOT_TESTABLE)
    verdict = (NOT_REPRODUCED if NOT_REPRODUCED in states else
               NOT_TESTABLE if NOT_TESTABLE in states else REPRODUCED)
    return verdict, "; ".join(texts)


def _curves(claim: ClaimInput, a: Group, b: Group) -> tuple[str, str]:
    n = min(len(a.mean), len(b.mean))
    ya, yb = np.nan_to_num(np.asarray(a.mean)[:n]), np.nan_to_num(np.asarray(b.mean)[:n])
    m = np.maximum(ya, yb) > _CURVE_FLOOR
    if not m.any():
        return NOT_TESTABLE, f"{a.label_text()} / {b.label_text()}: empty curves"
    rms = float(np.sqrt(np.mean((ya[m] - yb[m]) ** 2)))
    tol = claim.tolerance if claim.tolerance is not None else 0.1
    text = f"{a.label_text()} vs {b.label_text()}: RMS difference {rms:.3g} (tolerance {tol:g})"
    return (REPRODUCED if rms <= tol else NOT_REPRODUCED), text


def _with_other(claim: ClaimInput, g: Group, o: Group | None) -> tuple[str, str, list]:
    if o is None or g.n == 0 or o.n == 0:
        return NOT_TESTABLE, f"{g.label_text()}: no finished run", []
    if claim.test == "curves_equal":
        v, t = _curves(claim, g, o)
        return v, f"{claim.quantity} vs {claim.other}, {t}", []
    a = Group({"q": claim.quantity, **g.labels}, mean=g.mean, sem=g.sem, values=g.values)
    b = Group({"q": claim.other, **o.labels}, mean=o.mean, sem=o.sem, values=o.values)
    return (*_pairwise(claim, [a, b]), [_ours(a), _ours(b)])


def _arrhenius(claim: ClaimInput, groups: list[Group]) -> tuple[str, str, list]:
    from omm_cx.analysis.diffusion import arrhenius_fit

    pts = [(float(g.labels[claim.x]), g.mean, g.sem) for g in groups
           if g.n and claim.x in g.labels and math.isfinite(g.mean) and g.mean > 0]
    if len({t for t, _, _ in pts}) < 2:
        return NOT_TESTABLE, f"fewer than two temperatures with D > 0 ({len(pts)})", []
    T, D, E = (np.array(v, float) for v in zip(*sorted(pts)))
    fit = arrhenius_fit(T, D, E if np.all(np.isfinite(E) & (E > 0)) else None)
    verdict, text = _value(claim, fit.Ea_eV, _s(fit.Ea_err_eV))
    ours = [{"group": "Arrhenius fit", "mean": fit.Ea_eV, "sem": fit.Ea_err_eV, "n": len(T),
             "temperatures_K": T.tolist(), "D": D.tolist()}]
    return verdict, f"Ea: {text} from {len(T)} temperatures", ours


def judge_all(spec: StudySpec, scale: str, agg: dict[str, list[Group]]) -> list[dict]:
    """The verdict entries of every claim of ``spec``."""
    return [judge(c, spec, scale, agg) for c in spec.claims]
