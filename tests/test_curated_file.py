"""The curators' file keeps what a curator wrote by hand (comments, order) when the tools
add an answer to it (bot/curation/curated_file.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from test_curation import BABY, TARGET, WORK, ask

from bot.curation.curated_file import edited_text, text_with
from bot.curation.service import NewEntry, answer_group, dump_curated, missed_groups
from bot.knowledge.loading import load_knowledge
from bot.store.question_log import Store

ROOT = Path(__file__).resolve().parents[1]

HAND_WRITTEN = """\
# Answers curators gave to questions the bot had missed: written by
# `policybot missed answer` and the /missed buttons in Telegram. Edit by hand if needed;
# `policybot check` validates this file like every other one (see faq/README.md), and
# answers must still be verbatim quotes of the cited report. Comments below this header
# are not kept when the tools rewrite the file.

# Wang Li, March: residents ask for 托育 in their own words
phrasings:
  ps-childcare-centre:
  - 宝宝白天没人带   # heard at the service hall
  # more to come
  gh-term-26:
    - 六零到底是什么

entries:
# the first entry a curator wrote
- id: curated-one
  question: 问题一
  answer: 答案一
  section: '1'
# the end
"""


def with_added(text: str, change: Any) -> tuple[str, dict[str, Any]]:
    data = yaml.safe_load(text)
    change(data)
    edited = edited_text(text, data)
    assert edited is not None
    assert yaml.safe_load(edited) == data
    return edited, data


def comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]


def test_phrasings_added_to_an_entry_go_after_its_own() -> None:
    edited, _ = with_added(
        HAND_WRITTEN, lambda d: d["phrasings"]["ps-childcare-centre"].append("谁来带宝宝")
    )
    assert "  - 宝宝白天没人带   # heard at the service hall\n  - 谁来带宝宝\n" in edited
    assert comments(edited)[5:] == comments(HAND_WRITTEN)[5:]


def test_a_new_entry_goes_at_the_end_of_the_list_and_a_new_id_after_the_last() -> None:
    def change(data: dict[str, Any]) -> None:
        data["entries"].append({"id": "curated-two", "question": "问题二", "answer": "答案二"})
        data["phrasings"]["gh-term-22"] = ["三小是啥"]

    edited, _ = with_added(HAND_WRITTEN, change)
    assert "  section: '1'\n- id: curated-two\n" in edited
    assert "    - 六零到底是什么\n  gh-term-22:\n  - 三小是啥\n" in edited
    assert edited.endswith("# the end\n")
    assert comments(edited)[5:] == comments(HAND_WRITTEN)[5:]


def test_the_old_header_no_longer_says_comments_are_lost() -> None:
    edited, _ = with_added(HAND_WRITTEN, lambda d: d["phrasings"]["gh-term-26"].append("六零"))
    assert "are kept when the tools add to the file" in edited
    assert "are not kept" not in edited


def test_a_file_of_comments_only_gets_the_keys_at_its_end() -> None:
    text = "# only a note\n"
    edited = edited_text(text, {"phrasings": {TARGET: ["谁来带宝宝"]}})
    assert edited == f"# only a note\nphrasings:\n  {TARGET}:\n  - 谁来带宝宝\n"


@pytest.mark.parametrize(
    ("text", "new"),
    [
        # a flow-style list: rewritten by the caller
        ("phrasings:\n  x: [a, b]  # flow\n", {"phrasings": {"x": ["a", "b", "c"]}}),
        # not only additions: something removed
        ("phrasings:\n  x:\n  - a\n  - b\n", {"phrasings": {"x": ["b", "c"]}}),
        # an empty value: a second `entries:` would be a duplicate key
        ("entries: []\n", {"entries": [{"id": "x"}]}),
        ("street: pingshan\n", {"street": "guanhu"}),
    ],
)
def test_anything_but_additions_in_block_lists_is_left_to_a_rewrite(
    text: str, new: dict[str, Any]
) -> None:
    assert edited_text(text, new) is None


def test_text_with_rewrites_when_editing_is_not_possible(tmp_path: Path) -> None:
    path = tmp_path / "curated.yaml"
    new = {"phrasings": {"x": ["a", "b"]}}
    assert text_with(path, new, dump_curated) == dump_curated(new)
    path.write_text("phrasings:\n  x: [a]\n", encoding="utf-8")
    assert text_with(path, new, dump_curated) == dump_curated(new)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "policybot.db").open()


@pytest.mark.slow
def test_answering_groups_keeps_a_curators_comments(tmp_path: Path, store: Store) -> None:
    """Both ways of answering, through answer_group: the knowledge files are only read."""
    answer = load_knowledge(ROOT).entries[TARGET].answer.split("。")[1]  # a verbatim quote
    curated = tmp_path / "curated.yaml"
    curated.write_text(
        HAND_WRITTEN.replace("entries:", "entries: # mine")
        .replace("问题一", "上班时孩子怎么办")
        .replace("答案一", answer)
        .replace("section: '1'", "section: '3.4'\n  report: pingshan-2020\n  street: pingshan"),
        encoding="utf-8",
    )
    for text in BABY:
        ask(store, text)
    store.flush()
    (group,) = missed_groups(store)
    answer_group(ROOT, store, group.id, curated=curated, entry_id=TARGET)
    for text in WORK:
        ask(store, text)
    store.flush()
    (group,) = missed_groups(store)
    new = NewEntry(
        question="上班了孩子谁来带?", answer=answer, report="pingshan-2020", section="3.4"
    )
    answer_group(ROOT, store, group.id, curated=curated, entry_id=None, new=new)
    text = curated.read_text(encoding="utf-8")
    for note in ("heard at the service hall", "more to come", "Wang Li", "mine", "the end"):
        assert note in text
    data = yaml.safe_load(text)
    assert data["phrasings"][TARGET][0] == "宝宝白天没人带"
    assert BABY[0] in data["phrasings"][TARGET]
    assert [e["id"] for e in data["entries"]] == ["curated-one", f"curated-{group.id[1:]}"]
