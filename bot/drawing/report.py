"""The briefing as one self-contained HTML page: inline CSS and SVG charts, nothing to fetch.

Links to the stories are the only URLs on the page, and only as `<a href>`: following one is
the reader's choice, the page itself requests nothing. It prints on A4 (`@media print`) and
reflows to one column on a phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from html import escape

from bot.briefing.build import change_text
from bot.briefing.model import Briefing, Count, Pair, SourceActivity, Story
from bot.core.render import safe_link, shorten
from bot.drawing.charts import TITLES, chart_svgs
from bot.drawing.network import NARROW, WIDE, legend, network_svg

TOP_PAIRS = 15

CSS = """
:root { --ink:#1d2733; --muted:#5b6776; --line:#dfe4ea; --accent:#2f6db5; --bg:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font:16px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",
  "Helvetica Neue",Arial,sans-serif; color:var(--ink); background:#fff; }
main { max-width: 1040px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 1.7rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 2px solid
  var(--line); }
.sub { color: var(--muted); margin: 0 0 18px; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 12px; }
.card { background: var(--bg); border-radius: 8px; padding: 12px 14px; }
.card b { display:block; font-size: 1.6rem; }
.card span { color: var(--muted); font-size: .9rem; }
.charts { display: grid; grid-template-columns: 1fr 1fr 1fr; gap: 16px 20px; }
.chart.wide { grid-column: 1 / -1; }
.chart.wide svg { max-width: 760px; }
figure { margin: 0; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: 4px; }
svg { width: 100%; height: auto; display: block; }
table { width: 100%; border-collapse: collapse; font-size: .92rem; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px; border-bottom: 1px solid
  var(--line); }
th { color: var(--muted); font-weight: 600; font-size: .82rem; text-transform: uppercase; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; }
a { color: var(--accent); }
.why { color: var(--muted); font-size: .85rem; }
.nw { white-space: nowrap; }
.bad { color: #b3261e; font-weight: 600; }
.pair { display: grid; grid-template-columns: 1fr 1fr; gap: 24px; }
.net { margin: 0; }
.net svg { max-width: 820px; margin: 0 auto; }
.net .narrow { display: none; }
.up { color: #1b7a3d; }
.down { color: #b3261e; }
table.pairs ol { margin: 0; padding-left: 1.1em; }
footer { color: var(--muted); font-size: .8rem; margin-top: 32px; }
@media (max-width: 700px) {
  main { padding: 16px 12px 32px; }
  .cards { grid-template-columns: 1fr 1fr; }
  .charts, .pair { grid-template-columns: 1fr; }
  .net .wide { display: none; }
  .net .narrow { display: block; }
  table.stories thead, table.pairs thead { display: none; }
  table.stories tr, table.pairs tr { display: block; padding: 10px 0; border-bottom: 1px solid
    var(--line); }
  table.stories td, table.pairs td { display: block; border: 0; padding: 2px 0;
    text-align: left; }
  table.stories td[data-label]::before, table.pairs td[data-label]::before {
    content: attr(data-label) ": "; color: var(--muted); font-size: .82rem; }
}
@media print {
  .charts { grid-template-columns: 1fr 1fr 1fr; }
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  .card { background: none; border: 1px solid var(--line); }
  h2 { break-after: avoid; }
  a { color: var(--ink); text-decoration: none; }
}
"""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _when(moment: datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "never"


def _cards(briefing: Briefing) -> str:
    cards = [
        (str(briefing.total), "matched items"),
        (str(len(briefing.stories)), "stories"),
        (str(len({name for story in briefing.stories for name in story.sources})), "sources"),
        (_change(briefing), f"vs previous {briefing.days} days"),
    ]
    return (
        '<div class="cards">'
        + "".join(
            f'<div class="card"><b>{_e(value)}</b><span>{_e(label)}</span></div>'
            for value, label in cards
        )
        + "</div>"
    )


def _change(briefing: Briefing) -> str:
    change = briefing.change
    if change is None:
        return "new" if briefing.total else "–"
    return f"{change:+.0%}"


def _charts(briefing: Briefing) -> str:
    svgs = chart_svgs(briefing)
    parts = []
    for name, svg in svgs.items():
        wide = " wide" if name == "per_day" else ""
        parts.append(
            f'<figure class="chart{wide}" id="chart-{name}"><figcaption>{_e(TITLES[name])}'
            f"</figcaption>{svg}</figure>"
        )
    return '<div class="charts">' + "".join(parts) + "</div>"


def _story_row(story: Story) -> str:
    link = safe_link(story.link)
    title = _e(shorten(story.title, 200))
    shown = f'<a href="{_e(link)}" rel="noopener noreferrer">{title}</a>' if link else title
    sources = ", ".join(story.sources)
    return (
        "<tr>"
        f'<td data-label="Story">{shown}<div class="why">{_e(story.why)}</div></td>'
        f'<td class="n" data-label="Sources" title="{_e(sources)}">{len(story.sources)}</td>'
        f'<td data-label="First seen">{_e(f"{story.first_seen:%Y-%m-%d %H:%M}")}</td>'
        f'<td data-label="Entities">{_e(", ".join(story.entities) or "–")}</td>'
        f'<td class="n" data-label="Score">{story.score:.2f}</td>'
        "</tr>"
    )


def _stories(stories: Sequence[Story], limit: int) -> str:
    if not stories:
        return "<p>No stories in this period.</p>"
    rows = "".join(_story_row(story) for story in stories[:limit])
    more = (
        f'<p class="why">{len(stories) - limit} smaller stories not shown.</p>'
        if len(stories) > limit
        else ""
    )
    return (
        '<table class="stories"><thead><tr><th>Story (link) and why</th><th class="n">Sources'
        '</th><th>First seen (UTC)</th><th>Entities</th><th class="n">Score</th></tr></thead>'
        f"<tbody>{rows}</tbody></table>{more}"
    )


def _pair_change(pair: Pair) -> str:
    if pair.previous == 0:
        return '<span class="up">new</span>'
    change = pair.change or 0.0
    css = "up" if change > 0 else ("down" if change < 0 else "")
    return f'<span class="{css}">{change:+.0%}</span>'


def _pair_stories(pair: Pair) -> str:
    if not pair.stories:
        return "–"
    shown = []
    for story in pair.stories:
        link = safe_link(story.link)
        title = _e(shorten(story.title, 120))
        shown.append(
            f'<li><a href="{_e(link)}" rel="noopener noreferrer">{title}</a></li>'
            if link
            else f"<li>{title}</li>"
        )
    return f"<ol>{''.join(shown)}</ol>"


def _network(briefing: Briefing) -> str:
    """The network picture (a wide and a phone-sized drawing, CSS shows one) and the table of
    the top pairs with their change and stories."""
    if not briefing.pairs:
        return "<p>No two actors worked together in this period.</p>"
    figure = (
        '<figure class="net" id="network">'
        f'<div class="wide">{network_svg(briefing, WIDE)}</div>'
        f'<div class="narrow">{network_svg(briefing, NARROW)}</div>'
        f'<figcaption class="why">{legend()}</figcaption></figure>'
    )
    rows = "".join(
        "<tr>"
        f'<td data-label="Pair"><b>{_e(pair.label)}</b></td>'
        f'<td class="n" data-label="Items">{pair.items}</td>'
        f'<td class="n" data-label="Previous">{pair.previous}</td>'
        f'<td class="n" data-label="Change">{_pair_change(pair)}</td>'
        f'<td data-label="Stories">{_pair_stories(pair)}</td>'
        "</tr>"
        for pair in briefing.pairs[:TOP_PAIRS]
    )
    more = (
        f'<p class="why">{len(briefing.pairs) - TOP_PAIRS} more pairs in the JSON report.</p>'
        if len(briefing.pairs) > TOP_PAIRS
        else ""
    )
    return (
        f"{figure}"
        f'<table class="pairs"><thead><tr><th>Pair</th><th class="n">Items</th><th class="n">'
        f'Previous {briefing.days} days</th><th class="n">Change</th><th>Top stories</th></tr>'
        f"</thead><tbody>{rows}</tbody></table>{more}"
    )


def _counts(title: str, counts: Sequence[Count]) -> str:
    rows = (
        "".join(f'<tr><td>{_e(c.name)}</td><td class="n">{c.count}</td></tr>' for c in counts)
        or '<tr><td colspan="2">none</td></tr>'
    )
    return (
        f'<section><h2>{_e(title)}</h2><table><thead><tr><th>Name</th><th class="n">Items'
        f"</th></tr></thead><tbody>{rows}</tbody></table></section>"
    )


def _health(sources: Sequence[SourceActivity]) -> str:
    if not sources:
        return "<p>No sources.</p>"
    rows = "".join(
        "<tr>"
        f"<td>{_e(s.name)}</td>"
        f'<td class="n">{s.matches}</td>'
        f'<td class="{"bad" if s.state != "ok" else ""}">{_e(s.state)}'
        f"{f' ({s.failures} failures)' if s.failures else ''}</td>"
        f"<td>{_e(_when(s.last_success_at))}</td>"
        f'<td class="why">{_e(shorten(s.last_error or "", 140))}</td>'
        "</tr>"
        for s in sources
    )
    return (
        '<table><thead><tr><th>Source</th><th class="n">Matched</th><th>State</th>'
        f"<th>Last success</th><th>Last error</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def report_html(briefing: Briefing, *, generated_at: datetime, story_limit: int = 100) -> str:
    """The whole report page as one string."""
    start, end = briefing.period.start, briefing.period.end
    topics = ", ".join(briefing.topics) or "all topics"
    places = f" · Places: {', '.join(briefing.places)}" if briefing.places else ""
    title = f"narcowatch briefing {start:%Y-%m-%d} – {end:%Y-%m-%d}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{CSS}</style></head><body><main>"
        # Dates kept whole: a phone would otherwise break "2026-11-" from "28".
        f'<h1>narcowatch briefing <span class="nw">{start:%Y-%m-%d}</span> – '
        f'<span class="nw">{end:%Y-%m-%d}</span></h1>'
        f'<p class="sub">Topics: {_e(topics)}{_e(places)} · {_e(change_text(briefing))}</p>'
        f"{_cards(briefing)}"
        f"<h2>At a glance</h2>{_charts(briefing)}"
        f"<h2>Who worked with whom</h2>{_network(briefing)}"
        f"<h2>Stories, most widely carried first</h2>{_stories(briefing.stories, story_limit)}"
        '<div class="pair">'
        f"{_counts('Countries', briefing.countries)}"
        f"{_counts('Organisations', briefing.organisations)}"
        "</div>"
        f"<h2>Source health</h2>{_health(briefing.source_health)}"
        f"<footer>Made by narcowatch at {_e(_when(generated_at))}.</footer>"
        "</main></body></html>\n"
    )
