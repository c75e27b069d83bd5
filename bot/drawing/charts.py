"""The briefing's charts with matplotlib (Agg, no pyplot): one tall PNG for phones, SVGs for pages.

matplotlib is imported inside the functions: `narcowatch` commands that draw nothing must not
pay its import time (about half a second) at start-up.
"""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from bot.briefing.build import change_text
from bot.briefing.model import Briefing, Count

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PNG_WIDTH_IN = 7.2
PNG_HEIGHT_IN = 13.2
PNG_DPI = 150
PNG_SIZE = (round(PNG_WIDTH_IN * PNG_DPI), round(PNG_HEIGHT_IN * PNG_DPI))
"""1080 x 1980 pixels: Telegram shows a photo this shape full width on a phone, unscaled."""

BAR = "#2f6db5"
BAR_LIGHT = "#8fb3de"
INK = "#1d2733"
MUTED = "#5b6776"
GRID = "#dfe4ea"
LABEL_CHARS = 34
PAIR_NAME_CHARS = 16
FONTS = ["DejaVu Sans", "Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei"]
"""Fallback chain: a CJK font, when the machine has one, draws Chinese source names."""

CHARTS = ("per_day", "countries", "organisations", "sources")
PNG_CHARTS = (*CHARTS, "pairs")
"""The picture also has the top pairs; the report draws them as a network instead."""
TITLES = {
    "per_day": "Matched items per day",
    "countries": "Top countries",
    "organisations": "Top organisations",
    "sources": "Busiest sources",
    "pairs": "Who worked with whom (items together)",
}


def _style() -> dict[Any, Any]:
    return {
        "font.family": "sans-serif",
        "font.sans-serif": FONTS,
        "svg.fonttype": "none",  # text stays text in SVG: small, sharp, searchable
        "svg.hashsalt": "narcowatch",  # stable element ids, so reports diff cleanly
        # Names come from feeds (a source's title): a "$" must not switch on mathtext, nor a
        # local matplotlibrc hand them to LaTeX. Every text in our charts is plain text.
        "text.parse_math": False,
        "text.usetex": False,
        "axes.edgecolor": GRID,
        "axes.labelcolor": INK,
        "text.color": INK,
        "xtick.color": MUTED,
        "ytick.color": INK,
    }


def _label(name: str) -> str:
    """A feed-given name on one line: control characters and line breaks become spaces."""
    flat = " ".join("".join(" " if _is_control(ch) else ch for ch in name).split())
    return flat if len(flat) <= LABEL_CHARS else flat[: LABEL_CHARS - 1] + "…"


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp")


def draw_per_day(ax: Axes, briefing: Briefing, *, size: float) -> None:
    """Bars of matched items per local day, a few dates labelled."""
    days = [day for day, _n in briefing.per_day]
    counts = [n for _day, n in briefing.per_day]
    ax.bar(range(len(counts)), counts, color=BAR, width=0.8 if len(counts) < 40 else 1.0)
    step = max(1, len(days) // 6)
    ticks = list(range(0, len(days), step))
    fmt = "%a %d" if len(days) <= 8 else "%d %b"
    ax.set_xticks(ticks, [days[i].strftime(fmt) for i in ticks], fontsize=size * 0.8)
    ax.set_xlim(-0.6, len(days) - 0.4)
    ax.tick_params(axis="y", labelsize=size * 0.8, colors=MUTED)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if not any(counts):
        ax.set_ylim(0, 1)
        ax.text(
            0.5,
            0.5,
            "nothing matched",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=size,
            color=MUTED,
        )


def draw_ranking(ax: Axes, counts: Sequence[Count], *, size: float, limit: int = 5) -> None:
    """Horizontal bars, largest on top, each with its count at the end."""
    shown = list(counts[:limit])
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xticks([])
    if not shown:
        ax.set_yticks([])
        ax.spines["left"].set_visible(False)
        ax.text(
            0.5,
            0.5,
            "none",
            transform=ax.transAxes,
            ha="center",
            va="center",
            fontsize=size,
            color=MUTED,
        )
        return
    # Largest on top, and the bars start at the top when there are fewer than `limit`. Each
    # name sits above its bar, full width: long names stay readable on a phone.
    positions = [limit - 1 - n for n in range(len(shown))]
    values = [c.count for c in shown]
    colours = [BAR] + [BAR_LIGHT] * (len(shown) - 1)
    ax.barh([y - 0.22 for y in positions], values, color=colours, height=0.3)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    top = max(values)
    ax.set_xlim(0, top)
    ax.set_ylim(-0.45, limit - 0.25)
    for y, shown_count in zip(positions, shown, strict=True):
        # Name on the left and count on the right, on one line above the bar: neither
        # runs into the other however long the name or short the bar.
        ax.text(
            0,
            y - 0.02,
            _label(shown_count.name),
            va="bottom",
            ha="left",
            fontsize=size,
            color=INK,
            parse_math=False,
        )
        ax.text(
            top,
            y - 0.02,
            str(shown_count.count),
            va="bottom",
            ha="right",
            fontsize=size,
            color=INK,
            fontweight="bold",
        )


def _heading(briefing: Briefing) -> tuple[str, str]:
    start = briefing.period.start
    end = briefing.period.end
    span = f"{start:%d %b} – {end:%d %b %Y}"
    stories = f" · {len(briefing.stories)} stories" if briefing.stories else ""
    places = f" · in {_label(', '.join(briefing.places))}" if briefing.places else ""
    return (
        f"{briefing.total} matched items{stories}{places}",
        f"{span} · {change_text(briefing)}",
    )


def _figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=PNG_DPI, facecolor="white")


def _draw(briefing: Briefing, name: str, ax: Axes, size: float) -> None:
    if name == "per_day":
        draw_per_day(ax, briefing, size=size)
    elif name == "pairs":
        from bot.drawing.network import short_name

        named = [
            Count(
                f"{short_name(p.a, PAIR_NAME_CHARS)} – {short_name(p.b, PAIR_NAME_CHARS)}", p.items
            )
            for p in briefing.pairs
        ]
        draw_ranking(ax, named, size=size)
    else:
        draw_ranking(ax, getattr(briefing, name), size=size)


def briefing_png(briefing: Briefing) -> bytes:
    """One column, large type: the five charts under a two-line heading, as a PNG."""
    import matplotlib

    with warnings.catch_warnings(), matplotlib.rc_context(_style()):
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        fig = _figure(PNG_WIDTH_IN, PNG_HEIGHT_IN)
        grid = fig.add_gridspec(
            len(PNG_CHARTS),
            1,
            height_ratios=[1.1, 1, 1, 1, 1],
            left=0.07,
            right=0.96,
            top=0.895,
            bottom=0.015,
            hspace=0.38,
        )
        first, second = _heading(briefing)
        fig.text(0.04, 0.973, first, fontsize=20, fontweight="bold", va="top")
        fig.text(0.04, 0.943, second, fontsize=13, color=MUTED, va="top")
        for row, name in enumerate(PNG_CHARTS):
            ax = fig.add_subplot(grid[row])
            ax.set_title(TITLES[name], loc="left", fontsize=15, fontweight="bold", pad=8)
            _draw(briefing, name, ax, size=13)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=PNG_DPI, facecolor="white")
    return buffer.getvalue()


def chart_svgs(briefing: Briefing) -> dict[str, str]:
    """Each chart as inline SVG markup (no XML prolog, no metadata, nothing to fetch)."""
    import matplotlib

    found: dict[str, str] = {}
    with warnings.catch_warnings(), matplotlib.rc_context(_style()):
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        for name in CHARTS:
            wide = name == "per_day"
            fig = _figure(5.0, 2.2) if wide else _figure(3.6, 3.0)
            ax = fig.add_subplot()
            fig.subplots_adjust(left=0.09 if wide else 0.03, right=0.97, top=0.97, bottom=0.14)
            _draw(briefing, name, ax, size=11)
            buffer = io.StringIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None}, facecolor="white")
            found[name] = inline_svg(buffer.getvalue(), prefix=name)
    return found


def inline_svg(svg: str, *, prefix: str) -> str:
    """SVG for embedding in HTML: from `<svg` on, metadata dropped, scaled by its viewBox,
    and its ids prefixed (matplotlib names every figure "figure_1": one page holds four)."""
    body = svg[svg.index("<svg") :]
    body = re.sub(r"<metadata>.*?</metadata>\s*", "", body, flags=re.DOTALL)
    body = re.sub(r'\s(width|height)="[^"]*pt"', "", body, count=2)
    body = re.sub(r'\bid="([^"]+)"', rf'id="{prefix}-\1"', body)
    body = re.sub(r"url\(#([^)]+)\)", rf"url(#{prefix}-\1)", body)
    body = re.sub(r'href="#([^"]+)"', rf'href="#{prefix}-\1"', body)
    return body.replace("<svg ", '<svg role="img" ', 1)
