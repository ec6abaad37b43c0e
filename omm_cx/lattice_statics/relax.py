"""Relaxation of a crystal structure over its free parameters (a, c, u) at a pressure.

Minimizes the enthalpy per formula unit H = (E + P V) / n_fu over the structure's free
parameters (lattice constants a, c in Å and the internal coordinate u), with the
symmetry of the structure type kept. By symmetry the result is a stationary point of the
full energy surface (zero stress, zero forces). The pair-image lists are frozen during a
minimization and rebuilt afterwards until they no longer change, so the result is the
stationary point of the smooth energy branch, as in analytic-gradient codes (GULP).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Mapping

import numpy as np
from scipy.optimize import minimize

from omm_cx import units
from omm_cx.crystals import CrystalCell, CrystalStructure, Phase
from omm_cx.errors import RelaxationError
from omm_cx.forcefield.params import ForceField
from omm_cx.lattice_statics.finite_diff import gradient_hessian
from omm_cx.lattice_statics.lattice_sums import LatticeSum

#: Finite-difference step: relative for lengths, absolute for u.
_FD_STEP = 1e-4
_MAX_REBUILDS = 8
#: Largest relative change of a or c (and absolute change of u) from the start.
_MAX_CHANGE = 0.3
#: Gradient tolerances (eV per f.u. per unit relative change of a, c, or per unit u):
#: requested, and accepted as converged (position error ~ gradient / 100 eV).
_GTOL = 1e-8
_GTOL_ACCEPT = 1e-5
#: What a failed relaxation means and its fix (the end of RelaxationError's message).
_NO_MINIMUM = ("no minimum nearby: check the force field's pair parameters or give the "
               "lattice constants")


@dataclass
class RelaxedStructure:
    """Result of :func:`relax_structure`.

    ``params``: relaxed a, c (Å) and u; ``energy_eV``: lattice energy per formula unit
    (eV); ``enthalpy_eV``: E + P V per formula unit (eV); ``cell``: primitive cell (Å,
    positions not wrapped); ``model``: :class:`LatticeSum` with lists built at the relaxed
    geometry; ``lists_converged``: False if the neighbour list kept changing.
    """

    structure: CrystalStructure
    species: dict[str, str]
    params: dict[str, float]
    pressure_GPa: float
    energy_eV: float
    enthalpy_eV: float
    cell: CrystalCell
    model: LatticeSum
    lists_converged: bool
    list_builds: int

    @property
    def volume_A3(self) -> float:
        """Volume per formula unit (Å^3)."""
        return self.cell.volume_A3 / self.cell.formula_units


def _newton_polish(derivs, x: np.ndarray, steps: int = 6) -> np.ndarray:
    """Newton steps x -> x - H^-1 g while the Hessian is positive definite and the
    gradient norm decreases."""
    g, h = derivs(x)[1:]
    for _ in range(steps):
        if np.abs(g).max() < _GTOL or np.linalg.eigvalsh(h)[0] <= 0.0:
            break
        x_new = x - np.linalg.solve(h, g)
        g_new, h_new = derivs(x_new)[1:]
        if np.linalg.norm(g_new) >= np.linalg.norm(g):
            break
        x, g, h = x_new, g_new, h_new
    return x


def _cell(structure: CrystalStructure, species: Mapping[str, str], p: Mapping[str, float]):
    return structure.cell(species, p.get("a"), p.get("c"), p.get("u"), kind="primitive",
                          wrap=False)


def _enthalpies(model: LatticeSum, cells: list[CrystalCell], pressure: float, fu: int) -> np.ndarray:
    """Enthalpy per formula unit (eV) of each cell at ``pressure`` (eV/Å^3), in one
    vectorized lattice sum."""
    e = model.energies(np.array([c.lattice_A for c in cells]), np.array([c.positions_A for c in cells]))
    return (e + pressure * np.array([c.volume_A3 for c in cells])) / fu


def relax_structure(ff: ForceField, structure: CrystalStructure, species: Mapping[str, str],
                    initial: Mapping[str, float], *, pressure_GPa: float = 0.0) -> RelaxedStructure:
    """Relax ``structure`` with ``species`` (role -> species name) in force field ``ff``.

    Parameters
    ----------
    initial
        Starting values of the free parameters: ``a``, ``c`` (Å), ``u``.
    pressure_GPa
        External pressure (GPa); 0 gives the zero-stress lattice statics structure.

    Returns
    -------
    RelaxedStructure
        Parameters, energy and enthalpy per formula unit (eV), the primitive cell.

    Raises
    ------
    RelaxationError
        When a or c change by more than 30 % (or u by more than 0.3) from ``initial``.
    """
    names = structure.parameters
    p0 = {k: float(initial[k]) for k in names}
    # variables: relative change of a and c, absolute change of u
    ref = np.array([p0[k] for k in names])
    is_u = np.array([k == "u" for k in names])
    pressure = pressure_GPa / units.GPA_PER_EV_PER_A3  # eV/Å^3

    def params(x):
        if np.abs(x).max() > _MAX_CHANGE:
            raise RelaxationError(
                f"{structure.name} ({', '.join(species.values())}) at {pressure_GPa} GPa: "
                f"relaxation moved {dict(zip(names, np.round(x, 3).tolist()))} (relative a, c; "
                f"absolute u) from the start {p0}, beyond {_MAX_CHANGE}; {_NO_MINIMUM}")
        return dict(zip(names, np.where(is_u, ref + x, ref * (1.0 + x)).tolist()))

    cell0 = _cell(structure, species, p0)
    model = LatticeSum.from_forcefield(ff, cell0.lattice_A, cell0.positions_A, cell0.species)
    fu = cell0.formula_units
    x = np.zeros(len(names))
    converged, builds = False, 1
    for _ in range(_MAX_REBUILDS):
        cache: dict[bytes, tuple] = {}

        def enthalpies(xs, m=model):  # (points, parameters) -> (points,), eV/f.u.
            return _enthalpies(m, [_cell(structure, species, params(xx)) for xx in xs], pressure, fu)

        def derivs(xx):
            key = np.asarray(xx, dtype=float).tobytes()
            if key not in cache:
                cache[key] = gradient_hessian(None, xx, _FD_STEP, f_many=enthalpies)
            return cache[key]

        res = minimize(lambda xx: derivs(xx)[0], x, jac=lambda xx: derivs(xx)[1],
                       hess=lambda xx: derivs(xx)[2], method="trust-exact",
                       options={"gtol": _GTOL, "maxiter": 200})
        # trust-exact stops ("bad approximation") once energy changes reach the
        # rounding noise of the energy; Newton steps on the (much more precise)
        # finite-difference gradient finish the job.
        x = _newton_polish(derivs, res.x)
        grad_ok = float(np.abs(derivs(x)[1]).max()) < _GTOL_ACCEPT
        c = _cell(structure, species, params(x))
        new = model.rebuilt(c.lattice_A, c.positions_A)
        if new.same_lists(model):
            converged = True
            model = new
            break
        model, builds = new, builds + 1
    if not grad_ok:
        warnings.warn(f"{structure.name}: relaxation did not converge ({res.message}; "
                      f"gradient {np.abs(derivs(x)[1]).max():.2e} eV/f.u.)")
    if not converged:
        warnings.warn(f"{structure.name}: neighbour list still changing after "
                      f"{_MAX_REBUILDS} relaxations (a shell sits at the cutoff)")
    p = params(x)
    cell = _cell(structure, species, p)
    e = model.energy(cell.lattice_A, cell.positions_A) / fu
    return RelaxedStructure(structure, dict(species), p, pressure_GPa, e,
                            e + pressure * cell.volume_A3 / fu, cell, model, converged, builds)


def relax_phase(ff: ForceField, phase: Phase, initial: Mapping[str, float] | None = None,
                *, pressure_GPa: float = 0.0) -> RelaxedStructure:
    """:func:`relax_structure` for a published :class:`~omm_cx.crystals.Phase`, starting
    from its published lattice-statics parameters unless ``initial`` is given."""
    return relax_structure(ff, phase.structure, phase.species,
                           initial or phase.initial_params(), pressure_GPa=pressure_GPa)
