"""Validation of the knowledge files: every problem named with file, line and entry."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli.main import main
from bot.knowledge.build import build, build_documents
from bot.knowledge.loading import KnowledgeError, load_knowledge
from bot.knowledge.reports import load_reports

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A private copy of the knowledge trees, safe to break."""
    for name in ("data", "faq", "intents"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


def write_faq(project: Path, text: str) -> Path:
    path = project / "faq" / "zz-test.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(project: Path) -> list[str]:
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(project)
    return [str(p) for p in caught.value.problems]


GOOD_ENTRY = """\
street: pingshan
report: pingshan-2020
entries:
  - id: zz-ok
    question: 测试问题
    answer: 整治“散乱污”企业194家
    section: "1.2"
"""


def test_the_shipped_knowledge_is_valid() -> None:
    kb = load_knowledge(ROOT)
    assert len([e for e in kb.entries.values() if e.kind == "term"]) == 29
    assert {e.term for e in kb.entries.values() if e.id.startswith("ps-def-")} >= {
        "“四零+”政务服务模式",
        "“1+4+N”平台",
        "“三个同步”",
    }


def test_a_valid_extra_file_loads(project: Path) -> None:
    write_faq(project, GOOD_ENTRY)
    assert "zz-ok" in load_knowledge(project).entries


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("    section:", "    sectoin:"), "unknown key 'sectoin'"),
        (("answer: 整治“散乱污”企业194家", "answer: ''"), "'answer' is missing or empty"),
        (("answer: 整治“散乱污”企业194家", "answer: 整治企业9999家"), "not a verbatim quote"),
        (('section: "1.2"', 'section: "9.9"'), "no section '9.9'"),
        (("street: pingshan", "street: futian"), "street must be one of"),
        (("id: zz-ok", "id: ZZ OK"), "id must be lower-case"),
    ],
)
def test_each_problem_is_named_with_file_line_and_entry(
    project: Path, change: tuple[str, str], expected: str
) -> None:
    write_faq(project, GOOD_ENTRY.replace(*change))
    found = problems(project)
    assert any(expected in p and p.startswith("faq/zz-test.yaml:") for p in found), found


def test_duplicate_ids_are_reported(project: Path) -> None:
    write_faq(project, GOOD_ENTRY + GOOD_ENTRY.split("entries:\n", 1)[1])
    assert any("duplicate id" in p for p in problems(project))


def test_a_phrasing_claimed_by_two_entries_is_reported(project: Path) -> None:
    write_faq(
        project,
        GOOD_ENTRY + "    phrasings: [六零行动是什么意思]\n",
    )
    assert any("also claimed by" in p for p in problems(project))


def test_links_to_missing_entries_are_reported(project: Path) -> None:
    write_faq(project, GOOD_ENTRY + "    related: [no-such-entry]\n")
    assert any("related 'no-such-entry' does not exist" in p for p in problems(project))


def test_phrasings_for_a_missing_entry_are_reported(project: Path) -> None:
    write_faq(project, "phrasings:\n  no-such-entry: [随便问问]\n")
    assert any("no-such-entry" in p and "does not exist" in p for p in problems(project))


def test_broken_yaml_names_its_line(project: Path) -> None:
    write_faq(project, GOOD_ENTRY + "  - id: [unclosed\n")
    found = problems(project)
    assert any(p.startswith("faq/zz-test.yaml:") and "not valid YAML" in p for p in found)


def test_check_exits_non_zero_listing_problems(project: Path) -> None:
    write_faq(project, GOOD_ENTRY.replace("    section:", "    sectoin:"))
    result = CliRunner().invoke(main, ["check", "--root", str(project)])
    assert result.exit_code == 1
    assert "faq/zz-test.yaml:" in result.output and "unknown key 'sectoin'" in result.output


@pytest.mark.slow
def test_a_broken_file_at_start_up_gives_the_message_not_a_traceback(project: Path) -> None:
    write_faq(project, GOOD_ENTRY.replace("    section:", "    sectoin:"))
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli.main", "ask", "--no-log", "六零行动"],
        env={"POLICYBOT_ROOT": str(project), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 2
    assert "unknown key 'sectoin'" in result.stderr
    assert "Traceback" not in result.stderr


def _insert_after_first_line(path: Path, text: str) -> None:
    lines = path.read_text(encoding="utf-8").split("\n")
    path.write_text("\n".join([lines[0], text, *lines[1:]]), encoding="utf-8")


BROKEN_FILES = {
    "reports.yaml not YAML": (
        "data/reports.yaml",
        lambda p: p.write_text("reports: [\n - a: : :\n"),
    ),
    "reports.yaml a list": ("data/reports.yaml", lambda p: p.write_text("- just\n- a list\n")),
    "report without its file": (
        "data/reports.yaml",
        lambda p: p.write_text(p.read_text(encoding="utf-8").replace(".txt", ".gone", 1)),
    ),
    "report missing a key": (
        "data/reports.yaml",
        lambda p: p.write_text(p.read_text(encoding="utf-8").replace("street_name:", "sname:", 1)),
    ),
    "NUL in reports.yaml": ("data/reports.yaml", lambda p: _insert_after_first_line(p, "#\x00")),
    "NUL in an intent file": ("intents/scope.yaml", lambda p: _insert_after_first_line(p, "#\x00")),
    "escape in a faq file": (
        "faq/generated-glossary.yaml",
        lambda p: _insert_after_first_line(p, "# \x1b[31m"),
    ),
    "NUL in a lexicon": ("data/lexicon-zh.yaml", lambda p: _insert_after_first_line(p, "#\x00")),
    "calibration not YAML": (
        "data/calibration.yaml",
        lambda p: _insert_after_first_line(p, "models: [\x07"),
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_FILES))
@pytest.mark.slow
def test_a_broken_or_control_character_file_is_a_problem_line_not_a_traceback(
    project: Path, case: str
) -> None:
    name, breaks = BROKEN_FILES[case]
    breaks(project / name)
    env = {"POLICYBOT_ROOT": str(project), "PATH": "/usr/bin:/bin"}
    commands = [(["check"], 1), (["ask", "--no-log", "六零行动"], 2)]
    if name == "data/reports.yaml":
        commands.append((["build"], 2))
    for command, status in commands:
        result = subprocess.run(
            [sys.executable, "-m", "bot.cli.main", *command],
            env=env,
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == status, result.stderr
        assert result.stderr.startswith(f"{name}:"), result.stderr


def test_rebuilding_gives_identical_files(project: Path) -> None:
    before = {p.name: p.read_bytes() for p in (project / "faq").glob("generated-*.yaml")}
    changed = build(project)
    assert not any(changed.values())
    after = {p.name: p.read_bytes() for p in (project / "faq").glob("generated-*.yaml")}
    assert before == after


def test_generated_files_say_do_not_edit() -> None:
    for text in build_documents(load_reports(ROOT / "data")).values():
        assert text.startswith("# generated by `policybot build`")
        assert "do not edit" in text.splitlines()[0]


def test_reports_are_byte_for_byte_copies_of_the_seeds() -> None:
    seeds = ROOT.parent / "shared" / "seeds"
    if not seeds.exists():
        pytest.skip("shared/seeds is not beside this checkout")
    meta = yaml.safe_load((ROOT / "data" / "reports.yaml").read_text(encoding="utf-8"))
    for report in meta["reports"]:
        assert (ROOT / "data" / report["file"]).read_bytes() == (
            seeds / report["seed"]
        ).read_bytes()


def test_glossary_has_all_29_terms_with_full_definitions() -> None:
    kb = load_knowledge(ROOT)
    terms = sorted((e for e in kb.entries.values() if e.kind == "term"), key=lambda e: e.id)
    assert [e.id for e in terms] == [f"gh-term-{n:02d}" for n in range(1, 30)]
    by_id = {e.id: e for e in terms}
    assert by_id["gh-term-22"].answer == "三小场所:指小档口、小作坊、小娱乐场所。"
    assert "零积压" in by_id["gh-term-26"].answer and "零差异" in by_id["gh-term-26"].answer


def test_an_uncovered_topic_the_reports_mention_is_refused(project: Path) -> None:
    # 垃圾分类 is in both reports: listing it would turn away questions they answer.
    scope = project / "intents" / "scope.yaml"
    text = scope.read_text(encoding="utf-8")
    scope.write_text(
        text.replace("uncovered_topics:\n  [", "uncovered_topics:\n  [垃圾分类, "), encoding="utf-8"
    )
    found = problems(project)
    assert any(
        p.startswith("intents/scope.yaml:") and "垃圾分类" in p and "appears in report" in p
        for p in found
    ), found


def test_an_intents_alone_must_be_true_or_false(project: Path) -> None:
    intents = project / "intents" / "conversation.yaml"
    text = intents.read_text(encoding="utf-8")
    intents.write_text(text.replace("    alone: true\n", "    alone: maybe\n"), encoding="utf-8")
    assert any("'alone' must be true or false" in p for p in problems(project))


def test_a_passage_knows_its_paragraph(project: Path) -> None:
    kb = load_knowledge(ROOT, generated_only=True)
    by_id = {p.id: p for p in kb.passages}
    # a headline (一是…) and the sentence after it are of one paragraph
    assert by_id["psg-ps-002"].paragraph == by_id["psg-ps-003"].paragraph > 0
    passages = project / "faq" / "generated-passages.yaml"
    text = passages.read_text(encoding="utf-8")
    passages.write_text(text.replace("  paragraph: 1\n", "  paragraph: one\n", 1), "utf-8")
    assert any("paragraph must be a number" in p for p in problems(project))
