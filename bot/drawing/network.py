"""Who worked with whom, drawn: actors round an ellipse, pairs as curves, as inline SVG.

Written by hand rather than with matplotlib: a network is circles, curves and labels, and the
SVG stays small and sharp. The layout is circular and deterministic: actors are placed by
their UN M49 area (neighbours side by side, international bodies together at the end), each
sized by its items; a curve's width is the items the two acted in together, and the
strongest curves carry their number. Names go outside the ellipse, so they never cover a
curve. Every text is escaped (body and country names come from topic files and tables, but
nothing drawn here is trusted).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from bot.briefing.model import Briefing, Pair
from bot.places.table import actor_name, area_rank, places_by_key

COUNTRY_FILL = "#2f6db5"
BODY_FILL = "#d9822b"
EDGE = "#2f6db5"
INK = "#1d2733"
MUTED = "#5b6776"
EDGES_PER_NODE = 2
"""At most twice as many curves as actors: the strongest; the rest is in the table."""


@dataclass(frozen=True, slots=True)
class Frame:
    """One size of the picture: its box, how many actors fit, type size, labelled curves."""

    width: int
    height: int
    nodes: int
    font: float
    label_chars: int
    labelled_edges: int
    rx: float
    ry: float


WIDE = Frame(800, 470, 18, 13.0, 20, 5, 235.0, 175.0)
"""Pages and A4: 18 actors, names up to 20 characters."""
NARROW = Frame(420, 470, 10, 15.0, 13, 3, 112.0, 175.0)
"""Phones: 10 actors, larger type, short names."""


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def short_name(actor: str, limit: int) -> str:
    """A label that fits: a body's acronym ("Shanghai Cooperation Organisation": SCO), a
    country's name cut with an ellipsis."""
    name = actor_name(actor)
    if len(name) <= limit:
        return name
    if actor not in places_by_key():
        first = name.split()[0]
        if first.isupper() and len(first) > 1:
            return first[:limit]
        initials = "".join(w[0] for w in name.split() if w[0].isupper())
        if len(initials) >= 2:
            return initials[:limit]
    return name[: limit - 1] + "…"


def pick(pairs: Sequence[Pair], limit: int) -> tuple[list[str], list[Pair]]:
    """The actors of the strongest pairs (at most `limit`), and the strongest pairs among
    them (pairs come most items first)."""
    chosen: list[str] = []
    for pair in pairs:
        new = [a for a in (pair.a, pair.b) if a not in chosen]
        if len(chosen) + len(new) <= limit:
            chosen.extend(new)
        if len(chosen) >= limit:
            break
    kept = set(chosen)
    among = [p for p in pairs if p.a in kept and p.b in kept]
    return chosen, among[: limit * EDGES_PER_NODE]


def _order(actors: Sequence[str], items: dict[str, int]) -> list[str]:
    return sorted(actors, key=lambda a: (area_rank(a), -items.get(a, 0), actor_name(a)))


def network_svg(briefing: Briefing, frame: Frame = WIDE) -> str:
    """The period's network as one `<svg>` element (no ids, nothing to fetch)."""
    head = (
        f'<svg role="img" viewBox="0 0 {frame.width} {frame.height}" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui,-apple-system,Segoe UI,'
        f'Roboto,Noto Sans,Arial,sans-serif" font-size="{frame.font:g}">'
        f"<title>Who worked with whom: {len(briefing.pairs)} pairs of actors</title>"
    )
    actors, pairs = pick(briefing.pairs, frame.nodes)
    if not pairs:
        return (
            f'{head}<text x="{frame.width / 2:g}" y="{frame.height / 2:g}" text-anchor="middle" '
            f'fill="{MUTED}">No two actors worked together in this period.</text></svg>'
        )
    items = {actor.key: actor.items for actor in briefing.actors}
    placed = _positions(_order(actors, items), frame)
    parts = [head, _edges(pairs, placed, frame), _nodes(placed, items, frame), "</svg>"]
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class _Spot:
    x: float
    y: float
    angle: float


def _positions(actors: Sequence[str], frame: Frame) -> dict[str, _Spot]:
    cx, cy = frame.width / 2, frame.height / 2
    count = len(actors)
    found = {}
    for n, actor in enumerate(actors):
        # From the top, clockwise; a quarter step off the vertical keeps names off each other.
        angle = -math.pi / 2 + 2 * math.pi * (n + 0.25) / count
        found[actor] = _Spot(
            cx + frame.rx * math.cos(angle), cy + frame.ry * math.sin(angle), angle
        )
    return found


def _edges(pairs: Sequence[Pair], placed: dict[str, _Spot], frame: Frame) -> str:
    cx, cy = frame.width / 2, frame.height / 2
    strongest = max(p.items for p in pairs)
    parts: list[str] = []
    labels: list[str] = []
    # Weakest first, so the strong curves lie on top.
    for rank, pair in sorted(enumerate(pairs), key=lambda r: (r[1].items, -r[0])):
        a, b = placed[pair.a], placed[pair.b]
        # A curve bent toward the centre: chords through the middle stay apart.
        qx, qy = cx + ((a.x + b.x) / 2 - cx) * 0.3, cy + ((a.y + b.y) / 2 - cy) * 0.3
        share = pair.items / strongest
        width = 1.2 + 7.0 * share
        opacity = 0.25 + 0.55 * share
        parts.append(
            f'<path d="M{a.x:.1f},{a.y:.1f} Q{qx:.1f},{qy:.1f} {b.x:.1f},{b.y:.1f}" fill="none" '
            f'stroke="{EDGE}" stroke-width="{width:.1f}" stroke-opacity="{opacity:.2f}" '
            f'stroke-linecap="round"><title>{_e(pair.label)}: {pair.items} items</title></path>'
        )
        if rank < frame.labelled_edges:
            mx, my = 0.25 * a.x + 0.5 * qx + 0.25 * b.x, 0.25 * a.y + 0.5 * qy + 0.25 * b.y
            labels.append(
                f'<text x="{mx:.1f}" y="{my + frame.font * 0.35:.1f}" text-anchor="middle" '
                f'font-weight="700" fill="{INK}" stroke="#fff" stroke-width="4" '
                f'paint-order="stroke">{pair.items}</text>'
            )
    return "".join(parts + labels)


def _nodes(placed: dict[str, _Spot], items: dict[str, int], frame: Frame) -> str:
    most = max((items.get(actor, 0) for actor in placed), default=1) or 1
    parts = []
    for actor, spot in placed.items():
        count = items.get(actor, 0)
        radius = 4.0 + 14.0 * math.sqrt(count / most)
        fill = COUNTRY_FILL if actor in places_by_key() else BODY_FILL
        cos, sin = math.cos(spot.angle), math.sin(spot.angle)
        anchor = "start" if cos > 0.2 else ("end" if cos < -0.2 else "middle")
        gap = radius + 5
        lx, ly = spot.x + gap * cos, spot.y + gap * sin + frame.font * 0.35
        if anchor == "middle":
            ly += (frame.font * 0.5) * (1 if sin > 0 else -1)
        name = actor_name(actor)
        parts.append(
            f"<g><title>{_e(name)}: {count} items</title>"
            f'<circle cx="{spot.x:.1f}" cy="{spot.y:.1f}" r="{radius:.1f}" fill="{fill}" '
            f'stroke="#fff" stroke-width="1.5"/>'
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" fill="{INK}">'
            f"{_e(short_name(actor, frame.label_chars))}</text></g>"
        )
    return "".join(parts)


def legend() -> str:
    """One line saying how to read the picture."""
    return (
        "Circle area: items in which the actor acted; line width: items in which the two "
        f'acted together (the strongest numbered). <span style="color:{BODY_FILL}">●</span> '
        "international bodies."
    )
