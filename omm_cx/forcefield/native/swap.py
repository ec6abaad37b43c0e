"""Put the native kernel into a System built with a ``CustomNonbondedForce`` short range.

Systems are built (and saved) platform-neutral; which short-range kernel is fastest
depends on the platform a run picks: on the CPU platform the native kernel (about 15x
faster than the one-hot ``CustomNonbondedForce`` on the 10,392-ion benchmark system), on
a GPU the ``CustomNonbondedForce`` (the native one would copy positions and forces to
the host every step). :func:`use_native` swaps a System's short-range forces in place.

An isolated particle built with ``vacuum_method: short-range-cutoff``
(:mod:`omm_cx.forcefield.vacuum_forces`) gets the kernel without a box: the short range
within the cutoff, and Coulomb over every pair in the same force (it replaces the
reaction-field ``NonbondedForce`` and its constant offset, which together are that same
all-pairs sum while every pair lies inside their cutoff; the native sum has no cutoff).
"""

from __future__ import annotations

from typing import Sequence

from omm_cx.forcefield.groups import GUARD_GROUP, SHORT_RANGE_GROUP
from omm_cx.forcefield.guard import GUARD_EXPRESSION

#: Values of the run-config key ``short_range_kernel``.
KERNELS = ("auto", "native", "custom")


def _short_range_custom_forces(system) -> dict[int, object]:
    """{index: force} of the CustomNonbondedForces in the short-range and guard groups."""
    import openmm as mm

    return {i: f for i, f in enumerate(system.getForces())
            if isinstance(f, mm.CustomNonbondedForce)
            and f.getForceGroup() in (SHORT_RANGE_GROUP, GUARD_GROUP)}


def native_applies(system) -> str | None:
    """None when :func:`use_native` can swap ``system``'s short range, else why not."""
    import openmm as mm

    forces = _short_range_custom_forces(system)
    if not forces:
        return "the system has no CustomNonbondedForce short range (LJ in NonbondedForce, or none)"
    vacuum = not system.usesPeriodicBoundaryConditions()
    for f in forces.values():
        if f.getNonbondedMethod() == mm.CustomNonbondedForce.NoCutoff:
            return ("the short range runs over all pairs without a cutoff (vacuum_method "
                    "all-pairs); the native kernel needs one (short-range-cutoff)")
        if vacuum and not _vacuum_coulomb(system):
            return "no reaction-field Coulomb of vacuum_method short-range-cutoff to take over"
        if f.getUseLongRangeCorrection():
            return "the short range has a long-range (dispersion) correction"
    return None


def _vacuum_coulomb(system) -> tuple[int, int] | None:
    """Indices (NonbondedForce, offset force) of a ``short-range-cutoff`` vacuum system, or
    None."""
    import openmm as mm

    from omm_cx.forcefield.vacuum_forces import OFFSET_FORCE_NAME

    forces = list(system.getForces())
    nbs = [i for i, f in enumerate(forces) if isinstance(f, mm.NonbondedForce)]
    offsets = [i for i, f in enumerate(forces) if f.getName() == OFFSET_FORCE_NAME]
    if len(nbs) != 1 or len(offsets) != 1:
        return None
    nb = forces[nbs[0]]
    if (nb.getNonbondedMethod() != mm.NonbondedForce.CutoffNonPeriodic
            or nb.getReactionFieldDielectric() != 1.0 or nb.getNumExceptions()):
        return None
    return nbs[0], offsets[0]


def _use_native_in_vacuum(system, ff, species: Sequence[str], guard: bool) -> None:
    """The native force without a box: the short range, and Coulomb over all pairs in
    place of the reaction-field NonbondedForce and its offset."""
    from omm_cx import units
    from omm_cx.forcefield.charges import nonbonded_charges_e
    from omm_cx.forcefield.native import short_range_native
    from omm_cx.forcefield.pair_tables import short_range_tables

    indices = _vacuum_coulomb(system)
    charges = nonbonded_charges_e(system.getForce(indices[0]))
    for i in sorted(indices, reverse=True):
        system.removeForce(i)
    tab = short_range_tables(ff, species, guard=guard)
    index = {s: i for i, s in enumerate(tab.species)}
    system.addForce(short_range_native(tab, [index[s] for s in species],
                                       cutoff_nm=units.angstrom_to_nm(ff.cutoff_A),
                                       group=SHORT_RANGE_GROUP, periodic=False,
                                       all_pairs_charges=charges))


def add_native(system, ff, species: Sequence[str], *, guard: bool, coulomb: bool) -> None:
    """Add the native force for ``ff`` and ``species`` to a periodic ``system`` that has no
    short-range force; with ``coulomb`` it also takes over the PME ``NonbondedForce``'s
    real space (:mod:`.coulomb`). ValueError where that force does not allow it."""
    import openmm as mm

    from omm_cx import units
    from omm_cx.forcefield.native import short_range_native
    from omm_cx.forcefield.native.coulomb import take_real_space
    from omm_cx.forcefield.pair_tables import short_range_tables

    tab = short_range_tables(ff, species, guard=guard)
    index = {s: i for i, s in enumerate(tab.species)}
    real_space = None
    if coulomb:
        nbs = [f for f in system.getForces() if isinstance(f, mm.NonbondedForce)]
        if len(nbs) != 1:
            raise ValueError("native-coulomb needs exactly one NonbondedForce")
        real_space = take_real_space(nbs[0], system.getDefaultPeriodicBoxVectors())
    system.addForce(short_range_native(tab, [index[s] for s in species],
                                       cutoff_nm=units.angstrom_to_nm(ff.cutoff_A),
                                       group=SHORT_RANGE_GROUP, coulomb=real_space))


def use_native(system, ff, species: Sequence[str], *, coulomb: bool = True) -> None:
    """Replace ``system``'s short-range ``CustomNonbondedForce`` (and the guard's) by the
    native force with the same energy, built from ``ff`` for ``species``; with
    ``coulomb`` (where this OpenMM allows it) the native force also computes Coulomb's
    real space (the total energy is the same; the split between force groups is not). ValueError with the reason where
    :func:`native_applies` says no; :class:`NativeUnavailable` where the kernel cannot be
    built."""
    import openmm.unit as u

    from omm_cx import units

    why = native_applies(system)
    if why:
        raise ValueError(f"cannot use the native short-range kernel: {why}")
    forces = _short_range_custom_forces(system)
    sr = next(f for f in forces.values() if f.getForceGroup() == SHORT_RANGE_GROUP)
    # the guard is its own force in a box, folded into the short range without one
    guard = (any(f.getForceGroup() == GUARD_GROUP for f in forces.values())
             or GUARD_EXPRESSION.split("*")[0] in sr.getEnergyFunction())
    cutoff_nm = sr.getCutoffDistance().value_in_unit(u.nanometer)
    if abs(cutoff_nm - units.angstrom_to_nm(ff.cutoff_A)) > 1e-9:
        raise ValueError(f"cannot use the native short-range kernel: the system's cutoff "
                         f"{cutoff_nm} nm is not the force field's {ff.cutoff_A} Å")
    from omm_cx.forcefield.native.coulomb import supported

    for i in sorted(forces, reverse=True):
        system.removeForce(i)
    if not system.usesPeriodicBoundaryConditions():
        _use_native_in_vacuum(system, ff, species, guard)
        return
    add_native(system, ff, species, guard=guard, coulomb=coulomb and supported())


def choose_kernel(setting: str, platform_name: str, system) -> str:
    """"native" or "custom" for the run-config value ``setting`` on ``platform_name``:
    "auto" takes native on the CPU platform where it applies and builds."""
    if setting not in KERNELS:
        raise ValueError(f"short_range_kernel {setting!r} unknown; use one of {KERNELS}")
    if setting != "auto":
        return setting
    if platform_name != "CPU" or native_applies(system) is not None:
        return "custom"
    from omm_cx.forcefield.native import unavailable_reason

    why = unavailable_reason()
    if why:
        import logging

        logging.getLogger("omm_cx").warning("short range on the CustomNonbondedForce (slower "
                                            "on the CPU): %s", why)
        return "custom"
    return "native"
