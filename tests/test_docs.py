"""The README and docs: every relative link resolves, and every setting they document is one the code reads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path) -> None:
    for target in _LINK.findall(page.read_text("utf-8")):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.exists(), f"{page.name} links to {target}, which does not exist"
        if anchor and linked.suffix == ".md":
            headings = re.findall(r"^#+\s+(.+)$", linked.read_text("utf-8"), re.M)
            assert anchor in {_anchor(h) for h in headings}, f"{page.name}: no heading for #{anchor} in {path}"


def test_documented_environment_variables_are_read() -> None:
    code = "\n".join(p.read_text("utf-8") for p in (ROOT / "nodes").rglob("*.py")) + (ROOT / "server.py").read_text(
        "utf-8")
    documented = set(re.findall(r"`(TZOMET_[A-Z_]+)`", (ROOT / "docs" / "configuration.md").read_text("utf-8")))
    assert documented
    assert not [v for v in documented if f'"{v}"' not in code], "documented but never read"
