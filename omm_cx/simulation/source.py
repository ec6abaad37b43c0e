"""The system a run simulates: from a build directory, a recipe, or a PDB + force field.

Whatever the source, the runner gets a :class:`LoadedSystem` (structure in Å, the OpenMM
System, the build record :class:`~omm_cx.systems.record.BuildRecord`) and writes it to ``DIR/build/`` (the build-directory contract of
:mod:`omm_cx.systems.builddir`), so that a run folder is self-contained: ``--resume`` and the
analysis read the system from there, not from the config's source.
"""

from __future__ import annotations

import collections
from dataclasses import dataclass
from pathlib import Path

from omm_cx import __version__
from omm_cx.io.yaml_input import ConfigError
from omm_cx.simulation.config import RunConfig
from omm_cx.io.pdb import Structure, check_no_overlaps
from omm_cx.choices import BuildSource, ChargePolicy
from omm_cx.systems.record import BuildRecord


@dataclass
class LoadedSystem:
    """Structure (species, positions and box in Å), ``openmm.System`` and build record."""

    structure: Structure
    system: object
    record: BuildRecord
    description: str

    @property
    def n_atoms(self) -> int:
        return len(self.structure.species)

    def lightest(self) -> tuple[str, float]:
        """(species, mass in amu) of the lightest particle."""
        import openmm.unit as u

        masses = {}
        for i, s in enumerate(self.structure.species):
            if s not in masses:
                masses[s] = self.system.getParticleMass(i).value_in_unit(u.dalton)
        s = min(masses, key=masses.get)
        return s, masses[s]


def load_source(cfg: RunConfig) -> LoadedSystem:
    """Load the system that ``cfg`` names (build directory, recipe or PDB + force field),
    with the config's explicit PME parameters (``pme:``) applied."""
    if cfg.source_kind == "build":
        loaded = load_build_dir(cfg.source["path"])
    elif cfg.source_kind == "recipe":
        loaded = _load_recipe(cfg)
    else:
        loaded = _load_structure(cfg)
    if cfg.pme is not None:
        _set_pme(loaded, cfg)
    return loaded


def _set_pme(loaded: LoadedSystem, cfg: RunConfig) -> None:
    """Explicit PME alpha (1/nm) and grid on every PME NonbondedForce of the system (the run
    folder's system.xml keeps them)."""
    import openmm as mm

    alpha, grid = cfg.pme
    pme = [f for f in loaded.system.getForces() if isinstance(f, mm.NonbondedForce)
           and f.getNonbondedMethod() == mm.NonbondedForce.PME]
    if not pme:
        raise ConfigError(f"{cfg.origin}: key 'pme': {loaded.description} has no PME Coulomb "
                          f"force (no periodic box); remove the key")
    for f in pme:
        f.setPMEParameters(float(alpha), *(int(n) for n in grid))


def load_build_dir(path) -> LoadedSystem:
    from omm_cx.systems.builddir import read_build_dir

    b = read_build_dir(path)
    return LoadedSystem(b.structure, b.system, b.record, f"build directory {b.path}")


def _load_recipe(cfg: RunConfig) -> LoadedSystem:
    from omm_cx.systems.recipes import build_recipe

    name = cfg.source["recipe"]
    built = build_recipe(name, seed=cfg.seed)
    record = BuildRecord.from_dict(built.info, f"recipe {name}")
    return LoadedSystem(built.structure, built.system, record, f"recipe {name}")


def _load_structure(cfg: RunConfig) -> LoadedSystem:
    from omm_cx.forcefield import load_forcefield
    from omm_cx.forcefield.openmm_forces import CoulombSettings
    from omm_cx.io.pdb import read_pdb
    from omm_cx.systems.openmm_system import openmm_system

    src = cfg.source
    ff = load_forcefield(src["forcefield"])
    structure = read_pdb(src["structure"], ff.species)
    check_no_overlaps(structure)
    background = ChargePolicy(src.get("charge_policy", "neutral")) == ChargePolicy.BACKGROUND
    method = src.get("vacuum_method", "all-pairs")
    if method != "all-pairs" and structure.box_A is not None:
        raise ConfigError(f"{cfg.origin}: key 'system.vacuum_method': is for a structure in "
                          f"vacuum, but {Path(src['structure']).name} has a box "
                          f"(CRYST1); remove the key or the CRYST1 record")
    system, vacuum = openmm_system(
        ff, structure, background=background, vacuum_method=method,
        coulomb=CoulombSettings(ewald_error_tolerance=src["ewald_error_tolerance"]),
        dispersion_correction=src["dispersion_correction"], guard=src["guard"])
    counts = dict(sorted(collections.Counter(structure.species).items()))
    record = BuildRecord(
        source=BuildSource.STRUCTURE, structure_file=str(src["structure"]), forcefield=ff.name,
        n_atoms=len(structure.species), counts=counts, species_order=sorted(counts),
        # without a box there is no background: every pair is summed (no policy then)
        charge_policy=None if structure.box_A is None else (
            ChargePolicy.BACKGROUND if background else ChargePolicy.NEUTRAL),
        net_charge_e=round(float(sum(ff.charge(s) for s in structure.species)), 9),
        box_A=None if structure.box_A is None else structure.box_A.tolist(),
        dispersion_correction=src["dispersion_correction"],
        ewald_error_tolerance=src["ewald_error_tolerance"], guard=src["guard"], groups={},
        omm_cx_version=__version__, vacuum=vacuum,
    )
    return LoadedSystem(structure, system, record, f"{Path(src['structure']).name} with {ff.name}")


def write_run_build(loaded: LoadedSystem, path) -> None:
    """Write the system into ``path`` (structure.pdb, system.xml, build.json)."""
    from omm_cx.systems.builddir import write_build_dir

    record = loaded.record
    if not record.species_order and not record.counts:
        record = record.model_copy(update={"species_order": sorted(set(loaded.structure.species))})
    write_build_dir(path, loaded.structure, loaded.system, record)
