"""Fast paths give the answers of the plain code they replace, character for character.

The plain versions are kept here as the oracles: the actor cues as one regex per cue at every
mention, and `score` lines as `json.dumps` of `score_row`.
"""

from __future__ import annotations

import gc
import io
import json
import os
import re
from functools import cache

import pytest
import re2
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.models import EntityHit, Item, TermHit, TopicScore
from bot.core.sanitize import _UNWANTED, clean_text
from bot.matching import Matcher
from bot.matching.actors import (
    _AGENCY_AFTER,
    _AGENCY_BEFORE,
    _AGENTS_FROM,
    _PASSIVE_AFTER,
    _PEOPLE,
    ACTS,
    ACTS_AS_AGENCY,
    COUNTRY,
    PASSIVE,
    PLACE,
    Cast,
    Mention,
    cast,
    mention_kind,
    word_end,
)
from bot.matching.compiler import CHECK_END, Automaton, compile_automaton
from bot.matching.engine import required_literal, scan
from bot.matching.evidence import RawHit
from bot.matching.loader import load_topic
from bot.matching.normalize import CJK_START, Folded
from bot.matching.scoreio import (
    InputRow,
    iter_input,
    parse_input,
    plain_item,
    score_line,
    score_row,
)
from tests.fuzz.strategies import NASTY
from tests.matching.conftest import DEFAULT_TOPIC

# The cue before a mention as it was written before the gates in `passive_cue`.
_PLAIN_PASSIVE_BEFORE = re.compile(
    r"(?:\b(?:from|via|through|bound for|destined for|headed for|heading for|en ?route(?: to)?"
    r"|originat\w* in|native of|born in|(?:citizens?|nationals?|residents?) of"
    r"|made in|grown in|produced in|(?:smuggl|ship|traffick|import|export)\w* (?:in)?to)"
    r"\s+(?:the\s+)?"
    r"|(?:^|\s)(?:из|через|граждан\w*|уроженц\w*|подданн\w*|выходц\w*\s+из)\s+"
    r"|(?:来自|产自|源自|产于|从|经由|运往|运至|运抵|发往|销往|流入|走私至|走私到|运到|偷运至))$"
)


def plain_mention_kind(text: str, start: int, stop: int, *, name: str) -> int:
    """mention_kind with every regex run at every mention (the code before the gates)."""
    stop = word_end(text, stop)
    if _AGENCY_AFTER.match(text[stop : stop + 48]) is not None:
        return ACTS_AS_AGENCY
    cue = _PLAIN_PASSIVE_BEFORE.search(text, max(0, start - 32), start)
    if cue is not None and (
        cue.group().strip().split()[0] not in ("from", "из")
        or _AGENTS_FROM.search(text, max(0, cue.start() - 20), cue.start()) is None
    ):
        return PASSIVE
    if _PASSIVE_AFTER.match(text[stop : stop + 24]) is not None:
        return PASSIVE
    said = text[start:stop]
    if said.endswith("籍"):
        return PASSIVE
    if not said.startswith(name) and _PEOPLE.search(said) is not None:
        return PASSIVE
    if _AGENCY_BEFORE.search(text, max(0, start - 40), start) is not None:
        return ACTS_AS_AGENCY
    return ACTS


# Words around country names in news, cues and near-cues, in the three languages; joined with
# spaces, newlines or nothing, so names stand right after cues, inside words and at line ends.
CONTEXT_WORDS = [
    "from", "via", "through", "bound for", "destined for", "en route to", "enroute", "the",
    "originated in", "native of", "born in", "citizens of", "nationals of", "made in",
    "smuggled into", "shipped to", "trafficked to", "officials from", "police from", "photo",
    "within", "of", "to", "in", "'s", "police", "customs", "national police", "anti drug unit",
    "nationals", "suspects", "cocaine", "made", "colombian", "colombians", "thai", "thailand",
    "laos", "china", "mexico", "nigerians", "filipinos", "tajik", "из", "через", "граждан",
    "гражданина", "уроженцев", "выходцев из", "полиция", "мвд", "фсб", "таможня",
    "пограничная служба", "агентство по контролю за наркотиками", "таджикистана",
    "таджикистанцев", "россии", "происхождения", "наркокартель", "来自", "产自", "运往",
    "走私至", "偷运至", "从", "缅甸", "泰国", "警方", "籍", "毒贩", "男子", "人", "中国籍",
    "缅籍", "公安", "(", ")", ",", ".", "x", "1",
]  # fmt: skip
NAMES = ["colombia", "colombian", "thai", "thailand", "laos", "таджикистан", "россии", "缅甸", "泰"]
texts = st.lists(
    st.tuples(st.sampled_from(CONTEXT_WORDS), st.sampled_from([" ", "  ", "\n", "", " \n"])),
    min_size=1,
    max_size=24,
).map(lambda parts: "".join(word + sep for word, sep in parts))


def every_mention(text: str) -> list[tuple[int, int, str]]:
    """(start, stop, folded name) of each occurrence of each name in the text."""
    found = []
    for name in NAMES:
        for match in re.finditer(re.escape(name), text):
            found.append((match.start(), match.end(), name))
    return found


@settings(max_examples=400)
@given(texts)
def test_gated_cues_read_every_mention_as_the_plain_regexes_do(text: str) -> None:
    """mention_kind, which runs a cue only where the text lets it match, agrees with running
    every cue at every mention: at each name, with its own name and with another one."""
    for start, stop, name in every_mention(text):
        for own in (name, "x"):
            assert mention_kind(text, start, stop, name=own) == plain_mention_kind(
                text, start, stop, name=own
            ), (text, start, stop, own)


def plain_cast(mentions: list[Mention], text: str) -> Cast:
    """cast as it was: every mention of a country read, the kinds compared as a set."""
    found = Cast()
    for mention in mentions:
        assert mention.country is not None
        name = mention.name.casefold()
        kinds = {plain_mention_kind(text, s, e, name=name) for s, e in mention.spans}
        if kinds == {PASSIVE}:
            if mention.country not in found.passive:
                found.passive.append(mention.country)
            continue
        found.acting.setdefault(mention.country, []).append(mention.name)
        if ACTS_AS_AGENCY in kinds:
            found.agencies.add(mention.country)
    found.passive = [c for c in found.passive if c not in found.acting]
    return found


@settings(max_examples=300)
@given(texts, st.sampled_from([COUNTRY, PLACE]))
def test_cast_stops_reading_a_country_only_where_the_answer_is_known(text: str, role: str) -> None:
    """A country named several times (or not at all): the actors of the plain reading."""
    spans: dict[str, list[tuple[int, int]]] = {name: [] for name in NAMES}
    for start, stop, name in every_mention(text):
        spans[name].append((start, stop))
    mentions = [Mention(name, role, name.upper(), found) for name, found in spans.items()]
    assert cast(mentions, text) == plain_cast(mentions, text)


def test_gated_cues_at_every_position_of_news_like_text() -> None:
    """Every start and length in text that packs cues, names and line breaks together."""
    text = (
        "officials from laos and two colombian nationals via thailand\n"
        "cocaine bound for the netherlands, made in colombia; thai police's anti drug unit "
        "граждан таджикистана и полиция россии через казахстан\n"
        "这批毒品来自\n缅甸，泰籍男子走私至中国，缅甸警方和中国籍毒贩"
    )
    for start in range(len(text)):
        for length in range(1, 12):
            stop = min(len(text), start + length)
            assert mention_kind(text, start, stop, name="x") == plain_mention_kind(
                text, start, stop, name="x"
            ), (start, stop)


def test_gated_cues_after_every_context_word() -> None:
    """Each context word right before each name, then each context word after it."""
    separators = [" ", "\n", "", " the "]
    for before in CONTEXT_WORDS:
        for sep in separators:
            for name in NAMES:
                for after in ("", " police", " nationals", "籍", "警方", " x"):
                    text = f"x {before}{sep}{name}{after}"
                    start = len(text) - len(name) - len(after)
                    stop = start + len(name)
                    for own in (name, "x"):
                        assert mention_kind(text, start, stop, name=own) == plain_mention_kind(
                            text, start, stop, name=own
                        ), (text, own)


def plain_score_line(ident: str, score: TopicScore) -> str:
    return json.dumps(score_row(ident, score), ensure_ascii=False)


names = st.sampled_from(NASTY) | st.text(max_size=12)
scores = st.builds(
    TopicScore,
    topic=names,
    score=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-3, 3),
    matched=st.booleans(),
    terms=st.lists(st.builds(TermHit, names, names, st.integers(0, 10**6)), max_size=4).map(tuple),
    entities=st.lists(st.builds(EntityHit, names, names), max_size=4).map(tuple),
    reasons=st.lists(names, max_size=4).map(tuple),
)


@settings(max_examples=300)
@given(st.text(max_size=8), scores)
def test_score_lines_are_what_json_dumps_writes(ident: str, score: TopicScore) -> None:
    """Any score (quotes, controls, surrogates, emoji in its names; NaN, infinities and
    integers as its value) comes out as json.dumps writes the row, byte for byte."""
    assert score_line(ident, score) == plain_score_line(ident, score)
    assert score_line(ident, score) == plain_score_line(ident, score)  # the quoted names kept


@pytest.mark.parametrize(
    ("title", "body"),
    [
        ("Police from China and Laos seize heroin", "A joint operation with UNODC."),
        ("Полиция России и Таджикистана", "совместная операция «Канал — Центр» героин"),
        ("中缅警方联合行动", "来自缅甸的冰毒，泰国警方“湄公河”行动\n走私至中国"),
        ("Weather", "Sunny and mild."),
    ],
)
def test_score_lines_of_real_scores(matcher: Matcher, title: str, body: str) -> None:
    """Scores the matcher builds (quotes, reasons in three scripts) come out as json.dumps."""
    for score in matcher.score(Item(title=title, summary=body)):
        assert score_line("id-1", score) == plain_score_line("id-1", score)


PIECES = ["joint ", "ab", "a", "b", " ", "|", "(", ")", "(?:", "[", "]", "[^", "]", "*", "+", "?",
          "{1,2}", "\\", ".", "«к", "x", "^", "$", "(?i)"]  # fmt: skip


@settings(max_examples=400)
@given(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=10).map("".join),
    st.lists(
        st.sampled_from(["joint ", "a", "b", "ab", " ", "x", "«к", "|", "]", "("]), max_size=12
    ).map("".join),
)
def test_every_regex_match_starts_with_its_required_literal(pattern: str, text: str) -> None:
    """Where a literal is said to start every match, every RE2 match does start with it."""
    try:
        compiled = re2.compile(pattern.encode("utf-8"))
    except re2.error:
        return
    literal = required_literal(compiled.pattern)
    if literal is None:
        return
    for match in compiled.finditer(text.encode("utf-8")):
        assert match.group().decode("utf-8").startswith(literal), (pattern, text, literal)


def read_as_json_lines(text: str) -> bool:
    """Whether `score` reads the text as JSON Lines (its first row is no plain-text item)."""
    first = next(iter_input(io.StringIO(text, newline="\n"), source="t"), None)
    return first is not None and first != plain_item(text)


def plain_first_object(text: str) -> bool:
    """Whether the first non-blank line is a JSON object, found by splitting every line (at
    "\n" only, as JSON Lines end: U+2028 or NEL inside a string is no line end)."""
    for line in text.split("\n"):
        if line.strip():
            try:
                return isinstance(json.loads(line), dict)
            except ValueError:
                return False
    return False


LINE_BREAKS = ["\n", "\r\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", " \n", "\t"]


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from(['{"title": "a"}', "[1]", "x", "", "  ", '{"t', 'itle": 1}'])
        | st.text(max_size=5),
        max_size=6,
    ),
    st.lists(st.sampled_from(LINE_BREAKS), min_size=6, max_size=6),
    st.integers(0, 5000),
)
def test_first_line_is_found_as_by_splitting_every_line(
    lines: list[str], breaks: list[str], padding: int
) -> None:
    """JSON Lines or not is told by the same first line, blank lines and odd breaks before it
    (some as many as fill the first part read) and a large input after it."""
    text = " " * padding + "".join(a + b for a, b in zip(lines, breaks, strict=False))
    for whole in (text, text + "\n" + '{"title": "x"}\n' * 2000):
        assert read_as_json_lines(whole) == plain_first_object(whole)


@given(st.text() | st.sampled_from(NASTY))
def test_clean_text_keeps_printable_text_as_it_is(text: str) -> None:
    """Text without unwanted characters is returned whole; other text loses just those."""
    assert clean_text(text) == _UNWANTED.sub("", text)


@pytest.mark.parametrize("blank", [" ", "\n", "\r\n"])
def test_first_line_across_the_end_of_the_part_read(blank: str) -> None:
    """A first line cut by the end of the first part read is read whole."""
    for count in range(4060 // len(blank), 4100 // len(blank)):
        text = blank * count + '{"title": "a"}\n{"title": "b"}\n'
        assert read_as_json_lines(text) == plain_first_object(text) is True


def test_parsing_and_scoring_make_no_reference_cycles(matcher: Matcher) -> None:
    """`score` turns the cycle collector off while it works: parsing items (bad lines too) and
    scoring them leave no cyclic garbage, all of it is freed by reference counting."""
    rows = [
        {"id": 1, "title": "Police from China and Laos seize heroin", "summary": "UNODC said"},
        {"title": "<b>緝毒</b> &amp; 合作", "content": "来自\\n缅甸的冰毒，泰国警方联合行动"},
        {"title": "Полиция России и Таджикистана", "summary": "«Канал — Центр», героин"},
        {"title": "Joint naval operation", "summary": "they share radar data and intelligence"},
        {"title": "Weather", "summary": "Sunny and mild."},
    ]
    lines = [json.dumps(row, ensure_ascii=False) for row in rows]
    text = "\n".join([*lines, "not json", '{"summary": "x"}', "[1]", '{"title": 5}'])

    def score_all() -> int:
        written = 0
        for row in parse_input(text, source="t"):
            if isinstance(row, InputRow):
                written += sum(len(score_line(row.id, s)) for s in matcher.score(row.item))
        return written

    gc.collect()
    gc.disable()
    try:
        assert score_all() > 0  # first use: caches and lazy tables fill
        gc.collect()
        assert score_all() > 0
        assert gc.collect() == 0
    finally:
        gc.enable()


@cache
def _default_automaton() -> Automaton:
    return compile_automaton([load_topic(DEFAULT_TOPIC, env=os.environ)]).automaton


def _plain_scan(automaton: Automaton, folded: Folded) -> list[RawHit]:
    """`scan` as plain code: every key found by `str.find` at every position, then checked."""
    text, cased = folded.text, folded.cased
    hits: list[RawHit] = []
    for key, entries in zip(automaton.keys, automaton.entries, strict=True):
        start = text.find(key)
        while start >= 0:
            stop = start + len(key)
            for checks, rest, case, targets in entries:
                before = text[start - 1] if start else " "
                after = text[stop] if stop < len(text) else " "
                end = stop
                if checks and before.isalnum() and before < CJK_START:
                    continue
                if checks and rest is not None:
                    tail = rest.match(text, stop)
                    if tail is None:
                        continue
                    end = tail.end()
                elif checks & CHECK_END and after.isalnum() and after < CJK_START:
                    continue
                if case is not None and cased is not None and cased[start:stop] != case:
                    continue
                hits.append((start, end, targets))
            start = text.find(key, start + 1)
    return hits


_SCANNED = st.lists(
    st.sampled_from(
        [
            *sorted(_default_automaton().keys)[::7],
            " ",
            "-",
            ". ",
            "\n",
            "x",
            "ы",
            "1",
            "禁",
            "毒",
            "😀",  # beyond the BMP: one character in Python, four bytes in UTF-8
            "\ud800",  # a lone surrogate, which UTF-8 cannot carry
        ]
    ),
    max_size=30,
).map("".join)


@settings(max_examples=400)
@given(_SCANNED)
def test_scan_finds_what_a_plain_search_for_every_key_finds(text: str) -> None:
    """The automaton's search (overlapping matches, character offsets past emoji and
    surrogates) with its checks gives every hit that looking for each key one by one gives."""
    folded = Folded(text, text, len(text))
    found = scan(_default_automaton(), folded)
    assert sorted(found) == sorted(_plain_scan(_default_automaton(), folded))
