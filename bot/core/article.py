"""How a score says it was made on the article page's text rather than the feed's."""

from __future__ import annotations

from dataclasses import replace

from bot.core.models import TopicScore

ARTICLE_REASON = "article text used"
ARTICLE_MARK = "📄 scored on the article text"


def with_article_reason(score: TopicScore, *, url: str, chars: int) -> TopicScore:
    """The score with a reason saying the article page's text was scored."""
    reason = (
        f"{ARTICLE_REASON}: the feed carried little text, "
        f"so {chars} characters of {url} were scored"
    )
    return replace(score, reasons=(*score.reasons, reason))


def used_article(score: TopicScore) -> bool:
    """Whether the score was made on the article page's text."""
    return any(reason.startswith(ARTICLE_REASON) for reason in score.reasons)
