"""Fit driver: least squares over the free parameters, output file with provenance.

    >>> from omm_cx.fitting import load_fit_spec, run_fit
    >>> result = run_fit(load_fit_spec("examples/fit-pbcds-omm_cx.yaml"))
    >>> result.write("forcefields/pbcds-omm_cx.yaml")

The optimizer is :func:`scipy.optimize.least_squares` (trust-region reflective, bounds,
two-point finite-difference Jacobian) in the variables ln A, rho, C, from the fixed start
values of the fit file; no randomness enters, so the same file gives the same parameters.
The fitted parameters are rounded to ``round_digits`` significant digits and the targets
are evaluated again with the rounded values: the achieved values written into the
output's ``provenance`` are those of the numbers in the file.
"""

from __future__ import annotations

import math
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import yaml

from omm_cx import __version__
from omm_cx.fitting.objective import Evaluation, Objective, forcefield_with
from omm_cx.fitting.spec import FitError, FitSpec, load_fit_spec
from omm_cx.forcefield.params import ForceField, load_forcefield, pair_key, pair_label


def _round_sig(x: float, digits: int) -> float:
    if x == 0 or not math.isfinite(x):
        return float(x)
    return float(f"{x:.{digits}g}")


@dataclass
class FitResult:
    """Outcome of :func:`run_fit`: start and final parameter values (parameter-file units),
    the evaluations at both, the optimizer's report and timings."""

    spec: FitSpec
    start_values: list[float]
    values: list[float]
    start: Evaluation
    final: Evaluation
    optimizer: dict
    runtime_s: float
    n_evaluations: int
    n_failed_evaluations: int
    failure_reasons: dict

    def forcefield(self) -> ForceField:
        """The fitted force field (in memory)."""
        return forcefield_with(self.spec.base, self.spec, self.values)

    def parameters(self) -> dict[str, dict[str, float]]:
        """All short-range pairs of the fitted force field as written: {pair: {A, rho, C}}."""
        pairs = {str(k): dict(v) for k, v in (self.spec.template.get("pairs") or {}).items()}
        for p, v in zip(self.spec.free, self.values):
            label = next(k for k in pairs if pair_key(*k.split("-")) == p.pair)
            pairs[label][p.name] = v
        return pairs

    def target_records(self) -> list[dict]:
        out = []
        for t, v0, v1, r in zip(self.spec.targets, self.start.values, self.final.values,
                                self.final.residuals):
            rec = t.describe()
            rec["start_value"] = _num(v0)
            rec["achieved"] = _num(v1)
            dev = t.deviation(v1)
            rec["deviation"] = (None if dev is None else
                                f"{dev:+.3g} %" if t.is_relative else f"{dev:+.4g}")
            rec["residual"] = _num(r)
            out.append(rec)
        return out

    def provenance(self, fit_file: str | None = None, command: str | None = None) -> dict:
        spec = self.spec
        fit_file = fit_file or (str(spec.path) if spec.path else "(fit given as a dict)")
        phases = {}
        for name, props in self.final.phases.items():
            phases[name] = {k: _num(v) for k, v in props.items()
                            if k in ("a_A", "c_A", "u", "E_latt_eV", "B_GPa")}
        lowest: dict[str, float] = {}
        for name, props in self.final.phases.items():
            c = spec.phases[name].compound
            lowest[c] = min(lowest.get(c, math.inf), props["E_latt_eV"])
        for name, props in self.final.phases.items():
            phases[name]["dE_eV_vs_lowest"] = _num(
                props["E_latt_eV"] - lowest[spec.phases[name].compound])
        import scipy

        return {
            "made_by": "omm_cx relaxed fitting (omm_cx.fitting, command 'omm-cx fit'): each "
                       "evaluation relaxes every target phase by lattice statics before its "
                       "properties are compared with the targets (as GULP's relaxed fitting)",
            "fit_file": fit_file,
            "command": command or f"omm-cx fit {fit_file} -o <output>.yaml",
            "versions": {"omm_cx": __version__, "numpy": np.__version__,
                         "scipy": scipy.__version__, "python": platform.python_version()},
            "template": spec.template_source,
            "fixed": "everything but the free parameters: charges, masses, no_short_range "
                     "pairs, cutoff and all other pair parameters as in the template",
            "residual_definition": "weight * (achieved - value) / sigma for value targets; "
                                   "weight * (violation of min/max) / sigma for bound targets; "
                                   "cost = 0.5 * sum of squared residuals",
            "free_parameters": [
                {**p.describe(), "final": v} for p, v in zip(spec.free, self.values)],
            "targets": self.target_records(),
            "cost": {"start": _num(self.start.cost), "final": _num(self.final.cost),
                     "rms_residual_final": _num(self.final.rms)},
            "optimizer": self.optimizer,
            "evaluations": {"total": self.n_evaluations,
                            "with_failed_phases": self.n_failed_evaluations,
                            "failure_reasons": dict(self.failure_reasons),
                            "failure_penalty": spec.failure_penalty},
            "relaxed_phases": phases,
            "pair_potential_inner_maxima": _inner_maxima(self.forcefield()),
        }

    def document_text(self, fit_file: str | None = None, command: str | None = None) -> str:
        """The output parameter file (YAML text with comments)."""
        spec = self.spec
        tpl = spec.template
        prov = self.provenance(fit_file, command)
        free_pairs = {pair_label(p.pair) for p in spec.free}
        lines = [
            "# omm_cx force-field parameter file (data, not code). Units: eV, Å, e, g/mol.",
            f"# WRITTEN BY 'omm-cx fit' ({prov['command']}); regenerate rather than edit.",
            "# The fitted pair parameters are omm_cx's own, made by the relaxed fit recorded",
            "# under 'provenance' (targets with value, weight and source; start values;",
            "# achieved values and residuals; the optimizer's report).",
        ]
        head = {"name": spec.name}
        if spec.title:
            head["title"] = spec.title
        head["citation"] = spec.citation or f"omm_cx fit {prov['fit_file']}"
        for k in ("functional_form", "expression", "units", "cutoff"):
            if k in tpl:
                head[k] = tpl[k]
        head.setdefault("functional_form", "buckingham")
        lines.append(yaml.safe_dump(head, sort_keys=False, allow_unicode=True, width=90).rstrip())
        lines.append(yaml.safe_dump({"species": tpl["species"]}, sort_keys=False,
                                    allow_unicode=True, default_flow_style=None,
                                    width=90).rstrip())
        lines.append("pairs:")
        for label, v in self.parameters().items():
            comment = ("fitted by omm_cx (see provenance)" if _canon(label) in free_pairs
                       else "fixed (template)")
            lines.append(f"  {label}: {{A: {yaml_float(v['A'])}, rho: {yaml_float(v['rho'])}, "
                         f"C: {yaml_float(v['C'])}}}  # {comment}")
        if "no_short_range" in tpl:
            lines.append("no_short_range: [" + ", ".join(map(str, tpl["no_short_range"])) + "]")
        tail = {}
        assumptions = list(spec.output.get("assumptions") or tpl.get("assumptions") or [])
        if assumptions:
            tail["assumptions"] = assumptions
        notes = spec.output.get("notes") or spec.description
        if notes:
            tail["notes"] = notes
        if tail:
            lines.append(yaml.safe_dump(tail, sort_keys=False, allow_unicode=True,
                                        width=90).rstrip())
        lines.append(yaml.safe_dump({"provenance": prov}, sort_keys=False, allow_unicode=True,
                                    width=100).rstrip())
        return "\n".join(lines) + "\n"

    def write(self, path: str | os.PathLike, *, fit_file: str | None = None,
              command: str | None = None) -> Path:
        """Write the fitted parameter file atomically and check that it loads."""
        from omm_cx.io.atomic import atomic_write_text
        from omm_cx.io.yaml_input import loads_yaml

        path = Path(path)
        text = self.document_text(fit_file, command)
        doc = loads_yaml(text, str(path))  # must round-trip (strict loader, as when read)
        if doc["name"] != self.spec.name:
            raise FitError("internal error: written file does not round-trip")
        atomic_write_text(path, text)
        load_forcefield(str(path))
        return path


def _inner_maxima(ff: ForceField) -> dict:
    """Where each pair's full potential (Coulomb + short range) turns over at short range
    (the Buckingham catastrophe barrier; OpenMM runs add a guard wall below it)."""
    from omm_cx.forcefield.guard import find_wall

    out = {}
    for key, term in sorted(ff.pairs.items()):
        qq = ff.charge(key[0]) * ff.charge(key[1])
        try:
            w = find_wall(term, qq)
        except ValueError:
            out[pair_label(key)] = "no inner maximum below 12 Å"
            continue
        if w is not None:
            out[pair_label(key)] = {"r_A": _num(w.r_wall_A), "barrier_eV": _num(w.barrier_eV)}
    return out


def _canon(label: str) -> str:
    return pair_label(pair_key(*label.split("-")))


def yaml_float(v: float) -> str:
    """A float as YAML 1.1 (PyYAML) reads it back as a float: with a dot and a signed
    exponent."""
    s = repr(float(v))
    if "e" in s:
        mant, exp = s.split("e")
        if "." not in mant:
            mant += ".0"
        if exp[0] not in "+-":
            exp = "+" + exp
        s = f"{mant}e{exp}"
    return s


def _num(v):
    if v is None:
        return None
    if isinstance(v, dict):
        return {k: _num(x) for k, x in v.items()}
    v = float(v)
    return float(f"{v:.8g}") if math.isfinite(v) else v


def evaluate(spec: FitSpec | str | os.PathLike, forcefield: ForceField | str | None = None,
             values=None) -> Evaluation:
    """Evaluate the targets of a fit without fitting: with a complete force field (a
    :class:`ForceField` or a name, e.g. ``"pbcdse"`` for the published parameters), with
    explicit free-parameter ``values``, or (default) at the start values."""
    if not isinstance(spec, FitSpec):
        spec = load_fit_spec(spec)
    if isinstance(forcefield, str):
        forcefield = load_forcefield(forcefield)
    obj = Objective(spec)
    if forcefield is not None:
        missing = [s for s in spec.base.species if s not in forcefield.species]
        if missing:
            raise FitError(f"force field {forcefield.name!r} lacks species {missing} of the fit")
        return obj.evaluate(forcefield=forcefield)
    return obj.evaluate(values)


def run_fit(spec: FitSpec | str | os.PathLike, *, max_nfev: int | None = None,
            log: Callable[[str], None] | None = None) -> FitResult:
    """Fit the free parameters of ``spec`` (a :class:`FitSpec` or a fit-file path).

    Raises :class:`FitError` when a target phase cannot be relaxed at the start values or
    at the result, or when a computed value is not finite.
    """
    from scipy.optimize import least_squares

    if not isinstance(spec, FitSpec):
        spec = load_fit_spec(spec)
    t0 = time.perf_counter()
    obj = Objective(spec)
    start = obj.evaluate()
    if start.failures:
        detail = "; ".join(f"{k}: {v}" for k, v in start.failures.items())
        raise FitError(f"at the start values the target phases cannot all be relaxed "
                       f"({detail}); choose other start values or initial geometries")
    x0 = obj.x_from_values(spec.start_values())
    lb = np.array([p.bounds_x()[0] for p in spec.free])
    ub = np.array([p.bounds_x()[1] for p in spec.free])
    opt = dict(spec.optimizer)
    if max_nfev is not None:
        opt["max_nfev"] = int(max_nfev)
    state = {"n": 0, "t": time.perf_counter()}

    def fun(x):
        r = obj.residuals_x(x)
        state["n"] += 1
        if log and time.perf_counter() - state["t"] > 5.0:
            state["t"] = time.perf_counter()
            log(f"  evaluation {obj.n_evaluations}: cost {0.5 * float(r @ r):.6g}")
        return r

    if log:
        log(f"fit {spec.name}: {len(spec.free)} free parameters, {len(spec.targets)} "
            f"targets, {len(spec.phases)} phases; start cost {start.cost:.6g}")
    res = least_squares(fun, x0, bounds=(lb, ub), method=opt["method"], jac="2-point",
                        diff_step=opt["diff_step"], x_scale=opt["x_scale"], ftol=opt["ftol"],
                        xtol=opt["xtol"], gtol=opt["gtol"], max_nfev=opt["max_nfev"],
                        loss="linear")
    if not np.all(np.isfinite(res.x)) or not math.isfinite(res.cost):
        raise FitError(f"the optimizer ended at non-finite values (x = {res.x}, cost = "
                       f"{res.cost}): {res.message}")
    values = [_round_sig(v, spec.round_digits) for v in obj.values_from_x(res.x)]
    # rounding must not leave the bounds
    values = [min(max(v, p.lower), p.upper) for p, v in zip(spec.free, values)]
    final = obj.evaluate(values)
    if final.failures:
        detail = "; ".join(f"{k}: {v}" for k, v in final.failures.items())
        raise FitError(f"the fit ended at parameters where target phases cannot be relaxed "
                       f"({detail}); the targets cannot be met by this model as set up")
    optimizer = {
        "name": "scipy.optimize.least_squares",
        "method": opt["method"], "jac": "2-point", "loss": "linear",
        "variables": [p.variable for p in spec.free],
        "options": {k: opt[k] for k in ("ftol", "xtol", "gtol", "diff_step", "x_scale",
                                        "max_nfev")},
        "status": int(res.status), "message": str(res.message), "success": bool(res.success),
        "nfev": int(res.nfev), "njev": None if res.njev is None else int(res.njev),
        "cost": _num(res.cost), "optimality": _num(res.optimality),
        "active_bounds": [p.label for p, a in zip(spec.free, res.active_mask) if a != 0],
    }
    if log:
        log(f"done: cost {start.cost:.6g} -> {final.cost:.6g} ({res.message}; "
            f"{obj.n_evaluations} evaluations, {time.perf_counter() - t0:.1f} s)")
    return FitResult(spec, spec.start_values(), values, start, final, optimizer,
                     time.perf_counter() - t0, obj.n_evaluations, obj.n_failed,
                     dict(obj.failure_reasons))
