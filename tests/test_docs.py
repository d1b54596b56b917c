"""The project documents itself: the README links the product documentation under
``docs/``, no document or source points outside the repository, every link in the
documents resolves to a file of the repository, and every error code the product
documentation names is one the code raises."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]
SOURCES = [*DOCUMENTS, *(ROOT / "passnum").rglob("*.py"), *(ROOT / "templates").rglob("*.html"),
           *(ROOT / "tests").rglob("*.py")]
OUTSIDE = re.compile(r"\.\./shared|shared/SPEC|\bSPEC\b")
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_the_readme_links_the_product_documentation():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/product.md)" in readme
    product = (ROOT / "docs" / "product.md").read_text(encoding="utf-8")
    for section in ("## Roles", "## Rules", "## Voucher security", "## Personal data (RGPD)",
                    "## The audit log", "## Dashboard figures"):
        assert section in product


def test_nothing_points_outside_the_repository():
    found = [f"{path.relative_to(ROOT)}:{number}"
             for path in SOURCES if path != Path(__file__).resolve()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if OUTSIDE.search(line)]
    assert found == []


def test_every_link_of_the_documents_is_a_file_of_the_repository():
    for document in DOCUMENTS:
        for target in LINK.findall(document.read_text(encoding="utf-8")):
            assert not re.match(r"^[a-z]+:", target), f"{document.name}: {target}"
            path = (document.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(ROOT) and path.exists(), f"{document.name}: {target}"


def test_every_error_code_the_documentation_names_is_raised_by_the_code():
    product = (ROOT / "docs" / "product.md").read_text(encoding="utf-8")
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "passnum").rglob("*.py"))
    named = set(re.findall(r"`([a-z]+(?:_[a-z]+)+)`", product)) - {"venue_agent"}
    assert len(named) > 20
    assert sorted(c for c in named if f'"{c}"' not in code) == []
