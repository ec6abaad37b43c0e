"""The YAML files omm_cx ships by name: recipes (``systems/``), studies (``studies/``).

They live in the repository's top-level folder of that name (a source checkout, an
editable install) and in ``omm_cx/_data/<folder>`` (a wheel, see pyproject's
force-include). A name is looked up in the repository's folder first.
"""

from __future__ import annotations

from pathlib import Path


def shipped_dirs(folder: str) -> list[Path]:
    """The folders that may hold shipped ``folder`` files, in lookup order."""
    package = Path(__file__).resolve().parent.parent  # the omm_cx package folder
    return [package.parent / folder, package / "_data" / folder]


def shipped_names(folder: str) -> list[str]:
    """Sorted names (file stems) of the shipped ``folder/*.yaml`` files."""
    return sorted({p.stem for d in shipped_dirs(folder) if d.is_dir() for p in d.glob("*.yaml")})


def find_shipped(folder: str, name: str) -> Path | None:
    """The shipped file ``folder/<name>.yaml``, or None."""
    return next((d / f"{name}.yaml" for d in shipped_dirs(folder)
                 if (d / f"{name}.yaml").is_file()), None)
