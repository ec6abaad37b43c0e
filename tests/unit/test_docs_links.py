"""The README is the front door: short, its first code block the two commands a new user
runs, and every relative link in it and in docs/ points at a file or folder that exists
(links from docs/x.md are relative to docs/). No OpenMM import."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
MAX_README_LINES = 150
FIRST_BLOCK = [
    "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/omm-cx demo",
    ".venv/bin/python -m pytest -q",
]

#: [text](target) and ![alt](target), with an optional "title" after the target.
MD_LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
#: <img src="..."> and <a href="..."> written as HTML inside markdown.
HTML_LINK = re.compile(r"<(?:img|a)\b[^>]*?\b(?:src|href)\s*=\s*\"([^\"]+)\"", re.IGNORECASE)
FENCE = re.compile(r"^\s*(```|~~~)")


def _markdown_files() -> list[Path]:
    return [README] + sorted((ROOT / "docs").rglob("*.md"))


def _prose_lines(text: str):
    """(line number, line) outside fenced code blocks and with inline code removed."""
    in_fence = False
    for i, line in enumerate(text.splitlines(), 1):
        if FENCE.match(line):
            in_fence = not in_fence
            continue
        if not in_fence:
            yield i, re.sub(r"`[^`]*`", "", line)


def relative_links(text: str) -> list[tuple[int, str]]:
    """(line, target without #anchor) of every relative link in a markdown text."""
    out = []
    for i, line in _prose_lines(text):
        for m in list(MD_LINK.finditer(line)) + list(HTML_LINK.finditer(line)):
            target = m.group(1).strip()
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
                continue  # http(s):, mailto:, ...; or an anchor in the same file
            target = target.split("#", 1)[0].split("?", 1)[0]
            if target:
                out.append((i, target))
    return out


def broken_links(path: Path) -> list[str]:
    """'file:line: target' for every relative link of ``path`` that resolves to nothing."""
    bad = []
    for line, target in relative_links(path.read_text(encoding="utf-8")):
        resolved = (ROOT / target.lstrip("/")) if target.startswith("/") else path.parent / target
        if not resolved.exists():
            shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
            bad.append(f"{shown}:{line}: {target}")
    return bad


def test_readme_is_short():
    n = len(README.read_text(encoding="utf-8").splitlines())
    assert n <= MAX_README_LINES, f"README.md has {n} lines (at most {MAX_README_LINES}): move detail into docs/"


def test_readme_first_code_block_is_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if FENCE.match(line)]
    assert len(starts) >= 2, "README.md has no fenced code block"
    block = [line.rstrip() for line in lines[starts[0] + 1:starts[1]]]
    assert block == FIRST_BLOCK, ("README.md's first code block is not the install+demo and test "
                                  "commands:\n" + "\n".join(block))


@pytest.mark.parametrize("path", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(path):
    bad = broken_links(path)
    assert not bad, "broken relative links:\n" + "\n".join(bad)


def test_link_checker_finds_a_broken_link(tmp_path):
    """The checker itself: finds broken links, ignores URLs, anchors and code."""
    (tmp_path / "there.md").write_text("x", encoding="utf-8")
    md = tmp_path / "doc.md"
    md.write_text("[ok](there.md#part) [gone](missing.md) ![img](pics/none.png)\n"
                  "[web](https://example.org/x.md) [mail](mailto:a@b.c) [here](#top)\n"
                  '<img src="nothere.png" width="3">\n'
                  "`[code](nope.md)`\n```\n[fenced](nope2.md)\n```\n", encoding="utf-8")
    targets = [t for _, t in relative_links(md.read_text(encoding="utf-8"))]
    assert targets == ["there.md", "missing.md", "pics/none.png", "nothere.png"]
    assert broken_links(md) == [f"{md}:1: missing.md", f"{md}:1: pics/none.png",
                                f"{md}:3: nothere.png"]
