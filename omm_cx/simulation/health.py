"""Is the state sane? Checked after every chunk of steps and before every checkpoint.

A state is bad when the potential or kinetic energy is not finite (NaN, inf) or when the
kinetic temperature exceeds ``abort_temperature_K`` (default 3 x temperature_K): the
signature of an explosion, e.g. ions falling into the Buckingham catastrophe or a time
step too large for a close collision. A bad state is never checkpointed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from omm_cx import units
from omm_cx.errors import ConfigError, OmmCxError, SimulationError

#: The native kernel's message when the box got narrower than twice the cutoff
#: (omm_cx/forcefield/native/pair_table_force.cpp).
BOX_TOO_NARROW = "OmmCxPairTableForce: the periodic box"


@dataclass(frozen=True)
class Snapshot:
    step: int
    time_ps: float
    potential_kJmol: float
    kinetic_kJmol: float
    temperature_K: float


def degrees_of_freedom(system) -> int:
    """3 N (massive particles) minus constraints, minus 3 with a CMMotionRemover (the
    count OpenMM's StateDataReporter uses)."""
    import openmm as mm
    import openmm.unit as u

    dof = 3 * sum(1 for i in range(system.getNumParticles())
                  if system.getParticleMass(i).value_in_unit(u.dalton) > 0)
    dof -= system.getNumConstraints()
    forces = (system.getForce(i) for i in range(system.getNumForces()))
    if any(isinstance(f, mm.CMMotionRemover) for f in forces):
        dof -= 3
    return dof


def snapshot(simulation, dof: int) -> Snapshot:
    """Energies (kJ/mol) and kinetic temperature (K) of the current state."""
    import openmm.unit as u

    r_kj = u.MOLAR_GAS_CONSTANT_R.value_in_unit(u.kilojoule_per_mole / u.kelvin)
    state = simulation.context.getState(getEnergy=True)
    ke = state.getKineticEnergy().value_in_unit(u.kilojoule_per_mole)
    pe = state.getPotentialEnergy().value_in_unit(u.kilojoule_per_mole)
    t = 2.0 * ke / (dof * r_kj) if math.isfinite(ke) else float("nan")
    return Snapshot(int(simulation.currentStep), state.getTime().value_in_unit(u.picosecond),
                    pe, ke, t)


def advice(cfg) -> str:
    return (f"fixes: a smaller time step (timestep_fs: {cfg.timestep_fs:g} -> "
            f"{max(cfg.timestep_fs / 2, 0.5):g}), minimize: true before the run, keep the "
            f"Buckingham-catastrophe guard on (system.guard: true, or build with the guard), "
            f"and check the structure for overlapping ions")


def check(snap: Snapshot, cfg, last_checkpoint_step: int | None) -> None:
    """Raise :class:`SimulationError` saying what happened, where, and what to do."""
    problem = None
    if not (math.isfinite(snap.potential_kJmol) and math.isfinite(snap.kinetic_kJmol)):
        kind = "NaN" if math.isnan(snap.potential_kJmol + snap.kinetic_kJmol) else "infinite"
        problem = (f"the energy became {kind} "
                   f"(potential {snap.potential_kJmol:g}, kinetic {snap.kinetic_kJmol:g} kJ/mol)")
    elif snap.temperature_K > cfg.abort_temperature_K:
        problem = (f"the kinetic temperature reached {snap.temperature_K:.0f} K, above "
                   f"abort_temperature_K = {cfg.abort_temperature_K:g} K (the run is exploding; "
                   f"potential energy {units.kjmol_to_ev(snap.potential_kJmol):.6g} eV)")
    if problem:
        raise failure(f"{problem} at step {snap.step} (t = {snap.time_ps:.4g} ps)", cfg,
                      last_checkpoint_step)


def openmm_failure(exc: Exception, step: int, cfg, last_checkpoint_step: int | None) -> OmmCxError:
    """The error of an exception OpenMM raised while stepping: a box that a barostat made
    too narrow for the cutoff is a bad input (:class:`ConfigError`, exit 2: a larger box
    is the fix), anything else a failed simulation (exit 3)."""
    if BOX_TOO_NARROW in str(exc):
        return ConfigError(f"{cfg.origin}: near step {step} {exc} (the barostat shrank or "
                           f"skewed the box); the last good checkpoint is step "
                           f"{last_checkpoint_step}")
    return failure(f"OpenMM stopped near step {step}: {exc}", cfg, last_checkpoint_step)


def failure(what: str, cfg, last_checkpoint_step: int | None) -> SimulationError:
    kept = (f"the last good checkpoint (step {last_checkpoint_step}) is intact"
            if last_checkpoint_step is not None else "no checkpoint had been written yet")
    return SimulationError(f"simulation failed: {what}; {kept}. Possible {advice(cfg)}")
