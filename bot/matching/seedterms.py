"""Proposes watch terms and entities from documents, as a topic YAML to edit (seed-terms)."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

_WORD = re.compile(r"[^\W\d_][^\W\d_'’-]*(?:[-'’][^\W\d_]+)*")
_ACRONYM = re.compile(r"\b[A-ZА-ЯЁ]{2,8}s?\b")
_NAME_WORD = r"(?:[A-ZА-ЯЁ][a-zа-яё]+(?:-[A-Za-zА-Яа-яЁё]+)?|[A-ZА-ЯЁ]{2,8})"
_CONNECTOR = r"(?:of|for|the|on|de|по)"
_NAME = re.compile(rf"{_NAME_WORD}(?:\s+(?:{_CONNECTOR}\s+)?{_NAME_WORD})+")
_EXPANSION = re.compile(rf"({_NAME.pattern})\s*\(([A-ZА-ЯЁ]{{2,8}})\)")


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_STOP = _wordset(
    """a an the and or but if of to in on at by for with from as into about over after before
    under between among through during without within against across is are was were be been
    being am has have had do does did will would shall should can could may might must not no
    nor so than too very this that these those it its he she they them his her their we our
    you your i me my who whom which what when where why how all any both each few more most
    other some such only own same also just than then there here up down out off again further
    once said says say told tell year years month day days week last first second new one two
    three other many much well even still since while because per including include includes
    mr ms dr according like made make makes will wo click read visit please share us
    и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по только ее
    мне было вот от меня еще нет о из ему теперь когда даже ну вдруг ли если уже или ни быть
    был него до вас нибудь опять уж вам ведь там потом себя ничего ей может они тут где есть
    надо ней для мы тебя их чем была сам чтоб без будто чего раз тоже себе под будет ж тогда
    кто этот того потому этого какой совсем ним здесь этом один почти мой тем чтобы нее были
    куда зачем всех никогда можно при наконец два об другой хоть после над больше тот через
    эти нас про всего них какая много разве три эту моя впрочем хорошо свою этой перед иногда
    лучше чуть том нельзя такой им более всегда конечно всю между"""
)
_MONTHS = _wordset(
    """january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec monday tuesday wednesday thursday friday
    saturday sunday январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь
    декабрь января февраля марта апреля мая июня июля августа сентября октября ноября декабря
    понедельник вторник среда четверг пятница суббота воскресенье"""
)
_ORG_WORDS = _wordset(
    """ministry bureau commission organization organisation agency office council department
    police committee centre center administration service board force union association
    taskforce task secretariat programme program pact plan court daily news agency
    министерство бюро комиссия организация агентство служба управление совет комитет
    центр"""
)
_PLACE_WORDS = _wordset(
    """triangle crescent asia africa europe america river sea ocean province region state
    gulf valley mountains islands island"""
)


@dataclass(slots=True)
class Proposal:
    """What the documents suggest: phrases and named things, with counts."""

    documents: list[str]
    phrases: Counter[str] = field(default_factory=Counter)
    names: Counter[str] = field(default_factory=Counter)
    acronyms: Counter[str] = field(default_factory=Counter)
    expansions: dict[str, str] = field(default_factory=dict)
    """Acronym -> the name it abbreviates ("National Narcotics Control Commission (NNCC)")."""


def _content(word: str) -> bool:
    low = word.lower()
    return len(low) > 2 and low not in _STOP and low not in _MONTHS


def _initials_match(name: str, acronym: str) -> bool:
    words = [
        w for w in name.split() if w.lower() not in ("of", "and", "for", "the", "on", "и", "по")
    ]
    initials = "".join(w[0] for w in words).upper()
    return initials.endswith(acronym.rstrip("s").upper())


def _trim_name(name: str, acronym: str) -> str:
    """The shortest tail of a capitalised run whose initials spell the acronym."""
    words = name.split()
    for start in range(len(words)):
        tail = " ".join(words[start:])
        if _initials_match(tail, acronym) and words[start].lower() not in ("of", "and", "the"):
            significant = [w for w in words[start:] if w.lower() not in ("of", "and", "for", "the")]
            if len(significant) == len(acronym.rstrip("s")):
                return tail
    return name


def propose(texts: Sequence[tuple[str, str]], *, max_phrases: int = 60) -> Proposal:
    """Key phrases (2-3 content words), capitalised names and acronyms with expansions."""
    proposal = Proposal(documents=[name for name, _ in texts])
    word_counts: Counter[str] = Counter()
    grams: Counter[str] = Counter()
    lower_seen: set[str] = set()
    for _, text in texts:
        lower_seen.update(w for w in _WORD.findall(text) if w[0].islower())
    for _, text in texts:
        for sentence in re.split(r"[.!?;:\n\"“”()\[\]]+", text):
            # Words never written in lower case are names: they go to the entities instead.
            words = [w.lower() if w.lower() in lower_seen else "" for w in _WORD.findall(sentence)]
            word_counts.update(w for w in words if _content(w))
            for size in (2, 3):
                for i in range(len(words) - size + 1):
                    gram = words[i : i + size]
                    if _content(gram[0]) and _content(gram[-1]) and all(gram):
                        grams[" ".join(gram)] += 1
        for match in _EXPANSION.finditer(text):
            name, acronym = match.group(1), match.group(2)
            if _initials_match(name, acronym):
                proposal.expansions[acronym] = _trim_name(name, acronym)
        for match in _NAME.finditer(text):
            # A sentence may start with "The" or "On March": drop such words from the front.
            words = match.group(0).split()
            while words and (words[0].lower() in _STOP or words[0].lower() in _MONTHS):
                words.pop(0)
            if len(words) >= 2:
                proposal.names[" ".join(words)] += 1
        proposal.acronyms.update(
            a.rstrip("s") if a.endswith("s") and a[:-1].isupper() else a
            for a in _ACRONYM.findall(text)
        )
    top = {w for w, _ in word_counts.most_common(12)}
    ranked = [
        (count, gram)
        for gram, count in grams.items()
        if count >= 2
        or (
            any(w in top for w in gram.split())
            and all(word_counts[w] >= 2 for w in gram.split() if _content(w))
        )
    ]
    ranked.sort(key=lambda pair: (-pair[0], pair[1]))
    proposal.phrases = Counter(dict((gram, count) for count, gram in ranked[:max_phrases]))
    for acronym in proposal.acronyms:
        # An acronym never expanded in the text may still spell a name seen there.
        if acronym not in proposal.expansions:
            spelled = [n for n in proposal.names if _trim_name(n, acronym) == n and len(n) > 8]
            spelled = [n for n in spelled if _initials_match(n, acronym)]
            if len(spelled) == 1:
                proposal.expansions[acronym] = spelled[0]
    for name in proposal.expansions.values():
        proposal.names[name] += 0  # an expansion is an entity even when seen once
    return proposal


def _lang(text: str) -> str:
    return "ru" if re.search(r"[А-Яа-яЁё]", text) else "en"


def _entity_type(name: str) -> str:
    words = {w.lower() for w in name.split()}
    if words & _ORG_WORDS or name.isupper():
        return "organisation"
    if words & _PLACE_WORDS:
        return "place"
    return "person" if len(name.split()) <= 3 else "organisation"


def render_yaml(proposal: Proposal) -> str:
    """The proposal as a topic file that loads as it is; every line carries its count."""
    q = json.dumps
    out = [
        f"# Proposed by `narcowatch seed-terms` from {len(proposal.documents)} document(s):",
        *(f"#   {name}" for name in proposal.documents),
        "# Counts are occurrences over all documents. Keep what belongs to the topic, sort it",
        "# into groups (what it is about / the signal you need), set weights, add translations",
        "# and say where each term comes from (docs/topics.md). Entity types are guesses.",
        "id: new-topic",
        "title: New topic (edit me)",
        "threshold: 0.5",
        "required: [key_phrases]",
        "groups:",
        "  key_phrases:",
        "    weight: 0.6",
        "    terms:",
    ]
    by_lang: dict[str, list[tuple[str, int]]] = {}
    for phrase, count in proposal.phrases.items():
        by_lang.setdefault(_lang(phrase), []).append((phrase, count))
    if not by_lang:
        out += ["      en:", '        - "edit me"  # no repeated phrase was found']
    for lang, phrases in by_lang.items():
        out.append(f"      {lang}:")
        out += [f"        - {q(p, ensure_ascii=False)}  # {c}" for p, c in phrases]
    out += ["entities:", "  items:" + ("" if proposal.names or proposal.acronyms else " []")]
    used: set[str] = set()
    by_name = {name: acronym for acronym, name in proposal.expansions.items()}
    for name, count in proposal.names.most_common():
        if name in used or name in proposal.acronyms:
            continue
        used.add(name)
        aliases = [name]
        note = f"{count}"
        acronym = by_name.get(name)
        if acronym:
            aliases.append(acronym)
            used.add(acronym)
            note += f", {acronym} {proposal.acronyms.get(acronym, 0)}"
        listed = ", ".join(q(a, ensure_ascii=False) for a in aliases)
        out += [
            f"    - name: {q(name, ensure_ascii=False)}  # {note}",
            f"      type: {_entity_type(name)}",
            f"      aliases: {{{_lang(name)}: [{listed}]}}",
        ]
    for acronym, count in proposal.acronyms.most_common():
        if acronym in used:
            continue
        used.add(acronym)
        out += [
            f"    - name: {q(acronym, ensure_ascii=False)}  # {count}, acronym",
            "      type: organisation",
            f"      aliases: {{{_lang(acronym)}: [{q(acronym, ensure_ascii=False)}]}}",
        ]
    return "\n".join(out) + "\n"
