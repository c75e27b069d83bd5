"""Who acts in an item: countries, national agencies, places and international bodies.

Cross-border cooperation is two or more countries, or an international body, *acting*: the
police of one handing a suspect to another, an embassy training a unit, the UN reporting.
A country named only as the suspects' nationality ("two Colombian nationals", "граждан
Таджикистана", "泰籍"), the drugs' origin ("cocaine from Peru", "Colombian-made", "产自缅甸")
or their destination ("bound for Australia") is a mention, not an actor. These cues are cheap
and language-specific; they read a few words on either side of each mention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import NamedTuple

# Roles of an entity (see compiler.CompiledEntity.role).
COUNTRY, AGENCY, PLACE, BODY, OTHER = "country", "agency", "place", "body", "other"

_BEFORE, _AFTER = 32, 24
# Chinese words right before a country that make it an origin or a destination.
_ZH_CUES = (
    "来自", "产自", "源自", "产于", "从", "经由", "运往", "运至", "运抵", "发往", "销往", "流入",
    "走私至", "走私到", "运到", "偷运至",
)  # fmt: skip
# Words before a country that make it the origin, route or destination of drugs or people.
_PASSIVE_BEFORE = re.compile(
    r"(?:\b(?:from|via|through|bound for|destined for|headed for|heading for|en ?route(?: to)?"
    r"|originat\w* in|native of|born in|(?:citizens?|nationals?|residents?) of"
    r"|made in|grown in|produced in|(?:smuggl|ship|traffick|import|export)\w* (?:in)?to)"
    r"\s+(?:the\s+)?"
    r"|(?:^|\s)(?:из|через|граждан\w*|уроженц\w*|подданн\w*|выходц\w*\s+из)\s+"
    r"|(?:" + "|".join(_ZH_CUES) + r"))$"
)
# How the last word of each English and Russian cue above ends, and the Russian stems that
# take any ending: a mention after any other word cannot follow a cue (see `passive_cue`).
_CUE_ENDINGS = ("from", "via", "through", "for", "route", "to", "in", "of", "из", "через")
_CUE_STEMS = ("граждан", "уроженц", "подданн")
# Words after a country (or demonym) that make it a nationality or an origin.
_PASSIVE_AFTER = re.compile(
    r"^(?: *(?:nationals?|citizens?|man|woman|men|women|boy|girl|suspects?|fugitives?"
    r"|traffickers?|smugglers?|couriers?|mules?|drug lords?|drug traffickers?|drug dealers?"
    r"|drug cartels?|drug gangs?|cartels?|gangs?|syndicates?|kingpins?|mafia|crime bosses?"
    r"|made|born|origin|grown|produced|bound|registered|flagged|passports?|residents?"
    r"|sailors?|crew|cocaine|heroin|methamphetamine|meth|cannabis|marijuana|opium)\b"
    r"|(?:籍|产|裔|毒贩|毒枭|男子|女子|公民|人)"
    r"| *(?:происхождени|производств|наркокартел|наркобарон|наркокурьер)\w*)"
)
# A demonym in the plural names people ("two Colombians", "таджикистанцев"), not a state.
_PEOPLE = re.compile(r"[a-z](?:ans|is|os|ers)$|[а-я](?:ец|цы|цев|цам|цами|цах)$")
_PEOPLE_ENDINGS = ("ans", "is", "os", "ers", "ец", "цы", "цев", "цам", "цами", "цах")
# A country followed by its police, customs or anti-drug body acts through an agency of its
# own ("Ghana's narcotics commission", "Thai police", "泰国警方", "полиция Таджикистана").
_AGENCY_AFTER = re.compile(
    r"^(?:'s)? +(?:[a-z]+ +){0,3}?(?:police|authorities|customs|coast ?guard|navy|officials"
    r"|investigators|prosecutors|law enforcement|security forces|interior ministry"
    r"|(?:anti narcotics?|anti drug|counter narcotics?|narcotics?|drug) (?:unit|agency|bureau"
    r"|directorate|board|commission|force|police|division|department|squad|agents?))\b"
    r"|^(?:警方|警察|海关|禁毒|缉毒|公安|执法部门|边防|警务)"
)
# The characters the two patterns right after a mention can start with (a mention ends where
# its word does, so a Latin or Cyrillic word right after it starts with a space).
_AGENCY_AFTER_FIRST = frozenset("' 警海禁缉公执边")
_PASSIVE_AFTER_FIRST = frozenset(" 籍产裔毒男女公人")
_AGENCY_BEFORE = re.compile(
    r"(?:полици\w*|мвд|фсб|таможн\w*|пограничн\w* служб\w*|спецслужб\w*|правоохранительн\w*"
    r" орган\w*|силовик\w*|агентств\w* по контролю за наркотиками)\s+$"
)


# People who come "from" a country act for it ("officials from Laos"); goods do not. A suspect
# extradited or deported "from" a country was sent by it ("экстрадировали из Польши").
_AGENTS_FROM = re.compile(
    r"(?:extradit\w*|deport\w*|expel\w*|repatriat\w*|handed over|экстрадир\w*|депортир\w*"
    r"|выдворен\w*|выдан\w*|передан\w*"
    r"|police|officers?|officials?|agents?|delegations?|experts?|representatives?|authorities"
    r"|counterparts?|teams?|investigators?|prosecutors?|ministers?|troops|forces|units?"
    r"|делегаци\w*|представител\w*|сотрудник\w*|эксперт\w*|коллег\w*|полицейск\w*)\s*$"
)  # \s*: a Russian cue (" из ") takes the space before it


def word_end(text: str, stop: int) -> int:
    """Where the word ends that a mention stops inside ("таджикистан|цев": a wildcard alias
    matches the stem only)."""
    size = len(text)
    while stop < size and text[stop].isalpha() and text[stop] < "\u2e80":
        stop += 1
    return stop


ACTS, ACTS_AS_AGENCY, PASSIVE = 0, 1, 2


def mention_kind(text: str, start: int, stop: int, *, name: str) -> int:
    """How the mention text[start:stop] of a country or place takes part: through one of its
    police or anti-drug bodies ("Thai police", "полиция Таджикистана": ACTS_AS_AGENCY), as a
    nationality, origin or destination (PASSIVE), or otherwise as a state acting (ACTS)."""
    # Each pattern runs only where the character next to the mention lets it match at all:
    # an item names many countries, and these few regexes were most of its scoring time.
    if stop < len(text) and text[stop].isalpha():
        stop = word_end(text, stop)
    after = text[stop : stop + 1]
    if after in _AGENCY_AFTER_FIRST and _AGENCY_AFTER.match(text[stop : stop + 48]) is not None:
        return ACTS_AS_AGENCY  # "the Colombian National Police": a force, not a nationality
    cue = passive_cue(text, start)
    if cue is not None and (
        cue.group().strip().split()[0] not in ("from", "из")
        or _AGENTS_FROM.search(text, max(0, cue.start() - 20), cue.start()) is None
    ):
        return PASSIVE
    if after in _PASSIVE_AFTER_FIRST and _PASSIVE_AFTER.match(text[stop : stop + _AFTER]):
        return PASSIVE
    said = text[start:stop]
    if said.endswith("籍"):  # an alias of the nationality itself (缅籍, 中国籍)
        return PASSIVE
    if (
        said.endswith(_PEOPLE_ENDINGS)
        and not said.startswith(name)
        and _PEOPLE.search(said) is not None
    ):
        return PASSIVE
    window = max(0, start - 40)
    if (
        not text.isascii()
        and not text[window:start].isascii()  # its cues are Russian
        and _AGENCY_BEFORE.search(text, window, start) is not None
    ):
        return ACTS_AS_AGENCY
    return ACTS


def passive_cue(text: str, start: int) -> re.Match[str] | None:
    """The word before a mention at `start` that makes it an origin, a route or a destination
    ("from", "bound for", "граждан", "产自"), if there is one."""
    low = max(0, start - _BEFORE)
    if start <= low:
        return None
    last = text[start - 1]
    if not last.isspace():  # only a Chinese cue ends right before the name
        if not text.endswith(_ZH_CUES, low, start):
            return None
    elif not (last == "\n" and text.endswith(_ZH_CUES, low, start - 1)):  # `$` before "\n"
        # The cue is the last word before the name, or the one before a "the".
        end = _word_stop(text, low, start - 1)
        if end < 0:
            return None
        if not _may_end_cue(text, low, end) and not (
            text.endswith("the", low, end)
            and (end - 3 == low or text[end - 4].isspace())  # the word is "the"
            and (before := _word_stop(text, low, end - 4)) >= 0
            and _may_end_cue(text, low, before)
        ):
            return None
    return _PASSIVE_BEFORE.search(text, low, start)


def _word_stop(text: str, low: int, at: int) -> int:
    """Where the word ends that is last at or before `at`, over white space; -1 if none
    starts at or after `low`."""
    while at >= low and text[at].isspace():
        at -= 1
    return at + 1 if at >= low else -1


def _may_end_cue(text: str, low: int, end: int) -> bool:
    """Whether the word of text[low:end] that ends at `end` can end a cue."""
    if text.endswith(_CUE_ENDINGS, low, end):
        return True
    if text.isascii():
        return False
    begin = end - 1
    while begin > low and not text[begin - 1].isspace():
        begin -= 1
    word = text[begin:end]
    return not word.isascii() and any(stem in word for stem in _CUE_STEMS)


def is_passive(text: str, start: int, stop: int, *, name: str) -> bool:
    """Whether the mention text[start:stop] names a nationality, an origin or a destination."""
    return mention_kind(text, start, stop, name=name) == PASSIVE


@dataclass(slots=True)
class Cast:
    """The actors of one item: countries with the entities that made them count."""

    acting: dict[str, list[str]] = field(default_factory=dict)
    """Country -> names of the entities through which it acts (agency, place or itself)."""
    bodies: list[str] = field(default_factory=list)
    """International bodies named in the item."""
    agencies: set[str] = field(default_factory=set)
    """Countries that act through a national agency (named, or "X police", "X's customs")."""
    passive: list[str] = field(default_factory=list)
    """Countries named only as nationality, origin or destination."""

    def countries(self) -> list[str]:
        return list(self.acting)

    def describe(self, limit: int = 6) -> str:
        """The actors as a reader checks them: "United States (DEA), Kenya"."""
        parts = []
        for country, names in islice(self.acting.items(), limit):
            if len(names) == 1 and names[0] == country:  # the country itself, most often
                parts.append(country)
                continue
            via = [n for n in names if n != country]
            parts.append(f"{country} ({', '.join(via[:2])})" if via else country)
        return ", ".join(parts)


class Mention(NamedTuple):
    """An entity found in the item: its role, country and where it occurs (a named tuple: an
    item names dozens of entities, and a frozen dataclass took a microsecond to build each)."""

    name: str
    role: str
    country: str | None
    spans: Sequence[tuple[int, int]]


def cast(mentions: Sequence[Mention], text: str) -> Cast:
    """The actors among an item's entity mentions, in order of first mention."""
    found = Cast()
    for mention in mentions:
        if mention.role == BODY:
            found.bodies.append(mention.name)
            continue
        country = mention.country
        if country is None or mention.role == OTHER:
            continue
        if mention.role == AGENCY:
            found.acting.setdefault(country, []).append(mention.name)
            found.agencies.add(country)
            continue
        folded_name = mention.name.casefold()
        passive, through_agency = bool(mention.spans), False
        for start, stop in mention.spans:
            kind = mention_kind(text, start, stop, name=folded_name)
            if kind == ACTS_AS_AGENCY:
                passive, through_agency = False, True
                break  # acting through an agency: what the other mentions are changes nothing
            if kind != PASSIVE:
                passive = False
        if passive:
            if country not in found.passive:
                found.passive.append(country)
            continue
        found.acting.setdefault(country, []).append(mention.name)
        if through_agency:
            found.agencies.add(country)
    found.passive = [c for c in found.passive if c not in found.acting]
    return found
