"""Users of omm_cx do not have the project's `shared/` folder: no shipped file (README,
docs, study files, force fields, recipes, the package) points at it or at DOMAIN.md;
papers are cited by the reference keys of docs/references.md."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ("README.md", "docs", "studies", "forcefields", "systems", "omm_cx")


def _texts():
    for name in SHIPPED:
        path = ROOT / name
        files = [path] if path.is_file() else sorted(
            p for p in path.rglob("*") if p.suffix in (".py", ".md", ".yaml", ".yml", ".json", ".cpp"))
        yield from files


def test_no_shipped_file_points_outside_the_repository():
    bad = []
    for f in _texts():
        for i, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if "shared/" in line or "DOMAIN.md" in line:
                bad.append(f"{f.relative_to(ROOT)}:{i}: {line.strip()[:80]}")
    assert not bad, "\n".join(bad)
