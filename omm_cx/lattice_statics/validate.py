"""Validation of a force field against the published lattice statics of its phases.

:func:`validate_forcefield` relaxes every known phase (:data:`omm_cx.crystals.ALL_PHASES`)
whose species the force field defines and compares lattice parameters, lattice energy,
relative phase energies, bulk modulus and elastic constants with the published
lattice-statics (LS) values. :func:`format_validation_table` prints the comparison.
"""

from __future__ import annotations

from typing import Iterable

import numpy as np

from omm_cx.crystals import ALL_PHASES, SULFIDE_PHASES, Phase, get_phase
from omm_cx.forcefield.params import ForceField, load_forcefield
from omm_cx.lattice_statics.elastic import (
    UnstableStructureError,
    bulk_modulus_reuss,
    elastic_constants,
    independent_constants,
)
from omm_cx.lattice_statics.relax import relax_phase

#: Properties compared as absolute differences (eV); all others as relative deviations (%).
ABSOLUTE_KEYS = ("E_latt_eV", "dE_eV")
_PARAM_KEYS = {"a": "a_A", "c": "c_A", "u": "u"}
_LABELS = {
    "a_A": "a (Å)", "c_A": "c (Å)", "u": "u", "E_latt_eV": "E_latt (eV/f.u.)",
    "dE_eV": "dE (eV/f.u.)", "B_GPa": "B (GPa)",
}


def phase_properties(ff: ForceField, phase: Phase) -> dict:
    """Relaxed lattice-statics properties of one phase (no dE, which needs the other
    phases): ``a_A``, ``c_A`` (Å; hexagonal only), ``u`` (wurtzite only),
    ``E_latt_eV`` (eV per formula unit), ``B_GPa`` (Reuss, GPa), ``cij_GPa`` (relaxed-ion,
    Voigt, GPa: c11, c12, c44 for cubic; c11, c12, c13, c33, c44, c66 for hexagonal).

    ``B_GPa`` and ``cij_GPa`` are left out where the symmetric structure is a saddle point
    with respect to its internal coordinates (e.g. honeycomb CdSe in the Pb-Cd-Se model,
    which falls to wurtzite without barrier): relaxed-ion constants are undefined there.
    """
    relaxed = relax_phase(ff, phase)
    out = {_PARAM_KEYS[k]: v for k, v in relaxed.params.items()}
    out["E_latt_eV"] = relaxed.energy_eV
    try:
        c = elastic_constants(relaxed.model, relaxed.cell.lattice_A, relaxed.cell.positions_A)
    except UnstableStructureError:
        return out
    out["B_GPa"] = bulk_modulus_reuss(c)
    out["cij_GPa"] = independent_constants(c, phase.structure.system)
    return out


def _deviation(ours: dict, published: dict) -> dict:
    dev = {}
    for key, ref in published.items():
        if key not in ours:
            continue
        if key == "cij_GPa":
            dev[key] = {k: 100.0 * (ours[key][k] - v) / v for k, v in ref.items()}
        elif key in ABSOLUTE_KEYS:
            dev[key] = ours[key] - ref
        else:
            dev[key] = 100.0 * (ours[key] - ref) / ref
    return dev


def _order(props: dict) -> dict:
    keys = ("a_A", "c_A", "u", "E_latt_eV", "dE_eV", "B_GPa", "cij_GPa")
    return {k: props[k] for k in keys if k in props}


def validate_forcefield(ff_or_name: ForceField | str,
                        phases: Iterable[str] | None = None) -> dict:
    """Lattice statics of the published phases with a force field, against the paper.

    Parameters
    ----------
    ff_or_name
        A :class:`~omm_cx.forcefield.ForceField` or a name for
        :func:`~omm_cx.forcefield.load_forcefield` (``"pbcdse"``).
    phases
        Phase names (default: every phase in :data:`~omm_cx.crystals.ALL_PHASES` whose
        species the force field defines).

    Returns
    -------
    dict
        ``{"forcefield": name, "phases": {"CdSe-wurtzite": {"a_A", "c_A", "u",
        "E_latt_eV", "dE_eV", "B_GPa", "cij_GPa": {"c11", ...}, "published": {...},
        "deviation": {...}}, ...}}``. Units: Å, eV per formula unit, GPa. ``dE_eV`` is
        relative to the compound's lowest phase among those computed. ``deviation`` has
        the keys of ``published`` (where ours exist): ours - published in eV for
        ``E_latt_eV`` and ``dE_eV``, 100 (ours - published) / published in % for all
        others. ``B_GPa``/``cij_GPa`` are absent for phases that are saddle points (see
        :func:`phase_properties`).
    """
    ff = load_forcefield(ff_or_name) if isinstance(ff_or_name, str) else ff_or_name
    names = list(ALL_PHASES) if phases is None else list(phases)
    chosen = [get_phase(n) for n in names
              if all(s in ff.species for s in get_phase(n).species.values())]
    results = {p.name: phase_properties(ff, p) for p in chosen}
    lowest: dict[str, float] = {}
    for p in chosen:
        e = results[p.name]["E_latt_eV"]
        lowest[p.compound] = min(lowest.get(p.compound, np.inf), e)
    out = {}
    for p in chosen:
        props = results[p.name]
        props["dE_eV"] = props["E_latt_eV"] - lowest[p.compound]
        props = _order(props)
        published = _order(dict(p.published))
        out[p.name] = {**props, "published": published,
                       "deviation": _deviation(props, published)}
    return {"forcefield": ff.name, "phases": out}


def _fmt(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    if key in ABSOLUTE_KEYS:
        return f"{value:.4f}"
    if key == "u":
        return f"{value:.4f}"
    if key in ("a_A", "c_A"):
        return f"{value:.4f}"
    return f"{value:.2f}"


def _fmt_dev(key: str, value: float | None) -> str:
    if value is None:
        return ""
    if key in ABSOLUTE_KEYS:
        return f"{value:+.4f} eV"
    return f"{value:+.2f} %"


def format_validation_table(result: dict) -> str:
    """Human-readable side-by-side table of :func:`validate_forcefield`'s result:
    ours, published LS, deviation (% or eV)."""
    head = f"{'phase':<22}{'property':<18}{'ours':>11}{'reference':>11}{'deviation':>13}"
    sulfide = [n for n in result["phases"] if n in SULFIDE_PHASES]
    reference = ("the experimental fit targets of omm_cx's sulfide fit (see the force-field file's "
                 "provenance)" if sulfide else
                 "published lattice statics (Yalcin et al. 2014 SI, Tables S8/S9)")
    lines = [f"Lattice statics of force field {result['forcefield']!r} vs {reference}", head,
             "-" * len(head)]
    for name, ph in result["phases"].items():
        pub, dev = ph.get("published", {}), ph.get("deviation", {})
        rows = []
        for key in ("a_A", "c_A", "u", "E_latt_eV", "dE_eV", "B_GPa"):
            if key in ph:
                rows.append((_LABELS[key], _fmt(key, ph[key]), _fmt(key, pub.get(key))
                             if key in pub else "-", _fmt_dev(key, dev.get(key))))
        pc, dc = pub.get("cij_GPa", {}), dev.get("cij_GPa", {})
        for k, v in ph.get("cij_GPa", {}).items():
            rows.append((f"{k} (GPa)", _fmt(k, v), _fmt(k, pc[k]) if k in pc else "-",
                         _fmt_dev(k, dc.get(k))))
        for i, (label, ours, ref, d) in enumerate(rows):
            lines.append(f"{name if i == 0 else '':<22}{label:<18}{ours:>11}{ref:>11}{d:>13}")
        if "cij_GPa" not in ph:
            lines.append(f"{'':<22}(no B, c_ij: saddle point w.r.t. internal coordinates)")
    lines.append("dE: relative to the lowest phase of each compound; B: Reuss (relaxed "
                 "E(V)); c_ij: relaxed-ion, Voigt.")
    return "\n".join(lines)
