"""Hashed text features: the same in every process, each pointing at its phrase, bounded in
cost and memory, and robust to text no feed should send."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc

import numpy as np

from bot.matching.textfeatures import MAX_CHARS, STEM, TextFeatures, text_features
from tests.support.cli import REPO

TEXTS = [
    "anti drug chiefs meet in bangkok to discuss cross border trafficking.",
    "中国与老挝禁毒合作",
    "полиция таджикистана и россии провела совместную операцию",
    "",
]


def phrases(text: str, found: TextFeatures) -> list[str]:
    return [text[s:e] for s, e in zip(found.starts.tolist(), found.stops.tolist(), strict=True)]


def test_features_are_the_same_in_another_process_with_another_hash_seed() -> None:
    """Buckets come from arithmetic on code points, not Python's salted hash: a subprocess
    with another PYTHONHASHSEED finds the very same ids."""
    here = [text_features(t, bits=18).ids.tolist() for t in TEXTS]
    script = (
        "import json, sys\n"
        "from bot.matching.textfeatures import text_features\n"
        "texts = json.loads(sys.stdin.read())\n"
        "print(json.dumps([text_features(t, bits=18).ids.tolist() for t in texts]))\n"
    )
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script],
            input=json.dumps(TEXTS),
            capture_output=True,
            text=True,
            cwd=REPO,
            env=env,
            timeout=60,
            check=True,
        )
        assert json.loads(done.stdout) == here
    assert any(here)  # the texts do have features


def test_each_feature_points_at_its_words_and_pairs() -> None:
    """A word points at itself and a pair of words at both, with what lies between."""
    text = "anti drug chiefs meet"
    found = text_features(text, bits=12)
    shown = phrases(text, found)
    assert shown == ["anti", "drug", "chiefs", "meet", "anti drug", "drug chiefs", "chiefs meet"]
    assert found.ids.min() >= 0
    assert found.ids.max() < 2**12


def test_a_long_word_also_counts_by_its_stem_shown_as_the_whole_word() -> None:
    """A word longer than STEM letters has a second feature (its first letters) that points
    at the whole word, and the stem is shared with the word's other endings."""
    text = "trafficking trafficked"
    found = text_features(text, bits=18)
    shown = phrases(text, found)
    assert shown.count("trafficking") == 2
    assert shown.count("trafficked") == 2
    ids = found.ids.tolist()
    word_ids = ids[:2]
    stem_ids = ids[2:4]
    assert stem_ids[0] == stem_ids[1]  # "traffi": one stem for both
    assert word_ids[0] != word_ids[1]
    assert len("trafficking") > STEM
    assert phrases("drugs meet", text_features("drugs meet", bits=12)) == [
        "drugs",
        "meet",
        "drugs meet",
    ]  # words of STEM letters or fewer have no stem


def test_chinese_text_counts_by_pairs_of_characters() -> None:
    """Chinese has no spaces: each two neighbouring characters are a feature, pointing at them."""
    text = "中国禁毒合作"
    assert phrases(text, text_features(text, bits=12)) == ["中国", "国禁", "禁毒", "毒合", "合作"]


def test_empty_text_has_no_features_and_weighs_nothing() -> None:
    """No words, no features, and an occurrence value of 0 (no division by zero)."""
    for text in ("", "   ", "!!! ... ???"):
        found = text_features(text, bits=12)
        assert len(found.ids) == len(found.starts) == len(found.stops) == 0
        assert found.value == 0.0


def test_text_beyond_max_chars_costs_nothing_more() -> None:
    """Only the first MAX_CHARS characters are read: a megabyte yields exactly the features
    of its beginning."""
    unit = "heroin seized near the border by police of two countries "
    text = unit * (3 * MAX_CHARS // len(unit))
    assert len(text) > 2 * MAX_CHARS
    whole = text_features(text, bits=18)
    start = text_features(text[:MAX_CHARS], bits=18)
    assert np.array_equal(whole.ids, start.ids)
    assert np.array_equal(whole.starts, start.starts)
    assert np.array_equal(whole.stops, start.stops)
    assert whole.stops.max() <= MAX_CHARS


def test_lone_surrogates_and_astral_characters_do_not_crash() -> None:
    """Broken UTF-16 from a feed (a lone surrogate) and characters beyond the BMP separate
    words; the words around them still count."""
    text = "heroin\ud800seized \udfff police 😀 border\U0002a6a5customs"
    found = text_features(text, bits=12)
    assert {"heroin", "seized", "police", "border", "customs"} <= set(phrases(text, found))


def test_texts_of_every_length_hold_no_memory_per_length() -> None:
    """Featurising items of a thousand different lengths keeps no table per length (a cache
    per length grew to tens of megabytes; a daemon sees every length)."""
    text_features("warm up", bits=12)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(1000, 2500):
            text_features("w" * n, bits=12)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert held < 1_000_000, f"{held:,} bytes held after 1,500 lengths"
