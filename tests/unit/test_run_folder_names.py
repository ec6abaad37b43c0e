"""Each on-disk name of a run folder, a build folder and an analysis folder is spelled
once, by its owner (:class:`omm_cx.simulation.rundir.RunFolder`,
:class:`omm_cx.systems.builddir.BuildFolder`, the checkpoint module and
:mod:`omm_cx.analysis.record`); everything else asks the owner for the path."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "omm_cx"

OWNERS = {
    "simulation/rundir.py": {"run.json", "start.pdb", "final.pdb", "state.csv", "traj.dcd",
                             "traj.xtc"},
    "simulation/checkpoint.py": {"checkpoint.chk", "checkpoint.xml", "checkpoint.prev.chk",
                                 "checkpoint.prev.xml"},
    "systems/builddir.py": {"build.json", "structure.pdb", "system.xml"},
    "analysis/record.py": {"summary.json"},
}
OWNED = {name: owner for owner, names in OWNERS.items() for name in names}


def literals_outside_owners(package: Path = PACKAGE) -> list[str]:
    """'file:line: "name"' for each string literal (or literal part of an f-string) that
    is an owned file name, or ends with "/name", outside the name's owner."""
    found = []
    for path in sorted(package.rglob("*.py")):
        rel = path.relative_to(package).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
                continue
            text = node.value
            name = text.rpartition("/")[2]
            if name in OWNED and " " not in text and OWNED[name] != rel:
                found.append(f"{rel}:{node.lineno}: {text!r} (owner: omm_cx/{OWNED[name]})")
    return found


def test_run_folder_names_are_spelled_only_by_their_owners():
    bad = literals_outside_owners()
    assert not bad, "file names of the run/build/analysis folder spelled outside their " \
                    "owner; ask RunFolder/BuildFolder for the path:\n" + "\n".join(bad)


def test_the_check_finds_a_name_outside_its_owner(tmp_path):
    pkg = tmp_path / "omm_cx"
    (pkg / "analysis").mkdir(parents=True)
    (pkg / "analysis" / "x.py").write_text('from pathlib import Path\n'
                                           'p = Path("run") / "traj.dcd"\n'
                                           'q = f"{p}/build/build.json"\n'
                                           'msg = "no traj.dcd here"\n', encoding="utf-8")
    assert literals_outside_owners(pkg) == [
        "analysis/x.py:2: 'traj.dcd' (owner: omm_cx/simulation/rundir.py)",
        "analysis/x.py:3: '/build/build.json' (owner: omm_cx/systems/builddir.py)"]


def test_owners_hand_out_the_paths(tmp_path):
    from omm_cx.simulation.rundir import RunFolder, build_folder_of, topology_of

    run = RunFolder(tmp_path)
    assert not run.is_run() and run.trajectory() is None and build_folder_of(tmp_path) is None
    run.build.path.mkdir()
    run.build.record_json.write_text("{}", encoding="utf-8")
    run.build.structure_pdb.write_text("", encoding="utf-8")
    assert run.is_run() and build_folder_of(tmp_path) == run.build
    assert topology_of(tmp_path) == run.build.structure_pdb
    run.start_pdb.write_text("", encoding="utf-8")
    assert topology_of(tmp_path) == run.start_pdb
    run.trajectory_path("xtc").write_text("", encoding="utf-8")
    assert run.trajectory() == run.trajectory_path("xtc")
    assert build_folder_of(run.build.path) == run.build


def test_shipped_data_is_looked_up_in_the_package_first():
    """The package's own data (``omm_cx/_data``, an installed wheel) before the checkout's
    top-level folders, for all three kinds of shipped file, through one function."""
    import omm_cx
    from omm_cx.forcefield.files import _forcefield_dirs
    from omm_cx.io.shipped import shipped_dirs

    pkg = Path(omm_cx.__file__).resolve().parent
    for folder in ("forcefields", "systems", "studies"):
        assert shipped_dirs(folder) == [pkg / "_data" / folder, pkg.parent / folder]
    assert _forcefield_dirs()[-2:] == shipped_dirs("forcefields")
