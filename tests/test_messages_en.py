"""Every Chinese text a resident can read has an English twin (bot.engine.messages_en) of
the same name, shape and fields; only the staff's and the terminal's texts are exempt."""

from __future__ import annotations

import re
from string import Formatter
from typing import Any

import pytest

from bot.engine import messages, messages_en

CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _chinese(value: Any) -> bool:
    if isinstance(value, str):
        return bool(CHINESE.search(value))
    if isinstance(value, dict):
        return any(_chinese(v) for v in value.values())
    if isinstance(value, (tuple, list)):
        return any(_chinese(v) for v in value)
    return False


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


def _shape(value: Any) -> Any:
    """What a twin must keep: a template's fields, a mapping's keys, a list's tags."""
    if isinstance(value, str):
        return _fields(value)
    if isinstance(value, dict):
        return {key: _shape(v) for key, v in value.items()}
    return [item[0] if isinstance(item, tuple) else _shape(item) for item in value]


CHINESE_TEXTS = sorted(
    name
    for name in dir(messages)
    if name.isupper() and name not in messages.NO_ENGLISH_TWIN and _chinese(getattr(messages, name))
)


def test_the_texts_a_resident_reads_are_found() -> None:
    for name in ("VOTE_THANKS", "STALE", "TAMPERED", "FLOOD", "HANDOVER_OFFER", "NOT_TEXT"):
        assert name in CHINESE_TEXTS


@pytest.mark.parametrize("name", CHINESE_TEXTS)
def test_every_chinese_text_has_an_english_twin(name: str) -> None:
    chinese = getattr(messages, name)
    english = getattr(messages_en, name, None)
    assert english is not None, f"messages_en.{name} is missing"
    assert type(english) is type(chinese)
    assert _shape(english) == _shape(chinese)
    values = english.values() if isinstance(english, dict) else [english]
    assert not any(_chinese(v) for v in values), f"messages_en.{name} is not English"


def test_the_exempt_names_exist() -> None:
    assert all(hasattr(messages, name) for name in messages.NO_ENGLISH_TWIN)
