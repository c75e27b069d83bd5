"""Draw the README's alert picture: a real alert, as narcowatch renders it, in a chat bubble.

Run: .venv/bin/python docs/make_alert_picture.py   (writes docs/img/alert.png)

The item is the opening of the first seed document (seeds/chinadaily-sco-anti-drug-agency.txt),
with a headline written for it, the site's address and a demo date (the seed has none of them).
The default topic's matcher scores it and `bot.core.render.render_alert` writes the message,
the same HTML and buttons the daemon sends; this script only lays that HTML out as Telegram's
light theme shows it (bold, italic, links, code), with the DejaVu fonts matplotlib ships.
Characters the font lacks (the emoji on the buttons) are left out of the picture.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import matplotlib  # noqa: E402
from fontTools.ttLib import TTFont  # noqa: E402
from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from bot.core.models import Item  # noqa: E402
from bot.core.render import AlertView, render_alert  # noqa: E402
from bot.matching import compile_topics, load_topics  # noqa: E402

TOPIC_FILE = ROOT / "config" / "topics" / "drug-control-cooperation.yaml"
SEED = ROOT / "seeds" / "chinadaily-sco-anti-drug-agency.txt"
OUT = ROOT / "docs" / "img" / "alert.png"
FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"

SCALE = 2
WIDTH = 430 * SCALE  # the bubble, about a phone's chat column
PAD = 12 * SCALE
SIZE = 14 * SCALE
LINE = 20 * SCALE
INK, LINK, CODE_BG = (0, 0, 0), (22, 111, 204), (232, 236, 240)
BACKGROUND, BUBBLE, BUTTON = (212, 226, 200), (255, 255, 255), (120, 150, 110)


@dataclass(frozen=True)
class Run:
    """A piece of text in one style."""

    text: str
    bold: bool = False
    italic: bool = False
    link: bool = False
    code: bool = False


class Runs(HTMLParser):
    """Telegram's HTML subset (b, i, a, code) as styled runs, newlines kept."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.runs: list[Run] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.open:
            self.open.remove(tag)

    def handle_data(self, data: str) -> None:
        tags = set(self.open)
        self.runs.append(Run(data, "b" in tags, "i" in tags, "a" in tags, "code" in tags))


def font(run: Run) -> ImageFont.FreeTypeFont:
    name = {
        (False, False): "DejaVuSans.ttf",
        (True, False): "DejaVuSans-Bold.ttf",
        (False, True): "DejaVuSans-Oblique.ttf",
        (True, True): "DejaVuSans-BoldOblique.ttf",
    }[(run.bold, run.italic)]
    if run.code:
        name = "DejaVuSansMono.ttf"
    return ImageFont.truetype(str(FONTS / name), SIZE)


def drawable(text: str) -> str:
    """`text` without the characters DejaVu Sans has no glyph for (colour emoji)."""
    cmap = TTFont(str(FONTS / "DejaVuSans.ttf"))["cmap"].getBestCmap()
    return "".join(ch for ch in text if ord(ch) in cmap or ch == "\n")


def layout(runs: list[Run], width: int) -> list[list[tuple[Run, str]]]:
    """Lines of (run, word) pieces wrapped at `width` pixels; newlines start a new line."""
    lines: list[list[tuple[Run, str]]] = [[]]  # an empty line is a blank line
    x = 0
    for run in runs:
        for n, paragraph in enumerate(drawable(run.text).split("\n")):
            if n:
                lines.append([])
                x = 0
            for word in paragraph.split(" "):
                piece = (word + " ") if word else ""
                if not piece:
                    continue
                w = font(run).getlength(piece)
                if x + w > width and lines[-1]:
                    lines.append([])
                    x = 0
                lines[-1].append((run, piece))
                x += w
    return lines


def alert_html() -> tuple[str, list[list[str]]]:
    """The rendered alert for the seed's opening, and its button labels."""
    text = SEED.read_text(encoding="utf-8").split("\n")
    item = Item(
        title="China to push for SCO anti-drug agency to fight cross-border trafficking",
        summary=" ".join(text[:2]),
        link="https://www.chinadaily.com.cn/",  # the seed has no address or date: demo values
        published=datetime(2026, 11, 28, 9, 40, tzinfo=UTC),
        lang="en",
    )
    matcher = compile_topics(load_topics([TOPIC_FILE], env=os.environ))
    score = next(s for s in matcher.score(item) if s.matched)
    view = AlertView(
        alert_id=4182,
        match_id=1,
        source_id=1,
        title=item.title,
        link=item.link,
        sources=("China Daily",),
        published=item.published,
        score=score,
        excerpt=item.summary,
    )
    rendered = render_alert(view)
    return rendered.html, [[drawable(b.text).strip() for b in row] for row in rendered.buttons]


def main() -> int:
    html, buttons = alert_html()
    parser = Runs()
    parser.feed(html)
    lines = layout(parser.runs, WIDTH - 2 * PAD)
    button_h = 36 * SCALE
    bubble_h = PAD * 2 + LINE * len(lines)
    height = PAD + bubble_h + (button_h + 4 * SCALE) * len(buttons) + PAD
    image = Image.new("RGB", (WIDTH + 2 * PAD, height), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((PAD, PAD, PAD + WIDTH, PAD + bubble_h), radius=12 * SCALE, fill=BUBBLE)
    y = PAD * 2
    for line in lines:
        x = PAD * 2
        for run, piece in line:
            face = font(run)
            w = face.getlength(piece)
            if run.code:
                draw.rounded_rectangle(
                    (x - 2, y, x + face.getlength(piece.rstrip()) + 2, y + LINE - 2 * SCALE),
                    radius=3 * SCALE,
                    fill=CODE_BG,
                )
            draw.text((x, y), piece, font=face, fill=LINK if run.link else INK)
            x += w
        y += LINE
    y = PAD + bubble_h + 4 * SCALE
    label = ImageFont.truetype(str(FONTS / "DejaVuSans-Bold.ttf"), 13 * SCALE)
    for row in buttons:
        gap = 4 * SCALE
        w = (WIDTH - gap * (len(row) - 1)) / len(row)
        for n, text in enumerate(row):
            left = PAD + n * (w + gap)
            draw.rounded_rectangle((left, y, left + w, y + button_h), radius=8 * SCALE, fill=BUTTON)
            draw.text(
                (left + w / 2, y + button_h / 2),
                text,
                font=label,
                fill=(255, 255, 255),
                anchor="mm",
            )
        y += button_h + 4 * SCALE
    image = image.resize((image.width // SCALE, image.height // SCALE), Image.Resampling.LANCZOS)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    image.save(OUT, optimize=True)
    print(f"{OUT.relative_to(ROOT)}: {image.size}, {OUT.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
