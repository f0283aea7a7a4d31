"""The templates keep the Content-Security-Policy promise: no inline script, no inline event handler, no
inline style attribute, nothing loaded from another origin."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_has_no_inline_code_or_foreign_assets(path):
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), "inline <script>"
    assert not re.search(r"\son[a-z]+\s*=", text, re.IGNORECASE), "inline event handler"
    assert not re.search(r"\sstyle\s*=", text), "inline style attribute"
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", text), "asset from another origin"
    assert "hx-on" not in text, "htmx inline handler (needs eval)"


def test_vendored_htmx_is_present_with_its_licence():
    vendor = ROOT / "static" / "vendor" / "htmx"
    assert (vendor / "htmx.min.js").stat().st_size > 10_000
    assert "BSD" in (vendor / "LICENSE").read_text() or "Zero-Clause" in (vendor / "LICENSE").read_text()
