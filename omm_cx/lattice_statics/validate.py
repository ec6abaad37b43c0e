"""Validation of a force field against the published values that belong to it.

:func:`validate_forcefield` relaxes the phases of the force field's own reference set
(:data:`omm_cx.crystals.REFERENCE_SETS`: 000's lattice statics for ``pbcdse``, 003's
Table 4 for ``cdse-cu-lj``, the fit targets for ``pbcds-omm_cx``) and compares lattice
parameters, lattice energy, relative phase energies, bulk modulus and elastic constants,
and the published transition pressures where the set has them. A force field without a
reference set of its own gets our values only (phases of every set whose species it
defines), never another force field's numbers as its reference.
:func:`format_validation_table` prints the comparison.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from omm_cx.crystals import (ALL_PHASES, LJ003_PHASES, PHASES, REFERENCE_SETS, TRANSITIONS, Phase,
                             get_phase)
from omm_cx.forcefield.params import ForceField, load_forcefield
from omm_cx.lattice_statics.elastic import (
    UnstableStructureError,
    bulk_modulus_reuss,
    elastic_constants,
    independent_constants,
)
from omm_cx.lattice_statics.relax import relax_phase
from omm_cx.lattice_statics.transitions import transition_pressure

#: Properties compared as absolute differences (eV); all others as relative deviations (%).
ABSOLUTE_KEYS = ("E_latt_eV", "dE_eV")
_PARAM_KEYS = {"a": "a_A", "c": "c_A", "u": "u"}
_REFERENCE_WORDS = {
    "pbcdse": "published lattice statics (Yalcin et al. 2014 SI, Tables S8/S9)",
    "pbcds-omm_cx": "the experimental fit targets of omm_cx's sulfide fit (see the force-field "
                    "file's provenance)",
    "cdse-cu-lj": "the FF values 003 reports for it (Casu et al. 2023, Table 4)",
}
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


def reference_set(ff: ForceField) -> tuple[str | None, dict[str, Phase]]:
    """(name, phases) of the reference set that belongs to ``ff``: the set of the first of
    its parameter files that has one; (None, {}) when none does."""
    for f in ff.files:
        name = Path(f).stem
        if name in REFERENCE_SETS:
            return name, REFERENCE_SETS[name]
    return None, {}


def _candidate_phases(ff: ForceField, phases: Iterable[str] | None
                      ) -> tuple[str | None, list[tuple[Phase, bool]]]:
    """(reference set name, [(phase, whether its published values belong to ff)]): the
    phases asked for (default: the whole own set, or every known phase when ff has no set)
    whose species ff defines."""
    set_name, own = reference_set(ff)
    others = {**LJ003_PHASES, **ALL_PHASES}
    names = list(own or others) if phases is None else list(phases)
    chosen = [(own[n], True) if n in own else (others[n] if n in others else get_phase(n), False)
              for n in names]
    return set_name, [(p, mine) for p, mine in chosen
                      if all(s in ff.species for s in p.species.values())]


def validate_forcefield(ff_or_name: ForceField | str,
                        phases: Iterable[str] | None = None, transitions: bool = True) -> dict:
    """Lattice statics of a force field's phases against the values that belong to it.

    Parameters
    ----------
    ff_or_name
        A :class:`~omm_cx.forcefield.ForceField` or a name for
        :func:`~omm_cx.forcefield.load_forcefield` (``"pbcdse"``).
    phases
        Phase names (default: every phase of the force field's reference set,
        :func:`reference_set`, whose species it defines).
    transitions
        Also compute the published transition pressures of the set (000: CdSe wurtzite
        -> rocksalt, PbSe rocksalt -> CsCl), a few seconds each.

    Returns
    -------
    dict
        ``{"forcefield": name, "reference_set": "pbcdse" or None, "phases":
        {"CdSe-wurtzite": {"a_A", "c_A", "u", "E_latt_eV", "dE_eV", "B_GPa", "cij_GPa":
        {"c11", ...}, "published": {...}, "deviation": {...}}, ...}, "transitions":
        {"CdSe-wurtzite -> CdSe-rocksalt": {"P_GPa", "published_GPa", "deviation_GPa"}}}``.
        Units: Å, eV per formula unit, GPa. ``dE_eV`` is relative to the compound's lowest
        phase among those computed. ``deviation`` has the keys of ``published`` (where
        ours exist): ours - published in eV for ``E_latt_eV`` and ``dE_eV``, 100 (ours -
        published) / published in % for all others. ``published`` is empty when the force
        field has no reference set. ``B_GPa``/``cij_GPa`` are absent for phases that are
        saddle points (see :func:`phase_properties`).
    """
    ff = load_forcefield(ff_or_name) if isinstance(ff_or_name, str) else ff_or_name
    set_name, chosen = _candidate_phases(ff, phases)
    results = {p.name: phase_properties(ff, p) for p, _ in chosen}
    lowest: dict[str, float] = {}
    for p, _ in chosen:
        e = results[p.name]["E_latt_eV"]
        lowest[p.compound] = min(lowest.get(p.compound, np.inf), e)
    out = {}
    for p, mine in chosen:
        props = results[p.name]
        props["dE_eV"] = props["E_latt_eV"] - lowest[p.compound]
        props = _order(props)
        published = _order(dict(p.published)) if mine else {}
        out[p.name] = {**props, "published": published,
                       "deviation": _deviation(props, published),
                       "source": p.source if mine else None}
    result = {"forcefield": ff.name, "reference_set": set_name, "phases": out, "transitions": {}}
    if transitions and set_name == "pbcdse":
        result["transitions"] = _transitions(ff, {p.name: p for p, mine in chosen if mine})
    return result


def _transitions(ff: ForceField, chosen: dict[str, Phase]) -> dict:
    out = {}
    for (low, high), ref in TRANSITIONS.items():
        if low not in chosen or high not in PHASES:
            continue
        p = transition_pressure(ff, PHASES[low], PHASES[high])
        out[f"{low} -> {high}"] = {"P_GPa": p, "published_GPa": ref["published"],
                                   "deviation_GPa": p - ref["published"],
                                   "experimental_GPa": ref.get("experimental"),
                                   "source": ref["source"]}
    return out


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
    reference = _REFERENCE_WORDS.get(result.get("reference_set"),
                                     "nothing: no reference values belong to this force field "
                                     "(our values only)")
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
    for name, t in result.get("transitions", {}).items():
        lines.append(f"{'transition':<22}{name:<40}{t['P_GPa']:>9.2f}{t['published_GPa']:>9.2f}"
                     f"{t['deviation_GPa']:>+10.2f} GPa")
    lines.append("dE: relative to the lowest phase of each compound; B: Reuss (relaxed "
                 "E(V)); c_ij: relaxed-ion, Voigt.")
    return "\n".join(lines)
