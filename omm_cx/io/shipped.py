"""The data files omm_cx ships by name: force fields (``forcefields/``), recipes
(``systems/``), studies (``studies/``). The one place that knows where they are.

An installed omm_cx (a wheel, ``pip install .``) carries them as package data in
``omm_cx/_data/<folder>`` (pyproject's force-include), found with
:mod:`importlib.resources`. A source checkout or an editable install has no ``_data``:
there they are the repository's top-level folders. The package's own copy is looked up
first, so a ``systems/`` folder that happens to sit next to an installed package cannot
shadow the files it shipped with.
"""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

FOLDERS = ("forcefields", "systems", "studies")


def shipped_dirs(folder: str) -> list[Path]:
    """The folders that may hold shipped ``folder`` files, in lookup order: the
    package's data, then (a source checkout) the repository's folder."""
    if folder not in FOLDERS:
        raise ValueError(f"{folder!r}: not a shipped folder ({', '.join(FOLDERS)})")
    data = files("omm_cx").joinpath("_data", folder)
    package = Path(__file__).resolve().parent.parent  # the omm_cx package folder
    dirs = [Path(os.fspath(data))] if isinstance(data, os.PathLike) else []
    return dirs + [package.parent / folder]


def shipped_names(folder: str) -> list[str]:
    """Sorted names (file stems) of the shipped ``folder/*.yaml`` files."""
    return sorted({p.stem for d in shipped_dirs(folder) if d.is_dir() for p in d.glob("*.yaml")})


def find_shipped(folder: str, name: str) -> Path | None:
    """The shipped file ``folder/<name>.yaml``, or None."""
    return next((d / f"{name}.yaml" for d in shipped_dirs(folder)
                 if (d / f"{name}.yaml").is_file()), None)
