"""A staff reply turned into an answer entry grounded in the reports, against a real SQLite
file: the group shows the reply, the passages nearest it are proposed, the one picked is
written as a curated entry quoting the report with the reply as provenance, and "none
fits" writes nothing. The same from the command line (`policybot missed from-reply`)."""

from __future__ import annotations

from pathlib import Path

import pytest
import test_curation as curation
import yaml
from click.testing import CliRunner, Result

from bot.cli.curation import missed
from bot.config import Settings
from bot.curation.service import (
    CurationError,
    answer_from_reply,
    decline,
    propose,
    reply_of,
)
from bot.engine.answering import Engine
from bot.knowledge.loading import KnowledgeError, load_knowledge
from bot.store.question_log import Store

# test_curation's fixtures: a copy of the knowledge files, settings, a real SQLite store.
base_engine, root, settings, store = (
    curation.base_engine,
    curation.root,
    curation.settings,
    curation.store,
)
ask, listed, RESIDENT = curation.ask, curation.listed, curation.RESIDENT
STAFF = 3003
QUESTION = "谁帮我白天照看小娃娃,我电话13812345678"
REPLY = "您好,街道成立了互助式婴幼儿托育服务中心,可以带孩子去看看,有事打13912345678。"
PHONES = ("13812345678", "13912345678")


def cli(*args: str, stdin: str | None = None) -> Result:
    """`policybot missed ARGS`, typing ``stdin`` at its prompt."""
    return CliRunner().invoke(missed, list(args), input=stdin)


def handed_over(store: Store, text: str = QUESTION, reply: str | None = REPLY) -> str:
    """A missed question the resident handed over (and asked to be told about), with the
    staff reply if any; the handover's tag."""
    question_id = ask(store, text, notify=True)
    store.flush()
    handover, _ = store.open_handover(
        question_id=question_id,
        question=text,
        user_id=RESIDENT,
        chat_id=RESIDENT,
        shared_contact=False,
    )
    if reply is not None:
        assert store.claim_handover_reply(handover.id, reply, STAFF) is not None
    return handover.id


def test_a_group_shows_its_staff_reply_masked(store: Store) -> None:
    tag = handed_over(store)
    handed_over(store, "公积金怎么提取", reply=None)  # handed over, no reply yet
    groups = {g["label"]: g for g in listed(store)}
    (shown,) = groups[next(label for label in groups if "小娃娃" in label)]["staff_replies"]
    assert shown["tag"] == tag and "托育服务中心" in shown["text"]
    assert not any(phone in shown["text"] for phone in PHONES)
    assert groups["公积金怎么提取"]["staff_replies"] == []


def test_the_chosen_passage_becomes_an_entry_with_the_reply_as_provenance(
    store: Store, settings: Settings, base_engine: Engine
) -> None:
    tag = handed_over(store)
    group, handover = reply_of(store, f"#{tag}")
    proposals = propose(base_engine, handover.question, handover.reply or "")
    assert 1 <= len(proposals) <= 3
    assert "托育服务中心" in proposals[0].text and "坪山街道" in proposals[0].citation
    chosen = proposals[0]
    outcome = answer_from_reply(
        settings.root, store, base_engine, group.id, chosen.id, curated=settings.curated_path
    )

    (entry,) = yaml.safe_load(settings.curated_path.read_text(encoding="utf-8"))["entries"]
    assert entry["answer"] == chosen.text  # the report's words, not the staff's
    assert (entry["report"], entry["section"]) == (chosen.report, chosen.section)
    assert entry["staff_reply"]["tag"] == tag and len(entry["staff_reply"]["date"]) == 10
    assert "托育服务中心" in entry["staff_reply"]["text"]
    assert not any(phone in settings.curated_path.read_text() for phone in PHONES)

    fresh = Engine.load(settings.root, curated=settings.curated_path)
    answered = fresh.ask(QUESTION)
    assert answered.outcome == "answer" and answered.blocks[0].body == chosen.text
    assert REPLY not in str(answered)  # the provenance is never an answer
    assert outcome.entry_id == entry["id"] and listed(store) == []
    (waiting,) = store.pending_notifications()  # the resident who asked to be told
    assert waiting.entry_id == entry["id"]


def test_none_fits_writes_nothing_and_the_question_stays_missed(
    store: Store, settings: Settings
) -> None:
    tag = handed_over(store)
    group = decline(store, tag)
    assert group.count == 1 and not settings.curated_path.exists()
    assert len(listed(store)) == 1 and store.pending_notifications() == []


def test_a_reference_must_name_a_staff_reply_to_an_open_group(store: Store) -> None:
    tag = handed_over(store)
    handed_over(store, "公积金怎么提取", reply=None)
    without = next(g["id"] for g in listed(store) if g["label"] == "公积金怎么提取")
    with pytest.raises(CurationError, match="no staff reply"):
        reply_of(store, without)
    with pytest.raises(CurationError, match="no staff reply"):
        reply_of(store, "h00000000")
    group, handover = reply_of(store, tag)
    assert reply_of(store, group.id) == (group, handover)


def test_a_staff_reply_key_must_be_a_mapping_with_its_text(root: Path, tmp_path: Path) -> None:
    curated = tmp_path / "curated.yaml"
    entry = {
        "id": "curated-x",
        "question": "谁帮我白天照看小娃娃",
        "answer": "探索构建全市首个0-3岁婴幼儿互助托育服务平台",
        "report": "pingshan-2020",
        "street": "pingshan",
        "section": "1.4",
    }
    for bad, message in (("一句话", "mapping"), ({"tag": "h1", "phone": "x"}, "unknown key")):
        curated.write_text(yaml.safe_dump({"entries": [{**entry, "staff_reply": bad}]}), "utf-8")
        with pytest.raises(KnowledgeError, match=message):
            load_knowledge(root, [curated])
    good = {"tag": "h1a2b3c4d", "date": "2024-05-06", "text": "您好"}
    curated.write_text(yaml.safe_dump({"entries": [{**entry, "staff_reply": good}]}), "utf-8")
    assert "curated-x" in load_knowledge(root, [curated]).entries


def test_from_the_command_line(store: Store, settings: Settings) -> None:
    tag = handed_over(store)
    store.flush()
    listing = cli("list")
    assert listing.exit_code == 0, listing.output
    assert f"staff reply #{tag}" in listing.output and "托育服务中心" in listing.output
    assert not any(phone in listing.output for phone in PHONES)

    # "0": none says what the staff said; nothing is written, the group stays.
    declined = cli("from-reply", tag, stdin="0\n")
    assert declined.exit_code == 0, declined.output
    assert "1. " in declined.output and "pingshan-2020:3.4" in declined.output
    assert "cannot become an answer" in declined.output
    assert not settings.curated_path.exists() and len(listed(store)) == 1
    unanswered = cli("from-reply", tag, stdin="")
    assert unanswered.exit_code == 1 and not settings.curated_path.exists()

    picked = cli("from-reply", f"#{tag}", "--pick", "1")
    assert picked.exit_code == 0, picked.output
    (entry,) = yaml.safe_load(settings.curated_path.read_text(encoding="utf-8"))["entries"]
    assert entry["staff_reply"]["tag"] == tag and entry["answer"] in picked.output
    assert "1 asker(s) will be notified" in picked.output and listed(store) == []
    again = cli("from-reply", tag, "--pick", "1")
    assert again.exit_code == 1 and "no staff reply" in again.stderr
