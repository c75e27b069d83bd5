"""`narcowatch train` through the real CLI, and a topic's text model as check-config and
score see it."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from bot.matching.textmodel import decode
from tests.cli.test_eval_feedback import seed_feedback, seed_miss
from tests.support.cli import run_cli, start_cli, write_config
from tests.support.textmodels import GATED_TOPIC, line_of, train_model, write_model_topic

pytestmark = pytest.mark.slow

EN_CITIES = ("Vientiane", "Bangkok", "Yangon", "Hanoi", "Manila", "Jakarta", "Dhaka", "Kabul")
RU_CITIES = ("Москве", "Душанбе", "Бишкеке", "Ташкенте", "Алматы", "Минске")


def labelled_rows() -> list[dict[str, Any]]:
    """Relevant items meet counterparts, unrelated ones are a farmer's find: the rules see
    heroin in both and no cooperation word in either; the words tell them apart."""
    rows: list[dict[str, Any]] = []
    for n, city in enumerate(EN_CITIES):
        rows.append(
            {
                "id": f"en-p{n}",
                "lang": "en",
                "label": 1,
                "title": f"Heroin talks with counterparts in {city}",
                "summary": f"Officials from {city} met their counterparts about heroin routes.",
            }
        )
        rows.append(
            {
                "id": f"en-n{n}",
                "lang": "en",
                "label": 0,
                "title": f"Heroin found by a farmer near {city}",
                "summary": f"A farmer near {city} found a bag of heroin in a field.",
            }
        )
    for n, city in enumerate(RU_CITIES):
        rows.append(
            {
                "id": f"ru-p{n}",
                "lang": "ru",
                "label": 1,
                "title": f"Переговоры о героине с коллегами в {city}",
            }
        )
        rows.append(
            {"id": f"ru-n{n}", "lang": "ru", "label": 0, "title": f"Фермер нашёл героин в {city}"}
        )
    return rows


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")
    return path


def setup(tmp_path: Path, topic: str = GATED_TOPIC, **config: Any) -> tuple[Path, Path]:
    """The small topic and a config naming it."""
    path = tmp_path / "smuggling.yaml"
    path.write_text(topic, encoding="utf-8")
    return path, write_config(tmp_path, [], extra={"topics": [str(path)]}, **config)


def figures(stdout: str, row: str) -> list[float]:
    """The nine numbers of one row of train's table: as it stands, rules alone, with the
    model (precision, recall, F1 each)."""
    found = re.search(rf"^{row}\s+((?:\d\.\d{{3}}\s*){{9}})$", stdout, re.M)
    assert found is not None, stdout
    return [float(x) for x in found.group(1).split()]


def test_train_prints_cross_validated_figures_per_language_and_writes_nothing(
    tmp_path: Path,
) -> None:
    """Without --write, train prints before and after per language and the fitted blend, and
    leaves every file as it was."""
    topic, config = setup(tmp_path)
    data = write_jsonl(tmp_path / "labelled.jsonl", labelled_rows())
    result = run_cli("train", str(data), "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "28 labelled items (28 from files, 0 from feedback); 5-fold" in result.stdout
    for row in ("en", "ru", "overall"):
        _, _, _, _, _, rules_f1, _, _, model_f1 = figures(result.stdout, row)
        assert rules_f1 == 0.0  # the gate cuts every item: no cooperation word
        assert model_f1 > 0.9
    assert re.search(
        r"score = 0\.\d\d x rules \+ 0\.\d\d x model; threshold 0\.\d\d", result.stdout
    )
    assert "training 5 models for cross-validation" in result.stderr
    assert f"not written; --write writes {tmp_path / 'smuggling.model.npz'}" in result.stdout
    assert topic.read_text(encoding="utf-8") == GATED_TOPIC
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "labelled.jsonl",
        "narcowatch.yaml",
        "smuggling.yaml",
    ]


def test_several_files_are_also_each_judged_by_a_model_trained_on_the_others(
    tmp_path: Path,
) -> None:
    """Two files: a fourth column holds each file out in turn, each file's own figures follow
    the table, and --write records them; with one file (above) there is no such column."""
    _, config = setup(tmp_path)
    rows = labelled_rows()
    first = write_jsonl(tmp_path / "first.jsonl", [r for r in rows if r["lang"] == "en"])
    second = write_jsonl(tmp_path / "second.jsonl", [r for r in rows if r["lang"] == "ru"])
    result = run_cli("train", str(first), str(second), "--write", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "judging each of the 2 files by a model trained on the others" in result.stderr
    header = result.stdout.splitlines()[1]
    assert header.rstrip().endswith("each file held out**")
    overall = re.search(r"^overall((?:\s+\d\.\d{3}){12})$", result.stdout, re.M)
    assert overall is not None, result.stdout
    assert "** each file's items judged by a model trained on the other files only" in result.stdout
    record = json.loads((tmp_path / "smuggling.model.json").read_text(encoding="utf-8"))
    held = record["cross_validated"]["each_file_held_out"]
    assert sorted(held) == sorted(["all", str(first), str(second)])
    for name in (first, second):
        c = held[str(name)]["overall"]
        line = f"   {name}: P {c['precision']:.3f} R {c['recall']:.3f} F1 {c['f1']:.3f} ("
        assert line in result.stdout
    assert held["all"]["overall"]["items"] == len(rows)
    assert float(overall.group(1).split()[-1]) == held["all"]["overall"]["f1"]


def test_a_write_that_fails_leaves_every_file_as_it_was_and_says_which(tmp_path: Path) -> None:
    """The record cannot be written (a folder stands where it goes): exit 2 naming it and the
    system's reason; the model written before it is taken back and the topic is untouched."""
    topic, config = setup(tmp_path)
    data = write_jsonl(tmp_path / "labelled.jsonl", labelled_rows())
    (tmp_path / "smuggling.model.json").mkdir()
    result = run_cli("train", str(data), "--write", "--config", str(config))
    assert result.returncode == 2, result.stderr
    assert f"{tmp_path / 'smuggling.model.json'}: not written; the model, its record and " in (
        result.stderr
    )
    assert "smuggling.yaml are as they were: Is a directory" in result.stderr
    assert "Traceback" not in result.stderr
    assert topic.read_text(encoding="utf-8") == GATED_TOPIC
    assert not (tmp_path / "smuggling.model.npz").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_train_write_ships_numbers_with_provenance_and_the_topic_uses_them(
    tmp_path: Path,
) -> None:
    """--write writes the .npz and its provenance (files, command, cross-validated figures,
    no item text), names the model with its sha256 in the topic, which still loads; `score`
    then says what the model added; training again rewrites the same block."""
    topic, config = setup(tmp_path)
    rows = labelled_rows()
    data = write_jsonl(tmp_path / "labelled.jsonl", rows)
    result = run_cli("train", str(data), "--write", "--config", str(config))
    assert result.returncode == 0, result.stderr
    model_path = tmp_path / "smuggling.model.npz"
    record_path = tmp_path / "smuggling.model.json"
    model = model_path.read_bytes()
    digest = hashlib.sha256(model).hexdigest()
    assert f"wrote {model_path}" in result.stdout

    text = topic.read_text(encoding="utf-8")
    assert text.startswith(GATED_TOPIC.split("threshold:")[0])
    assert "model:\n  file: smuggling.model.npz\n  weight: 0." in text
    assert f"  sha256: {digest}\n" in text
    assert decode(model).digest == digest

    facts = json.loads(record_path.read_text(encoding="utf-8"))
    raw = data.read_bytes()
    assert facts["files"] == [
        {
            "path": str(data),
            "bytes": len(raw),
            "sha256": hashlib.sha256(raw).hexdigest(),
            "items": len(rows),
        }
    ]
    assert facts["command"] == f"narcowatch train {data} --write --config {config}"
    assert facts["topic"] == "smuggling"
    assert facts["items"] == len(rows)
    assert facts["model"]["sha256"] == digest
    with_model = facts["cross_validated"]["with_model"]
    assert with_model["en"]["f1"] == figures(result.stdout, "en")[8]
    assert with_model["ru"]["items"] == 2 * len(RU_CITIES)
    assert facts["cross_validated"]["rules_alone"]["overall"]["f1"] == 0.0

    # Numbers only: no title (nor any word of one) in the record or in the archive.
    record = record_path.read_text(encoding="utf-8").casefold()
    with zipfile.ZipFile(io.BytesIO(model)) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert sorted(members) == [
        "bias.npy",
        "bits.npy",
        "buckets.npy",
        "feature_version.npy",
        "format.npy",
        "weights.npy",
    ]
    with np.load(io.BytesIO(model), allow_pickle=False) as arrays:
        assert all(arrays[name].dtype.kind in "iuf" for name in arrays.files)
    for row in rows:
        for said in (row["title"], row.get("summary", "")):
            for word in [said, *said.split()]:
                if len(word) < 5 or word.casefold() in ("heroin",):
                    continue
                assert word.casefold() not in record, word
                assert word.encode() not in model
                assert all(word.encode() not in body for body in members.values()), word
    for word in ("counterparts", "farmer", "коллегами"):
        assert word not in record

    checked = run_cli("check-config", "--config", str(config))
    assert checked.returncode == 0, checked.stderr
    f1 = with_model["overall"]["f1"]
    assert (
        f"  smuggling: text model smuggling.model.npz (2^{facts['model']['bits']} features), "
        f"blend {facts['blend']['weight']:.2f}, threshold {facts['blend']['threshold']:.2f}\n"
        f"    trained {datetime.fromisoformat(facts['trained_at']):%Y-%m-%d %H:%M} UTC on "
        f"{len(rows)} labelled items from 1 file (cross-validated F1 {f1:.2f})\n"
    ) in checked.stdout
    item = {
        "id": "x",
        "title": "Heroin talks with counterparts in Lima",
        "summary": "Officials from Lima met their counterparts about heroin routes.",
        "lang": "en",
    }
    other = {"id": "y", "title": "Weather is mild"}
    scored = run_cli(
        "score", "--config", str(config), stdin=f"{json.dumps(item)}\n{json.dumps(other)}\n"
    )
    assert scored.returncode == 0, scored.stderr
    first, second = (json.loads(line) for line in scored.stdout.splitlines())
    assert (first["id"], second["id"]) == ("x", "y")
    assert first["matched"] is True
    assert first["text_model"]["probability"] > 0.8
    assert first["text_model"]["added"] > 0
    assert "counterparts" in first["text_model"]["phrases"]
    assert any(r.startswith("text model +0.") for r in first["reasons"])
    assert "text_model" not in second  # nothing of the topic found: the model is not asked

    again = run_cli("train", str(data), "--write", "--config", str(config))
    assert again.returncode == 0, again.stderr
    rewritten = topic.read_text(encoding="utf-8")
    assert rewritten.count("\nmodel:\n") == 1
    assert rewritten.count("sha256:") == 1
    digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    assert f"  sha256: {digest}\n" in rewritten
    assert run_cli("check-config", "--config", str(config)).returncode == 0


def test_train_counts_subscribers_verdicts_and_reads_items_from_stdin(tmp_path: Path) -> None:
    """--feedback adds the stored Relevant / Not relevant verdicts and reported misses; items
    read from stdin are recorded with their real size and checksum; the provenance says how
    many of each."""
    database_url = f"sqlite:///{tmp_path / 'nw.db'}"
    seed_feedback(database_url)  # three judged alerts of drug-control-cooperation
    seed_miss(database_url)  # and an item reported missed (by two users: one item)
    topic_text = GATED_TOPIC.replace("id: smuggling", "id: drug-control-cooperation")
    _, config = setup(tmp_path, topic_text, database_url=database_url)
    raw = write_jsonl(tmp_path / "labelled.jsonl", labelled_rows()).read_bytes()
    result = run_cli(
        "train", "-", "--feedback", "--write", "--config", str(config), stdin=raw.decode()
    )
    assert result.returncode == 0, result.stderr
    assert "32 labelled items (28 from files, 4 from feedback, each verdict weighing 7)" in (
        result.stdout
    )
    facts = json.loads((tmp_path / "smuggling.model.json").read_text(encoding="utf-8"))
    assert facts["feedback_verdicts"] == 4
    assert facts["feedback_weight"] == 7.0
    assert facts["items"] == 32
    assert facts["files"] == [
        {"path": "-", "bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest(), "items": 28}
    ]


BAD_INPUT = [
    ("few", [{"title": "heroin", "label": 1}, {"title": "x", "label": 0}], "at least 10"),
    (
        "one label",
        [{"title": f"heroin talks {n}", "label": 1} for n in range(12)],
        "two or more of each label (got 12: 12 relevant, 0 not)",
    ),
    ("bad line", [{"title": "heroin", "label": 1}, {"title": "x", "label": "yes"}], ':2: "label"'),
]


@pytest.mark.parametrize(
    ("rows", "message"), [(r, m) for _, r, m in BAD_INPUT], ids=[n for n, _, _ in BAD_INPUT]
)
def test_bad_training_input_exits_2_and_writes_nothing(
    tmp_path: Path, rows: list[dict[str, Any]], message: str
) -> None:
    """Too few items, one label only or a bad line: exit 2 with the reason; nothing written."""
    topic, config = setup(tmp_path)
    data = write_jsonl(tmp_path / "bad.jsonl", rows)
    result = run_cli("train", str(data), "--write", "--config", str(config))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert topic.read_text(encoding="utf-8") == GATED_TOPIC
    assert not list(tmp_path.glob("smuggling.model.*"))


def test_train_without_input_exits_2() -> None:
    """No FILE and no --feedback: exit 2 with the usage."""
    result = run_cli("train")
    assert result.returncode == 2
    assert "train needs FILE... of labelled items, or --feedback" in result.stderr


def open_fifo_for_writing(fifo: Path, process: subprocess.Popen[str]) -> int:
    """The write end of `fifo`, once the CLI has opened it for reading (the event that says
    it has read the topic file and is reading its items)."""
    while True:
        try:
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
        else:
            os.set_blocking(fd, True)
            return fd
        try:
            process.wait(timeout=0.05)
        except subprocess.TimeoutExpired:
            continue
        raise AssertionError(f"train exited before reading its items: {process.stderr}")


def test_train_refuses_to_write_when_the_topic_changed_meanwhile(tmp_path: Path) -> None:
    """Someone edits the topic while the model trains: train exits 2 rather than write over
    the edit, and leaves the edit and no model behind."""
    topic, config = setup(tmp_path)
    fifo = tmp_path / "items.fifo"
    os.mkfifo(fifo)
    process = start_cli("train", str(fifo), "--write", "--config", str(config))
    try:
        fd = open_fifo_for_writing(fifo, process)
        edited = GATED_TOPIC.replace("title: Smuggling cooperation", "title: Edited meanwhile")
        topic.write_text(edited, encoding="utf-8")
        with os.fdopen(fd, "w", encoding="utf-8") as items:
            items.write("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in labelled_rows()))
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 2, stderr
    assert f"{topic} changed while the model was trained: run train again" in stderr
    assert "with the new model (cv)" in stdout
    assert topic.read_text(encoding="utf-8") == edited
    assert not list(tmp_path.glob("smuggling.model.*"))


@pytest.mark.parametrize(
    ("spoil", "checksum", "message"),
    [
        (lambda model: model.unlink(), True, "No such file or directory"),
        (lambda model: model.write_bytes(b"garbage"), False, "not a model file"),
        (
            lambda model: model.write_bytes(train_model(["a zebra"], ["a tractor"])),
            True,
            "its sha256 differs from the one this topic names",
        ),
    ],
    ids=["missing", "corrupt", "changed"],
)
def test_check_config_names_the_model_file_line(
    tmp_path: Path, spoil: Any, checksum: bool, message: str
) -> None:
    """A missing, corrupt or changed model file fails check-config with exit 2 and a
    file:line message at the topic's `model.file` line."""
    topic = write_model_topic(tmp_path, checksum=checksum)
    config = write_config(tmp_path, [], extra={"topics": [str(topic)]})
    assert run_cli("check-config", "--config", str(config)).returncode == 0
    model = tmp_path / "models" / "smuggling.npz"
    spoil(model)
    result = run_cli("check-config", "--config", str(config))
    assert result.returncode == 2
    line = line_of(topic, "  file:")
    assert f"{topic}:{line}: model file {model}: " in result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_check_config_names_a_mandate_of_an_unknown_group(tmp_path: Path) -> None:
    """An entity's mandate naming a group the topic lacks: exit 2 at that line."""
    topic = GATED_TOPIC + (
        "entities:\n"
        "  items:\n"
        "    - name: Narcotics Board\n"
        "      type: organisation\n"
        "      international: true\n"
        "      mandate: {narcotics: 1.0}\n"
        "      aliases: {en: [Narcotics Board]}\n"
    )
    path, config = setup(tmp_path, topic)
    result = run_cli("check-config", "--config", str(config))
    assert result.returncode == 2
    line = line_of(path, "      mandate:")
    assert (
        f"{path}:{line}: entity 'Narcotics Board' mandate names unknown group 'narcotics'"
        in result.stderr
    )


def test_train_replaces_a_model_file_that_no_longer_loads(tmp_path: Path) -> None:
    """A damaged model file (or one from an older program) is what training replaces: train
    says it leaves it out, writes a new one, and the topic loads again."""
    topic = write_model_topic(tmp_path, checksum=True)
    config = write_config(tmp_path, [], extra={"topics": [str(topic)]})
    model = tmp_path / "models" / "smuggling.npz"
    model.write_bytes(b"PK\x03\x04 not a model")
    assert run_cli("check-config", "--config", str(config)).returncode == 2
    data = write_jsonl(tmp_path / "labelled.jsonl", labelled_rows())
    result = run_cli("train", str(data), "--write", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "the topic's current model is left out; training a new one" in result.stderr
    assert decode(model.read_bytes()).digest == hashlib.sha256(model.read_bytes()).hexdigest()
    assert run_cli("check-config", "--config", str(config)).returncode == 0


def seed_verdicts(database_url: str, judged: list[tuple[str, str]]) -> None:
    """Alerts of drug-control-cooperation on items with these titles, each judged once with
    its verdict, all given now."""
    from datetime import UTC, datetime

    from bot.core.models import Item
    from bot.storage import open_store
    from tests.support.alerts import CHAT, stored_alerts

    now = datetime.now(UTC)
    store = open_store(database_url)
    try:
        items = [Item(title=title) for title, _ in judged]
        alerts = stored_alerts(store, items, topic="drug-control-cooperation", at=now)
        for match_id, (_, verdict) in zip(alerts, judged, strict=True):
            store.record_feedback(match_id, CHAT, 1, verdict, now=now)
    finally:
        store.close()


def test_feedback_alone_updates_the_current_model_instead_of_replacing_it(
    tmp_path: Path,
) -> None:
    """`train --feedback` without FILE, on a topic with a model, updates that model with the
    verdicts given since it was trained: weights of words no verdict has stay as they were,
    the topic keeps its blend weight and threshold, the record keeps the old model's own; a
    second update with no verdict since is refused, as the first would be with too few."""
    database_url = f"sqlite:///{tmp_path / 'nw.db'}"
    topic_text = GATED_TOPIC.replace("id: smuggling", "id: drug-control-cooperation")
    topic, config = setup(tmp_path, topic_text, database_url=database_url)
    data = write_jsonl(tmp_path / "labelled.jsonl", labelled_rows())
    assert run_cli("train", str(data), "--write", "--config", str(config)).returncode == 0
    model_path, record_path = tmp_path / "smuggling.model.npz", tmp_path / "smuggling.model.json"
    old_model = decode(model_path.read_bytes())
    old_digest = hashlib.sha256(model_path.read_bytes()).hexdigest()
    old_record = json.loads(record_path.read_text(encoding="utf-8"))
    trained_topic = topic.read_text(encoding="utf-8")

    seed_verdicts(
        database_url,
        [(f"Heroin envoys agree with counterparts in {c}", "relevant") for c in EN_CITIES]
        + [(f"Heroin grown by a farmer near {c}", "not_relevant") for c in EN_CITIES[:4]],
    )
    result = run_cli("train", "--feedback", "--write", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "updating the topic's current model (trained " in result.stderr
    assert "from 28 items) with the verdicts given since then" in result.stderr
    assert "12 labelled items (0 from files, 12 from feedback" in result.stdout
    assert "with the updated model (cv)" in result.stdout
    assert "blend kept from the topic" in result.stdout

    updated_bytes = model_path.read_bytes()
    new_model = decode(updated_bytes)
    changed = np.flatnonzero(new_model.weights != old_model.weights)
    kept = np.flatnonzero((new_model.weights == old_model.weights) & (old_model.weights != 0))
    assert len(changed) > 0
    assert len(kept) > len(changed)  # the farmer's "found", the Russian rows: untouched
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["updated_from"]["model_sha256"] == old_digest
    assert record["updated_from"]["files"] == old_record["files"]
    assert record["feedback_verdicts"] == 12
    updated_topic = topic.read_text(encoding="utf-8")

    def kept_lines(text: str) -> list[str]:
        return [line for line in text.splitlines() if line.startswith("threshold:")] + [
            line for line in text.splitlines() if "weight:" in line
        ]

    assert kept_lines(updated_topic) == kept_lines(trained_topic)
    assert f"sha256: {hashlib.sha256(updated_bytes).hexdigest()}" in updated_topic
    checked = run_cli("check-config", "--config", str(config))
    assert checked.returncode == 0, checked.stderr
    # The operator is told what the model is and that verdicts updated it.
    assert "  drug-control-cooperation: text model smuggling.model.npz (2^" in checked.stdout
    assert "on 28 labelled items from 1 file (cross-validated F1 " in checked.stdout
    assert "), updated once from 12 subscriber verdicts (last " in checked.stdout

    again = run_cli("train", "--feedback", "--write", "--config", str(config))
    assert again.returncode == 2
    assert "an update needs at least 10 verdicts" in again.stderr
    assert "(got 0: 0 relevant, 0 not)" in again.stderr
    assert model_path.read_bytes() == updated_bytes
