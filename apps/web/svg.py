"""Charts and graphs drawn on the server as SVG: no JavaScript, no CDN, printable, readable offline.

Every label goes through `escape`; the result is marked safe only after that. Each chart carries a
<title> and an aria-label so screen readers announce what it shows, and the pages put the same numbers
in a table next to it.
"""
from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

STATUS_COLOURS = {
    "prohibited": "#b3261e",
    "restricted": "#d9730d",
    "potential_match": "#b58a00",
    "clear": "#1a7f37",
}
STATUS_LABELS = {
    "prohibited": "Prohibited",
    "restricted": "Restricted",
    "potential_match": "Potential match",
    "clear": "Clear",
}


def _svg(width: int, height: int, title: str, body: list[str], *, variant: str = "") -> SafeString:
    t = escape(title)
    css = f"chart chart-{variant}" if variant else "chart"
    return mark_safe(  # noqa: S308 - every interpolated text is escaped above or below
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{t}" class="{css}" preserveAspectRatio="xMinYMin meet">'
        f"<title>{t}</title>{''.join(body)}</svg>"
    )


def _wide_and_compact(wide: SafeString, compact: SafeString) -> SafeString:
    """A chart drawn twice: for a wide screen, and compact for a phone (about 340 px across, so its text stays
    legible unscaled); the stylesheet shows one of them (svg.chart-wide / svg.chart-compact in app.css)."""
    return mark_safe(wide + compact)  # noqa: S308 - both are built by _svg, which escapes every text


def stacked_bars_html(
    rows: Sequence[tuple[str, dict[str, int]]], *, title: str, statuses: Sequence[str] = ("prohibited", "restricted",
                                                                                          "potential_match"),
) -> SafeString:
    """Horizontal stacked bars whose labels are HTML text: they wrap instead of being cut, and keep their size at
    any width (a label above its bar on a phone, beside it on a desktop: app.css `.hbars`). Each bar is a small
    SVG stretched to its row (widths are attributes, so the strict CSP needs no inline style), with the total
    after it; the legend is text too. The page keeps the numbers in a table as well."""
    biggest = max((sum(v.get(s, 0) for s in statuses) for _, v in rows), default=0) or 1
    legend = "".join(f'<span class="key"><span class="swatch {s}" aria-hidden="true"></span>'
                     f"{escape(STATUS_LABELS[s])}</span>" for s in statuses)
    out = [f'<div class="hbars" role="group" aria-label="{escape(title)}"><p class="hbars-legend">{legend}</p>']
    if not rows:
        out.append('<p class="muted">Nothing flagged.</p>')
    for label, values in rows:
        total = sum(values.get(s, 0) for s in statuses)
        parts = ", ".join(f"{values[s]} {STATUS_LABELS[s].lower()}" for s in statuses if values.get(s))
        rects, x = [], 0.0
        for s in statuses:
            n = values.get(s, 0)
            if n:
                w = 1000 * n / biggest
                rects.append(f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="20" fill="{STATUS_COLOURS[s]}"/>')
                x += w
        out.append(f'<div class="hbar"><span class="hbar-label">{escape(label)}</span>'
                   f'<svg class="hbar-track" viewBox="0 0 1000 20" preserveAspectRatio="none" role="img" '
                   f'aria-label="{escape(label)}: {escape(parts)}"><title>{escape(label)}: {escape(parts)}</title>'
                   f'{"".join(rects)}</svg><span class="hbar-n">{total}</span></div>')
    out.append("</div>")
    return mark_safe("".join(out))  # noqa: S308 - every interpolated text is escaped above


def burndown_svg(
    points: Sequence[tuple[dt.date, int]], *, title: str, projected: Sequence[tuple[dt.date, int]] = (),
    today: dt.date | None = None, width: int = 640, height: int = 240,
) -> SafeString:
    """A line of open items over time (solid: recorded, dashed: projected), with a marker for today; drawn wide
    and compact (narrower, larger type)."""
    return _wide_and_compact(
        _burndown(points, title=title, projected=projected, today=today, width=width, height=height, font=11,
                  variant="wide"),
        _burndown(points, title=title, projected=projected, today=today, width=340, height=220, font=13,
                  variant="compact"))


def _burndown(points: Sequence[tuple[dt.date, int]], *, title: str, projected: Sequence[tuple[dt.date, int]],
              today: dt.date | None, width: int, height: int, font: int, variant: str) -> SafeString:
    left, right, top, bottom = 4 * font, 16, 16, 3 * font
    allp = list(points) + list(projected)
    body: list[str] = []
    if not allp:
        body.append(f'<text x="{left}" y="{top + 20}" font-size="{font}" fill="#5b6477">No data yet.</text>')
        return _svg(width, height, title, body, variant=variant)
    d0 = min(p[0] for p in allp)
    d1 = max(p[0] for p in allp)
    span = max(1, (d1 - d0).days)
    vmax = max(1, max(p[1] for p in allp))
    pw, ph = width - left - right, height - top - bottom

    def xy(d: dt.date, v: int) -> tuple[float, float]:
        return left + pw * (d - d0).days / span, top + ph * (1 - v / vmax)

    # axes and grid
    for frac in (0, 0.5, 1):
        y = top + ph * (1 - frac)
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e4e7ec"/>'
                    f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="{font}" text-anchor="end">'
                    f"{round(vmax * frac)}</text>")
    body.append(f'<text x="{left}" y="{height - 8}" font-size="{font}">{d0.isoformat()}</text>')
    if d1 != d0:
        body.append(f'<text x="{width - right}" y="{height - 8}" font-size="{font}" text-anchor="end">'
                    f"{d1.isoformat()}</text>")
    for series, dash, colour in ((points, "", "#1f5fbf"), (projected, ' stroke-dasharray="6 4"', "#9a6700")):
        if not series:
            continue
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(d, v) for d, v in series))
        body.append(f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>')
        for d, v in series:
            x, y = xy(d, v)
            body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{d.isoformat()}: {v}'
                        f"</title></circle>")
    if today and d0 <= today <= d1:
        x, _ = xy(today, 0)
        anchor, dx = ("end", -3) if x > left + pw * 0.85 else ("start", 3)
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#5b6477" '
                    f'stroke-dasharray="2 3"/><text x="{x + dx:.1f}" y="{top + 10}" font-size="{font}" '
                    f'text-anchor="{anchor}">today</text>')
    return _svg(width, height, title, body, variant=variant)


@dataclass(frozen=True)
class GraphNode:
    id: int
    label: str
    status: str = ""        # a risk status colours the node's border
    focus: bool = False     # the vendor the page is about


@dataclass(frozen=True)
class GraphEdge:
    owner: int
    owned: int
    label: str              # e.g. "51%" or "share unknown"
    unknown: bool = False


def ownership_graph_svg(nodes: Sequence[GraphNode], edges: Sequence[GraphEdge], *, title: str,
                        width: int = 720) -> SafeString:
    """A layered drawing of an ownership graph: owners above what they own (longest-path layering), arrows
    from owner to owned labelled with the share; unknown shares dashed."""
    by_id = {n.id: n for n in nodes}
    owners_of: dict[int, list[int]] = defaultdict(list)
    for e in edges:
        if e.owner in by_id and e.owned in by_id:
            owners_of[e.owned].append(e.owner)
    # layer = longest distance from a node nobody in the graph owns... computed top-down: owned below owners
    depth: dict[int, int] = {}

    def level(n: int, seen: frozenset[int] = frozenset()) -> int:
        if n in depth:
            return depth[n]
        ups = [o for o in owners_of.get(n, []) if o not in seen]
        depth[n] = 0 if not ups else 1 + max(level(o, seen | {n}) for o in ups)
        return depth[n]

    for n in by_id:
        level(n)
    layers: dict[int, list[int]] = defaultdict(list)
    for n in sorted(by_id, key=lambda i: by_id[i].label):
        layers[depth[n]].append(n)
    box_w, box_h, vgap, top = 250, 40, 60, 10
    n_layers = max(layers, default=0) + 1
    height = top * 2 + n_layers * box_h + (n_layers - 1) * vgap
    widest = max((len(v) for v in layers.values()), default=1)
    width = max(width, widest * (box_w + 20) + 20)
    pos: dict[int, tuple[float, float]] = {}
    for d, ids in layers.items():
        slot = width / len(ids)
        for i, n in enumerate(ids):
            pos[n] = (slot * i + slot / 2, top + d * (box_h + vgap))
    body = ['<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
            'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#5b6477"/></marker></defs>']
    for e in edges:
        if e.owner not in pos or e.owned not in pos:
            continue
        (x1, y1), (x2, y2) = pos[e.owner], pos[e.owned]
        y1 += box_h
        dash = ' stroke-dasharray="5 4"' if e.unknown else ""
        body.append(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#5b6477" '
                    f'stroke-width="1.5" marker-end="url(#arrow)"{dash}/>'
                    f'<text x="{(x1 + x2) / 2 + 4:.1f}" y="{(y1 + y2) / 2:.1f}" font-size="11" '
                    f'fill="#1d2433">{escape(e.label)}</text>')
    for n, (cx, y) in pos.items():
        node = by_id[n]
        stroke = STATUS_COLOURS.get(node.status, "#8a93a6")
        fill = "#e8f0fe" if node.focus else "#ffffff"
        label = node.label if len(node.label) <= 36 else node.label[:35] + "…"
        body.append(f'<rect x="{cx - box_w / 2:.1f}" y="{y}" width="{box_w}" height="{box_h}" rx="6" fill="{fill}" '
                    f'stroke="{stroke}" stroke-width="{3 if node.status else 1.5}"/>'
                    f'<text x="{cx:.1f}" y="{y + 24}" font-size="12" text-anchor="middle">{escape(label)}'
                    f"<title>{escape(node.label)}</title></text>")
    return _svg(width, height, title, body)
