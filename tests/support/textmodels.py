"""Small topics with text models for tests: the model trained in the test from a few phrases
(12 feature bits), written beside a topic file that names it."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

from bot.core.models import Item
from bot.matching.normalize import fold_item
from bot.matching.textfeatures import text_features
from bot.matching.textmodel import encode
from bot.matching.training import Example, fit

BITS = 12

# Two required groups: an item with only the drug side is cut by the gate (x0.5).
GATED_TOPIC = """\
id: smuggling
title: Smuggling cooperation   # a small topic with two required groups
threshold: 0.5                 # where an item matches
missing_required_factor: 0.5   # the soft gate
groups:
  drugs:
    weight: 0.5
    terms:
      en: [heroin, cocaine]
      ru: [героин*]
  cooperation:
    weight: 0.5
    terms:
      en: [jointly, cooperation]
      ru: [совместн*]
required: [drugs, cooperation]
"""

# Words the text model learns: meeting counterparts is relevant, a farmer's find is not.
CITIES = ("Vientiane", "Bangkok", "Yangon", "Hanoi", "Manila", "Jakarta", "Dhaka", "Kabul")
RELEVANT = tuple(f"Heroin talks with counterparts in {city}" for city in CITIES)
UNRELATED = tuple(f"Heroin found by a farmer near {city}" for city in CITIES)


def train_model(
    relevant: Sequence[str] = RELEVANT, unrelated: Sequence[str] = UNRELATED, *, bits: int = BITS
) -> bytes:
    """The `.npz` bytes of a model fitted to titles of relevant and unrelated items."""
    examples = [
        Example(text_features(fold_item(Item(title=t)).text, bits=bits), label)
        for label, titles in ((1, relevant), (0, unrelated))
        for t in titles
    ]
    fitted = fit(examples, bits=bits)
    return encode(fitted.bits, fitted.bias, fitted.weights)


def write_model_topic(
    folder: Path,
    *,
    model: bytes | None = None,
    weight: float = 0.6,
    checksum: bool = True,
    topic: str = GATED_TOPIC,
) -> Path:
    """`folder/smuggling.yaml` naming `models/smuggling.npz` (written too) with its sha256."""
    data = train_model() if model is None else model
    (folder / "models").mkdir(parents=True, exist_ok=True)
    (folder / "models" / "smuggling.npz").write_bytes(data)
    block = f"model:\n  file: models/smuggling.npz\n  weight: {weight}\n"
    if checksum:
        block += f"  sha256: {hashlib.sha256(data).hexdigest()}\n"
    path = folder / "smuggling.yaml"
    path.write_text(topic + block, encoding="utf-8")
    return path


def line_of(path: Path, start: str) -> int:
    """The 1-based number of the first line of `path` that starts with `start` (indent kept)."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith(start):
            return number
    raise AssertionError(f"no line starting {start!r} in {path}")
