"""Reading and writing: atomic writes (:mod:`.atomic`), the strict YAML loader
(:mod:`.yaml_input`) and the validation layer of YAML inputs (:mod:`.validation`), PDB
structures (:mod:`.pdb`), CSV/JSON tables (:mod:`.tables`), figures (:mod:`.figures`) and
the progress bar (:mod:`.progress`). Base stage: imports
nothing of omm_cx but :mod:`omm_cx.errors` and :mod:`omm_cx.units`."""

from omm_cx._lazy import lazy_exports

__getattr__, __dir__, __all__ = lazy_exports(__name__, {
    "atomic_write_text": "atomic",
    "atomic_path": "atomic",
    "read_pdb": "pdb",
    "write_pdb": "pdb",
    "Structure": "pdb",
    "read_json": "tables",
    "write_json": "tables",
    "read_csv": "tables",
    "write_csv": "tables",
    "load_yaml": "yaml_input",
    "save_figure": "figures",
    "progress_bar": "progress",
})
