"""One topic's score for one item, from its evidence, with the reasons a reader can check."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from bot.core.models import EntityHit, ModelPart, TermHit, TopicScore
from bot.matching.actor_ids import actor_ids
from bot.matching.actors import AGENCY, BODY, OTHER, Cast, Mention, cast
from bot.matching.compiler import CompiledTopic
from bot.matching.evidence import Evidence
from bot.matching.normalize import CJK_START
from bot.matching.textmodel import Reading, blend

_SENTENCE_END = re.compile(r"[。！？；\n]|[.!?;](?=\s)")


def words_between(text: str, start: int, stop: int, *, cap: int = 1000) -> int:
    """Words in text[start:stop]; two Chinese characters count as one word. Past `cap` words
    (judged by length: no language averages 25 characters a word) the answer is `cap + 1`."""
    if stop <= start:
        return 0
    if stop - start > 25 * cap:
        return cap + 1
    gap = text[start:stop]
    cjk = sum(1 for ch in gap if ch >= CJK_START) if not gap.isascii() else 0
    return gap.count(" ") + gap.count("\n") + cjk // 2


def proximity(
    text: str, spans: Sequence[Sequence[tuple[int, int]]], window: int
) -> tuple[str, tuple[int, int]] | None:
    """Where hits of every given group come together: in one sentence, or within `window`
    words; None when they never do. Returns how, and the span that shows it."""
    marks = [(start, stop, group) for group, hits in enumerate(spans) for start, stop in hits]
    marks.sort()
    wanted = len(spans)
    best: tuple[int, tuple[int, int]] | None = None
    counts = [0] * wanted
    covered = left = 0
    # Slide over the hits in text order; each shortest stretch holding every group is a
    # candidate: in one sentence when no sentence ends inside it, else judged by its words.
    for right, (_, _, group) in enumerate(marks):
        counts[group] += 1
        covered += counts[group] == 1
        while covered == wanted:
            first, last = marks[left], marks[right]
            span = (first[0], max(first[1], last[1]))
            if _SENTENCE_END.search(text, first[1], last[0]) is None:
                return "sentence", span
            gap = words_between(text, first[1], last[0], cap=window)
            if best is None or gap < best[0]:
                best = (gap, span)
            counts[first[2]] -= 1
            covered -= counts[first[2]] == 0
            left += 1
    if best is not None and best[0] <= window:
        return f"{best[0]} words", best[1]
    return None


def _quote(text: str, span: tuple[int, int], limit: int = 90) -> str:
    start, stop = span
    snippet = " ".join(text[start:stop].split())
    return snippet if len(snippet) <= limit else f"{snippet[: limit - 1]}…"


def nothing_found(topic: CompiledTopic) -> TopicScore:
    """The score of an item in which no term or entity of the topic occurs."""
    reason = f"no term or entity of the topic found: score 0 < threshold {topic.spec.threshold:.2f}"
    return TopicScore(topic=topic.spec.id, score=0.0, matched=False, reasons=(reason,))


def actors_of(topic: CompiledTopic, found: Evidence, text: str) -> Cast:
    """The item's actors, from where each of its entities occurs."""
    mentions = [
        Mention(e.name, e.role, e.country, found.entity_spans.get(ref, ()))
        for ref in found.entity_order
        if (e := topic.entities[ref]).role != OTHER
    ]
    return cast(mentions, text)


def _actor_evidence(topic: CompiledTopic, found: Evidence, actors: Cast) -> str | None:
    """An international body, or national agencies of two countries acting in one item, are
    evidence of cooperation by themselves (the UK's NCA with Ghana's narcotics board); two
    countries acting are weaker evidence (`country_evidence`)."""
    group = topic.actor_group
    border = topic.spec.cross_border
    if group < 0:
        return None
    if actors.bodies or len(actors.agencies) >= 2:
        amount = border.actor_evidence
    elif len(actors.acting) >= 2:
        amount = border.country_evidence
    else:
        return None
    if amount <= 0:
        return None
    found.groups[group] += amount
    for ref in found.entity_order:
        if topic.entities[ref].role in (AGENCY, BODY):
            found.group_spans[group] += found.entity_spans.get(ref, [])
    # describe(3) starts as describe() does, and its first three pieces are the same.
    names = [*actors.describe(3).split(", ")[:3], *actors.bodies[:1]]
    found.group_refs[group].append("actors " + " + ".join(names))
    return names[0]


def score_topic(
    topic: CompiledTopic,
    found: Evidence,
    text: str,
    reading: Reading | None = None,
    *,
    explain_unmatched: bool = True,
) -> TopicScore:
    """Weighted groups + proximity + cross-border actors - exclusions, in [0, 1]. Without
    `explain_unmatched`, an item that does not match gets no model phrases in its reasons."""
    spec = topic.spec
    reasons: list[str] = []
    total = 0.0
    actors = actors_of(topic, found, text)
    _actor_evidence(topic, found, actors)
    for g, name in enumerate(topic.group_names):
        amount = found.groups[g]
        if amount <= 0:
            continue
        part = topic.group_weights[g] * min(1.0, amount / topic.saturation[g])
        total += part
        names = ", ".join(found.group_refs[g][:6])
        reasons.append(f"{name}: {names} (evidence {amount:.1f}) +{part:.2f}")
    missing = [
        f"required group {topic.group_names[g]}"
        for g in topic.required
        if found.groups[g] < topic.min_evidence[g]
    ]
    if not missing and topic.required:
        near = proximity(
            text, [found.group_spans[g] for g in topic.required], spec.proximity.window
        )
        if near is not None:
            how, span = near
            total += spec.proximity.bonus
            where = "in one sentence" if how == "sentence" else f"within {how}"
            reasons.append(
                f"{' and '.join(spec.required)} {where}: “{_quote(text, span)}” "
                f"+{spec.proximity.bonus:.2f}"
            )
    entities = [topic.entities[ref] for ref in found.entity_order]
    border = spec.cross_border
    countries = actors.countries()
    diverse = len(countries) >= border.min_countries or bool(actors.bodies)
    if diverse:
        total += border.bonus
        parts = []
        if len(countries) >= border.min_countries:
            parts.append(f"{len(countries)} countries ({', '.join(countries[:6])})")
        if actors.bodies:
            parts.append(f"international bodies ({', '.join(actors.bodies[:4])})")
        reasons.append(f"cross-border: {'; '.join(parts)} +{border.bonus:.2f}")
    if countries or actors.passive:
        said = [f"actors that counted: {actors.describe() or 'no country'}"]
        if actors.passive:
            said.append(
                "not counted (nationality, origin or destination): " + ", ".join(actors.passive[:6])
            )
        reasons.append("; ".join(said))
    crossing = diverse or any(found.groups[g] >= topic.min_evidence[g] for g in topic.border_groups)
    if border.required and not crossing:
        missing.append("cross-border (countries, international bodies or their terms)")
    if found.exclusion > 0:
        cut = min(spec.exclusions.max_penalty, spec.exclusions.penalty * found.exclusion)
        total -= cut
        names = ", ".join(
            t.name for r, t in enumerate(topic.terms) if t.group < 0 and r in found.term_counts
        )
        reasons.append(f"exclusions: {names} (evidence {found.exclusion:.1f}) -{cut:.2f}")
    total = max(0.0, min(1.0, total))
    if missing:
        total *= spec.missing_required_factor
        reasons.append(f"missing {'; '.join(missing)}: score x{spec.missing_required_factor:g}")
    model = spec.model.loaded if spec.model is not None else None
    contribution = None
    if model is not None and spec.model is not None:
        # The rules' verdict is evidence, not a gate: the text model may lift an item whose
        # drug or cooperation side is said in words no group lists, or sink one it has seen
        # go wrong, and the blend decides.
        if reading is None:
            (reading,) = model.read([text])
        quiet_below = None if explain_unmatched else spec.threshold
        mixed = blend(reading, total, spec.model.weight, quiet_below=quiet_below)
        contribution = ModelPart(mixed.probability, mixed.added, mixed.phrases)
        reasons.append(mixed.reason())
        total = mixed.score
        matched = total >= spec.threshold
    else:
        matched = not missing and total >= spec.threshold
    verdict = ">=" if total >= spec.threshold else "<"
    reasons.append(
        f"score {total:.2f} {verdict} threshold {spec.threshold:.2f}: "
        + ("matched" if matched else "not matched")
    )
    return TopicScore(
        topic=spec.id,
        score=total,
        matched=matched,
        terms=_term_hits(topic, found),
        entities=tuple(entity_hit(e.name, e.type) for e in entities),
        reasons=tuple(reasons),
        model=contribution,
        actors=actor_ids(actors),
    )


def _term_hits(topic: CompiledTopic, found: Evidence) -> tuple[TermHit, ...]:
    """The terms found, by group in topic order (exclusions last), most frequent first."""
    terms, names = topic.terms, topic.group_names
    # Sorted on tuples the C way rather than through a key function per hit; the running
    # number keeps the order of terms that tie, as a stable sort did.
    last = names.index("exclusion") if "exclusion" in names else len(names)
    keyed: list[tuple[int, int, int, TermHit]] = []
    for ref, count in found.term_counts.items():
        term = terms[ref]
        group = term.group
        label = names[group] if group >= 0 else "exclusion"
        keyed.append(
            (group if group >= 0 else last, -count, len(keyed), term_hit(term.name, label, count))
        )
    keyed.sort()
    return tuple([hit for *_, hit in keyed])


# Hits are frozen values, and an item lists dozens: each is built once per process (a frozen
# dataclass takes a microsecond or two to build, a tenth of a dense item's scoring time).
@lru_cache(maxsize=16_384)
def term_hit(term: str, group: str, count: int) -> TermHit:
    """The TermHit of a term found `count` times."""
    return TermHit(term=term, group=group, count=count)


@lru_cache(maxsize=4096)
def entity_hit(name: str, kind: str) -> EntityHit:
    """The EntityHit of an entity."""
    return EntityHit(name, kind)
