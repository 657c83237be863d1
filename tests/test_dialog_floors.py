"""The labeled dialogs (tests/eval/dialogs/) are held to their floors in tests/eval/floors.yaml,
as the single-question sets are."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.engine.answering import Engine
from bot.tools.dialogs import grade, load_dialogs

pytestmark = pytest.mark.slow  # every dialog of every set, through the real engine

EVAL = Path(__file__).resolve().parents[1] / "tests" / "eval"
FLOORS = yaml.safe_load((EVAL / "floors.yaml").read_text(encoding="utf-8"))["dialogs"]


def test_every_dialog_set_has_a_floor() -> None:
    assert {p.name for p in (EVAL / "dialogs").glob("*.yaml")} == set(FLOORS)


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_a_dialog_set_holds_its_floor(tg_engine: Engine, name: str) -> None:
    report = grade(tg_engine, load_dialogs(EVAL / "dialogs" / name))
    (follow_ups, of_follow_ups), (dialogs, of_dialogs) = report.turns(True), report.dialogs()
    assert follow_ups / of_follow_ups >= FLOORS[name]["follow_ups"]
    assert dialogs / of_dialogs >= FLOORS[name]["dialogs"]
