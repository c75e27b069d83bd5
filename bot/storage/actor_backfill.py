"""Actors of matches stored before actors were (migration 0008): read back from the reasons.

A match made before 0008 has no `match_actor` rows, but its reasons name the actors the
matcher counted, in the words `bot.matching.actors.Cast.describe` and `score_topic` used:
"actors that counted: United States (DEA, FBI), Kenya" (countries, at most six) and
"cross-border: ...; international bodies (UNODC, Interpol)" (bodies, at most four). Those
names are turned back into ISO codes with the bundled gazetteer. Re-scoring the stored text
would need the topic files, which a migration does not have (and which may have changed
since the alert went out: the reasons are what the subscriber was told).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

COUNTED = "actors that counted: "
BODIES = "international bodies ("
BATCH = 2000


def _top_level(text: str, stop: str = "") -> tuple[list[str], int]:
    """Split `text` at ", " outside parentheses, until an unmatched `stop` (or the end);
    returns the parts and where reading stopped."""
    parts, depth, start, at = [], 0, 0, 0
    while at < len(text):
        ch = text[at]
        if ch == "(":
            depth += 1
        elif ch == ")":
            if depth == 0 and stop == ")":
                break
            depth -= 1
        elif ch == ";" and depth == 0 and stop == ";":
            break
        elif text.startswith(", ", at) and depth == 0:
            parts.append(text[start:at])
            start = at + 2
            at += 2
            continue
        at += 1
    parts.append(text[start:at])
    return [p.strip() for p in parts if p.strip()], at


def _outside_parentheses(part: str) -> str:
    """ "United States (DEA, FBI)" -> "United States"."""
    depth = 0
    for at, ch in enumerate(part):
        if ch == "(" and depth == 0 and at > 0 and part[at - 1] == " ":
            return part[: at - 1]
        depth += ch == "("
        depth -= ch == ")"
    return part


def actors_in_reasons(reasons: Sequence[str], codes: Mapping[str, str]) -> tuple[str, ...]:
    """The acting countries (codes; a name the gazetteer lacks, as written) and bodies the
    reasons name, each once, countries first."""
    countries: list[str] = []
    bodies: list[str] = []
    for reason in reasons:
        if not isinstance(reason, str):
            continue
        if reason.startswith(COUNTED):
            listed = reason[len(COUNTED) :]
            if not listed.startswith("no country"):
                parts, _ = _top_level(listed, stop=";")
                countries.extend(codes.get(name, name) for name in map(_outside_parentheses, parts))
        at = reason.find(BODIES)
        if reason.startswith("cross-border: ") and at >= 0:
            parts, _ = _top_level(reason[at + len(BODIES) :], stop=")")
            bodies.extend(parts)
    return tuple(dict.fromkeys([*countries, *bodies]))


def _matches() -> sa.TableClause:
    return sa.table(
        "match",
        sa.column("id", sa.Integer),
        sa.column("reasons", sa.JSON),
        sa.column("actors", sa.JSON),
    )


def _match_actor() -> sa.TableClause:
    return sa.table("match_actor", sa.column("match_id", sa.Integer), sa.column("actor", sa.String))


def backfill_actors(conn: Connection, codes: Mapping[str, str]) -> int:
    """Set the actors of every stored match, read from its reasons, on the match and as
    match_actor rows; returns the rows made. Runs in batches by id, so a large table is never
    held in memory at once."""
    matches, actors = _matches(), _match_actor()
    made, after = 0, 0
    while True:
        rows = conn.execute(
            sa.select(matches.c.id, matches.c.reasons)
            .where(matches.c.id > after)
            .order_by(matches.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return made
        found = {
            row.id: [a[:100] for a in actors_in_reasons(row.reasons or (), codes)] for row in rows
        }
        conn.execute(
            sa.update(matches).where(matches.c.id == sa.bindparam("match")),
            [{"match": match_id, "actors": listed} for match_id, listed in found.items()],
        )
        values = list(_rows(found))
        if values:
            conn.execute(sa.insert(actors), values)
            made += len(values)
        after = rows[-1].id


def _rows(found: Mapping[int, Sequence[str]]) -> Iterable[dict[str, Any]]:
    for match_id, listed in found.items():
        for actor in dict.fromkeys(listed):
            yield {"match_id": match_id, "actor": actor}
