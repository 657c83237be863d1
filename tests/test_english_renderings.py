"""English renderings of entries (faq/en/*.yaml): joined to their entries, and refused by
`policybot check` when they name no entry or change a figure."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli.main import main
from bot.knowledge.loading import load_knowledge

CHILDCARE = """\
entries:
  ps-childcare-centre:
    question_en: What is Pingshan's mutual-aid childcare centre?
    answer_en: >-
      {answer}
"""
FAITHFUL = (
    "First, explore a modern, inclusive care system for infants and toddlers. The city's"
    " first street-level mutual-aid childcare centre was set up, run on a 'government"
    " funding + professional operator + public participation' model, in which parents'"
    " volunteer hours are exchanged for free childcare."
)


@pytest.fixture
def project(make_project: Callable[..., Path]) -> Path:
    root = make_project("faq")
    (root / "faq" / "en").mkdir(exist_ok=True)
    return root


def write(project: Path, text: str) -> None:
    (project / "faq" / "en" / "zz-test.yaml").write_text(text, encoding="utf-8")


def test_a_rendering_is_joined_to_its_entry(project: Path) -> None:
    write(project, CHILDCARE.format(answer=FAITHFUL))
    entry = load_knowledge(project).entries["ps-childcare-centre"]
    assert entry.question_en == "What is Pingshan's mutual-aid childcare centre?"
    assert entry.answer_en is not None and entry.answer_en.startswith("First, explore")


def test_generated_only_mode_reads_no_rendering(project: Path) -> None:
    write(project, CHILDCARE.format(answer=FAITHFUL))
    assert load_knowledge(project).entries["ps-childcare-centre"].answer_en is not None
    kb = load_knowledge(project, generated_only=True)
    assert all(entry.answer_en is None for entry in kb.entries.values())


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            CHILDCARE.format(answer=FAITHFUL + " Three centres opened in 2021."),
            "zz-test.yaml:3: ps-childcare-centre: answer_en does not state the answer's"
            " figures: extra 2021",
        ),
        (
            CHILDCARE.replace("ps-childcare-centre", "ps-no-such-entry").format(answer=FAITHFUL),
            "ps-no-such-entry: English given for an entry that does not exist",
        ),
        (
            "entries:\n  ps-childcare-centre:\n    question_en: Childcare?\n",
            "ps-childcare-centre: 'answer_en' is missing or empty",
        ),
        (
            CHILDCARE.replace("question_en:", "question_en: " + "x" * 60).format(answer=FAITHFUL),
            "'question_en' is longer than 60 characters",
        ),
        ("entries: [1, 2]\n", "'entries' must map ids to renderings"),
        ("entry: {}\n", "unknown key 'entry'"),
    ],
)
def test_check_refuses_a_rendering_that_does_not_fit(
    project: Path, text: str, problem: str
) -> None:
    write(project, text)
    result = CliRunner().invoke(main, ["check", "--root", str(project)])
    assert result.exit_code == 1
    assert problem in result.output, result.output
