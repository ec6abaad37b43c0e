"""Every claim of every study file quotes its paper: the quote occurs verbatim
(whitespace-normalized) in the paper's text at the cited line, and the cited figure or
table occurs in that text. The papers' texts are not shipped with omm_cx; the test skips
where they are absent (as on a user's machine)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
PAPERS = ROOT.parent / "shared" / "papers"
#: reference key (docs/references.md) -> the seed text of that paper
SEED_TEXTS = {
    "yalcin2014": "000_f840f88370f1aadd.txt",
    "pbse-cdse-tomography": "001_a8a532671334d585.txt",
    "nelson": "002_a352fc17da7bff84.txt",
    "casu2023": "003_5ce3968c9937a4af.txt",
    "fan2016": "004_557c40deb1c6efad.txt",
}
STUDIES = sorted((ROOT / "studies").glob("*.yaml"))


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _claims():
    for path in STUDIES:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        refs = doc["paper"].get("refs") or []
        for c in doc.get("claims", []):
            yield pytest.param(path.name, c, c.get("ref") or (refs[0] if refs else None),
                               id=f"{path.stem}:{c['id']}")


def test_every_reference_key_is_documented():
    text = (ROOT / "docs" / "references.md").read_text(encoding="utf-8")
    for key in SEED_TEXTS:
        assert f"`{key}`" in text, key


@pytest.mark.parametrize("study, claim, ref", list(_claims()))
def test_claim_quotes_its_paper(study, claim, ref):
    if not PAPERS.is_dir():
        pytest.skip(f"the papers' texts ({PAPERS}) are not on this machine")
    assert ref in SEED_TEXTS, f"{study} {claim['id']}: unknown reference key {ref!r}"
    lines = (PAPERS / SEED_TEXTS[ref]).read_text(encoding="utf-8").splitlines()
    for key in ("quote", "line", "source"):
        assert claim.get(key), f"{study} {claim['id']}: no {key!r}"
    line = int(claim["line"])
    assert 1 <= line <= len(lines), f"{study} {claim['id']}: line {line} outside the text"
    window = _norm(" ".join(lines[line - 1: line + 2]))
    quote = _norm(claim["quote"])
    assert quote in window, (f"{study} {claim['id']}: quote not found at line {line} of "
                             f"{SEED_TEXTS[ref]}: {quote!r}")
    whole = _norm(" ".join(lines))
    for label in re.split(r"\s*;\s*", claim["source"]):
        label = re.sub(r"\s*\(.*?\)", "", label).strip()
        assert label and label in whole, (f"{study} {claim['id']}: source {label!r} does not "
                                           f"occur in {SEED_TEXTS[ref]}")
