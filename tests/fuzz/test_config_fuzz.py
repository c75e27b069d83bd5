"""Property tests of config, topic and OPML loading: a value or the project's own error."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.opml import parse_opml, plan_import
from bot.errors import NarcowatchError
from bot.matching import load_topic
from bot.settings.loader import load_settings
from tests.fuzz.strategies import NASTY, hostile_text
from tests.support.cli import DEFAULT_TOPIC

CONFIG_KEYS = [
    "database_url",
    "telegram",
    "token",
    "admins",
    "allow_private_sources",
    "polling",
    "interval",
    "timeout",
    "max_bytes",
    "concurrency",
    "sources",
    "name",
    "url",
    "type",
    "topics",
    "selectors",
    "item",
    "title",
    "health",
    "listen",
    "id",
    "threshold",
    "groups",
    "terms",
    "en",
    "zh",
    "ru",
    "weight",
    "required",
    "exclude",
    "entities",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    hostile_text,
    st.sampled_from(
        ["5m", "9" * 400 + "h", "1e999", "5MB", "9" * 400 + "GB", "${HOME}", "${X:-y}"]
    ),
    st.sampled_from(
        ["https://x.example/feed", "http://[::1/", "sqlite:///x.db", "127.0.0.1:99999"]
    ),
)
documents = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(CONFIG_KEYS) | hostile_text, children, max_size=5)
    ),
    max_leaves=25,
)
yaml_texts = st.one_of(
    documents.map(lambda doc: yaml.safe_dump(doc, allow_unicode=True)),
    st.lists(
        hostile_text
        | st.sampled_from(["&a", "*a", "<<:", ": ", "- ", "\n", "  ", "!!python/object"]),
        max_size=15,
    ).map("".join),
)


def check_loading(
    load: Callable[[Path], Any], texts: st.SearchStrategy[str], examples: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "fuzz.yaml"

        @given(texts)
        @settings(max_examples=examples)
        def check(text: str) -> None:
            path.write_bytes(text.encode("utf-8", "surrogatepass"))
            with contextlib.suppress(NarcowatchError):
                load(path)

        check()


def test_any_config_file_loads_or_gives_config_errors() -> None:
    """Random YAML trees over the real keys, and YAML-ish noise: Settings or a ConfigError."""
    check_loading(lambda path: load_settings(path, env={}), yaml_texts, 80)


def mutated_topic(original: dict[str, Any]) -> st.SearchStrategy[str]:
    def mutate(doc: dict[str, Any], key: str, value: Any) -> str:
        return yaml.safe_dump({**doc, key: value}, allow_unicode=True)

    return st.builds(mutate, st.just(original), st.sampled_from(sorted(original)), documents)


def test_any_topic_file_loads_or_gives_config_errors() -> None:
    """The default topic with one key replaced by anything: a topic or a ConfigError."""
    original = yaml.safe_load(DEFAULT_TOPIC.read_text(encoding="utf-8"))
    check_loading(lambda path: load_topic(path, env={}), mutated_topic(original), 6)


@st.composite
def opml_documents(draw: st.DrawFn) -> bytes:
    outlines = draw(
        st.lists(
            st.tuples(
                hostile_text,
                st.one_of(
                    hostile_text,
                    st.sampled_from(NASTY),
                    st.sampled_from(
                        ["http://[::1/feed", "https://x.example:99999/", "https://x.example/f"]
                    ),
                ),
                st.sampled_from(["rss", "atom", "", "html"]),
            ),
            max_size=5,
        )
    )
    body = "".join(
        f"<outline text={quoteattr(text)} type={quoteattr(kind)} xmlUrl={quoteattr(url)}"
        ' narcowatch:interval="' + draw(st.sampled_from(["1h", "9" * 400 + "h", "x"])) + '"/>'
        for text, url, kind in outlines
    )
    text = (
        '<?xml version="1.0" encoding="UTF-8"?><opml version="2.0" '
        'xmlns:narcowatch="https://github.com/narcowatch/narcowatch/opml"><body>'
        f"{body}</body></opml>"
    )
    return text.encode("utf-8", "surrogatepass")


@given(opml_documents() | st.binary(max_size=512))
def test_any_opml_file_is_read_or_refused_with_a_line(data: bytes) -> None:
    """OPML with hostile names and URLs: each outline is a source or a Problem; a broken file
    is an OpmlError; planning the import never raises."""
    try:
        document = parse_opml(data, path="fuzz.opml")
    except NarcowatchError:
        return
    plan_import(document.sources, known_names=["a"], known_urls=["https://x.example/f"])
