"""A topic file as validated, frozen pydantic models (SPEC 3.2)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from bot.matching.textmodel import TextModel

Language = Annotated[str, StringConstraints(pattern=r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")]
TopicId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
GroupName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class Frozen(BaseModel):
    """Base for topic sections: unknown keys are errors and values never change."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class TermSpec(Frozen):
    """One watch term in its long form; a plain string in YAML is `{term: ..., weight: 1}`.

    `*` at the end of a word matches any ending (`наркотик*`); `regex` is an RE2 pattern
    searched in the normalised (case-folded) text instead of a literal term.
    """

    term: str | None = Field(default=None, min_length=1, max_length=200)
    regex: str | None = Field(default=None, min_length=1, max_length=500)
    weight: float = Field(default=1.0, gt=0.0, le=5.0)
    match_case: bool = False
    label: str | None = Field(default=None, max_length=100)
    """How a regex term is named in explanations (default: the pattern)."""

    @field_validator("term")
    @classmethod
    def _not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip(" *"):
            raise ValueError("a term needs at least one letter besides '*'")
        return value

    @model_validator(mode="after")
    def _term_or_regex(self) -> TermSpec:
        if (self.term is None) == (self.regex is None):
            raise ValueError("give either `term` or `regex`")
        return self

    @property
    def name(self) -> str:
        """How the term is shown in explanations."""
        return self.term or self.label or f"/{self.regex}/"


def short_terms(value: object) -> object:
    """A bare YAML string in a term list is the short form of `{term: ...}`."""
    if not isinstance(value, dict):
        return value
    return {
        lang: [{"term": t} if isinstance(t, str) else t for t in items]
        if isinstance(items, list)
        else items
        for lang, items in value.items()
    }


Terms = Annotated[dict[Language, tuple[TermSpec, ...]], BeforeValidator(short_terms)]


class GroupSpec(Frozen):
    """A weighted group of terms; each hit adds evidence, the group adds up to `weight`."""

    weight: Unit
    min_evidence: float = Field(default=1.0, gt=0.0, le=20.0)
    """For a required group: evidence below this counts as absent (one term of weight 1)."""
    saturation: float = Field(default=3.0, gt=0.0, le=50.0)
    """Evidence at which the group gives its full weight; less gives a share of it."""
    terms: Terms = Field(default_factory=dict)


class ExclusionSpec(Frozen):
    """Terms of another sense of the topic's words (pharmaceutical 'drug'): they lower the score."""

    penalty: Unit = 0.1
    """Subtracted per unit of exclusion evidence."""
    max_penalty: Unit = 0.4
    terms: Terms = Field(default_factory=dict)


EntityType = Literal["organisation", "person", "country", "territory", "place"]


class EntitySpec(Frozen):
    """A named organisation, person or place, recognised by its aliases in each language."""

    name: str = Field(min_length=1, max_length=200)
    type: EntityType
    aliases: Terms = Field(default_factory=dict)
    international: bool = False
    """An international body: its presence signals cross-border work."""
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    """The country a national body belongs to (ISO code), counted for cross-border diversity."""
    groups: tuple[GroupName, ...] = ()
    """Groups the entity adds evidence to, `weight` each; a group whose words are in the
    entity's own name is left out ("Drugs" in the UN Office on Drugs and Crime)."""
    weight: float = Field(default=1.0, gt=0.0, le=5.0)
    mandate: dict[GroupName, Annotated[float, Field(gt=0.0, le=5.0)]] = Field(default_factory=dict)
    """Evidence the entity's mandate gives a group whenever it acts in an item, whatever its
    name says: a drug-control body's meeting is about drugs (`{drugs: 1.0}`), a body whose
    mandate is wider counts partly (`{drugs: 0.5}`)."""


class EntitiesSpec(Frozen):
    """The topic's gazetteer: its own entities, plus every country when `countries` is on."""

    countries: bool = False
    places: bool = False
    """Also provinces, states and big cities, each standing for its country (Sinaloa: Mexico)."""
    items: tuple[EntitySpec, ...] = ()


class ProximitySpec(Frozen):
    """Terms of all required groups close together (same sentence or `window` words) count more."""

    window: int = Field(default=20, ge=1, le=500)
    bonus: Unit = 0.15


class CrossBorderSpec(Frozen):
    """Two or more countries, or an international body, signal cross-border work."""

    min_countries: int = Field(default=2, ge=1, le=20)
    bonus: Unit = 0.15
    groups: tuple[GroupName, ...] = ()
    """Groups whose terms ("transnational") also signal cross-border work, without the bonus."""
    required: bool = False
    """Without any cross-border signal the score is cut like a missing required group."""
    actor_group: GroupName | None = None
    """Agencies of one country acting with another country (the UK's NCA with Ghana's
    narcotics board) are evidence of this group, even with no cooperation word."""
    actor_evidence: float = Field(default=1.0, ge=0.0, le=5.0)
    """How much evidence such a pair of actors adds to `actor_group`."""
    country_evidence: float = Field(default=0.0, ge=0.0, le=5.0)
    """Evidence for `actor_group` when two or more countries act in the item but neither an
    international body nor two national agencies do (Mexico handing suspects to the United
    States with no cooperation word): less than a pair of agencies, since two states also
    act together in items about other matters."""


class ModelSpec(Frozen):
    """The topic's text model (bot.matching.textmodel), blended with the rule score."""

    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)

    file: str = Field(min_length=1, max_length=500)
    """The `.npz` file, relative to the topic file (`narcowatch train --write` writes it)."""
    weight: Unit = 0.4
    """The blend: score = (1 - weight) x rule score + weight x the model's probability."""
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    """The file's checksum as last written: a file changed since is refused."""
    loaded: TextModel | None = Field(default=None, exclude=True, repr=False)
    """The numbers, read by the topic loader (never written in YAML)."""


class TopicSpec(Frozen):
    """A topic: what to look for, how to weigh it, and the score at which an item matches."""

    id: TopicId
    title: str = Field(min_length=1, max_length=200)
    description: str = ""
    threshold: float
    title_boost: float = Field(default=2.0, ge=1.0, le=10.0)
    """Hits in the title count this many times."""
    repeat_weight: Unit = 0.5
    """Each further occurrence of a term adds this share of its weight."""
    missing_required_factor: Unit = 0.5
    """The rule score is multiplied by this when a required group is missing. Without a text
    model such an item never matches; with one, the blend decides."""
    groups: dict[GroupName, GroupSpec]
    required: tuple[GroupName, ...] = ()
    exclusions: ExclusionSpec = ExclusionSpec()
    entities: EntitiesSpec = EntitiesSpec()
    proximity: ProximitySpec = ProximitySpec()
    cross_border: CrossBorderSpec = CrossBorderSpec()
    model: ModelSpec | None = None

    @field_validator("threshold")
    @classmethod
    def _unit(cls, value: float) -> float:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"threshold must be between 0 and 1, not {value}")
        return value

    @field_validator("groups")
    @classmethod
    def _some_group(cls, value: dict[str, GroupSpec]) -> dict[str, GroupSpec]:
        if not value:
            raise ValueError("a topic needs at least one term group")
        return value
