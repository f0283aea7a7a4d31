"""Colour contrast of the UI's text, computed from static/css/app.css itself (WCAG 2.1 AA: 4.5:1 for normal
text), so that a colour change cannot bring back the failures axe-core found (white on the orange "restricted"
badge at 3.27:1, the "clear" badge at 4.47:1). Pure: no database, no browser."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from apps.common.choices import RiskStatus

CSS = Path(__file__).resolve().parents[2] / "static" / "css" / "app.css"
AA_TEXT = 4.5
# Badges the templates use besides the risk statuses (templates/includes/risk_badge.html, board, plan pages).
OTHER_BADGES = ("not_cleared", "overdue", "neutral")
# Where text sits: the page, cards and tables, board columns and cards, a hovered row, messages, inline code.
SURFACES = ("body", ".card", "tr:hover td", ".board .column", ".board .plan", ".messages li", "code")


def _rules(text: str) -> dict[str, dict[str, str]]:
    """selector -> declarations of the top-level rules (print media ignored); later rules override earlier."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    text = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*\s*\}", "", text)
    rules: dict[str, dict[str, str]] = {}
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", text):
        decls = dict((k.strip(), v.strip()) for k, v in (d.split(":", 1) for d in body.split(";") if ":" in d))
        for selector in selectors.split(","):
            rules.setdefault(" ".join(selector.split()), {}).update(decls)
    return rules


RULES = _rules(CSS.read_text())
VARIABLES = {k: v for k, v in RULES[":root"].items() if k.startswith("--")}


def _colour(value: str) -> tuple[float, float, float, float]:
    """An sRGB hex colour (#rgb, #rgba, #rrggbb, #rrggbbaa, or var(--name) of one) as 0..1 channels."""
    value = value.strip()
    var = re.fullmatch(r"var\((--[\w-]+)\)", value)
    if var:
        value = VARIABLES[var.group(1)]
    if value in ("#fff", "white"):
        value = "#ffffff"
    digits = value.lstrip("#")
    assert re.fullmatch(r"[0-9a-fA-F]{3,8}", digits), f"not a hex colour: {value}"
    if len(digits) in (3, 4):
        digits = "".join(c * 2 for c in digits)
    channels = [int(digits[i:i + 2], 16) / 255 for i in range(0, len(digits), 2)]
    return (*channels[:3], channels[3] if len(channels) == 4 else 1.0)


def _over(top, under):
    """`top` (maybe translucent) composited over the opaque `under`."""
    a = top[3]
    return tuple(a * t + (1 - a) * u for t, u in zip(top[:3], under[:3], strict=True)) + (1.0,)


def _luminance(c) -> float:
    def lin(x: float) -> float:
        return x / 12.92 if x <= 0.04045 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(x) for x in c[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(fg: str, bg: str) -> float:
    """WCAG 2.1 contrast ratio of text colour `fg` on background `bg` (a translucent `fg` is blended first)."""
    back = _colour(bg)
    front = _over(_colour(fg), back)
    hi, lo = sorted((_luminance(front), _luminance(back)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _background(selector: str) -> str:
    return RULES[selector].get("background") or RULES[selector]["background-color"]


def test_contrast_formula_matches_known_ratios():
    assert contrast("#000", "#fff") == pytest.approx(21.0)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#fff", "#d9730d") == pytest.approx(3.28, abs=0.01)  # the old "restricted" badge


@pytest.mark.parametrize("status", [*RiskStatus.values, *OTHER_BADGES])
def test_every_badge_declares_colours_that_reach_aa(status):
    rule = RULES.get(f".badge.{status}")
    assert rule is not None, f".badge.{status} has no rule in app.css"
    assert "color" in rule and "background" in rule, f".badge.{status} must declare its text and background colour"
    ratio = contrast(rule["color"], rule["background"])
    assert ratio >= AA_TEXT, f".badge.{status}: {ratio:.2f}:1 < {AA_TEXT}:1"


@pytest.mark.parametrize("status", [*RiskStatus.values, "not_cleared"])
def test_every_verdict_reaches_aa(status):
    rule = RULES[f".verdict.{status}"]
    ratio = contrast(rule["color"], rule["background"])
    assert ratio >= AA_TEXT, f".verdict.{status}: {ratio:.2f}:1"


@pytest.mark.parametrize("surface", SURFACES)
@pytest.mark.parametrize("text", ["var(--fg)", "var(--muted)", "var(--accent)", "var(--bad)"])
def test_body_muted_link_and_error_text_reach_aa_on_every_surface(text, surface):
    background = _background(surface)
    ratio = contrast(text, background)
    assert ratio >= AA_TEXT, f"{text} on {surface} ({background}): {ratio:.2f}:1"


@pytest.mark.parametrize("selector", [".diff-added", ".diff-removed", ".diff-changed"])
@pytest.mark.parametrize("surface", [".card", "tr:hover td"])
def test_diff_colours_reach_aa_in_tables(selector, surface):
    ratio = contrast(RULES[selector]["color"], _background(surface))
    assert ratio >= AA_TEXT, f"{selector} on {surface}: {ratio:.2f}:1"


def test_top_bar_text_and_role_pill_reach_aa():
    bar = _background(".topbar")
    assert contrast(RULES[".topbar"]["color"], bar) >= AA_TEXT
    pill = _over(_colour(_background(".role")), _colour(bar))
    pill_hex = "#" + "".join(f"{round(c * 255):02x}" for c in pill[:3])
    assert contrast("#fff", pill_hex) >= AA_TEXT
    assert contrast(RULES[".error-page .role"]["color"], _background(".error-page .role")) >= AA_TEXT
