"""Learning from use, simulated on the held-back new outlets: what subscribers' verdicts teach.

Run: .venv/bin/python benchmarks/sim_feedback.py

The recipe model (the topic and a text model trained on the visible splits only, as
benchmarks/eval_matcher.py builds it) runs at a deployment that polls half of the new
outlets (train3, split in two by a hash of the id). Its subscribers judge every alert of that
half (Relevant / Not relevant) and report every relevant item it missed (/missed). The other
half, and the older outlets' untouched items, are then judged four ways:

  as it was       the recipe model, no verdict learnt
  verdicts alone  a new model trained from the verdicts alone (what `train --feedback`
                  without files did before it updated)
  files + verdicts  `train FILES --feedback`: a new model from the visible splits and the
                  verdicts, at the verdicts' weight (model_fit.feedback_weight)
  update          `train --feedback` without files: the recipe model updated with the verdicts
                  (model_fit.UPDATE_L2), its blend kept

Each half plays the deployment once. Only aggregate figures are printed (the items stay
unread). ../shared/eval is third-party data, never copied into the repo.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from eval_matcher import EVAL, LANGS, TOPICS, UNTOUCHED, VISIBLE, Row, load_splits  # noqa: E402

from bot.core.models import Item  # noqa: E402
from bot.matching import compile_topics, load_topic  # noqa: E402
from bot.matching.crossval import tally  # noqa: E402
from bot.matching.evaluate import Labelled  # noqa: E402
from bot.matching.model_fit import UPDATE_L2, examples, feedback_weight, train  # noqa: E402
from bot.matching.normalize import fold_item  # noqa: E402
from bot.matching.textfeatures import text_features  # noqa: E402
from bot.matching.training import Fitted, fit, predict  # noqa: E402

Model = Callable[[Labelled], float]


def labelled(row: Row) -> Labelled:
    item = Item(
        title=str(row["title"]), summary=str(row.get("summary") or ""), lang=str(row["lang"])
    )
    return Labelled(str(row["id"]), str(row["lang"]), int(str(row["label"])), item)


def half_of(row: Labelled) -> int:
    return int(hashlib.sha256(f"h{row.id}".encode()).hexdigest(), 16) % 2


def probability(fitted: Fitted) -> Model:
    return lambda row: predict(fitted, text_features(fold_item(row.item).text, bits=fitted.bits))


def figures(rows: Sequence[Labelled], verdicts: Sequence[bool]) -> str:
    metrics = tally(rows, verdicts)
    cells = []
    for lang in (*LANGS, "all"):
        c = metrics.overall if lang == "all" else metrics.by_lang.get(lang)
        cells.append(f"{c.precision:.2f}/{c.recall:.2f}/{c.f1:.2f}" if c else "-")
    return "  ".join(f"{cell:>14}" for cell in cells)


def main() -> int:
    if not EVAL.is_dir():
        print(f"{EVAL} is absent: nothing to simulate")
        return 1
    splits = load_splits()
    visible = [labelled(r) for name in VISIBLE for r in splits[name]]
    new_outlets = [labelled(r) for r in splits["fresh-train3"]]
    older = [labelled(r) for name in UNTOUCHED if name != "fresh-train3" for r in splits[name]]
    spec = load_topic(TOPICS / "drug-control-cooperation.yaml", env=os.environ)
    rules_only = compile_topics([spec.model_copy(update={"model": None})])
    rule_score = {
        (r.id, r.lang): rules_only.score_for(r.item, spec.id).score
        for r in (*visible, *new_outlets, *older)
    }
    print(f"recipe: the topic and a model trained on the {len(visible)} visible items")
    recipe = train(spec, visible)
    weight, threshold = recipe.weight, recipe.threshold
    print(f"blend {1 - weight:.2f} x rules + {weight:.2f} x model, threshold {threshold:.2f}")

    def verdicts(model: Model, rows: Sequence[Labelled]) -> list[bool]:
        return [
            (1 - weight) * rule_score[(r.id, r.lang)] + weight * model(r) >= threshold - 1e-12
            for r in rows
        ]

    header = "  ".join(f"{lang:>14}" for lang in (*LANGS, "all"))
    for deployed in (0, 1):
        seen = [r for r in new_outlets if half_of(r) == deployed]
        judged_half = [r for r in new_outlets if half_of(r) != deployed]
        alerted = verdicts(probability(recipe.fitted), seen)
        given = [r for r, hit in zip(seen, alerted, strict=True) if hit or r.label == 1]
        missed = sum(1 for r, hit in zip(seen, alerted, strict=True) if not hit and r.label)
        print(
            f"\n== the deployment polls half {deployed} of the new outlets ({len(seen)} items): "
            f"{len(given) - missed} alerts judged, {missed} misses reported"
        )
        carry = feedback_weight(len(visible), len(given))
        models: dict[str, Fitted] = {
            "as it was": recipe.fitted,
            "verdicts alone": fit(examples(given)),
            "files + verdicts": fit(
                examples([*visible, *(replace(r, weight=carry) for r in given)])
            ),
            "update": fit(examples(given), l2=UPDATE_L2, prior=recipe.fitted),
        }
        for name, rows in (("the other half", judged_half), ("older outlets", older)):
            print(f"{name} ({len(rows)} items), P/R/F1:\n{'':<18}{header}")
            for label, fitted in models.items():
                print(f"{label:<18}{figures(rows, verdicts(probability(fitted), rows))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
