"""The knowledge files' keys as the loaders accept them, documented in faq/README.md, and
the topics an entry may name (data/topics.yaml)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.knowledge.loading import KnowledgeError, load_knowledge
from bot.knowledge.schema import KeySet, documented_key_sets

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "faq" / "README.md"


def readme_section(text: str, label: str) -> str:
    """The README's sections whose heading names ``label`` in backquotes, with their
    subsections; empty if there is none."""
    found, keep_below = [], 0
    for line in text.splitlines():
        heading = re.match(r"^(#+) ", line)
        if heading:
            level = len(heading.group(1))
            if keep_below and level <= keep_below:
                keep_below = 0
            if not keep_below and f"`{label}`" in line:
                keep_below = level
        if keep_below:
            found.append(line)
    return "\n".join(found)


@pytest.mark.parametrize("key_set", documented_key_sets(), ids=lambda k: k.heading)
def test_every_key_the_loaders_accept_is_documented(key_set: KeySet) -> None:
    section = readme_section(README.read_text(encoding="utf-8"), key_set.heading)
    assert section, f"faq/README.md has no section headed `{key_set.heading}`"
    missing = sorted(key for key in key_set.keys if f"`{key}`" not in section)
    assert not missing, f"faq/README.md, section `{key_set.heading}`, does not document {missing}"


def test_the_section_finder_stops_at_the_next_heading_of_its_level() -> None:
    text = "# A\n## `x`\n`k`\n### sub\n`s`\n## `y`\n`o`\n"
    assert readme_section(text, "x") == "## `x`\n`k`\n### sub\n`s`"
    assert readme_section(text, "z") == ""


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    """faq/ and data/ the test's own, intents/ shared."""
    return make_project("faq", "data")


ENTRY_WITH_TOPIC = """\
street: pingshan
report: pingshan-2020
entries:
  - id: zz-topic
    question: 测试问题
    answer: 整治“散乱污”企业194家
    section: "1.2"
    topic: {topic}
"""


def test_check_refuses_an_unknown_topic_with_file_and_line(project: Path) -> None:
    path = project / "faq" / "zz-test.yaml"
    path.write_text(ENTRY_WITH_TOPIC.format(topic="no-such-topic"), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--root", str(project)])
    assert result.exit_code == 1
    expected = "faq/zz-test.yaml:4: zz-topic: unknown topic 'no-such-topic': see data/topics.yaml"
    assert expected in result.output, result.output


def test_a_topic_listed_in_data_topics_is_accepted(project: Path) -> None:
    path = project / "faq" / "zz-test.yaml"
    path.write_text(ENTRY_WITH_TOPIC.format(topic="childcare"), encoding="utf-8")
    assert load_knowledge(project).entries["zz-topic"].topic == "childcare"


def test_every_topic_the_shipped_entries_use_is_listed_and_used() -> None:
    """One list, and no name in it that no entry uses."""
    import yaml

    listed = yaml.safe_load((ROOT / "data" / "topics.yaml").read_text(encoding="utf-8"))
    used = {e.topic for e in load_knowledge(ROOT).entries.values() if e.topic}
    assert used == set(listed["topics"])


@pytest.mark.parametrize(
    ("file", "change", "expected"),
    [
        ("data/topics.yaml", ("topics:", "topicz:"), "data/topics.yaml:4: unknown key 'topicz'"),
        ("data/reports.yaml", ("reports:", "extra: 1\nreports:"), "unknown key 'extra'"),
    ],
)
def test_unknown_top_level_keys_of_data_files_are_refused(
    project: Path, file: str, change: tuple[str, str], expected: str
) -> None:
    path = project / file
    path.write_text(path.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(project)
    assert any(expected in str(p) for p in caught.value.problems), caught.value.problems
