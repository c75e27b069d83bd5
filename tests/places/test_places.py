"""Places: the regions table is what its script makes from its sources; names in English,
Chinese and Russian find their country or region; a chat's places decide which alerts it takes."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pycountry
import pytest

from bot.places.follow import chat_wants, place_codes
from bot.places.names import closest, name_key, parse_places, resolve
from bot.places.table import COUNTRY, GROUP, M49, places_by_key, regions

ROOT = Path(__file__).resolve().parents[2]


def make_regions() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_regions", ROOT / "scripts/make_regions.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_regions"] = module
    spec.loader.exec_module(module)
    return module


def test_the_shipped_table_is_what_the_script_makes() -> None:
    """regions.tsv equals a fresh run of scripts/make_regions.py (its sources are locked)."""
    text, _dropped = make_regions().render()
    shipped = (ROOT / "bot/places/data/regions.tsv").read_text(encoding="utf-8")
    assert text == shipped, "regions.tsv is stale: run scripts/make_regions.py"


def test_every_region_has_real_countries_and_a_source() -> None:
    """Members are ISO 3166 codes (or Kosovo's XK); every region says where it comes from."""
    known = {c.alpha_2 for c in pycountry.countries} | {"XK"}
    assert len([r for r in regions() if r.kind == M49]) == 29
    for region in regions():
        assert region.members, region.key
        assert region.members <= known, (region.key, region.members - known)
        assert region.source, region.key
        assert region.kind in (M49, GROUP)


@pytest.mark.parametrize(
    ("key", "members"),
    [
        ("143", {"KZ", "KG", "TJ", "TM", "UZ"}),
        ("GOLDEN-TRIANGLE", {"LA", "MM", "TH"}),
        ("GOLDEN-CRESCENT", {"AF", "IR", "PK"}),
        ("CSTO", {"AM", "BY", "KZ", "KG", "RU", "TJ"}),
        ("SCO", {"BY", "CN", "IN", "IR", "KZ", "KG", "PK", "RU", "TJ", "UZ"}),
    ],
)
def test_regions_hold_their_members(key: str, members: set[str]) -> None:
    """Central Asia (M49) and the field's own regions hold the countries their sources name."""
    assert places_by_key()[key].members == members


def test_m49_nests_and_the_caribbean_is_in_latin_america() -> None:
    """An area's countries are in the area holding it; the EU has 27 members and no UK."""
    by_key = places_by_key()
    assert by_key["029"].members <= by_key["419"].members <= by_key["019"].members
    assert by_key["143"].members <= by_key["142"].members
    assert "JM" in by_key["029"].members
    assert len(by_key["EU"].members) == 27
    assert "GB" not in by_key["EU"].members
    assert len(by_key["ASEAN"].members) == 11


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Central Asia", "143"),
        ("central asia", "143"),
        ("中亚", "143"),
        ("中亞", "143"),  # traditional characters
        ("Центральная Азия", "143"),
        ("Центральной Азии", "143"),  # another case
        ("Средняя Азия", "143"),
        ("Golden Triangle", "GOLDEN-TRIANGLE"),
        ("金三角", "GOLDEN-TRIANGLE"),
        ("Золотого треугольника", "GOLDEN-TRIANGLE"),
        ("the Caribbean", "029"),
        ("Карибы", "029"),
        ("EU", "EU"),
        ("欧盟", "EU"),
        ("Евросоюз", "EU"),
        ("ASEAN members", "ASEAN"),
        ("东盟", "ASEAN"),
        ("Southeast Asia", "035"),
        ("Юго-Восточной Азии", "035"),
        ("Latin America", "419"),
        ("China", "CN"),
        ("Китаем", "CN"),
        ("United States", "US"),
        ("США", "US"),
        ("Казахстане", "KZ"),
        ("KZ", "KZ"),
        ("kz", "KZ"),
        ("143", "143"),
    ],
)
def test_names_in_three_languages_find_their_place(name: str, key: str) -> None:
    """Case, script, Russian endings and codes all lead to the same place."""
    place = resolve(name)
    assert place is not None, name
    assert place.key == key


def test_shared_and_country_names_stay_with_countries() -> None:
    """中美 names China and the US at once: neither. Южная Африка is the country."""
    assert resolve("中美") is None
    south_africa = resolve("Южная Африка")
    assert south_africa is not None
    assert (south_africa.key, south_africa.kind) == ("ZA", COUNTRY)
    assert name_key("Центральной Азии") == name_key("центральн* ази*")


def test_unknown_names_get_the_closest_names() -> None:
    """A misspelling is not resolved, but its neighbours are offered."""
    assert resolve("Cental Asia") is None
    assert closest("Cental Asia")[0] == "Central Asia"
    assert closest("Golden Triangel")[0] == "Golden Triangle"
    found, unknown = parse_places("Central Asia, 金三角；Narnia、China")
    assert [p.key for p in found] == ["143", "GOLDEN-TRIANGLE", "CN"]
    assert [u.text for u in unknown] == ["Narnia"]


def test_chat_wants_an_alert_in_which_one_of_its_places_acts() -> None:
    """No places: every alert. Places: only alerts one of whose acting countries is in them;
    an alert with only a body acting reaches no place-following chat."""
    assert chat_wants(None, ("CN",))
    assert chat_wants((), ())
    assert chat_wants(("143",), ("RU", "KZ"))
    assert not chat_wants(("143",), ("CN", "LA", "UNODC"))
    assert chat_wants(("143", "CN"), ("CN", "LA"))
    assert not chat_wants(("143",), ("UNODC",))
    assert place_codes(["GOLDEN-TRIANGLE", "CN"]) == {"LA", "MM", "TH", "CN"}
    assert place_codes(["XX"]) == {"XX"}  # a key the table lost still filters by itself
