"""The README and docs stand alone (issue 12, item 18): a clone has no ../shared folder."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)#]+)(?:#[^)]*)?\)|`(\.\./[^`]+)`")


def test_readme_links_only_to_files_of_the_repository():
    """The README linked to ../shared/INTERFACES.md, which a clone does not have."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = [a or b for a, b in LINK.findall(readme)]
    assert "../shared" not in readme
    local = [t for t in targets if not t.startswith(("http://", "https://"))]
    assert "docs/INTERFACES.md" in local and "docs/DESIGN.md" in local
    assert [t for t in local if not (ROOT / t).exists()] == []


def test_the_docs_hold_the_extensions_the_code_has():
    interfaces = (ROOT / "docs" / "INTERFACES.md").read_text(encoding="utf-8")
    design = (ROOT / "docs" / "DESIGN.md").read_text(encoding="utf-8")
    for promise in ("{{ticket}}", "退回 TICKET 理由", "重新反映 TICKET 原因", "aliases", "--as-of"):
        assert promise in interfaces, promise
    for difference in ("`cancelled`", "takes it over", "revision"):
        assert difference in design, difference
