"""A core/shell start (recipe ``nanocrystal.shape: core_shell``) in a solution of the
shell's cation: with ``in_going_species`` the shell cations count as in-going (already
exchanged), so the jumps analysis sees them as kick-out partners and in the core/shell
boundary, and the leaving species stays the core's cation even when the shell's
cations outnumber it."""

from types import SimpleNamespace

import mdtraj as md
import numpy as np

from omm_cx.analysis.driver import load_groups
from omm_cx.analysis.options import AnalysisOptions
from omm_cx.systems.record import BuildRecord


def _source(species):
    top = md.Topology()
    res = top.add_residue("X", top.add_chain())
    for s in species:
        top.add_atom(s, md.element.virtual, res)
    return SimpleNamespace(topology=top)


def test_shell_cations_of_the_in_going_species_are_in_going():
    # NC: 2 core Pb, 3 shell Cd, 5 S; solution: 2 Cd + 2 PSL (file order of a recipe build)
    species = ["Pb", "Pb", "Cd", "Cd", "Cd"] + ["S"] * 5 + ["Cd", "Cd", "PSL", "PSL"]
    rec = BuildRecord(forcefield="test", n_atoms=len(species),
                      groups={"nc_cations": list(range(5)), "nc_anions": list(range(5, 10)),
                              "solution_cations": [10, 11], "ligands": [12, 13],
                              "nc_core": [0, 1, 5, 6], "nc_shell": [2, 3, 4, 7, 8, 9]})
    src = _source(species)
    plain = load_groups(src, rec, "test", AnalysisOptions(progress=False), None)
    assert plain.in_going.tolist() == [10, 11] and plain.leaving_species == "Cd"
    g = load_groups(src, rec, "test", AnalysisOptions(in_going_species=["Cd"], progress=False), None)
    assert g.in_going.tolist() == [2, 3, 4, 10, 11]
    assert g.original.tolist() == [0, 1] and g.leaving_species == "Pb"
    np.testing.assert_array_equal(g.original_anions, np.arange(5, 10))
