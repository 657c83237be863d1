"""The callback protocol: every button's data, made and parsed here and nowhere else.

Callback data (at most CALLBACK_LIMIT bytes, checked again when it comes back):

    a:<entry_id>              answer for an entry (candidate, related question, example)
    t:<entry_id>              a glossary entry
    (either with :e after it: the answer in English, for buttons under English replies)
    v:u:<qid>:<entry_id>      👍 on the answer to question <qid>  (v:d: for 👎)
    x:<qid>                   "都不是": none of the candidates
    n:<qid>                   "有答案时通知我"
    p:<page>                  a page of the /term list  (p:<page>:e in English)
    l:<language>              /lang: answer in zh or en from now on
    h:o:<qid>                 "转给工作人员" under a miss: what would be passed on, to confirm
    h:s:<qid>                 pass question <qid> to the staff chat  (h:c: also shares who asks)
    h:r:<handover>            staff: reply to handover <handover>
    m:a:<group>:<entry_id>    curators: show the entry's answer, and how well it fits the group
    m:c:<group>:<entry_id>    curators: attach the group to the entry (from that preview)
    m:x:<group>               curators: do not attach (from that preview)
    m:i:<group>               curators: ignore the group
    m:g:<group>               curators: show the group with its buttons (the weekly digest)
    m:r:<handover>            curators: the report texts nearest a staff reply, to pick one
    m:u:<handover>:<doc_id>   curators: answer the reply's group with that entry's or passage's text
    m:n:<handover>            curators: none of them says what the staff said (nothing written)

Each kind has one pattern, used both to parse data and to route a tap to its handler
(``CallbackQueryHandler(pattern=PATTERNS[kind])``); data no pattern matches is forged or
from an older bot.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from bot.knowledge.loading import ENTRY_ID
from bot.telegram.limits import CALLBACK_LIMIT


def _unanchored(pattern: re.Pattern[str]) -> str:
    """The body of a ``^…$`` pattern, to be embedded in a longer one."""
    body = pattern.pattern
    if not (body.startswith("^") and body.endswith("$")):
        raise ValueError(f"expected a ^…$ pattern, got {body!r}")
    return body[1:-1]


# Every part is ASCII, so matching data also keeps .encode() from raising on a forged
# lone surrogate ("\ud800" is valid JSON). \Z, not $: "$" also matches before a final "\n".
_ENTRY = f"(?P<entry>{_unanchored(ENTRY_ID)})"
_QUESTION = "(?P<question>[0-9a-f]{12})"  # the store's question ids (new_question_id)
_GROUP = "(?P<group>g[0-9a-f]{6,12})"  # curation's missed-question groups
_HANDOVER = "(?P<handover>h[0-9a-f]{8})"  # bot.store.handovers.new_handover_id
_ENGLISH = "(?P<english>:e)?"  # the answer in English (a button under an English reply)
ENGLISH_SUFFIX = ":e"

CURATOR_PREFIX = "m:"
PATTERNS: dict[str, re.Pattern[str]] = {
    "answer": re.compile(rf"a:{_ENTRY}{_ENGLISH}\Z"),
    "term": re.compile(rf"t:{_ENTRY}{_ENGLISH}\Z"),
    "vote": re.compile(rf"v:(?P<vote>[ud]):{_QUESTION}:{_ENTRY}\Z"),
    "none": re.compile(rf"x:{_QUESTION}\Z"),
    "notify": re.compile(rf"n:{_QUESTION}\Z"),
    "page": re.compile(rf"p:(?P<page>[0-9]{{1,3}}){_ENGLISH}\Z"),
    "language": re.compile(r"l:(?P<language>zh|en)\Z"),
    "handover_offer": re.compile(rf"h:o:{_QUESTION}\Z"),
    "handover": re.compile(rf"h:(?P<share>[sc]):{_QUESTION}\Z"),
    "staff_reply": re.compile(rf"h:r:{_HANDOVER}\Z"),
    "preview": re.compile(rf"m:a:{_GROUP}:{_ENTRY}\Z"),
    "attach": re.compile(rf"m:c:{_GROUP}:{_ENTRY}\Z"),
    "cancel": re.compile(rf"m:x:{_GROUP}\Z"),
    "ignore": re.compile(rf"m:i:{_GROUP}\Z"),
    "group": re.compile(rf"m:g:{_GROUP}\Z"),
    "from_reply": re.compile(rf"m:r:{_HANDOVER}\Z"),
    "use_proposal": re.compile(rf"m:u:{_HANDOVER}:{_ENTRY}\Z"),
    "none_fits": re.compile(rf"m:n:{_HANDOVER}\Z"),
}
VOTES = {"u": "up", "d": "down"}


@dataclass(frozen=True)
class Button:
    """A parsed callback: what was tapped, before it is checked against the engine."""

    kind: str  # a key of PATTERNS
    entry_id: str | None = None
    question_id: str | None = None
    vote: str | None = None  # "up" | "down"
    page: int = 0
    group_id: str | None = None
    handover_id: str | None = None
    share_contact: bool = False
    english: bool = False  # answer in English (":e")
    language: str | None = None  # "zh" | "en" (l:)


def parse_callback(data: str | None) -> Button | None:
    """The button ``data`` names, or None if it is not data this module made."""
    if not data or len(data) > CALLBACK_LIMIT:
        return None
    for kind, pattern in PATTERNS.items():
        found = pattern.match(data)
        if found is not None:
            parts = found.groupdict()
            return Button(
                kind,
                entry_id=parts.get("entry"),
                question_id=parts.get("question"),
                vote=VOTES.get(parts.get("vote") or ""),
                page=int(parts.get("page") or 0),
                group_id=parts.get("group"),
                handover_id=parts.get("handover"),
                share_contact=parts.get("share") == "c",
                english=bool(parts.get("english")),
                language=parts.get("language"),
            )
    return None


def fits(data: str) -> bool:
    """Whether ``data`` is valid callback data within Telegram's limit."""
    return len(data.encode()) <= CALLBACK_LIMIT and parse_callback(data) is not None


def new_question_id() -> str:
    """A question id for replies that are not stored, in the same shape as the store's."""
    return secrets.token_hex(6)


def _in(english: bool) -> str:
    return ENGLISH_SUFFIX if english else ""


def answer_data(entry_id: str, english: bool = False) -> str:
    return f"a:{entry_id}{_in(english)}"


def term_data(entry_id: str, english: bool = False) -> str:
    return f"t:{entry_id}{_in(english)}"


def vote_data(vote: str, question_id: str, entry_id: str) -> str:
    """``vote`` is "up" or "down"."""
    return f"v:{vote[0]}:{question_id}:{entry_id}"


def none_data(question_id: str) -> str:
    return f"x:{question_id}"


def notify_data(question_id: str) -> str:
    return f"n:{question_id}"


def page_data(page: int, english: bool = False) -> str:
    return f"p:{page}{_in(english)}"


def language_data(language: str) -> str:
    return f"l:{language}"


def handover_offer_data(question_id: str) -> str:
    return f"h:o:{question_id}"


def handover_data(question_id: str, share_contact: bool) -> str:
    return f"h:{'c' if share_contact else 's'}:{question_id}"


def staff_reply_data(handover_id: str) -> str:
    return f"h:r:{handover_id}"


def preview_data(group_id: str, entry_id: str) -> str:
    return f"m:a:{group_id}:{entry_id}"


def attach_data(group_id: str, entry_id: str) -> str:
    return f"m:c:{group_id}:{entry_id}"


def cancel_data(group_id: str) -> str:
    return f"m:x:{group_id}"


def ignore_data(group_id: str) -> str:
    return f"m:i:{group_id}"


def group_data(group_id: str) -> str:
    return f"m:g:{group_id}"


def from_reply_data(handover_id: str) -> str:
    return f"m:r:{handover_id}"


def use_proposal_data(handover_id: str, doc_id: str) -> str:
    return f"m:u:{handover_id}:{doc_id}"


def none_fits_data(handover_id: str) -> str:
    return f"m:n:{handover_id}"


# Prefixes of the buttons a tap removes from the message that carried them.
VOTE_PREFIX, NONE_PREFIX, NOTIFY_PREFIX, HANDOVER_PREFIX = "v:", "x:", "n:", "h:"
