"""Powder patterns of structures and runs: what ``omm-cx xrd`` does.

Inputs: a PDB file, a build directory (structure.pdb + build.json) or a run directory
(start.pdb or build/, and traj.dcd / traj.xtc). The scattering atoms are the NC's:
- structure / build directory: build.json's ``nc_cations`` + ``nc_anions`` when present,
  else every atom (ligands, which have no X-ray form factor, must then be absent);
- run directory: per frame, the NC by the exchange analysis' membership criterion (anion
  framework + the cations it coordinates; :mod:`omm_cx.analysis.membership`), unwrapped
  into one piece about its centre; the pattern is averaged over the chosen frames.

Outputs in OUT: ``xrd.csv`` (q_invA, intensity in electrons^2 per particle, intensity
per NC atom; a column per input when several are given), ``xrd.json`` (inputs, atoms,
peaks (111)/(200)/(220), I111/I200, conversion from Q220 when parent and product
lattice constants are given), ``xrd.png``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from omm_cx.analysis.groups import (groups_from_build_info, load_build_info,
                                    species_of_topology)
from omm_cx.analysis.membership import MembershipCriterion, iter_membership
from omm_cx.analysis.trajcheck import quiet_c_output
from omm_cx.analysis.trajectory import find_trajectory, open_trajectory, run_dir_files
from omm_cx.simulation.rundir import RunFolder, build_folder_of
from omm_cx.systems.builddir import INFO_FILE, BuildFolder
from omm_cx.analysis.xrd.debye import (conversion_from_q220, debye_intensity, find_peaks,
                                       peaks_table)
from omm_cx.errors import AnalysisError
from omm_cx.io.figures import new_figure, save_figure
from omm_cx.io.pdb import check_pdb_text
from omm_cx.io.tables import write_csv, write_json
from omm_cx.periodic import cluster_centre
from omm_cx.systems.record import BuildRecord


@dataclass
class XrdPattern:
    """One input's pattern: ``label``, ``q_invA``, ``intensity`` (electrons^2, frame
    mean), ``n_atoms`` (mean over frames), ``frames`` used, ``lattice_a_A`` for peak
    indexing (None: no peaks), ``info`` (how the atoms were chosen)."""

    label: str
    q_invA: np.ndarray
    intensity: np.ndarray
    n_atoms: float
    frames: int
    lattice_a_A: float | None
    info: dict = field(default_factory=dict)

    def summary(self, conversion_a_A: tuple[float, float] | None = None) -> dict:
        d = {"label": self.label, "n_atoms": self.n_atoms, "frames": self.frames,
             "lattice_a_A": self.lattice_a_A, **self.info}
        if self.lattice_a_A:
            peaks = find_peaks(self.q_invA, self.intensity, self.lattice_a_A)
            d["peaks"] = peaks_table(peaks)
            if conversion_a_A:
                qp, qc = (2 * np.pi * np.sqrt(8) / a for a in conversion_a_A)
                d["conversion_from_q220"] = float(conversion_from_q220(
                    peaks["220"].q_centre_invA, qp, qc))
                d["conversion_reference_q220_invA"] = [qp, qc]
        return d


def _build_json(path: Path) -> Path | None:
    """The build record file of a run or build directory, or None when it has none."""
    build = build_folder_of(path)
    return build.record_json if build is not None else None


def _default_a(record: BuildRecord | None) -> float | None:
    """Lattice constant (Å) of the build's first crystal, for peak indexing."""
    if record is None or not record.crystals or not record.crystals[0].a_A:
        return None
    return float(record.crystals[0].a_A)


def _nc_atoms(record: BuildRecord | None, n_atoms: int,
              where: object = INFO_FILE) -> tuple[np.ndarray, str]:
    groups = record.groups if record is not None else {}
    if "nc_cations" in groups and "nc_anions" in groups:
        idx = np.sort(np.asarray(list(groups["nc_cations"]) + list(groups["nc_anions"]), dtype=int))
        if len(idx) and (idx.min() < 0 or idx.max() >= n_atoms):
            raise AnalysisError(f"{where}: the nc_cations/nc_anions groups have indices "
                                f"outside 0..{n_atoms - 1}; the build record is not of this "
                                f"structure: rebuild it or use --atoms all")
        return idx, "build.json nc_cations + nc_anions"
    return np.arange(n_atoms), "all atoms (no build.json groups)"


def pattern_of_structure(path: str | os.PathLike, q_invA: np.ndarray, *,
                         lattice_a_A: float | None = None, atoms: str = "nc",
                         form_factors: str | Mapping = "wk1995") -> XrdPattern:
    """Pattern of a PDB file or build directory (see the module docstring). ``atoms``:
    "nc" (build.json groups when present) or "all"."""
    import mdtraj as md

    from omm_cx import units

    path = Path(path)
    pdb = BuildFolder(path).structure_pdb if path.is_dir() else path
    if not pdb.is_file():
        raise AnalysisError(f"{path}: no structure.pdb (not a build directory) and not a PDB file")
    build_json = _build_json(path if path.is_dir() else path.parent)
    info = load_build_info(build_json) if build_json is not None else None
    check_pdb_text(pdb)  # finite coordinates, known records: StructureError naming the line
    try:
        with quiet_c_output():
            t = md.load(str(pdb))
    except Exception as exc:
        raise AnalysisError(f"{pdb}: cannot read the structure ({exc}); give a PDB file whose "
                            f"atom names are the species (omm-cx build writes structure.pdb)") from None
    species = species_of_topology(t.topology)
    idx, how = (_nc_atoms(info, t.n_atoms, build_json) if atoms == "nc"
                else (np.arange(t.n_atoms), "all atoms"))
    xyz = units.nm_to_angstrom(t.xyz[0].astype(float))[idx]
    intensity = _intensity(xyz, species[idx], q_invA, form_factors, str(path))
    return XrdPattern(path.name if path.is_dir() else path.stem, np.asarray(q_invA), intensity,
                      float(len(idx)), 1, lattice_a_A or _default_a(info), {"atoms": how})


def pattern_of_run(run_dir: str | os.PathLike, q_invA: np.ndarray, *,
                   frames: slice = slice(None), lattice_a_A: float | None = None,
                   form_factors: str | Mapping = "wk1995") -> XrdPattern:
    """Frame-averaged pattern of the NC in a run directory (see the module docstring)."""
    run_dir = Path(run_dir)
    top, build_json = run_dir_files(run_dir)
    if build_json is None:
        raise AnalysisError(f"{run_dir}: no build record; the NC's atoms are not known")
    info = load_build_info(build_json)
    src = open_trajectory(find_trajectory(run_dir), top)
    species = species_of_topology(src.topology)
    groups = groups_from_build_info(info, species, source=str(build_json))
    chosen = set(range(src.n_frames)[frames])
    if not chosen:
        raise AnalysisError(f"{run_dir}: the frame selection {frames} is empty "
                            f"({src.n_frames} frames)")
    acc = np.zeros(len(q_invA))
    n_atoms = []
    wanted = (fr for fr in src.frames(stop=max(chosen) + 1) if fr.index in chosen)
    for frame, m in iter_membership(wanted, groups, MembershipCriterion()):
        idx = np.sort(np.concatenate([m.nc_anions, m.nc_cations]))
        _, xyz = cluster_centre(frame.xyz_A[idx], frame.box_A)
        acc += _intensity(xyz, species[idx], q_invA, form_factors, f"{run_dir} frame {frame.index}")
        n_atoms.append(len(idx))
    return XrdPattern(run_dir.name, np.asarray(q_invA), acc / len(n_atoms), float(np.mean(n_atoms)),
                      len(n_atoms), lattice_a_A or _default_a(info),
                      {"atoms": "NC by membership (default criterion), per frame",
                       "frame_indices": [min(chosen), max(chosen)]})


def _intensity(xyz_A, species, q_invA, form_factors, where: str) -> np.ndarray:
    try:
        return debye_intensity(xyz_A, species, q_invA, form_factors=form_factors)
    except KeyError as exc:
        raise AnalysisError(f"{where}: {exc.args[0]}; select the NC atoms (build.json groups) "
                            f"or give form factors for every species") from None


def write_xrd(patterns: Sequence[XrdPattern], out_dir: str | os.PathLike,
              conversion_a_A: tuple[float, float] | None = None, plot: bool = True) -> dict:
    """Write xrd.csv, xrd.json and xrd.png for ``patterns`` into ``out_dir``; returns the
    JSON summary."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cols = {"q_invA": patterns[0].q_invA}
    for p in patterns:
        if len(p.q_invA) != len(cols["q_invA"]) or not np.allclose(p.q_invA, cols["q_invA"]):
            raise AnalysisError("all patterns must share one Q grid")
        suffix = "" if len(patterns) == 1 else f"_{p.label}"
        cols[f"intensity{suffix}"] = p.intensity
        cols[f"intensity_per_atom{suffix}"] = p.intensity / p.n_atoms
    files = [write_csv(out / "xrd.csv", cols)]
    summary = {"q_unit": "1/Å (Q = 4 pi sin(theta) / lambda)",
               "intensity_unit": "electrons^2 (Debye equation, whole particle)",
               "patterns": [p.summary(conversion_a_A) for p in patterns]}
    if plot:
        from omm_cx.analysis.plots import plot_xrd

        _, (ax,) = new_figure(figsize=(5.5, 3.8))
        for p in patterns:
            plot_xrd(p.q_invA, p.intensity / p.n_atoms, ax=ax, label=p.label,
                     lattice_a_A=p.lattice_a_A if p is patterns[0] else None)
        files.append(save_figure(ax.figure, out / "xrd.png"))
    summary["outputs"] = sorted(f.name for f in files) + ["xrd.json"]
    write_json(out / "xrd.json", summary)
    return summary


def xrd_of_inputs(inputs: Sequence[str | os.PathLike], out_dir: str | os.PathLike, *,
                  q_min_invA: float = 1.0, q_max_invA: float = 4.0, dq_invA: float = 0.002,
                  frames: slice = slice(None), lattice_a_A: float | None = None,
                  atoms: str = "nc", form_factors="wk1995",
                  conversion_a_A: tuple[float, float] | None = None, plot: bool = True) -> dict:
    """``omm-cx xrd``: the pattern of each input (a run directory: the chosen ``frames``
    averaged; a build directory or a PDB file: ``atoms`` "nc" or "all") on the Q grid
    (1/Å), written by :func:`write_xrd` to ``out_dir``; returns its summary. A bad Q grid or
    input, or a peak the grid cannot resolve, is an :class:`AnalysisError`."""
    from omm_cx.analysis.xrd.debye import q_grid
    from omm_cx.errors import OmmCxError

    if not 0 < q_min_invA < q_max_invA or dq_invA <= 0:
        raise AnalysisError(f"Q grid {q_min_invA:g} to {q_max_invA:g} step {dq_invA:g} 1/Å: "
                            f"need 0 < q_min < q_max (--q-min, --q-max) and dq > 0 (--dq)")
    q = q_grid(q_min_invA, q_max_invA, dq_invA)
    patterns = []
    try:
        for inp in inputs:
            p = Path(inp)
            if p.is_dir() and RunFolder(p).trajectory() is not None:
                patterns.append(pattern_of_run(p, q, frames=frames, lattice_a_A=lattice_a_A,
                                               form_factors=form_factors))
            else:
                patterns.append(pattern_of_structure(p, q, lattice_a_A=lattice_a_A, atoms=atoms,
                                                     form_factors=form_factors))
        return write_xrd(patterns, out_dir, conversion_a_A, plot=plot)
    except OmmCxError:
        raise
    except ValueError as exc:  # the Debye sum and peak search check their inputs
        raise AnalysisError(f"{exc}") from exc
