"""The Metrics object on its own: what a scrape shows after the daemon sets a gauge."""

from __future__ import annotations

from bot.ops.metrics import Metrics
from tests.support.prometheus import samples


def test_feedback_gauge_follows_the_topics_that_have_a_model() -> None:
    """Each topic with a text model shows its judged alerts and missed items; a topic a reload
    dropped (or whose model went) disappears instead of showing its last figures forever."""
    metrics = Metrics()
    metrics.set_feedback_since_model({"alpha": (3, 1), "beta": (0, 2)})
    values = samples(metrics.render().decode())
    name = "narcowatch_feedback_since_model"
    assert values[(name, (("kind", "judged"), ("topic", "alpha")))] == 3
    assert values[(name, (("kind", "missed"), ("topic", "alpha")))] == 1
    assert values[(name, (("kind", "missed"), ("topic", "beta")))] == 2

    metrics.set_feedback_since_model({"alpha": (4, 1)})
    values = samples(metrics.render().decode())
    assert values[(name, (("kind", "judged"), ("topic", "alpha")))] == 4
    assert not [key for key in values if key[0] == name and ("topic", "beta") in key[1]]
