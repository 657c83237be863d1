"""Every user-facing Chinese string of the engine, the command line and curation.

Grouped by where a reader sees it. Street names are never written here: they come from
data/reports.yaml and are passed in. The Telegram layer's own words (buttons, commands)
are in bot/telegram/texts.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# --- what the engine's replies say (bot.engine.answering) ---------------------------

EXAMPLE_QUESTION = "六零行动是什么"  # shown to someone who has not asked anything yet
CLARIFY_SEVERAL = "您问的是下面哪一个?"
CLARIFY_ONE = "您是想问下面这个问题吗?"
PASSAGE_TITLE = "报告原文"  # the title of a quoted sentence of a report, which has none
DETAIL_FALLBACK = "这方面的细节"  # a detail word the scope file does not label
# A miss says it was recorded for the staff; the terminal's --no-log drops that sentence.
RECORDED_FOR_REFERENCE = "问题已记下,供工作人员参考。"
RECORDED_FOR_ADDING = "问题已记下,供工作人员补充。"
RECORDED_CLAIM = re.compile(
    "|".join(re.escape(s) for s in (RECORDED_FOR_REFERENCE, RECORDED_FOR_ADDING))
)
_CANNOT_ANSWER = "我无法回答,也不想给您不准确的信息。"

MISS_EMPTY = f"没有收到文字问题。请用文字提问,例如“{EXAMPLE_QUESTION}”。"
MISS_UNSTATED_FIGURE = (
    "报告里提到了相关工作,但没有给出您问的具体数字," + _CANNOT_ANSWER + RECORDED_FOR_REFERENCE
)


def streets_phrase(names: Sequence[str]) -> str:
    """The streets the reports cover, as a reply names them: 甲和乙, 甲、乙和丙."""
    names = list(names)
    return "和".join(names) if len(names) <= 2 else "、".join(names[:-1]) + "和" + names[-1]


def miss_other_place(streets: str, place: str) -> str:
    return f"我只了解{streets}的公开报告,报告里没有关于“{place}”的内容,无法回答。"


def miss_unstated_detail(label: str) -> str:
    return f"报告里提到了相关工作,但没有写{label}," + _CANNOT_ANSWER + RECORDED_FOR_REFERENCE


def miss_uncovered_year(year: str, covered: str) -> str:
    return (
        f"报告里没有{year}年的内容:报告只写到{covered}。" + _CANNOT_ANSWER + RECORDED_FOR_REFERENCE
    )


def miss_uncovered_topic(streets: str, topic: str) -> str:
    return f"{streets}的报告没有涉及“{topic}”," + _CANNOT_ANSWER + RECORDED_FOR_REFERENCE


def miss_not_found(streets: str) -> str:
    return (
        f"抱歉,{streets}的报告里没有找到这个问题的答案,"
        "我不想给您不准确的信息。" + RECORDED_FOR_ADDING
    )


# --- where a quote comes from, and the sources (answering: Source, Engine.about) ----

NOT_IN_FORCE_MARK = "(来源页面标注“文件已失效”)"


def citation(street: str, title: str, section: str, heading: str, dated: str) -> str:
    """One line saying where a quote comes from."""
    quoted = f"“{heading}”" if heading else ""
    return f"{street}《{title}》{section}{quoted}({dated})"


def source_line(
    street: str, district: str, title: str, period: str, date: str | None, in_force: bool
) -> str:
    """One source the bot answers from, with its date."""
    status = "" if in_force else NOT_IN_FORCE_MARK
    return f"· {street}({district}):《{title}》,{period}{'，' + date if date else ''}{status}"


# --- how a reply is laid out (bot.engine.rendering) ---------------------------------

SOURCE_PREFIX = "来源:"
SEVERAL_STREETS = "两个街道的报告都提到了这方面的工作:"
SUGGESTIONS_HEADING = {
    "answer": "相关问题:",
    "clarify": "",
    "miss": "您可以试试这些问题:",
    "intent": "例如:",
}


def same_report(count: int) -> str:
    """What introduces several quotes of one report."""
    return f"报告里有{'两' if count == 2 else count}处相关内容:"


def not_in_force(stale: Sequence[str], mixed: bool) -> str:
    """The notice for quotes from a source marked no longer in force, naming the stale
    streets' reports when the reply also quotes one that is in force."""
    which = f"{'、'.join(stale)}报告" if mixed else "该报告"
    return f"注意:{which}的来源页面标注“文件已失效”,内容反映的是报告发布时的情况,仅供参考。"


# --- the terminal chat (bot.cli.main) -----------------------------------------------

CHAT_EMPTY = "请输入问题;输入 /quit 或按 Ctrl-D 退出。"
CHAT_UNKNOWN_COMMAND = f"终端里只有 /quit 一个命令。直接输入问题即可,例如“{EXAMPLE_QUESTION}”。"
CHAT_SOURCES = "资料来源:\n"
CHAT_PROMPT = "\n问> "


def chat_banner(streets: Sequence[str]) -> str:
    """The terminal chat's first line, naming the streets the reports cover."""
    return f"{' · '.join(streets)} 政策问答(终端模式)。输入问题后回车;输入 /quit 或按 Ctrl-D 退出。"
