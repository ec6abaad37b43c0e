"""The compiled short-range kernel: encoding ``"native"`` of
:func:`omm_cx.forcefield.create_system`.

One OpenMM force, ``OmmCxPairTableForce`` (``pair_table_force.cpp``), computes per type
pair ``A exp(-r/rho) + B/r^12 - C/r^6`` plus the catastrophe guard's wall, cut sharply at
the cutoff in a periodic box -- the same energy as the ``"onehot"``/``"tables"``
``CustomNonbondedForce`` pair, with a Verlet list that leaves out the pairs that have no
term. It is computed on the host (OpenMM's ``CustomCPPForceImpl``), so it pays on the CPU
platform; on a GPU keep the ``CustomNonbondedForce`` encodings.

The plugin is compiled on first use (:mod:`.build`); a system file that contains the
force needs :func:`load_for` (or :func:`load`) before ``XmlSerializer.deserialize``.
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np

from omm_cx.errors import NativeUnavailable
from omm_cx.forcefield.native.build import cache_dir, load

#: Name of the force's type in OpenMM's XML.
FORCE_TYPE = "OmmCxPairTableForce"
#: Verlet-list skin (nm): the list is rebuilt when an atom has moved half of it.
DEFAULT_SKIN_NM = 0.1
#: Pruned-list skin (nm): the pairs within cutoff + this, taken from the Verlet list in the
#: pair loop and used until an atom has moved half of it (0: no pruned list).
DEFAULT_PRUNE_SKIN_NM = 0.02
_TABLES = ("A", "irho", "B", "C", "D", "rw")


def unavailable_reason() -> str | None:
    """None when the plugin compiles and loads here, else why not (one line)."""
    try:
        load()
    except NativeUnavailable as exc:
        return str(exc)
    return None


def available() -> bool:
    """True when the plugin compiles and loads here."""
    return unavailable_reason() is None


def load_for(xml_text: str) -> None:
    """Load the plugin when a serialized System or Force uses it."""
    if FORCE_TYPE in xml_text:
        load()


def _join(values) -> str:
    return " ".join(repr(float(v)) for v in np.asarray(values, dtype=float).ravel())


def pair_table_force(tables: Mapping[str, np.ndarray], types: Sequence[int], *, cutoff_nm: float,
                     group: int, name: str = "ShortRange", skin_nm: float = DEFAULT_SKIN_NM,
                     prune_skin_nm: float = DEFAULT_PRUNE_SKIN_NM, threads: int = 0, coulomb: Mapping | None = None, periodic: bool = True,
                     all_pairs_charges: Sequence[float] | None = None):
    """The native force (an ``openmm.Force``) with a sharp cutoff, periodic or (``periodic``
    False) for an isolated particle without a box.

    ``tables``: n x n arrays in OpenMM units, keys ``A`` (kJ/mol), ``irho`` (1/nm),
    ``B`` (kJ/mol nm^12), ``C`` (kJ/mol nm^6), ``D`` (kJ/mol, wall strength) and ``rw``
    (nm, wall radius; 0 = no wall); missing keys are zero (``irho`` one).
    ``types``: type index per particle. ``threads``: 0 = the CPU platform's thread count.
    ``skin_nm``: Verlet-list skin; ``prune_skin_nm`` (< ``skin_nm``, 0 = off): the skin of
    the pruned list the pair loop uses between prunes.
    ``coulomb``: also Ewald's real space (:mod:`.coulomb`): ``charges`` (e, per particle),
    ``alpha_per_nm`` and ``cutoff_nm``. ``all_pairs_charges`` (e, per particle; only
    without a box): also Coulomb ``k q_i q_j / r`` over every pair, without cutoff.
    """
    import openmm as mm

    load()
    n = len(next(iter(tables.values())))
    full = {k: np.asarray(tables.get(k, np.ones((n, n)) if k == "irho" else np.zeros((n, n))), dtype=float)
            for k in _TABLES}
    for k, tab in full.items():
        if tab.shape != (n, n) or not np.allclose(tab, tab.T, rtol=0, atol=0):
            raise ValueError(f"table {k!r} must be a symmetric {n} x {n} array")
    if not 0 < skin_nm < cutoff_nm:
        raise ValueError(f"skin_nm must be in (0, cutoff_nm), got {skin_nm}")
    if not 0 <= prune_skin_nm < skin_nm:
        raise ValueError(f"prune_skin_nm must be in [0, skin_nm), got {prune_skin_nm}")
    attrs = {"type": FORCE_TYPE, "version": "1", "forceGroup": str(int(group)), "name": name,
             "numTypes": str(n), "cutoff": repr(float(cutoff_nm)), "skin": repr(float(skin_nm)),
             "pruneSkin": repr(float(prune_skin_nm)),
             "numThreads": str(int(threads)), "types": " ".join(str(int(t)) for t in types)}
    attrs.update({k: _join(full[k]) for k in _TABLES})
    if coulomb is not None:
        if len(coulomb["charges"]) != len(types):
            raise ValueError("coulomb: one charge per particle is needed")
        attrs.update({"coulombCutoff": repr(float(coulomb["cutoff_nm"])),
                      "ewaldAlpha": repr(float(coulomb["alpha_per_nm"])),
                      "charges": _join(coulomb["charges"])})
    if all_pairs_charges is not None:
        if periodic or coulomb is not None:
            raise ValueError("all_pairs_charges is for a force without a box or Ewald Coulomb")
        if len(all_pairs_charges) != len(types):
            raise ValueError("all_pairs_charges: one charge per particle is needed")
        attrs.update({"coulombAllPairs": "1", "charges": _join(all_pairs_charges)})
    if not periodic:
        attrs["periodic"] = "0"
    xml = "<Force " + " ".join(f'{k}="{v}"' for k, v in attrs.items()) + "/>"
    return mm.XmlSerializer._deserializeForce(xml)




def short_range_native(tab, types: Sequence[int], *, cutoff_nm: float, group: int,
                       coulomb: Mapping | None = None, periodic: bool = True,
                       all_pairs_charges: Sequence[float] | None = None):
    """The native force for a :class:`~omm_cx.forcefield.openmm_forces.ShortRangeTables`
    (eV, Å; the walls included), converted to OpenMM units; ``coulomb`` as in
    :func:`pair_table_force`, and so are ``periodic`` and ``all_pairs_charges``."""
    from omm_cx import units

    kj, nm = units.KJ_PER_MOL_PER_EV, units.NM_PER_ANGSTROM
    tables = {"A": tab.A_eV * kj, "irho": 1.0 / (tab.rho_A * nm), "B": tab.B_eVA12 * kj * nm**12,
              "C": tab.C_eVA6 * kj * nm**6, "D": tab.D_eV * kj, "rw": tab.r_wall_A * nm}
    return pair_table_force(tables, types, cutoff_nm=cutoff_nm, group=group, coulomb=coulomb,
                            periodic=periodic, all_pairs_charges=all_pairs_charges)


__all__ = ["FORCE_TYPE", "DEFAULT_SKIN_NM", "DEFAULT_PRUNE_SKIN_NM", "NativeUnavailable", "available", "unavailable_reason", "cache_dir", "load",
           "load_for", "pair_table_force", "short_range_native"]
