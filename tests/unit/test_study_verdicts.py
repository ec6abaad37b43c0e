"""The verdict engine against hand-computed cases: one run is 'not resolved' for every
test kind; Student's t (not z) decides with three seeds; Welch's interval against
scipy's Welch test; the weighted Arrhenius fit against a hand-written weighted least
squares; a D <= 0 run is reported, not dropped silently; deterministic studies compare
within the paper's printed precision."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats as sps

from omm_cx.studies.aggregate import Group, mean_sem
from omm_cx.studies.spec import load_study
from omm_cx.studies.stats import seeds_to_resolve, t_quantile, weighted_line_fit, welch_difference
from omm_cx.studies.verdicts import (NOT_REPRODUCED, NOT_RESOLVED, NOT_TESTABLE, REPRODUCED,
                                     judge)

K_B = 8.617333262e-5


def _spec(claim: dict, deterministic: bool = False, series: bool = False):
    doc = {
        "name": "toy", "title": "toy", "kind": "call", "call": "m:f",
        "deterministic": deterministic,
        "paper": {"reference": "r", "reproduces": "Fig. 1", "refs": ["fan2016"]},
        "matrix": {"g": {"values": ["a", "b", "c"], "sets": ["params.g"]},
                   "T": {"values": [1000, 1500, 2000], "sets": ["params.T"]}},
        "quantities": {"q": {"from": "result_series:x:y" if series else "result:q"},
                       "q2": {"from": "result:q2"}},
        "claims": [dict({"id": "c", "statement": "s", "source": "Fig. 1", "quantity": "q",
                         "reproduced_if": "r", "testable_from": "tiny"}, **claim)],
        "presets": {s: {"why": "w"} for s in ("tiny", "small", "paper")},
    }
    spec = load_study(doc)
    return spec, spec.claims[0]


def _g(labels: dict, values, errors=None) -> Group:
    g = Group(dict(labels), keys=[f"{labels}-s{i}" for i in range(len(values))],
              values=[float(v) for v in values],
              errors=list(errors) if errors is not None else [math.nan] * len(values))
    g.mean, g.sem = mean_sem(values)
    return g


def _series(labels: dict, x, ys) -> Group:
    ys = np.atleast_2d(np.asarray(ys, float))
    g = Group(dict(labels), keys=[f"s{i}" for i in range(len(ys))], values=[None] * len(ys))
    g.x, g.mean = np.asarray(x, float), ys.mean(axis=0)
    g.sem = ys.std(axis=0, ddof=1) / math.sqrt(len(ys)) if len(ys) > 1 else np.full(len(x), np.nan)
    return g


ONE_RUN = [
    ({"test": "value", "published": 1.0, "tolerance": 0.5, "groups": ["g=a"]}, False),
    ({"test": "above", "threshold": 0.0, "groups": ["g=a"]}, False),
    ({"test": "below", "threshold": 9.0, "groups": ["g=a"]}, False),
    ({"test": "order", "groups": ["g=a", "g=b"]}, False),
    ({"test": "order", "groups": ["g=a", "g=b"], "tolerance": 0.01}, False),
    ({"test": "equal", "groups": ["g=a", "g=b"], "tolerance": 5.0}, False),
    ({"test": "ratio", "groups": ["g=a", "g=b"], "threshold": 1.0}, False),
    ({"test": "curves_equal", "groups": ["g=a", "g=b"], "tolerance": 0.1}, True),
    ({"test": "monotonic", "groups": ["g=a"]}, True),
    ({"test": "linear", "groups": ["g=a"], "tolerance": 0.1}, True),
]


@pytest.mark.parametrize("claim, series", ONE_RUN, ids=lambda c: str(c)[:40])
def test_one_run_is_not_resolved_for_every_test_kind(claim, series):
    spec, c = _spec(claim, series=series)
    if series:
        groups = [_series({"g": "a"}, [0, 1, 2, 3], [0, 1, 2, 3.0]),
                  _series({"g": "b"}, [0, 1, 2, 3], [0, 1, 2, 3.0])]
    else:  # far apart, so that only the missing spread keeps it from a verdict
        groups = [_g({"g": "a"}, [10.0]), _g({"g": "b"}, [1.0])]
    entry = judge(c, spec, "small", {"q": groups, "q2": []})
    assert entry["verdict"] == NOT_RESOLVED, entry["reason"]


def test_one_run_arrhenius_is_not_resolved():
    spec, c = _spec({"test": "arrhenius", "x": "T", "published": 0.3})
    groups = [_g({"T": T}, [math.exp(-0.3 / (K_B * T))]) for T in (1000, 1500, 2000)]
    entry = judge(c, spec, "small", {"q": groups, "q2": []})
    assert entry["verdict"] == NOT_RESOLVED
    assert "2 seeds" in entry["reason"]


def test_three_seed_order_beyond_two_sigma_but_inside_t_interval_is_not_resolved():
    a, b = [1.0, 2.0, 3.0], [-1.04, -0.04, 0.96]
    d = np.mean(a) - np.mean(b)
    s = math.hypot(np.std(a, ddof=1) / math.sqrt(3), np.std(b, ddof=1) / math.sqrt(3))
    assert d / s > 2.0                      # a z test at 2 sigma would call it
    assert d < t_quantile(4) * s            # Student's t with 4 dof does not
    spec, c = _spec({"test": "order", "groups": ["g=a", "g=b"]})
    entry = judge(c, spec, "small", {"q": [_g({"g": "a"}, a), _g({"g": "b"}, b)], "q2": []})
    assert entry["verdict"] == NOT_RESOLVED, entry["reason"]
    assert entry["seeds_to_resolve"] > 3
    # ten times further apart it is resolved; reversed it is not reproduced
    far = [x - 20 for x in b]
    entry = judge(c, spec, "small", {"q": [_g({"g": "a"}, a), _g({"g": "b"}, far)], "q2": []})
    assert entry["verdict"] == REPRODUCED
    entry = judge(c, spec, "small", {"q": [_g({"g": "a"}, far), _g({"g": "b"}, a)], "q2": []})
    assert entry["verdict"] == NOT_REPRODUCED


def test_welch_interval_matches_scipy_welch_test():
    a, b = [0.31, 0.35, 0.29, 0.40], [0.20, 0.26, 0.18]
    iv = welch_difference(a, b)
    ref = sps.ttest_ind(a, b, equal_var=False)
    assert iv.estimate / iv.se == pytest.approx(ref.statistic, rel=1e-12)
    p = 2 * sps.t.sf(abs(iv.estimate / iv.se), iv.dof)
    assert p == pytest.approx(ref.pvalue, rel=1e-10)
    assert welch_difference([1.0], b) is None


def _hand_wls(x, y, sigma):
    w = 1 / np.asarray(sigma) ** 2
    S, Sx, Sy = w.sum(), (w * x).sum(), (w * y).sum()
    Sxx, Sxy = (w * x * x).sum(), (w * x * y).sum()
    det = S * Sxx - Sx ** 2
    slope, icpt = (S * Sxy - Sx * Sy) / det, (Sxx * Sy - Sx * Sxy) / det
    chi2 = (w * (y - icpt - slope * x) ** 2).sum()
    return slope, icpt, S / det * chi2 / (len(x) - 2)


def test_weighted_arrhenius_fit_equals_hand_computed_weighted_least_squares():
    rng = np.random.default_rng(7)
    T = np.repeat([1000.0, 1400.0, 2000.0], 3)
    D = 3e-3 * np.exp(-0.29 / (K_B * T)) * np.exp(rng.normal(0, 0.1, len(T)))
    E = D * rng.uniform(0.05, 0.3, len(T))
    x, y = 1 / (K_B * T), np.log(D)
    slope, icpt, var = _hand_wls(x, y, E / D)
    fit = weighted_line_fit(x, y, E / D)
    assert fit.slope == pytest.approx(slope, rel=1e-10)
    assert fit.intercept == pytest.approx(icpt, rel=1e-10)
    assert fit.cov[0, 0] == pytest.approx(var, rel=1e-10)
    spec, c = _spec({"test": "arrhenius", "x": "T", "published": 0.29, "published_sem": 0.02})
    groups = [_g({"T": t}, D[T == t], E[T == t]) for t in (1000.0, 1400.0, 2000.0)]
    entry = judge(c, spec, "small", {"q": groups, "q2": []})
    fit_entry = entry["ours"][0]
    assert fit_entry["weighted"] is True
    assert fit_entry["mean"] == pytest.approx(-slope, rel=1e-10)
    half = t_quantile(len(T) - 2) * math.sqrt(var)
    assert fit_entry["ci95"][1] - fit_entry["mean"] == pytest.approx(half, rel=1e-10)
    assert entry["verdict"] in (REPRODUCED, NOT_RESOLVED)
    assert "t =" in entry["reason"] and "weighted by each run's own D error" in entry["reason"]


def test_d_not_positive_is_reported_not_dropped_silently():
    spec, c = _spec({"test": "arrhenius", "x": "T", "published": 0.3})
    groups = [_g({"T": t}, [math.exp(-0.3 / (K_B * t)) * f for f in (0.9, 1.0, 1.1)])
              for t in (1000, 1500, 2000)]
    groups[0].values[1] = -2e-7  # one run's MSD slope came out negative
    entry = judge(c, spec, "small", {"q": groups, "q2": []})
    runs = next(o for o in entry["ours"] if "dropped" in o)
    assert [d["key"] for d in runs["dropped"]] == [groups[0].keys[1]]
    assert "not fitted" in entry["reason"] and groups[0].keys[1] in entry["reason"]
    assert entry["ours"][0]["n"] == 8


def test_value_three_seeds_published_outside_interval_is_not_reproduced():
    spec, c = _spec({"test": "value", "published": 0.474, "published_sem": 0.022,
                     "groups": ["g=a"]})
    entry = judge(c, spec, "small", {"q": [_g({"g": "a"}, [0.10, 0.12, 0.11])], "q2": []})
    assert entry["verdict"] == NOT_REPRODUCED
    entry = judge(c, spec, "small", {"q": [_g({"g": "a"}, [0.46, 0.48, 0.47])], "q2": []})
    assert entry["verdict"] == REPRODUCED
    entry = judge(c, spec, "small", {"q": [_g({"g": "a"}, [0.1, 0.9, 0.5])], "q2": []})
    assert entry["verdict"] == NOT_RESOLVED          # inside only because ±1 is so wide
    assert "wider than" in entry["reason"]


def test_deterministic_value_uses_the_printed_precision():
    spec, c = _spec({"test": "value", "published": 4.39, "tolerance": 0.005, "groups": ["g=a"]},
                    deterministic=True)
    entry = judge(c, spec, "tiny", {"q": [_g({"g": "a"}, [4.433])], "q2": []})
    assert entry["verdict"] == NOT_REPRODUCED
    entry = judge(c, spec, "tiny", {"q": [_g({"g": "a"}, [4.392])], "q2": []})
    assert entry["verdict"] == REPRODUCED


def test_monotonic_checks_every_point_not_a_slope():
    spec, c = _spec({"test": "monotonic", "groups": ["g=a"]}, deterministic=True, series=True)
    rising_overall = _series({"g": "a"}, [0, 0.3, 0.6, 0.9], [1.0, 2.0, 1.8, 4.0])
    entry = judge(c, spec, "tiny", {"q": [rising_overall], "q2": []})
    assert np.polyfit([0, 0.3, 0.6, 0.9], [1.0, 2.0, 1.8, 4.0], 1)[0] > 0
    assert entry["verdict"] == NOT_REPRODUCED
    entry = judge(c, spec, "tiny", {"q": [_series({"g": "a"}, [0, 1, 2], [1, 2, 3.0])], "q2": []})
    assert entry["verdict"] == REPRODUCED


def test_linear_and_ratio_deterministic():
    spec, c = _spec({"test": "linear", "groups": ["g=a"], "tolerance": 0.01},
                    deterministic=True, series=True)
    straight = _series({"g": "a"}, [0, 1, 2, 3], [1, 2, 3, 4.0])
    bent = _series({"g": "a"}, [0, 1, 2, 3], [1, 2, 3.2, 4.0])
    assert judge(c, spec, "tiny", {"q": [straight], "q2": []})["verdict"] == REPRODUCED
    assert judge(c, spec, "tiny", {"q": [bent], "q2": []})["verdict"] == NOT_REPRODUCED
    spec, c = _spec({"test": "ratio", "groups": ["g=a", "g=b"], "threshold": 5.0})
    groups = [_g({"g": "a"}, [70.0, 71.0, 69.0]), _g({"g": "b"}, [10.0, 11.0, 9.0])]
    entry = judge(c, spec, "small", {"q": groups, "q2": []})
    assert entry["verdict"] == REPRODUCED, entry["reason"]
    groups = [_g({"g": "a"}, [30.0, 31.0, 29.0]), _g({"g": "b"}, [10.0, 11.0, 9.0])]
    assert judge(c, spec, "small", {"q": groups, "q2": []})["verdict"] == NOT_REPRODUCED


def test_below_scale_is_not_testable_and_says_which_condition():
    spec, c = _spec({"test": "above", "threshold": 0.3, "groups": ["g=a"],
                     "testable_from": "paper", "needs": "the 4.7 nm NC and 100 ns"})
    entry = judge(c, spec, "small", {"q": [_g({"g": "a"}, [0.5, 0.6, 0.55])], "q2": []})
    assert entry["verdict"] == NOT_TESTABLE
    assert "4.7 nm NC and 100 ns" in entry["reason"]


def test_seeds_to_resolve():
    # half-width 0.2 from 3 seeds (t = 4.30): s.e. 0.0465; 2 s.e. < 0.05 needs ~10.4 -> 11
    assert seeds_to_resolve(3, 0.2, 0.05) == math.ceil(3 * (2 * 0.2 / t_quantile(2) / 0.05) ** 2)
    assert seeds_to_resolve(3, 0.2, 0.0) is None


def test_arrhenius_leaves_out_runs_whose_host_is_no_longer_a_crystal():
    doc_claim = {"test": "arrhenius", "x": "T", "published": 0.3,
                 "exclude_runs": {"quantity": "q2", "below": 0.9}}
    spec, c = _spec(doc_claim)
    groups = [_g({"T": t}, [math.exp(-0.3 / (K_B * t)) * f for f in (0.95, 1.0, 1.05)])
              for t in (1000, 1500, 2000)]
    groups[2].values = [v / 5 for v in groups[2].values]  # trapped Cu at 2000 K
    order = [_g({"T": t}, [1.0, 1.0, 1.0]) for t in (1000, 1500, 2000)]
    for g, o in zip(groups, order):
        o.keys = list(g.keys)
    order[2].values = [0.75, 0.8, 0.7]  # the host disordered
    entry = judge(c, spec, "small", {"q": groups, "q2": order})
    runs = next(o for o in entry["ours"] if "left_out" in o)
    assert [x["key"] for x in runs["left_out"]] == groups[2].keys
    assert "left out (q2 below 0.9" in entry["reason"]
    assert entry["ours"][0]["mean"] == pytest.approx(0.3, abs=0.02)  # the planted barrier
    entry = judge(_spec({"test": "arrhenius", "x": "T", "published": 0.3})[1], spec, "small",
                  {"q": groups, "q2": order})
    assert entry["ours"][0]["mean"] < 0.1  # kept, the trapped runs flatten the fit
