"""Topics -> one Aho-Corasick automaton over every term and entity alias of every topic."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import ahocorasick_rs
import re2

from bot.matching.actors import AGENCY, BODY, COUNTRY, OTHER, PLACE
from bot.matching.countries import country_gazetteer, place_gazetteer
from bot.matching.normalize import CJK_START, fold
from bot.matching.spec import EntitySpec, TermSpec, TopicSpec

# What a pattern stands for in a topic.
GROUP, EXCLUSION, ENTITY, BLOCK = 0, 1, 2, 3
# Boundary checks, as bits: the character before the match, the one after it.
CHECK_START, CHECK_END = 1, 2

Target = tuple[int, int, int]
"""(topic index, kind, index into the topic's terms or entities)."""
Entry = tuple[int, "re.Pattern[str] | None", "str | None", tuple[Target, ...]]
"""(boundary checks, pattern for the rest of a wildcard term, exact case, targets)."""


@dataclass(frozen=True, slots=True)
class CompiledTerm:
    """A term as scored: its name in explanations, its group (-1: exclusion) and weight."""

    name: str
    group: int
    weight: float


@dataclass(frozen=True, slots=True)
class CompiledEntity:
    """An entity as scored."""

    name: str
    type: str
    international: bool
    country: str | None
    groups: tuple[int, ...]
    weight: float
    role: str = OTHER
    """country, agency (national, with its country), place (sub-national), body
    (international) or other (people, regions): see `actors`."""
    mandate: tuple[tuple[int, float], ...] = ()
    """(group, evidence) its mandate gives whenever it is named (EntitySpec.mandate)."""


def entity_role(entity: EntitySpec, country: str | None) -> str:
    """An entity's role among the actors of an item."""
    if entity.international:
        return BODY
    if entity.type in ("country", "territory"):
        return COUNTRY
    if country is None:
        return OTHER
    return AGENCY if entity.type == "organisation" else PLACE


@dataclass(frozen=True, slots=True)
class CompiledTopic:
    """A topic's scoring tables; terms and entities are indexed by the automaton's targets."""

    spec: TopicSpec
    group_names: tuple[str, ...]
    group_weights: tuple[float, ...]
    min_evidence: tuple[float, ...]
    saturation: tuple[float, ...]
    required: tuple[int, ...]
    border_groups: tuple[int, ...]
    actor_group: int
    """The group that acting agencies of two countries add evidence to (-1: none)."""
    terms: tuple[CompiledTerm, ...]
    entities: tuple[CompiledEntity, ...]
    regexes: tuple[tuple[Any, int], ...]
    """(RE2 pattern over UTF-8, term index) for regex terms, searched in the folded text."""
    regex_gate: Any
    """All regex terms in one RE2 pattern: one search tells whether any of them occurs."""


@dataclass(frozen=True, slots=True)
class PatternKey:
    """A term split for the automaton: the literal key and how to check around it."""

    key: str
    checks: int
    rest: re.Pattern[str] | None
    case: str | None


def is_cjk(text: str) -> bool:
    """Whether text has Chinese, Japanese or Korean characters (matched without boundaries)."""
    return any(ch >= CJK_START for ch in text)


def pattern_key(term: TermSpec) -> PatternKey:
    """How a literal term is found: `word*` matches any ending, other words match whole."""
    assert term.term is not None
    folded = " ".join(fold(term.term).split())
    cjk = is_cjk(folded)
    star = folded.find("*")
    if star < 0:
        case = " ".join(term.term.split()) if term.match_case else None
        return PatternKey(folded, 0 if cjk else CHECK_START | CHECK_END, None, case)
    head, tail = folded[:star], folded[star + 1 :]
    if not tail:
        return PatternKey(head, 0 if cjk else CHECK_START, None, None)
    # A wildcard inside a phrase ("незаконн* оборот* наркотик*"): the automaton finds the
    # first stem, a small regex checks the rest right after it.
    pieces = tail.split("*")
    source = r"\w*" + r"\w*".join(re.escape(piece) for piece in pieces)
    if pieces[-1]:
        source += r"(?!\w)"
    return PatternKey(head, 0 if cjk else CHECK_START, re.compile(source), None)


class _Builder:
    """Collects patterns of all topics, merging identical keys, then builds the automaton."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[tuple[int, str | None, str | None], list[Target]]] = {}
        self._rests: dict[str, re.Pattern[str]] = {}

    def add(self, term: TermSpec, target: Target) -> None:
        spelled = pattern_key(term)
        rest = spelled.rest.pattern if spelled.rest is not None else None
        if spelled.rest is not None:
            self._rests[spelled.rest.pattern] = spelled.rest
        variants = self._entries.setdefault(spelled.key, {})
        targets = variants.setdefault((spelled.checks, rest, spelled.case), [])
        if target not in targets:
            targets.append(target)

    def build(self) -> Automaton:
        """The automaton over every key added."""
        keys = tuple(self._entries)
        entries = tuple(
            tuple(
                (checks, self._rests[rest] if rest else None, case, tuple(targets))
                for (checks, rest, case), targets in self._entries[key].items()
            )
            for key in keys
        )
        return Automaton(keys, entries, ahocorasick_rs.AhoCorasick(keys) if keys else None)


@dataclass(frozen=True, slots=True)
class Automaton:
    """Every key of every topic, what each stands for, and one search for all of them.

    The search is the aho-corasick crate (ahocorasick_rs): it hands back all of a text's
    occurrences in one call, in character offsets, in a quarter of the time pyahocorasick
    takes to yield them one by one with its keys in the best order (0.10 s against 0.4 s for
    the 10,000 prose items of benchmarks/bench_matcher.py), and its automaton takes 0.6 MB for
    the default topic's 1,900 keys."""

    keys: tuple[str, ...]
    entries: tuple[tuple[Entry, ...], ...]
    """What the key of the same index stands for: one entry per way of checking it."""
    search: Any
    """ahocorasick_rs.AhoCorasick over `keys` (None when there is none)."""


def _terms_of(by_lang: dict[str, tuple[TermSpec, ...]]) -> Iterable[TermSpec]:
    for terms in by_lang.values():
        yield from terms


def name_needles(keys: Sequence[PatternKey]) -> tuple[str, ...]:
    """What finds any of a group's terms inside a (folded, space-padded) name: a term with no
    boundary check anywhere, one checked at both ends between spaces, one checked at its
    start (a prefix, or a wildcard's stem) after a space. Plain substrings: one regex of a
    few hundred alternatives took 26 ms to compile, at every start and in every worker."""
    needles = []
    for key in keys:
        if key.checks == 0:
            needles.append(key.key)
        elif key.checks & CHECK_END and key.rest is None:
            needles.append(f" {key.key} ")
        else:
            needles.append(f" {key.key}")
    return tuple(needles)


def own_name_groups(entity: EntitySpec, needles: dict[int, tuple[str, ...]]) -> set[int]:
    """Groups a term of which is part of the entity's own name ("Drugs" in the UN Office on
    Drugs and Crime): the name is no evidence of them, or a piracy item would read as drugs."""
    aliases = [
        f" {' '.join(fold(alias.term).replace('*', ' ').split())} "
        for alias in _terms_of(entity.aliases)
        if alias.term is not None
    ]
    return {
        g
        for g, found in needles.items()
        if any(needle in alias for alias in aliases for needle in found)
    }


class _GroupNames:
    """Per group, what finds its terms inside names (built on first use)."""

    def __init__(self, group_keys: Sequence[list[PatternKey]]) -> None:
        self._keys = group_keys
        self._needles: dict[int, tuple[str, ...]] = {}

    def fed_groups(self, entity: EntitySpec, names: Sequence[str]) -> tuple[int, ...]:
        """The groups an entity adds evidence to: those it lists, less those in its name."""
        if not entity.groups:
            return ()
        listed = [names.index(n) for n in entity.groups if n in names]
        for g in listed:
            if g not in self._needles:
                self._needles[g] = name_needles(self._keys[g])
        own = own_name_groups(entity, {g: self._needles[g] for g in listed})
        return tuple(g for g in listed if g not in own)


def _compile_topic(index: int, spec: TopicSpec, builder: _Builder) -> CompiledTopic:
    names = tuple(spec.groups)
    terms: list[CompiledTerm] = []
    regexes: list[tuple[Any, int]] = []

    def add_term(term: TermSpec, group: int, kind: int) -> None:
        ref = len(terms)
        terms.append(CompiledTerm(term.name, group, term.weight))
        if term.regex is not None:
            regexes.append((re2.compile(term.regex.encode("utf-8")), ref))
        else:
            builder.add(term, (index, kind, ref))

    group_keys: list[list[PatternKey]] = []
    for group_index, group in enumerate(spec.groups.values()):
        group_keys.append([])
        for term in _terms_of(group.terms):
            add_term(term, group_index, GROUP)
            if term.term is not None:
                group_keys[-1].append(pattern_key(term))
    for term in _terms_of(spec.exclusions.terms):
        add_term(term, -1, EXCLUSION)

    gazetteer = country_gazetteer()
    entity_specs: list[EntitySpec] = list(spec.entities.items)
    if spec.entities.countries:
        entity_specs += gazetteer.entities
        for blocker in gazetteer.blockers:
            builder.add(TermSpec(term=blocker), (index, BLOCK, 0))
    if spec.entities.places:
        entity_specs += place_gazetteer().entities
    entities: list[CompiledEntity] = []
    group_names = _GroupNames(group_keys)
    for entity in entity_specs:
        ref = len(entities)
        country = gazetteer.names.get(entity.country, entity.country) if entity.country else None
        if country is None and entity.type in ("country", "territory"):
            country = entity.name
        entities.append(
            CompiledEntity(
                name=entity.name,
                type=entity.type,
                international=entity.international,
                country=country,
                groups=group_names.fed_groups(entity, names),
                weight=entity.weight,
                role=entity_role(entity, country),
                mandate=tuple(
                    (names.index(group), amount)
                    for group, amount in entity.mandate.items()
                    if group in names
                ),
            )
        )
        for alias in _terms_of(entity.aliases):
            if alias.regex is None:
                builder.add(alias, (index, ENTITY, ref))
    return CompiledTopic(
        spec=spec,
        group_names=names,
        group_weights=tuple(g.weight for g in spec.groups.values()),
        min_evidence=tuple(g.min_evidence for g in spec.groups.values()),
        saturation=tuple(g.saturation for g in spec.groups.values()),
        required=tuple(names.index(name) for name in spec.required if name in names),
        border_groups=tuple(
            names.index(name) for name in spec.cross_border.groups if name in names
        ),
        actor_group=names.index(actor) if (actor := spec.cross_border.actor_group) in names else -1,
        terms=tuple(terms),
        entities=tuple(entities),
        regexes=tuple(regexes),
        regex_gate=re2.compile(b"|".join(b"(?:%s)" % p.pattern for p, _ in regexes))
        if regexes
        else None,
    )


@dataclass(frozen=True, slots=True)
class CompiledTopics:
    """Every topic's scoring tables and the one automaton that finds all their patterns."""

    topics: tuple[CompiledTopic, ...]
    automaton: Automaton


def compile_automaton(topics: Sequence[TopicSpec]) -> CompiledTopics:
    """Compile all topics into one automaton (patterns shared between topics are merged)."""
    builder = _Builder()
    compiled = tuple(_compile_topic(i, spec, builder) for i, spec in enumerate(topics))
    return CompiledTopics(compiled, builder.build())
