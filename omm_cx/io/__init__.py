"""Reading and writing: atomic writes (:mod:`.atomic`), the strict YAML loader
(:mod:`.yaml_input`) and the validation layer of YAML inputs (:mod:`.validation`), PDB
structures (:mod:`.pdb`), CSV/JSON tables (:mod:`.tables`), figures (:mod:`.figures`) and
the progress bar (:mod:`.progress`). Base stage: imports
nothing of omm_cx but :mod:`omm_cx.errors` and :mod:`omm_cx.units`."""
