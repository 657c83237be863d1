"""Every user-facing English string: English replies, and the Telegram layer's commands
and buttons for a user who reads English (mirrors bot.engine.messages).

Street and report names are never written here: they come from data/reports.yaml
(street_name_en, title_en) and are passed in. Telegram templates take str.format fields.
The Chinese reports are the source: English texts say so, and a rendering of a quote is
always marked as an unofficial translation beside the Chinese original.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

LANGUAGE = "en"

# --- what the engine's replies say (bot.engine.answering) ---------------------------

EXAMPLE_QUESTION = "What is the Six Zeros campaign?"
CLARIFY_SEVERAL = "Which of these do you mean?"
CLARIFY_ONE = "Did you mean this question?"


def outline(cited: list[str]) -> str:
    """A plan or review asked for as a whole: where it is told, before its parts."""
    return (
        "; ".join(cited)
        + ": the report tells it in the parts below (their headings in Chinese, as the report"
        " writes them). Reply with a number or tap one to read the original:"
    )


def no_such_option(count: int) -> str:
    """A number or ordinal past the options a clarify offered."""
    if count == 1:
        return "There was only one option: reply 1 to choose it, or ask in other words."
    return (
        f"There were only {count} options: reply with a number from 1 to {count}, "
        "or ask in other words."
    )


PASSAGE_TITLE = "Passage of the report"
DETAIL_FALLBACK = "that detail"
# The scope file's labels of details the reports never give (intents/scope.yaml
# unstated_details), as an English reply names them.
DETAIL_LABELS = {
    "电话号码": "phone numbers or other contact details",
    "地址": "addresses or directions",
    "开放时间": "opening hours",
    "收费": "fees, prices or amounts of money",
    "日期": "dates",
    "办理方式": "how to apply or register",
    "法律后果": "legal penalties",
    "姓名": "the names of the people in charge",
    "时间安排": "when it happens or is done",
    "所需时间": "how long it takes",
    "实时情况": "today's or live information",
    "年龄要求": "age limits",
    "赔偿或报销": "compensation, refunds or reimbursement",
    "网上渠道": "apps or online channels",
    "线路编号": "which numbered line (of a metro or bus)",
}
RECORDED_FOR_REFERENCE = "Your question has been recorded for the staff."
RECORDED_FOR_ADDING = "Your question has been recorded so that the staff can add an answer."
# What the terminal's --no-log drops, as it drops the Chinese sentences.
RECORDED_CLAIM = re.compile(
    r"\s*(?:" + "|".join(re.escape(s) for s in (RECORDED_FOR_REFERENCE, RECORDED_FOR_ADDING)) + ")"
)
_CANNOT_ANSWER = "I cannot answer it, rather than give you inaccurate information."

MISS_EMPTY = f'I received no text. Please ask in words, for example "{EXAMPLE_QUESTION}"'
MISS_UNSTATED_FIGURE = (
    "The reports mention this work but do not give the figure you ask for. "
    f"{_CANNOT_ANSWER} {RECORDED_FOR_REFERENCE}"
)


def streets_phrase(names: Sequence[str]) -> str:
    """The streets the reports cover, as an English reply names them: A and B, A, B and C."""
    names = list(names)
    return " and ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " and " + names[-1]


def titles_phrase(titles: Sequence[str]) -> str:
    """Report titles in a sentence: "A" and "B"."""
    return streets_phrase([f'"{t}"' for t in titles])


def channels_phrase(channels: dict[str, list[str]]) -> str:
    """Where each street serves residents in person, as its (Chinese) reports name them."""
    named = [f"{street}: {', '.join(places)}" for street, places in channels.items() if places]
    return "; ".join(named) or "the reports name none"


def miss_other_place(streets: str, place: str) -> str:
    return (
        f"I only know the public reports of {streets}. They say nothing about "
        f'"{place}", so I cannot answer.'
    )


def miss_unstated_detail(label: str) -> str:
    return (
        f"The reports mention this work but do not give {label}. "
        f"{_CANNOT_ANSWER} {RECORDED_FOR_REFERENCE}"
    )


def miss_uncovered_year(year: str, covered: str) -> str:
    return (
        f"The reports say nothing about {year}: they cover only {covered}. "
        f"{_CANNOT_ANSWER} {RECORDED_FOR_REFERENCE}"
    )


def miss_request(streets: str) -> str:
    return (
        f"I can only quote what the reports of {streets} say; I cannot act for you: no "
        "complaints, bookings, letters or calls. You can ask about a programme they "
        'describe, e.g. "What is the Six Zeros campaign?".'
    )


def miss_opinion(streets: str) -> str:
    return (
        f"I can only pass on what the reports of {streets} say; I give no opinions and no "
        'recommendations. You can ask about a programme they describe, e.g. "What is the '
        'Six Zeros campaign?".'
    )


def miss_uncovered_topic(streets: str, topic: str) -> str:
    return (
        f'The reports of {streets} do not cover "{topic}". '
        f"{_CANNOT_ANSWER} {RECORDED_FOR_REFERENCE}"
    )


def miss_no_subject(streets: str) -> str:
    return (
        f"Which programme in the reports of {streets} do you mean? Please name it, e.g. "
        '"How is waste sorting going?".'
    )


def miss_not_found(streets: str) -> str:
    return (
        f"Sorry, I found no answer to this question in the reports of {streets}, and I do "
        f"not want to give you inaccurate information. {RECORDED_FOR_ADDING}"
    )


def covered_years(street: str, years: Sequence[int]) -> str:
    """What one report covers, for miss_uncovered_year: Pingshan Subdistrict 2020–2021."""
    span = f"{min(years)}–{max(years)}" if len(years) > 1 else "".join(str(y) for y in years)
    return f"{street} {span}".strip()


# --- follow-ups in a conversation (bot.engine.conversation) --------------------------

UNDERSTOOD_SEPARATOR = ": "


def miss_on_street(street: str) -> str:
    """A question re-asked for another street whose report does not answer it."""
    return (
        f"I found nothing in the report of {street} that answers this question for certain, "
        f"and I do not want to give you inaccurate information. {RECORDED_FOR_ADDING}"
    )


# --- where a quote comes from, and the sources (answering: Source, Engine.about) ----

NOT_IN_FORCE_MARK = " (its source page marks it as no longer in force)"
APPENDIX = "appendix (glossary)"


def section_name(number: str) -> str:
    """A report's section as an English citation names it: "3.4" -> "section 3.4"."""
    if number == "appendix":
        return APPENDIX
    return "" if number in ("", "0") else f"section {number}"


def dated(date: str | None, years: Sequence[int]) -> str:
    """A report's date, or the years it covers when it carries none."""
    if date:
        return date
    return "covering " + streets_phrase([str(y) for y in years]) if years else "undated"


def citation(street: str, title: str, section: str, dated: str) -> str:
    """One line saying where a quote comes from, in English."""
    return ", ".join(part for part in (street, f'"{title}"', section, dated) if part)


def older_report(years: str, current: str) -> str:
    """Said after the citation of a street's older report (it has a newer one)."""
    return f' (a report on {years}; the street\'s newest report is "{current}")'


def source_line(
    street: str, district: str, title: str, covered: str, date: str | None, in_force: bool
) -> str:
    """One source the bot answers from, with its date."""
    status = "" if in_force else NOT_IN_FORCE_MARK
    return f'· {street} ({district}): "{title}", {covered}{", " + date if date else ""}{status}'


def untranslated(kind: str, street: str, title: str) -> str:
    """The one English sentence before a quote that has no English rendering."""
    return (
        f'No English translation yet: below is {kind} from the Chinese report "{title}" '
        f"of {street}, quoted as published."
    )


PASSAGE_KIND = "a passage"
ENTRY_KIND = "the answer"

# --- how a reply is laid out (bot.engine.rendering) ---------------------------------

SOURCE_PREFIX = "Source: "
TRANSLATION_LABEL = "English (unofficial translation, the Chinese original is authoritative):"
ORIGINAL_LABEL = "Chinese original:"
SEVERAL_STREETS = "The reports of both subdistricts mention this work:"
SUGGESTIONS_HEADING = {
    "answer": "Related questions:",
    "clarify": "",
    "miss": "You could try these questions:",
    "intent": "For example:",
}


def same_report(count: int) -> str:
    """What introduces several quotes of one report."""
    return f"The report has {count} relevant passages:"


def not_in_force(stale: Sequence[str], mixed: bool) -> str:
    """The notice for quotes from a source marked no longer in force."""
    which = f"the report of {streets_phrase(stale)}" if mixed else "this report"
    return (
        f"Note: the source page of {which} marks it as no longer in force; it describes the "
        "situation when the report was published and is for reference only."
    )


# === the Telegram layer (bot.telegram) ==================================================

COMMAND_MENU = (
    ("start", "Start: what you can ask"),
    ("help", "How to use this bot"),
    ("about", "Sources and their dates"),
    ("term", "Look up a term, e.g. /term road chief"),
    ("lang", "Language: English or Chinese"),
)

WELCOME = (
    "Hello! I answer questions about the <b>public reports of {streets}</b>.\n"
    "I answer only from these published work reports (in Chinese), and every answer says "
    "where it comes from:\n\n"
    "{about}\n\n"
    "Just ask in English or Chinese, or tap an example below. English answers are "
    "unofficial translations shown beside the Chinese original. /help for more; "
    "/lang zh switches to Chinese."
)
HELP = (
    "<b>How to use</b>\n"
    '· Just send a question, for example "Is there childcare for a two-year-old?".\n'
    "· /term road chief: look a term up; /term alone lists every term.\n"
    "· /about: the sources and their dates.\n"
    "· /lang: answer in English or in Chinese (a question in English is always answered "
    "in English).\n"
    "· In any chat, type @{username} and a few words to share an answer.\n"
    "· In a group, mention me or reply to my message.\n\n"
    "Answers quote the reports; where they say nothing, I say so rather than guess. "
    "English renderings are unofficial: the Chinese original is authoritative."
)
ABOUT = (
    "<b>Sources</b>\n{about}\n\n"
    "Answers quote the public reports above word for word, with their section; I do not "
    "know what changed since. Please check with the subdistrict before acting."
)
UNKNOWN_COMMAND = (
    "There is no such command. Commands: /start /help /about /term /lang. "
    "You can also just ask a question."
)
TERM_NOT_FOUND = 'I found no term "{word}". These are the terms the reports explain; tap one:'
TERM_LIST = "Terms the reports explain ({count} in all, page {page}/{pages}); tap one:"
LANGUAGE_PROMPT = (
    "Which language should I answer in? A question in English is always answered in English."
)
LANGUAGE_SET = (
    "OK: I will answer in English from now on, questions in Chinese too. The English is an "
    "unofficial translation beside the Chinese original. /lang zh switches back."
)
LANGUAGE_UNKNOWN = "Please choose: /lang en for English, /lang zh for Chinese."
OPEN_CHAT = "Ask in a chat"

VOTE_UP = "👍 Helpful"
VOTE_DOWN = "👎 Not helpful"
NONE_BUTTON = "None of these"
NOTIFY_BUTTON = "🔔 Tell me when there is an answer"
HANDOVER_BUTTON = "🙋 Pass to the staff"
PREVIOUS_PAGE = "« Previous"
NEXT_PAGE = "Next »"

# --- what residents read besides replies: notices, taps, later messages ----------------

NOT_TEXT = (
    "I can only answer questions written in text, and I cannot read {kind}. Please ask in "
    f'words, for example "{EXAMPLE_QUESTION}"'
)
CAPTION_NOTE = "I cannot read {kind}; below I answer only the words you wrote:"
EDITED = "I only answer newly sent messages, not edited ones. Please send your question again."
FLOOD = (
    "You are sending messages too fast: I will pause my replies for half a minute. "
    "Please ask again shortly."
)
SORRY = "Sorry, something went wrong while handling your message. Please try again later."
TAMPERED = "This button was not recognised. Please ask your question again."
STALE = "What this button pointed to has been updated. Please ask your question again."
NO_STORE = "I cannot record this right now. Please try again later."
VOTE_THANKS = {
    "up": "Thank you for your feedback!",
    "down": "Thank you: noted for the staff, to improve the answer.",
}
NONE_OF_THESE = (
    f"OK. {RECORDED_FOR_ADDING}\nYou can ask in other words, or try one of these questions:"
)
NOTIFY_OK = "OK: I will tell you when there is an answer."
EMPTY_MESSAGE = "(no content)"
REFUSAL = "Sorry, this is only for the people who maintain the answers."
ASKED_BEFORE = 'You asked earlier: "{question}"\n'
NOW_ANSWERED = "{asked}There is now an answer:\n\n{answer}"

# (attribute of Message, what to call it), as bot.engine.messages.NON_TEXT_KINDS.
NON_TEXT_KINDS = (
    ("sticker", "stickers"),
    ("photo", "pictures"),
    ("voice", "voice messages"),
    ("video_note", "video messages"),
    ("animation", "animations"),
    ("video", "videos"),
    ("audio", "audio"),
    ("document", "files"),
    ("venue", "venues"),
    ("location", "locations"),
    ("contact", "contact cards"),
    ("poll", "polls"),
    ("dice", "dice"),
)
OTHER_KIND = "this kind of message"

# --- handing a resident over to the staff: what the resident reads ----------------------
# (The staff chat's texts stay Chinese: bot.engine.messages.) HTML templates: fields are
# escaped by the caller. Never promise that someone will reply.

HANDOVER_SEND_BUTTON = "Pass it on (without my contact)"
HANDOVER_SHARE_BUTTON = "Pass it on, and let the staff see my Telegram account"
HANDOVER_OFFER = (
    'I can pass this question of yours to the subdistrict staff:\n"{question}"\n\n'
    "Phone numbers, ID numbers and other personal data in it will be masked. If the staff "
    "reply, I will pass their reply on to you here, once; I cannot promise that they will "
    "reply, or when."
)
HANDOVER_ASK_FIRST = (
    "Please first send me your question in one sentence. If I cannot answer it, there will "
    f'be a "{HANDOVER_BUTTON}" button under my reply.'
)
HANDOVER_SENT = (
    "Passed to the subdistrict staff. If they reply, I will pass their reply on to you here (once)."
)
HANDOVER_ALREADY = "This question has already been passed on."
HANDOVER_NOT_YOURS = "Only the person who asked can pass this question on."
HANDOVER_FAILED = (
    "Sorry, I could not pass the question to the staff just now. Please try again later."
)
HANDOVER_RELAY = (
    'The subdistrict staff replied to the question you passed on, "{question}":\n\n{reply}\n\n'
    "(This is the staff's reply, not text of the reports.)"
)
