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


def stacked_bars_svg(
    rows: Sequence[tuple[str, dict[str, int]]], *, title: str, statuses: Sequence[str] = ("prohibited", "restricted",
                                                                                          "potential_match"),
    width: int = 640, label_width: int = 210,
) -> SafeString:
    """Horizontal stacked bars: one row per label, one segment per status, with the total at the end; the compact
    drawing puts each label above its bar."""
    return _wide_and_compact(_stacked_bars_wide(rows, title=title, statuses=statuses, width=width,
                                                label_width=label_width),
                             _stacked_bars_compact(rows, title=title, statuses=statuses))


def _stacked_bars_compact(rows: Sequence[tuple[str, dict[str, int]]], *, title: str, statuses: Sequence[str],
                          width: int = 340) -> SafeString:
    label_h, bar_h, gap, top = 17, 16, 10, 30
    step = label_h + bar_h + gap
    height = top + max(1, len(rows)) * step
    biggest = max((sum(v.get(s, 0) for s in statuses) for _, v in rows), default=0) or 1
    scale = (width - 40) / biggest
    body: list[str] = []
    x = 0
    for s in statuses:  # legend
        body.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{STATUS_COLOURS[s]}"/>'
                    f'<text x="{x + 16}" y="16" font-size="12">{escape(STATUS_LABELS[s])}</text>')
        x += 16 + 7 * len(STATUS_LABELS[s]) + 10
    if not rows:
        body.append(f'<text x="0" y="{top + 14}" font-size="13" fill="#5b6477">Nothing flagged.</text>')
    for i, (label, values) in enumerate(rows):
        y = top + i * step
        short = label if len(label) <= 44 else label[:43] + "…"
        body.append(f'<text x="0" y="{y + 13}" font-size="13">{escape(short)}<title>{escape(label)}</title></text>')
        x = 0.0
        total = 0
        for s in statuses:
            n = values.get(s, 0)
            if not n:
                continue
            w = n * scale
            body.append(f'<rect x="{x:.1f}" y="{y + label_h}" width="{w:.1f}" height="{bar_h}" '
                        f'fill="{STATUS_COLOURS[s]}"><title>{escape(label)}: {n} '
                        f"{escape(STATUS_LABELS[s].lower())}</title></rect>")
            x += w
            total += n
        body.append(f'<text x="{x + 5:.1f}" y="{y + label_h + 13}" font-size="13">{total}</text>')
    return _svg(width, height, title, body, variant="compact")


def _stacked_bars_wide(rows: Sequence[tuple[str, dict[str, int]]], *, title: str, statuses: Sequence[str],
                       width: int, label_width: int) -> SafeString:
    bar_h, gap, top = 20, 8, 28
    height = top + max(1, len(rows)) * (bar_h + gap) + 10
    biggest = max((sum(v.get(s, 0) for s in statuses) for _, v in rows), default=0) or 1
    scale = (width - label_width - 50) / biggest
    body: list[str] = []
    x = label_width
    for s in statuses:  # legend
        body.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{STATUS_COLOURS[s]}"/>'
                    f'<text x="{x + 16}" y="16" font-size="12">{escape(STATUS_LABELS[s])}</text>')
        x += 16 + 8 * len(STATUS_LABELS[s]) + 14
    if not rows:
        body.append(f'<text x="{label_width}" y="{top + 14}" font-size="13" fill="#5b6477">Nothing flagged.</text>')
    for i, (label, values) in enumerate(rows):
        y = top + i * (bar_h + gap)
        short = label if len(label) <= 30 else label[:29] + "…"
        body.append(f'<text x="{label_width - 6}" y="{y + 14}" font-size="12" text-anchor="end">{escape(short)}'
                    f"<title>{escape(label)}</title></text>")
        x = float(label_width)
        total = 0
        for s in statuses:
            n = values.get(s, 0)
            if not n:
                continue
            w = n * scale
            body.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{STATUS_COLOURS[s]}">'
                        f"<title>{escape(label)}: {n} {escape(STATUS_LABELS[s].lower())}</title></rect>")
            x += w
            total += n
        body.append(f'<text x="{x + 5:.1f}" y="{y + 14}" font-size="12">{total}</text>')
    return _svg(width, height, title, body, variant="wide")


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
    body.append(f'<text x="{left}" y="{height - 8}" font-size="{font}">{d0.isoformat()}</text>'
                f'<text x="{width - right}" y="{height - 8}" font-size="{font}" text-anchor="end">'
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
