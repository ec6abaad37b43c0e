"""The OpenMM System of a structure, the one assembly shared by recipes
(:func:`omm_cx.systems.recipes.build_recipe`) and a run's ``system:`` source
(:mod:`omm_cx.simulation.source`): the force field's forces, and for an isolated particle
the vacuum path with its force error against all pairs (:mod:`omm_cx.systems.vacuum`)."""

from __future__ import annotations

from omm_cx.forcefield.params import ForceField
from omm_cx.io.pdb import Structure
from omm_cx.systems.vacuum import METHOD as PADDING_METHOD
from omm_cx.systems.vacuum import SHORT_RANGE_CUTOFF_METHOD, force_error_vs_all_pairs


def openmm_system(ff: ForceField, structure: Structure, *, background: bool = False,
                  vacuum_method: str = "all-pairs", padding_nm: float | None = None,
                  coulomb=None, dispersion_correction: bool = False, guard: bool = True
                  ) -> tuple[object, dict | None]:
    """(``openmm.System``, the build record's ``vacuum`` entry or None) of ``structure``.

    ``background``: a net charge is left to PME's neutralizing background;
    ``vacuum_method``: ``all-pairs`` or ``short-range-cutoff`` for a structure without a
    box; ``padding_nm``: the box was made around an isolated particle with that padding
    (recorded); ``coulomb``: :class:`~omm_cx.forcefield.openmm_forces.CoulombSettings`."""
    from omm_cx.forcefield.openmm_forces import CoulombSettings, create_system
    from omm_cx.forcefield.vacuum_forces import apply_short_range_cutoff

    system = create_system(ff, structure.species, structure.box_A,
                           coulomb=coulomb or CoulombSettings(),
                           dispersion_correction=dispersion_correction, guard=guard,
                           allow_net_charge=background)
    vacuum = None
    if padding_nm is not None:
        vacuum = {"method": PADDING_METHOD, "padding_nm": float(padding_nm)}
    elif vacuum_method == "short-range-cutoff":
        vacuum = {"method": SHORT_RANGE_CUTOFF_METHOD,
                  **apply_short_range_cutoff(system, structure.positions_A, ff.cutoff_A)}
    if vacuum is not None:
        vacuum.update(force_error_vs_all_pairs(ff, structure.species, structure.positions_A,
                                               system))
    return system, vacuum
