"""The objective of a relaxed fit: parameters -> relaxed phases -> weighted residuals.

Each evaluation builds the force field for the trial parameters, relaxes every phase the
targets need (lattice statics, :func:`omm_cx.lattice_statics.relax_structure`, starting
from that phase's last successfully relaxed geometry, so the sequence of evaluations,
and with it the fit, is deterministic), computes the properties (lattice parameters,
energies per formula unit, relaxed-ion elastic constants and Reuss bulk modulus where a
target asks for them) and returns the residuals of :class:`~omm_cx.fitting.targets.Target`.

A phase that cannot be relaxed (no minimum nearby, relaxation not converged, a saddle
point where elastic constants are asked for, or a structure that has fallen into the
Buckingham well: a nearest-neighbour distance inside the inner maximum of its pair
potential) gives each of its targets the finite residual ``failure_penalty`` instead of
stopping the fit. A property that comes out non-finite is an error (:class:`FitError`).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from omm_cx.crystals import CrystalCell
from omm_cx.fitting.spec import FitError, FitSpec
from omm_cx.fitting.targets import ELASTIC_PROPERTIES
from omm_cx.forcefield.params import ForceField, PairTerm, pair_key, pair_label


@dataclass
class Evaluation:
    """Result of one evaluation: parameters, per-phase properties (or the reason a phase
    failed), the computed value of each target (None where its phase failed), residuals."""

    values_by_param: dict[str, float]
    phases: dict[str, dict]
    failures: dict[str, str]
    values: list[float | None]
    residuals: np.ndarray
    notes: list[str] = field(default_factory=list)

    @property
    def cost(self) -> float:
        """0.5 * sum of squared residuals (as scipy's least_squares reports it)."""
        return 0.5 * float(np.dot(self.residuals, self.residuals))

    @property
    def rms(self) -> float:
        return float(np.sqrt(np.mean(self.residuals**2))) if len(self.residuals) else 0.0


def forcefield_with(base: ForceField, spec: FitSpec, values: Sequence[float]) -> ForceField:
    """``base`` with the free parameters of ``spec`` set to ``values`` (A, rho, C units of
    the parameter files: eV, Å, eV Å^6)."""
    pairs = dict(base.pairs)
    new: dict[tuple[str, str], dict[str, float]] = {}
    for p, v in zip(spec.free, values):
        new.setdefault(p.pair, {})[p.name] = float(v)
    for key, changes in new.items():
        old = pairs[key]
        A = changes.get("A", old.A_eV)
        rho = changes.get("rho", old.rho_A)
        C = changes.get("C", old.C_eVA6)
        pairs[key] = PairTerm(A, rho, 0.0, C, "buckingham", {"A": A, "rho": rho, "C": C},
                              "omm_cx fit (trial parameters)")
    return dataclasses.replace(base, pairs=pairs, name=spec.name)


def _nearest_distances(cell: CrystalCell) -> dict[tuple[str, str], float]:
    """Shortest distance (Å) per species pair in a small periodic cell."""
    h = cell.lattice_A
    pos = cell.positions_A
    g = np.array([[i, j, k] for i in range(-2, 3) for j in range(-2, 3) for k in range(-2, 3)])
    shifts = g @ h
    out: dict[tuple[str, str], float] = {}
    for a in range(len(pos)):
        d = pos[None, :, :] + shifts[:, None, :] - pos[a]
        r = np.sqrt(np.einsum("ijk,ijk->ij", d, d))
        r[r < 1e-8] = np.inf
        rmin = r.min(axis=0)
        for b in range(len(pos)):
            key = pair_key(cell.species[a], cell.species[b])
            out[key] = min(out.get(key, math.inf), float(rmin[b]))
    return out


class Objective:
    """Residuals of the targets of ``spec`` as a function of the free parameters.

    Call :meth:`evaluate` with parameter values (A, rho, C) or :meth:`residuals_x` with the
    transformed variables (ln A, rho, C) that the optimizer sees.
    """

    def __init__(self, spec: FitSpec):
        self.spec = spec
        self.geometry = {name: dict(p) for name, p in spec.initial.items()}
        self.n_evaluations = 0
        self.n_failed = 0
        self.failure_reasons: dict[str, int] = {}
        self.best: tuple[float, list[float]] | None = None
        self._phase_order = list(spec.phases)
        self._elastic = spec.elastic_phases

    # ----------------------------------------------------------------- transforms
    def values_from_x(self, x: Sequence[float]) -> list[float]:
        return [p.from_x(v) for p, v in zip(self.spec.free, x)]

    def x_from_values(self, values: Sequence[float]) -> np.ndarray:
        return np.array([p.to_x(v) for p, v in zip(self.spec.free, values)])

    def residuals_x(self, x: Sequence[float]) -> np.ndarray:
        """Residual vector at transformed variables ``x`` (what least_squares calls)."""
        return self.evaluate(self.values_from_x(x)).residuals

    # ---------------------------------------------------------------- evaluation
    def evaluate(self, values: Sequence[float] | None = None,
                 forcefield: ForceField | None = None) -> Evaluation:
        """Relax the target phases with the free parameters at ``values`` (default: the
        start values), or with a complete ``forcefield``, and compute the residuals."""
        spec = self.spec
        if forcefield is None:
            values = spec.start_values() if values is None else list(values)
            ff = forcefield_with(spec.base, spec, values)
            by_param = {p.label: float(v) for p, v in zip(spec.free, values)}
        else:
            ff = forcefield
            by_param = {}
            for p in spec.free:
                term = ff.pair(*p.pair)
                if term is None:
                    raise FitError(f"force field {ff.name!r} has no parameters for "
                                   f"{pair_label(p.pair)}")
                by_param[p.label] = {"A": term.A_eV, "rho": term.rho_A, "C": term.C_eVA6}[p.name]
        self.n_evaluations += 1
        walls = _walls(ff)
        phases: dict[str, dict] = {}
        failures: dict[str, str] = {}
        notes: list[str] = []
        for name in self._phase_order:
            phase = spec.phases[name]
            try:
                props, note = self._phase(ff, name, phase, walls)
            except _PhaseFailed as exc:
                failures[name] = str(exc)
                continue
            if note:
                notes.append(f"{name}: {note}")
            phases[name] = props
        values_t: list[float | None] = []
        res = np.empty(len(spec.targets))
        for i, t in enumerate(spec.targets):
            failed = [n for n in (t.phase, t.reference) if n and n in failures]
            if failed or (t.prop in ELASTIC_PROPERTIES and t.prop not in phases[t.phase]):
                values_t.append(None)
                res[i] = spec.failure_penalty
                if not failed:
                    failures.setdefault(t.phase, phases[t.phase].get(
                        "elastic_failure", "no elastic constants"))
                continue
            if t.prop == "dE_eV":
                v = phases[t.phase]["E_latt_eV"] - phases[t.reference]["E_latt_eV"]
            elif t.prop == "P_T_GPa":
                try:
                    v = self._transition_pressure(ff, t.reference, t.phase, phases, walls)
                except _PhaseFailed as exc:
                    values_t.append(None)
                    res[i] = spec.failure_penalty
                    failures.setdefault(t.phase, f"transition pressure: {exc}")
                    continue
                phases[t.phase][f"P_T_GPa_from_{t.reference}"] = v
            else:
                v = phases[t.phase][t.prop]
            if not math.isfinite(v):
                raise FitError(
                    f"target {i} ({t.label}): the computed value is {v} (not finite) with "
                    f"parameters {_fmt_params(by_param)}; the force field gives no usable "
                    f"crystal there (check the start values and the bounds)")
            values_t.append(float(v))
            res[i] = t.residual(float(v))
        if failures:
            self.n_failed += 1
            for reason in failures.values():
                key = reason.split(":")[0]
                self.failure_reasons[key] = self.failure_reasons.get(key, 0) + 1
        if not np.all(np.isfinite(res)):
            raise FitError(f"non-finite residuals with parameters {_fmt_params(by_param)}")
        ev = Evaluation(by_param, phases, failures, values_t, res, notes)
        if forcefield is None and not failures and (self.best is None or ev.cost < self.best[0]):
            self.best = (ev.cost, list(values))
        return ev

    def _phase(self, ff: ForceField, name: str, phase, walls) -> tuple[dict, str]:
        from omm_cx.lattice_statics.elastic import (
            UnstableStructureError,
            bulk_modulus_reuss,
            elastic_constants,
            independent_constants,
        )
        from omm_cx.lattice_statics.relax import RelaxationError, relax_structure

        note = ""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    r = relax_structure(ff, phase.structure, phase.species, self.geometry[name])
            except (RelaxationError, np.linalg.LinAlgError, FloatingPointError) as exc:
                raise _PhaseFailed(f"relaxation failed: {exc}") from None
        for w in caught:
            msg = str(w.message)
            if "did not converge" in msg:
                raise _PhaseFailed(f"relaxation did not converge: {msg}")
            note = msg
        if not all(math.isfinite(v) for v in r.params.values()) or not math.isfinite(r.energy_eV):
            raise FitError(f"phase {name}: relaxation gave non-finite results "
                           f"({r.params}, E = {r.energy_eV}) with the current parameters")
        nearest = _nearest_distances(r.cell)
        for key, d in nearest.items():
            wall = walls.get(key)
            if wall is not None and d <= wall:
                raise _PhaseFailed(
                    f"collapsed: {pair_label(key)} distance {d:.3f} Å is inside the inner "
                    f"maximum of its pair potential ({wall:.3f} Å, Buckingham catastrophe)")
        keys = {"a": "a_A", "c": "c_A", "u": "u"}
        props = {keys[k]: v for k, v in r.params.items()}
        props["E_latt_eV"] = r.energy_eV
        props["V_A3"] = r.volume_A3
        props["nearest_A"] = {pair_label(k): v for k, v in sorted(nearest.items())}
        if name in self._elastic:
            try:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    c = elastic_constants(r.model, r.cell.lattice_A, r.cell.positions_A)
                b = bulk_modulus_reuss(c)
            except (UnstableStructureError, np.linalg.LinAlgError) as exc:
                props["elastic_failure"] = f"no elastic constants: {exc}"
            else:
                props["B_GPa"] = b
                for k, v in independent_constants(c, phase.structure.system).items():
                    props[f"{k}_GPa"] = v
        self.geometry[name] = dict(r.params)
        return props, note


    def _transition_pressure(self, ff, low: str, high: str, phases: dict, walls) -> float:
        """0 K transition pressure (GPa) low -> high: P1 = -dE/dV from the zero-pressure
        structures, then one Newton step P2 = P1 - dH(P1)/dV(P1) with both phases relaxed
        at P1 (the enthalpy difference is nearly linear in P)."""
        from omm_cx import units
        from omm_cx.lattice_statics.relax import RelaxationError, relax_structure

        de = phases[high]["E_latt_eV"] - phases[low]["E_latt_eV"]
        dv = phases[high]["V_A3"] - phases[low]["V_A3"]
        if dv >= 0:
            raise _PhaseFailed(f"{high} is not denser than {low} (dV = {dv:+.3f} Å^3/f.u.): "
                               f"no pressure-induced transition")
        p1 = -de / dv * units.GPA_PER_EV_PER_A3
        h, v = {}, {}
        for name in (low, high):
            ph = self.spec.phases[name]
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                        r = relax_structure(ff, ph.structure, ph.species, self.geometry[name],
                                            pressure_GPa=p1)
            except (RelaxationError, np.linalg.LinAlgError, FloatingPointError) as exc:
                raise _PhaseFailed(f"relaxation of {name} at {p1:.2f} GPa failed: {exc}") \
                    from None
            h[name], v[name] = r.enthalpy_eV, r.volume_A3
        dv1 = v[high] - v[low]
        if dv1 >= 0:
            raise _PhaseFailed(f"{high} is not denser than {low} at {p1:.2f} GPa")
        return p1 - (h[high] - h[low]) / dv1 * units.GPA_PER_EV_PER_A3


class _PhaseFailed(Exception):
    pass


def _walls(ff: ForceField) -> dict[tuple[str, str], float]:
    """Inner-maximum radius (Å) of every pair potential that can collapse."""
    from omm_cx.forcefield.guard import find_wall

    out = {}
    names = sorted(ff.species)
    for i, a in enumerate(names):
        for b in names[i:]:
            key = pair_key(a, b)
            if key not in ff.pairs and key not in ff.none_pairs:
                continue
            qq = ff.charge(a) * ff.charge(b)
            try:
                with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                    w = find_wall(ff.pair(a, b), qq)
            except ValueError:
                out[key] = math.inf  # no barrier at all: any distance is inside the well
                continue
            if w is not None:
                out[key] = w.r_wall_A
    return out


def _fmt_params(by_param: dict) -> str:
    return "{" + ", ".join(f"{k}: {v:.6g}" for k, v in by_param.items()) + "}"
