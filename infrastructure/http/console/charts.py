"""Charts drawn on the server as SVG (issue 18): the ageing of receivables as stacked bars, one
per client, and revenue by month and provider. Plain markup: readable without a script, titled
for screen readers."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from domain.receivables import BUCKETS
from infrastructure.documents.html import euros

COLOURS = {"not_due": "#4c78a8", "1_30": "#f2cf5b", "31_60": "#f58518", "61_90": "#e45756", "over_90": "#9d1c20",
           "btbconnect": "#4c78a8", "etincelle": "#f58518"}
NAMES = {"not_due": "non échu", "1_30": "1–30 j", "31_60": "31–60 j", "61_90": "61–90 j", "over_90": "> 90 j"}
BAR, GAP, LABEL, WIDTH = 18, 6, 110, 640
CLIENT_BARS = 20


def ageing_chart(rows: list[dict]) -> str:
    """One stacked bar per client owing something, widest first (at most CLIENT_BARS)."""
    owing = sorted((r for r in rows if Decimal(r["outstanding"]) > 0),
                   key=lambda r: -Decimal(r["outstanding"]))[:CLIENT_BARS]
    if not owing:
        return ""
    top = max(Decimal(r["outstanding"]) for r in owing)
    height = len(owing) * (BAR + GAP) + 30
    bars = [client_bar(r, i, top) for i, r in enumerate(owing)]
    return svg("Ancienneté des créances par client", height, bars + legend(BUCKETS, height - 14))


def client_bar(row: dict, index: int, top: Decimal) -> str:
    y, x, parts = index * (BAR + GAP), LABEL, []
    for bucket in BUCKETS:
        amount = Decimal(row["ageing"][bucket])
        if amount > 0:
            w = float(amount / top) * (WIDTH - LABEL - 10)
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{BAR}" fill="{COLOURS[bucket]}">'
                         f"<title>{escape(row['client_id'])} {NAMES[bucket]} : {euros(amount)}</title></rect>")
            x += w
    label = f'<text x="0" y="{y + BAR - 5}" font-size="12">{escape(row["client_id"])}</text>'
    return label + "".join(parts)


def revenue_chart(months: dict[str, dict[str, Decimal]]) -> str:
    """Invoiced TTC by month, a bar per provider side by side."""
    if not months:
        return ""
    providers = sorted({p for by in months.values() for p in by})
    top = max(v for by in months.values() for v in by.values()) or Decimal(1)
    step, height = (WIDTH - 40) / len(months), 220
    bars = []
    for i, (month, by) in enumerate(sorted(months.items())):
        for k, provider in enumerate(providers):
            amount = by.get(provider, Decimal(0))
            h = float(amount / top) * (height - 60)
            x = 30 + i * step + k * step / (len(providers) + 1)
            bars.append(f'<rect x="{x:.1f}" y="{height - 40 - h:.1f}" width="{step / (len(providers) + 1):.1f}" '
                        f'height="{h:.1f}" fill="{COLOURS.get(provider, "#888")}"><title>{escape(provider)} '
                        f"{month} : {euros(amount)}</title></rect>")
        bars.append(f'<text x="{30 + i * step:.1f}" y="{height - 26}" font-size="10">{month[5:]}/{month[2:4]}</text>')
    return svg("Chiffre d'affaires TTC par mois et par prestataire", height, bars + legend(providers, height - 8))


def legend(names: list[str] | tuple[str, ...], y: int) -> list[str]:
    return [f'<rect x="{10 + i * 110}" y="{y - 9}" width="10" height="10" fill="{COLOURS.get(n, "#888")}"/>'
            f'<text x="{24 + i * 110}" y="{y}" font-size="11">{escape(NAMES.get(n, n))}</text>'
            for i, n in enumerate(names)]


def svg(title: str, height: int, parts: list[str]) -> str:
    return (f'<svg role="img" aria-label="{escape(title)}" viewBox="0 0 {WIDTH} {height}" '
            f'xmlns="http://www.w3.org/2000/svg" class="chart"><title>{escape(title)}</title>{"".join(parts)}</svg>')
