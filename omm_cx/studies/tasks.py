"""The functions a study calls by name (``"omm_cx.studies.tasks:NAME"`` in a study file).

Two kinds, both ``f(out_dir: Path, **params)``:

- *calls* (study ``kind: call``) do the whole work of one run and return a JSON-able
  dict (written to ``result.json``): :func:`lattice_statics` (000/003 tables),
  :func:`xrd_series` (002 Figs. 5 and S5);
- *build calls* write a build folder for systems no recipe expresses:
  :func:`cu_interstitial_cell` (003's bulk CdSe supercells with Cu interstitials).

Extra parameters (the run's matrix values such as ``temperature_K`` and ``seed``) are
accepted and ignored where they do not apply.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from omm_cx.errors import ConfigError

__all__ = ["lattice_statics", "xrd_series", "cu_interstitial_cell"]


def lattice_statics(out_dir: Path, forcefield: str = "pbcdse", transitions: bool = True,
                    **_ignored) -> dict:
    """Lattice statics of a force field's phases against its published values
    (:func:`~omm_cx.lattice_statics.validate_forcefield`): a, c, u (Å), lattice energy
    (eV per formula unit), B and c_ij (GPa), transition pressures (GPa)."""
    from omm_cx.lattice_statics import format_validation_table, validate_forcefield

    result = validate_forcefield(forcefield, transitions=bool(transitions))
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    from omm_cx.io.atomic import atomic_write_text

    atomic_write_text(Path(out_dir) / "table.txt", format_validation_table(result) + "\n")
    return result


#: Three-point Gauss-Hermite rule for a normal size distribution: offsets in units of
#: the standard deviation, and weights.
_GAUSS_HERMITE_3 = ((-np.sqrt(3.0), 1 / 6), (0.0, 2 / 3), (np.sqrt(3.0), 1 / 6))


def _core_shell_pattern(doc: dict, q: np.ndarray, diameter_nm: float,
                        sigma_nm: float) -> tuple[np.ndarray, int, float]:
    """Debye pattern of the recipe ``doc`` at ``diameter_nm`` or, with ``sigma_nm`` > 0,
    the number-weighted sum over a normal size distribution (3-point Gauss-Hermite:
    d - sqrt 3 sigma, d, d + sqrt 3 sigma with weights 1/6, 2/3, 1/6; particles scatter
    incoherently, so their patterns add). Returns (I, atoms, exchanged fraction built), the
    last two of the mean size."""
    from omm_cx.analysis.xrd.debye import debye_intensity
    from omm_cx.systems.recipes import build_recipe

    rule = _GAUSS_HERMITE_3 if sigma_nm > 0 else ((0.0, 1.0),)
    total, n_atoms, built = np.zeros_like(q), 0, float("nan")
    for z, w in rule:
        doc["nanocrystal"]["diameter_nm"] = float(diameter_nm + z * sigma_nm)
        b = build_recipe(doc)
        total += w * debye_intensity(b.structure.positions_A, b.structure.species, q)
        if z == 0.0:
            n_atoms, built = len(b.structure.species), float(b.info["exchanged_fraction"])
    return total, n_atoms, built


def xrd_series(out_dir: Path, diameter_nm: float = 7.0, shell: str = "zincblende",
               fractions: list | None = None, q_min: float = 1.0, q_max: float = 4.0,
               dq: float = 0.002, shell_cut: str = "radius", diameter_sigma_nm: float = 0.0,
               **_ignored) -> dict:
    """002's Debye series: PbS@CdS particles (recipe ``pbs-cds-core-shell-xrd``) with the
    CdS ``shell`` (zincblende or rocksalt) at each exchanged fraction; per fraction the
    (111), (200), (220) centres (1/Å), I111/I200 and the conversion from Q220. Writes
    series.csv and returns the columns.

    Other constructions than 002's single sphere with a spherical core: ``shell_cut``
    "100" or "111" cuts the shell along whole layers (the recipe's
    ``nanocrystal.shell_cut``; the fraction built, ``exchanged_fraction_built``, is then
    only near the nominal one); ``diameter_sigma_nm`` > 0 sums the patterns over a normal
    size distribution about ``diameter_nm`` (:func:`_core_shell_pattern`)."""
    from omm_cx.analysis.xrd.debye import conversion_from_q220, find_peaks, peaks_table, q_grid
    from omm_cx.io.tables import write_csv
    from omm_cx.io.yaml_input import load_yaml
    from omm_cx.systems.recipes import resolve_recipe

    a_pbs, a_cds = 5.94, 5.81  # the recipe's lattice parameters (Å)
    fractions = [0.0, 0.3, 0.6, 0.9] if fractions is None else [float(x) for x in fractions]
    doc = load_yaml(resolve_recipe("pbs-cds-core-shell-xrd"), "recipe")
    doc["nanocrystal"]["shell"]["structure"] = shell
    doc["nanocrystal"]["shell_cut"] = shell_cut
    q = q_grid(q_min, q_max, dq)
    q220 = [2 * np.pi * np.sqrt(8) / a for a in (a_pbs, a_cds)]
    rows: dict[str, list] = {k: [] for k in ("exchanged_fraction", "exchanged_fraction_built",
                                             "n_atoms", "q111_invA", "q200_invA", "q220_invA",
                                             "I111_over_I200", "conversion_from_q220")}
    for x in fractions:
        doc["nanocrystal"]["exchanged_fraction"] = x
        intensity, n_atoms, built = _core_shell_pattern(doc, q, float(diameter_nm),
                                                        float(diameter_sigma_nm))
        peaks = find_peaks(q, intensity, a_pbs)
        table = peaks_table(peaks)
        for key, val in (("exchanged_fraction", x), ("exchanged_fraction_built", built),
                         ("n_atoms", n_atoms),
                         ("q111_invA", peaks["111"].q_centre_invA),
                         ("q200_invA", peaks["200"].q_centre_invA),
                         ("q220_invA", peaks["220"].q_centre_invA),
                         ("I111_over_I200", table["I111_over_I200"]),
                         ("conversion_from_q220", float(conversion_from_q220(
                             peaks["220"].q_centre_invA, *q220)))):
            rows[key].append(float(val))
    write_csv(Path(out_dir) / "series.csv", rows)
    x = np.asarray(rows["exchanged_fraction"])
    ratio = np.asarray(rows["I111_over_I200"])
    slope = float(np.polyfit(x, ratio, 1)[0]) if len(x) > 1 else float("nan")
    return {"shell": shell, "diameter_nm": float(diameter_nm), "shell_cut": shell_cut,
            "diameter_sigma_nm": float(diameter_sigma_nm), **rows,
            "I111_over_I200_slope": slope,
            "q200_shift_percent": 100.0 * (rows["q200_invA"][-1] - rows["q200_invA"][0])
            / rows["q200_invA"][0],
            "q111_shift_percent": 100.0 * (rows["q111_invA"][-1] - rows["q111_invA"][0])
            / rows["q111_invA"][0]}


#: 003's bulk cells: the structures and (conventional) repeats that give ~2400 atoms.
_CELLS = {"wurtzite": (10, 10, 6), "zincblende": (6, 6, 8)}
#: Shifts (in units of half the supercell's repeats, rounded down to whole cells) of up
#: to four Cu interstitials: each sits on a site equivalent to the first.
_OFFSETS = ((0, 0, 0), (1, 1, 0), (1, 0, 1), (0, 1, 1))
#: Smallest width (Å) of an automatic cell: twice the 12 Å cutoff, plus 0.5 Å.
MIN_WIDTH_A = 24.5


def _auto_repeats(structure, params: dict, min_width_A: float) -> tuple[int, int, int]:
    """The smallest repeats whose supercell is at least ``min_width_A`` wide in every
    direction (width = volume / area of the opposite face)."""
    conv = np.asarray(structure.lattice_vectors(params.get("a"), params.get("c")), float)
    vol = abs(np.linalg.det(conv))
    reps = []
    for i in range(3):
        j, k = (i + 1) % 3, (i + 2) % 3
        width = vol / np.linalg.norm(np.cross(conv[j], conv[k]))
        reps.append(int(np.ceil(min_width_A / width)))
    return tuple(reps)


def _write_periodic_build(out_dir: Path, ff, species: list, positions, box, name: str,
                          roles: dict, crystal=None) -> Path:
    """Write a periodic build folder of ``species`` at ``positions`` (Å) in ``box`` (Å):
    ``roles`` maps the group names nc_cations, nc_anions, solution_cations to a species
    each; a net charge is left to PME's background (charge policy ``background``)."""
    from omm_cx import __version__
    from omm_cx.forcefield.openmm_forces import create_system
    from omm_cx.io.pdb import Structure
    from omm_cx.systems.builddir import write_build_dir
    from omm_cx.choices import BuildSource, ChargePolicy
    from omm_cx.systems.record import BuildRecord

    box = np.asarray(box, float)
    net = round(float(sum(ff.charge(x) for x in species)), 9)
    system = create_system(ff, species, box, allow_net_charge=net != 0)
    counts = {x: species.count(x) for x in sorted(set(species))}
    groups = {g: [i for i, x in enumerate(species) if x == roles.get(g)]
              for g in ("nc_cations", "nc_anions", "solution_cations")}
    groups.update(solution_anions=[], ligands=[])
    record = BuildRecord(
        source=BuildSource.STRUCTURE, structure_file="", forcefield=ff.name,
        n_atoms=len(species), counts=counts, species_order=sorted(counts),
        charge_policy=ChargePolicy.BACKGROUND if net else ChargePolicy.NEUTRAL,
        net_charge_e=net, box_A=box.tolist(), groups=groups, omm_cx_version=__version__,
        crystals=[crystal] if crystal is not None else [])
    return write_build_dir(out_dir, Structure(species, np.asarray(positions, float), box, name),
                           system, record)


def cu_interstitial_cell(out_dir: Path, structure: str = "wurtzite",
                         repeats: list | str | None = None, n_interstitials: int = 1,
                         site: str = "octahedral", forcefield: str = "cdse-cu-lj",
                         **_ignored) -> Path:
    """003 Table 1 step c: a bulk CdSe supercell (lattice relaxed by lattice statics in
    ``forcefield``) with ``n_interstitials`` (1-4) Cu at equivalent ``site`` interstitial
    sites: the first nearest the cell centre, the others shifted by half the repeats
    (whole conventional cells) along two of the three axes. ``repeats``: conventional
    cells per axis, ``"auto"`` (the smallest cell >= 24.5 Å wide) or None (003's ~2400
    atoms). Charged (+0.59 e per Cu): charge policy background, as in 003. Writes a build
    folder (structure.pdb, system.xml, build.json with groups nc_cations = Cd, nc_anions =
    Se, solution_cations = Cu) and returns its path."""
    from omm_cx.crystals import STRUCTURES
    from omm_cx.forcefield import load_forcefield
    from omm_cx.systems.defects import defect_supercell, parse_defect
    from omm_cx.systems.recipe_parts import relaxed_parameters

    if structure not in _CELLS:
        raise ConfigError(f"cu_interstitial_cell: structure {structure!r}: use wurtzite or zincblende")
    if not 1 <= int(n_interstitials) <= len(_OFFSETS):
        raise ConfigError(f"cu_interstitial_cell: n_interstitials {n_interstitials}: use 1 to "
                          f"{len(_OFFSETS)}")
    ff = load_forcefield(forcefield)
    params = relaxed_parameters(ff, structure, "Cd", "Se")
    if repeats == "auto":
        reps = _auto_repeats(STRUCTURES[structure], params, MIN_WIDTH_A)
    else:
        reps = tuple(int(n) for n in (repeats or _CELLS[structure]))
    cell = defect_supercell(STRUCTURES[structure], {"cation": "Cd", "anion": "Se"}, params,
                            reps, parse_defect(f"interstitial:Cu@{site}"))
    box = np.asarray(cell.box_A, float)
    conv = np.asarray(STRUCTURES[structure].lattice_vectors(params.get("a"), params.get("c")), float)
    half = np.array([n // 2 for n in reps], float)
    extra = np.array([cell.defect_position_A + (np.asarray(o) * half) @ conv
                      for o in _OFFSETS[:int(n_interstitials)]])
    species = list(cell.perfect_species) + ["Cu"] * len(extra)
    positions = np.vstack([cell.perfect_positions_A, extra])
    return _write_periodic_build(out_dir, ff, species, positions, box,
                                 f"CdSe-{structure}-Cu{len(extra)}",
                                 {"nc_cations": "Cd", "nc_anions": "Se", "solution_cations": "Cu"})


def bulk_crystal_cell(out_dir: Path, structure: str = "wurtzite", cation: str = "Cd",
                      anion: str = "Se", forcefield: str = "pbcdse",
                      repeats: list | str | None = "auto", **_ignored) -> Path:
    """A perfect periodic supercell of ``structure`` (``cation``/``anion``) at the lattice
    relaxed by lattice statics in ``forcefield`` (000 Tables S8/S9 bulk MD): ``repeats``
    conventional cells per axis or ``"auto"`` (the smallest cell >= 24.5 Å wide, twice
    the 12 Å cutoff). Writes a build folder (groups nc_cations, nc_anions: the crystal;
    ``crystals[0]``: the structure and its 0 K lattice, for the lattice analysis) and
    returns its path."""
    from omm_cx.crystals import STRUCTURES
    from omm_cx.forcefield import load_forcefield
    from omm_cx.systems.recipe_parts import relaxed_parameters
    from omm_cx.systems.record import CrystalRecord

    if structure not in STRUCTURES:
        raise ConfigError(f"bulk_crystal_cell: structure {structure!r}: use one of "
                          f"{', '.join(STRUCTURES)}")
    ff = load_forcefield(forcefield)
    params = relaxed_parameters(ff, structure, cation, anion)
    reps = (_auto_repeats(STRUCTURES[structure], params, MIN_WIDTH_A) if repeats == "auto"
            else tuple(int(n) for n in repeats))
    cell = STRUCTURES[structure].cell({"cation": cation, "anion": anion}, params.get("a"),
                                      params.get("c"), params.get("u"), repeats=reps)
    crystal = CrystalRecord(structure=structure, cation=cation, anion=anion,
                            a_A=float(params["a"]), c_A=params.get("c"), u=params.get("u"),
                            lattice_source="lattice statics")
    return _write_periodic_build(out_dir, ff, list(cell.species), cell.positions_A,
                                 cell.lattice_A, f"{cation}{anion}-{structure}",
                                 {"nc_cations": cation, "nc_anions": anion}, crystal)
