"""Regenerates bot/places/data/regions.tsv: the regions a chat can follow, with their countries.

Run: uv run --frozen python scripts/make_regions.py   (country-converter and babel are dev
dependencies; the generated file is committed, so the image carries neither package).

Sources:
- UN M49 regions, sub-regions and intermediate regions: which countries each holds comes from
  country_converter's data (its `continent` column is the M49 region, `UNregion` the
  intermediate region where M49 has one, else the sub-region). M49's two sub-regions made of
  intermediate regions (Sub-Saharan Africa, Latin America and the Caribbean) hold the
  countries of those intermediate regions, as M49 defines them. The numeric codes are M49's,
  each checked against CLDR's list of M49 areas (Babel), which also gives every area's name
  in Chinese and Russian.
- Regions this field names that M49 lacks (GROUPS below): each with the source of its
  membership in the file's last column.
- Usual aliases (Southeast Asia, 拉美, Средняя Азия): the region rows of
  bot/matching/data/countries.tsv (the matcher's own words for regions) and USUAL below.

A name that is also a country's name or alias in countries.tsv is left to the country
("Южная Африка" is South Africa, not Southern Africa; 中非 the Central African Republic).
"""

from __future__ import annotations

import csv
import importlib.metadata
import importlib.resources
import re
import sys
from collections import defaultdict
from pathlib import Path

from babel import Locale

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.places.names import name_key  # noqa: E402  (folds names as /where does)

OUT = ROOT / "bot" / "places" / "data" / "regions.tsv"
COUNTRIES = ROOT / "bot" / "matching" / "data" / "countries.tsv"

# M49 areas as country_converter names them -> (M49 code, the code of the area holding it).
M49 = {
    "Africa": ("002", None),
    "Northern Africa": ("015", "002"),
    "Sub-Saharan Africa": ("202", "002"),
    "Eastern Africa": ("014", "202"),
    "Middle Africa": ("017", "202"),
    "Southern Africa": ("018", "202"),
    "Western Africa": ("011", "202"),
    "America": ("019", None),
    "Latin America and the Caribbean": ("419", "019"),
    "Caribbean": ("029", "419"),
    "Central America": ("013", "419"),
    "South America": ("005", "419"),
    "Northern America": ("021", "019"),
    "Asia": ("142", None),
    "Central Asia": ("143", "142"),
    "Eastern Asia": ("030", "142"),
    "South-eastern Asia": ("035", "142"),
    "Southern Asia": ("034", "142"),
    "Western Asia": ("145", "142"),
    "Europe": ("150", None),
    "Eastern Europe": ("151", "150"),
    "Northern Europe": ("154", "150"),
    "Southern Europe": ("039", "150"),
    "Western Europe": ("155", "150"),
    "Oceania": ("009", None),
    "Australia and New Zealand": ("053", "009"),
    "Melanesia": ("054", "009"),
    "Micronesia": ("057", "009"),
    "Polynesia": ("061", "009"),
}
SHOWN = {"America": "Americas", "South-eastern Asia": "South-eastern Asia"}
"""M49's own English name where country_converter's differs."""

# Everyday names of M49 areas (English; Chinese; Russian) beside M49's and CLDR's.
USUAL = {
    "035": ("Southeast Asia;South East Asia;South-East Asia;SE Asia", "东南亚", ""),
    "419": ("Latin America;LatAm", "拉美;拉丁美洲和加勒比", "Латинская Америка"),
    "029": (
        "the Caribbean;Caribbean region",
        "加勒比;加勒比海地区",
        "Карибский регион;Карибск* бассейн*",
    ),
    "143": ("", "中亚地区", "Средняя Азия"),
    "011": ("West Africa", "", ""),
    "014": ("East Africa", "", ""),
    "021": ("North America", "", ""),
    "145": ("West Asia", "", ""),
    "030": ("East Asia", "", ""),
    "034": ("South Asia", "南亚地区", ""),
    "151": ("", "", ""),
    "053": ("Australasia", "", ""),
}

# Regions this field names that M49 lacks: key -> (members, English; Chinese; Russian, source).
GROUPS = {
    "GOLDEN-TRIANGLE": (
        "LA MM TH",
        "Golden Triangle",
        "金三角",
        "Золотой треугольник;Золот* треугольник*",
        "UNODC, Synthetic Drugs in East and Southeast Asia (annual): the area where the borders"
        " of Laos, Myanmar and Thailand meet",
    ),
    "GOLDEN-CRESCENT": (
        "AF IR PK",
        "Golden Crescent",
        "金新月",
        "Золотой полумесяц;Золот* полумесяц*",
        "UNODC, World Drug Report: the opium-producing area where Afghanistan, Iran and"
        " Pakistan meet",
    ),
    "MEKONG-MOU": (
        "KH CN LA MM TH VN",
        "Mekong MOU countries;Mekong;Mekong region;Greater Mekong Subregion;GMS",
        "湄公河地区;湄公河次区域;大湄公河次区域",
        "Меконг;Меконгск* регион*",
        "UNODC, Memorandum of Understanding on Drug Control in the Mekong region (1993):"
        " signatories Cambodia, China, Laos, Myanmar, Thailand, Vietnam",
    ),
    "EU": (
        "",  # from country_converter's EU column
        "European Union;EU;EU members;EU member states",
        "欧盟;欧洲联盟;欧盟国家",
        "ЕС;Евросоюз;Европейский союз;страны ЕС",
        "country_converter EU column (the current member states)",
    ),
    "ASEAN": (
        "BN KH ID LA MY MM PH SG TH TL VN",
        "ASEAN members;ASEAN;ASEAN member states;ASEAN countries",
        "东盟;东盟国家;东盟成员国;东南亚国家联盟",
        "АСЕАН;страны АСЕАН",
        "ASEAN Secretariat, Member States; Timor-Leste admitted as the 11th member at the 47th"
        " ASEAN Summit, 26 October 2025",
    ),
    "SCO": (
        "BY CN IN IR KZ KG PK RU TJ UZ",
        "SCO members;SCO;SCO member states;Shanghai Cooperation Organisation members",
        "上合组织成员国;上合组织;上海合作组织",
        "ШОС;страны ШОС;государства-члены ШОС",
        "SCO Secretariat, Member States: the founding six, India and Pakistan (2017), Iran"
        " (2023), Belarus (2024)",
    ),
    "CSTO": (
        "AM BY KZ KG RU TJ",
        "CSTO members;CSTO;CSTO member states",
        "集安组织成员国;集安组织;集体安全条约组织",
        "ОДКБ;страны ОДКБ;государства-члены ОДКБ",
        "CSTO Secretariat, Member States (Armenia froze its participation in 2024 and remains"
        " a member)",
    ),
    "ANDEAN": (
        "BO CO EC PE",
        "Andean Community;Andean countries;Andean region;CAN members",
        "安第斯共同体;安第斯国家;安第斯地区",
        "Андское сообщество;Андск* стран*;Андск* регион*",
        "Andean Community (CAN) General Secretariat, Member Countries",
    ),
    "WESTERN-BALKANS": (
        "AL BA XK ME MK RS",
        "Western Balkans",
        "西巴尔干;西巴尔干地区",
        "Западные Балканы;Западн* Балкан*",
        "European Union, enlargement policy: the Western Balkans partners",
    ),
}


def _codes(cell: str) -> list[str]:
    """ISO 3166 alpha-2 codes in a country_converter cell ("^GR$|^EL$" is Greece: GR)."""
    return re.findall(r"[A-Z]{2}", cell)[:1]


def converter_rows() -> list[dict[str, str]]:
    path = importlib.resources.files("country_converter") / "country_data.tsv"
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def countries_tsv() -> tuple[set[str], dict[str, tuple[str, str, str]]]:
    """Folded aliases of every country in countries.tsv, and its region rows by English name."""
    taken: set[str] = set()
    regions: dict[str, tuple[str, str, str]] = {}
    for line in COUNTRIES.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        _code, kind, en, zh, ru = (line.split("\t") + [""] * 5)[:5]
        if kind in ("country", "territory"):
            for cell in (en, zh, ru):
                taken.update(fold(a) for a in cell.split(";") if a.strip())
        elif kind == "region":
            regions[en.split(";")[0]] = (en, zh, ru)
    return taken, regions


def fold(alias: str) -> str:
    return name_key(alias.strip().lstrip("="))


def m49_members(rows: list[dict[str, str]]) -> dict[str, set[str]]:
    members: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        if row["obsolete"]:
            continue
        for code in _codes(row["ISO2"]):
            for area in (row["continent"], row["UNregion"]):
                if area in M49:
                    members[M49[area][0]].add(code)
    parents = {code: parent for code, parent in M49.values()}
    # The holding areas take their parts' countries (deepest first: 029 -> 419 -> 019).
    for _ in range(3):
        for code, parent in parents.items():
            if parent is not None:
                members[parent] |= members[code]
    return members


def render() -> tuple[str, list[str]]:
    """The file's text, and the names left to countries."""
    rows = converter_rows()
    taken, region_rows = countries_tsv()
    en_cldr, zh_cldr, ru_cldr = Locale("en"), Locale("zh"), Locale("ru")
    members = m49_members(rows)
    eu = sorted(
        {c for row in rows if row["EU"] and not row["obsolete"] for c in _codes(row["ISO2"])}
    )
    reused = {
        "Latin America": "419",
        "South America": "005",
        "Central America": "013",
        "North America": "021",
        "Central Asia": "143",
        "Southeast Asia": "035",
        "West Africa": "011",
        "East Africa": "014",
    }
    from_countries_tsv = {code: region_rows[name] for name, code in reused.items()}
    out: list[list[str]] = []
    dropped: list[str] = []

    def keep(cell: str) -> str:
        kept = []
        for alias in cell.split(";"):
            if not alias.strip():
                continue
            if fold(alias) in taken:
                dropped.append(alias)
                continue
            if alias not in kept:
                kept.append(alias)
        return ";".join(kept)

    converter = importlib.metadata.version("country_converter")
    for name, (code, _parent) in M49.items():
        if code not in en_cldr.territories:
            raise SystemExit(f"M49 code {code} ({name}) is not an area CLDR knows")
        usual = USUAL.get(code, ("", "", ""))
        reuse = from_countries_tsv.get(code, ("", "", ""))
        en = [SHOWN.get(name, name), en_cldr.territories[code], usual[0], reuse[0]]
        zh = [zh_cldr.territories[code], usual[1], reuse[1]]
        ru = [ru_cldr.territories[code], usual[2], reuse[2]]
        out.append(
            [
                code,
                "m49",
                " ".join(sorted(members[code])),
                keep(";".join(en)),
                keep(";".join(zh)),
                keep(";".join(ru)),
                f"UN M49 via country_converter {converter}",
            ]
        )
    for key, (listed, en_names, zh_names, ru_names, source) in GROUPS.items():
        codes = listed.split() or eu
        names = [keep(en_names), keep(zh_names), keep(ru_names)]
        out.append([key, "group", " ".join(sorted(codes)), *names, source])
    for row in out:
        if not row[3]:
            raise SystemExit(f"{row[0]}: every English name is also a country's")
    lines = [
        "# Generated by scripts/make_regions.py: do not edit, run the script.",
        f"# UN M49 areas: members from country_converter {converter}, codes checked against and"
        f" Chinese/Russian names from CLDR (Babel {importlib.metadata.version('babel')});",
        "# groups M49 lacks: members from the source in the last column.",
        "# Columns: key, kind, members (ISO 3166 alpha-2), English (first is shown), Chinese,"
        " Russian (';' between aliases; '*' ends a stem), source.",
        *("\t".join(row) for row in out),
    ]
    return "\n".join(lines) + "\n", sorted(set(dropped))


def main() -> int:
    text, dropped = render()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {text.count(chr(10)) - 4} regions", file=sys.stderr)
    if dropped:
        print(f"left to countries: {', '.join(dropped)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
