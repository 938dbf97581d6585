"""`tabstop stats --html FILE`: one self-contained HTML file with inline SVG charts.

No scripts, no fonts, no CDN: the report must open offline and can be mailed
around without leaking anything but the numbers in it (no code is ever shown).
"""
from __future__ import annotations

import datetime as _dt
import html
from typing import Sequence

from completion.flywheel.stats import Group, Summary, _pct

W, H, PAD = 560, 220, 40
CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#222;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
.grid{display:flex;flex-wrap:wrap;gap:1.5rem}.card{border:1px solid #ddd;border-radius:6px;padding:.8rem}
table{border-collapse:collapse;font-size:.9rem}td,th{padding:.25rem .6rem;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.muted{color:#777;font-size:.85rem}
svg text{font-size:11px;fill:#444}
"""


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def bar_chart(title: str, groups: Sequence[Group]) -> str:
    """Acceptance rate per group as bars, with the verdict count under each bar."""
    groups = [g for g in groups if g.rate is not None]
    if not groups:
        return f'<div class="card"><b>{_esc(title)}</b><p class="muted">no verdicts yet</p></div>'
    n = len(groups)
    slot = (W - 2 * PAD) / n
    bar_w = max(6.0, slot * 0.6)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 30}" role="img" '
             f'aria-label="{_esc(title)}">']
    for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = H - PAD - frac * (H - 2 * PAD)
        parts.append(f'<line x1="{PAD}" x2="{W - PAD / 2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{PAD - 4}" y="{y + 4:.1f}" text-anchor="end">{frac:.0%}</text>')
    for i, g in enumerate(groups):
        rate = g.rate or 0.0
        x = PAD + i * slot + (slot - bar_w) / 2
        h = rate * (H - 2 * PAD)
        y = H - PAD - h
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="#4878d0">'
                     f'<title>{_esc(g.key)}: {_pct(rate)} of {g.verdicts}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{rate:.0%}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{H - PAD + 14:.1f}" text-anchor="middle">'
                     f'{_esc(g.key[:14])}</text>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{H - PAD + 28:.1f}" text-anchor="middle" fill="#999">'
                     f'n={g.verdicts}</text>')
    parts.append("</svg>")
    return f'<div class="card"><b>{_esc(title)}</b><br>{"".join(parts)}</div>'


def line_chart(title: str, groups: Sequence[Group]) -> str:
    """Acceptance rate over time (one point per day)."""
    points = [g for g in groups if g.rate is not None]
    if len(points) < 2:
        return bar_chart(title, points)
    n = len(points)
    xs = [PAD + i * (W - 1.5 * PAD) / (n - 1) for i in range(n)]
    ys = [H - PAD - (g.rate or 0.0) * (H - 2 * PAD) for g in points]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(zip(xs, ys)))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 20}" role="img" '
             f'aria-label="{_esc(title)}">']
    for frac in (0.0, 0.5, 1.0):
        y = H - PAD - frac * (H - 2 * PAD)
        parts.append(f'<line x1="{PAD}" x2="{W - PAD / 2}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{PAD - 4}" y="{y + 4:.1f}" text-anchor="end">{frac:.0%}</text>')
    parts.append(f'<path d="{path}" fill="none" stroke="#d65f5f" stroke-width="2"/>')
    for g, x, y in zip(points, xs, ys):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#d65f5f"><title>{_esc(g.key)}: '
                     f'{_pct(g.rate)} of {g.verdicts}</title></circle>')
    for i in sorted({0, n // 2, n - 1}):
        parts.append(f'<text x="{xs[i]:.1f}" y="{H - PAD + 16}" text-anchor="middle">{_esc(points[i].key)}</text>')
    parts.append("</svg>")
    return f'<div class="card"><b>{_esc(title)}</b><br>{"".join(parts)}</div>'


def table(name: str, groups: Sequence[Group]) -> str:
    rows = "".join(
        f"<tr><td>{_esc(g.key)}</td><td>{g.offered}</td><td>{g.verdicts}</td><td>{_pct(g.rate)}</td>"
        f"<td>{g.accepted_chars}</td><td>{'-' if g.mean_latency is None else f'{g.mean_latency:.0f}'}</td>"
        f"<td>{_pct(g.mean_survival)}</td></tr>" for g in groups)
    return (f"<h2>By {_esc(name)}</h2><table><tr><th>{_esc(name)}</th><th>offered</th><th>verdicts</th>"
            f"<th>acceptance</th><th>accepted chars</th><th>mean latency ms</th><th>survival</th></tr>{rows}</table>")


def render_html(summary: Summary, *, source: str = "") -> str:
    t = summary.total
    generated = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    head = (f"<p>{summary.requests} requests, {t.offered} suggestions offered, {t.verdicts} with a verdict; "
            f"acceptance rate <b>{_pct(t.rate)}</b> ({t.accepted} accepted, {t.partial} partial, "
            f"{t.rejected} rejected); {t.accepted_chars} accepted characters; survival after accept "
            f"{_pct(t.mean_survival)}; hidden by the filter {summary.hidden}, generations skipped "
            f"{summary.skipped}.</p>")
    charts = "".join([
        bar_chart("Acceptance vs latency", summary.groups.get("latency", [])),
        bar_chart("Acceptance vs completion length (characters)", summary.groups.get("length", [])),
        line_chart("Acceptance over time (per day)", summary.groups.get("day", [])),
        bar_chart("Acceptance by language", summary.groups.get("language", [])[:10]),
    ])
    tables = "".join(table(name, summary.groups.get(name, []))
                     for name in ("language", "trigger", "latency", "model", "context kind", "length"))
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Tabstop completion stats</title>'
            f"<style>{CSS}</style></head><body><h1>Tabstop completion stats</h1>"
            f'<p class="muted">generated {generated}{" from " + _esc(source) if source else ""}</p>'
            f'{head}<div class="grid">{charts}</div>{tables}</body></html>\n')
