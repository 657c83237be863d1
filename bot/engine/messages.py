"""Every user-facing Chinese string: the engine's replies, the command line, curation and
the Telegram layer's buttons and commands.

Grouped by where a reader sees it. Street names are never written here: they come from
data/reports.yaml and are passed in. Telegram templates take str.format fields.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# --- what the engine's replies say (bot.engine.answering) ---------------------------

EXAMPLE_QUESTION = "六零行动是什么"  # shown to someone who has not asked anything yet
CLARIFY_SEVERAL = "您问的是下面哪一个?"
CLARIFY_ONE = "您是想问下面这个问题吗?"


def outline(cited: list[str]) -> str:
    """A plan or review asked for as a whole: where it is told, before its parts."""
    each = "各" if len(cited) > 1 else ""
    return (
        "；".join(cited)
        + f"{each}分为下面几个方面(按报告原文的标题列出)。回复序号或点一项,看这一方面的原文:"
    )


def no_such_option(count: int) -> str:
    """A number or ordinal past the options a clarify offered."""
    if count == 1:
        return "上面只有1个选项:回复“1”选它,或者换个说法再问。"
    return f"上面只有{count}个选项:请回复1到{count}之间的数字,或者换个说法再问。"


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


def titles_phrase(titles: Sequence[str]) -> str:
    """Report titles in a sentence: 《甲》、《乙》."""
    return "、".join(f"《{t}》" for t in titles)


def channels_phrase(channels: dict[str, list[str]]) -> str:
    """Where each street serves residents in person, as its reports name them."""
    named = [f"{street}的{'、'.join(places)}" for street, places in channels.items() if places]
    return "；".join(named) or "报告里没有写到"


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


def miss_opinion(streets: str) -> str:
    return (
        f"我只能转述{streets}的报告写了什么,不发表看法,也不做推荐。"
        "您可以问报告里的具体项目,例如“六零行动是什么”。"
    )


def miss_request(streets: str) -> str:
    return (
        f"我只能引用{streets}报告的原文回答问题,不能替您办事:投诉、预约、写信、打电话都做不了。"
        "您可以问报告里的具体项目,例如“六零行动是什么”。"
    )


def miss_no_subject(streets: str) -> str:
    return (
        f"您问的是{streets}报告里的哪项工作?请说出它的名称,"
        "例如“垃圾分类做得怎么样”“六零行动落实得怎么样”。"
    )


def miss_not_found(streets: str) -> str:
    return (
        f"抱歉,{streets}的报告里没有找到这个问题的答案,"
        "我不想给您不准确的信息。" + RECORDED_FOR_ADDING
    )


# --- follow-ups in a conversation (bot.engine.conversation) --------------------------

UNDERSTOOD_SEPARATOR = "："  # between what a follow-up is about and what it asks


def miss_on_street(street: str) -> str:
    """A question re-asked for another street whose report does not answer it surely (what
    it found nearest, if anything, is offered below: "not found" would be untrue)."""
    return (
        f"{street}的报告里没有找到能确切回答这个问题的内容,我不想给您不准确的信息。"
        + RECORDED_FOR_ADDING
    )


# --- where a quote comes from, and the sources (answering: Source, Engine.about) ----

NOT_IN_FORCE_MARK = "(来源页面标注“文件已失效”)"


def citation(street: str, title: str, section: str, heading: str, dated: str) -> str:
    """One line saying where a quote comes from."""
    quoted = f"“{heading}”" if heading else ""
    return f"{street}《{title}》{section}{quoted}({dated})"


def older_report(years: str, current: str) -> str:
    """Said after the citation of a street's older report (it has a newer one)."""
    return f"(这是{years}年的报告；该街道最新的报告是《{current}》)"


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
CHAT_UNKNOWN_COMMAND = (
    f"终端里的命令:/new 开始新的对话,/quit 退出。直接输入问题即可,例如“{EXAMPLE_QUESTION}”。"
)
CHAT_NEW = "好的,开始新的对话。"
CHAT_SOURCES = "资料来源:\n"
CHAT_PROMPT = "\n问> "


def chat_banner(streets: Sequence[str]) -> str:
    """The terminal chat's first line, naming the streets the reports cover."""
    return f"{' · '.join(streets)} 政策问答(终端模式)。输入问题后回车;输入 /quit 或按 Ctrl-D 退出。"


# === the Telegram layer (bot.telegram) ==================================================

# --- the command menu ------------------------------------------------------------------

COMMAND_MENU = (
    ("start", "开始:能问什么"),
    ("help", "使用说明"),
    ("about", "资料来源和日期"),
    ("term", "查名词解释,例如 /term 六零"),
    ("lang", "回答的语言:中文或英文 (Language)"),
)

# --- residents -------------------------------------------------------------------------

WELCOME = (
    "您好!我是<b>{streets}政策问答助手</b>。\n"
    "我只根据这些街道公开的工作报告回答,每条回答都注明出处:\n\n"
    "{about}\n\n"
    "直接发文字问题就行,也可以点下面的例子。/help 查看更多用法。"
)
HELP = (
    "<b>怎么用</b>\n"
    "· 直接发送问题,例如“孩子两岁有托育服务吗”。\n"
    "· /term 六零:直接查名词解释;只发 /term 会列出全部名词。\n"
    "· /about:资料来源和日期。\n"
    "· /lang:用中文或英文回答(English: /lang en);用英文提问时总是用英文回答。\n"
    "· 在任何聊天里输入 @{username} 加关键词,可以把答案转发给别人。\n"
    "· 在群里,请 @我 或回复我的消息来提问。\n\n"
    "回答都摘自报告原文;报告没有写到的内容,我不会编。"
)
ABOUT = (
    "<b>资料来源</b>\n{about}\n\n"
    "回答逐字摘自上面的公开报告,并注明章节;报告之后的变化我不知道,办事前请向街道核实。"
)
NOT_TEXT = "我只能回答文字问题,看不懂{kind}。请用文字提问,例如“六零行动是什么”。"
CAPTION_NOTE = "我看不懂{kind},下面只回答您写的文字:"
EDITED = "我只回答新发送的消息,修改过的消息不会再回答。请把问题重新发一遍。"
UNKNOWN_COMMAND = "没有这个命令。可用的命令:/start /help /about /term /lang。也可以直接发文字问题。"
FLOOD = "您发消息太快了,我先暂停回复半分钟,请稍后再问。"
SORRY = "抱歉,处理您的消息时出了点问题,请稍后再试。"
TAMPERED = "这个按钮无法识别,请重新提问。"
STALE = "这个按钮对应的内容已经更新,请重新提问。"
NO_STORE = "暂时无法记录,请稍后再试。"
VOTE_THANKS = {"up": "谢谢您的反馈!", "down": "谢谢,已记下,供工作人员改进回答。"}
NONE_OF_THESE = "好的,这个问题已记下,供工作人员补充。\n您可以换个说法再问,或者看看下面这些问题:"
NOTIFY_OK = "好的,有答案时会通知您。"
# The notification sent when a question the resident asked about is answered later.
ASKED_BEFORE = "您之前问过:“{question}”\n"
NOW_ANSWERED = "{asked}现在有答案了:\n\n{answer}"
TERM_NOT_FOUND = "没有找到“{word}”这个名词。下面是报告里解释过的名词,点一个查看:"
TERM_LIST = "报告里解释过的名词(共 {count} 个,第 {page}/{pages} 页),点一个查看:"
EMPTY_MESSAGE = "(没有内容)"
OPEN_CHAT = "打开对话提问"  # the button above inline results
LANGUAGE_PROMPT = "用哪种语言回答您?用英文提问时总是用英文回答。"
LANGUAGE_SET = "好的,以后用中文回答。(English: /lang en)"
LANGUAGE_UNKNOWN = "请选择:/lang zh 用中文回答,/lang en 用英文回答 (English)。"
# The /lang buttons: (language, label), each label in its own language.
LANGUAGE_BUTTONS = (("zh", "中文"), ("en", "English"))

# Buttons under replies.
VOTE_UP = "👍 有帮助"
VOTE_DOWN = "👎 没帮助"
TERM_BUTTON = "📖 {term}"
NONE_BUTTON = "都不是"
NOTIFY_BUTTON = "🔔 有答案时通知我"
PREVIOUS_PAGE = "« 上一页"
NEXT_PAGE = "下一页 »"

# (attribute of Message, what to call it): animation before document and venue before
# location, because an animation also carries a document and a venue a location.
NON_TEXT_KINDS = (
    ("sticker", "贴纸"),
    ("photo", "图片"),
    ("voice", "语音"),
    ("video_note", "视频消息"),
    ("animation", "动图"),
    ("video", "视频"),
    ("audio", "音频"),
    ("document", "文件"),
    ("venue", "地点"),
    ("location", "位置"),
    ("contact", "联系人名片"),
    ("poll", "投票"),
    ("dice", "骰子"),
)
OTHER_KIND = "这类消息"

# --- curators (HTML templates: fields are escaped by the caller) -----------------------

REFUSAL = "抱歉,这个功能只供内容维护人员使用。"  # also what a resident trying /missed reads
PRIVATE_ONLY = "这个功能只能在与我的私聊中使用。"
NO_LOG = "没有启用问题记录(数据库未打开),无法列出未答问题。"
NOTHING_MISSED = "目前没有待处理的未答问题。"
NOT_ATTACHED = "已取消,未归入。"
INVALID_BUTTON = "这个按钮无效。"
MISSED_HEADER = "未答问题共 {total} 组,最常问的 {shown} 组(点“→”先看条目的回答,确认后才归入):"
GROUP_HEADER = "<b>{group}</b> · 问了 {count} 次 · 最近 {when} UTC"
GROUP_EXAMPLE = "“{text}”"
GROUP_WITHOUT_NEAREST = "(没有相近的条目:请用 <code>policybot missed answer --new</code>)"
ENTRY_BUTTON = "→ {question}"
IGNORE_BUTTON = "忽略"
RELOAD_PROBLEMS = "知识库有 {count} 个问题,继续使用原来的版本:\n{listed}"
LISTED = "• {item}"
RELOADED = "已重新加载:{entries} 个条目。"
IGNORED = "已忽略 {group}({count} 个问题)。"
NOT_DONE = "未能处理:{error}"
PREVIEW_HEADER = "<b>归入前请看这条回答</b>:{group}(问了 {count} 次)→“{question}”"
FIT_CHANCE = "引擎估计,用它回答这组问题,答对的可能最高 {probability:.0%}。"
POOR_FIT = "⚠️ 这组问题和这个条目几乎没有共同之处:{chance}归入后,这组的每个问法都会得到上面的回答。"
ATTACH_ANYWAY = "仍然归入"
ATTACH = "✅ 归入"
CANCEL = "取消"
ATTACHED = "已归入“{question}”:新增 {added} 个问法。"
STILL_MISSED = "仍有 {count} 个问法未答到该条目。"
GROUP_STAFF_REPLY = "✍️ 工作人员答复 #{handover}({when} UTC):“{reply}”"
FROM_REPLY_BUTTON = "用工作人员答复生成答案"
PROPOSALS_HEADER = (
    "<b>用工作人员答复生成答案</b>:{group}\n问题:“{question}”\n"
    "工作人员答复 #{handover}:“{reply}”\n\n"
    "机器人只引用报告原文,不会转述工作人员的话。下面是报告里与这条答复最接近的内容,"
    "请选一段正好说了答复内容的,它会成为这组问题的答案(工作人员的答复只作为来源记录,不会展示给居民):"
)
PROPOSAL = "{number}. {text}\n<i>{citation}</i>"
NO_PROPOSALS = "报告里没有与这条答复相近的内容。"
PROPOSAL_BUTTON = "用第 {number} 段"
NONE_FITS_BUTTON = "都不对"
FROM_REPLY_WRITTEN = "已用报告原文生成答案“{question}”,工作人员的答复作为来源记录保存。"
REPLY_UNSUPPORTED = (
    "未写入任何内容:报告不支持的工作人员答复不能成为机器人的答案(机器人只引用报告原文)。"
    "这组问题仍在 /missed 中。"
)

# --- handing a resident over to the street's staff (POLICYBOT_STAFF_CHAT) ----------------
HANDOVER_BUTTON = "🙋 转给工作人员"
HANDOVER_SEND_BUTTON = "转交(不留联系方式)"
HANDOVER_SHARE_BUTTON = "转交,并让工作人员看到我的 Telegram 账号"
HANDOVER_OFFER = (
    "我可以把您的这个问题转给街道工作人员:\n“{question}”\n\n"
    "问题里的电话、证件号等个人信息会被遮盖。工作人员如果回复,我会把答复转到这里,只转一次;"
    "我无法保证他们会回复或何时回复。"
)
HANDOVER_ASK_FIRST = (
    "请先把您的问题用一句话发给我。如果我答不上来,回复下面会有“转给工作人员”的按钮。"
)
HANDOVER_SENT = "已转给街道工作人员。工作人员如果回复,我会把答复转到这里(只转一次)。"
HANDOVER_ALREADY = "这个问题已经转交过了。"
HANDOVER_NOT_YOURS = "只有提问的人可以转交这个问题。"
HANDOVER_FAILED = "抱歉,现在没能把问题转给工作人员,请稍后再试。"
HANDOVER_STAFF = (
    "📨 <b>居民问题</b> #{handover}\n“{question}”\n\n{who}\n\n"
    "回复这条消息(或点下面的按钮后回复),答复会转给这位居民,只转一次。"
)
HANDOVER_STAFF_CONTACT = "提问人同意让工作人员看到其 Telegram 账号:{contact}"
HANDOVER_STAFF_ANONYMOUS = "提问人没有留下联系方式,只能通过机器人回复。"
HANDOVER_REPLY_BUTTON = "✍️ 回复居民"
HANDOVER_REPLY_PROMPT = "请回复这条消息,写下给居民的答复 #{handover}"
HANDOVER_RELAYED = "已把答复转给居民。"
HANDOVER_NOT_DELIVERED = "答复已记下,但没能发给居民(对方可能已停用机器人)。"
HANDOVER_ANSWERED = "这个问题已经回复过了,这次的答复没有再转给居民。"
HANDOVER_UNKNOWN = "找不到这个转交的问题。"
HANDOVER_RELAY = (
    "街道工作人员回复了您转交的问题“{question}”:\n\n{reply}\n\n(这是工作人员的答复,不是报告原文。)"
)


# --- the weekly digest and /stats (bot.curation.digest, bot.telegram.digest) ---------------

DIGEST_HEADER = "📊 每周小结 {start} 至 {end}（UTC）"
DIGEST_QUESTIONS = "提问 {n} 条{change}"
DIGEST_ASKERS = "提问人数 {n}{change}"
DIGEST_RATE = "直接回答率 {rate:.0%}（前一周 {before:.0%}）"
DIGEST_MISSED = "未能回答 {n} 条（前一周 {before} 条）"
DIGEST_CHANGE = "（比前一周 {change:+.0%}）"
DIGEST_NEW = "（前一周没有）"
DIGEST_TOP = "本周最常未答的问题（按意思归组）："
DIGEST_GROUP = "{number}. {label} ×{count}"
DIGEST_NO_GROUPS = "本周没有未答的问题。"
DIGEST_ANSWER_BUTTON = "答复第 {number} 组"
DIGEST_CHART_DAYS = "每天的提问"
DIGEST_CHART_GROUPS = "本周最常未答"
DIGEST_CHART_CAPTION = "本周图表"
# (column, legend, colour) of the daily bars, bottom first
DIGEST_OUTCOMES = (
    ("answered", "已回答", "#4c9a2a"),
    ("clarified", "请用户选择", "#e0a030"),
    ("missed", "未能回答", "#c0392b"),
)


# --- which texts have no English ---------------------------------------------------------

# Texts only staff and curators read (the staff chat, /missed, /reload, /stats, the
# weekly digest) and the terminal chat's own lines: Chinese only; and the /lang buttons,
# each already in its own language. Every other text
# constant above has an English twin of the same name and fields in
# bot.engine.messages_en (tests/test_messages_en.py), so what a resident reads cannot
# drift back to Chinese.
NO_ENGLISH_TWIN = frozenset(
    {
        *(name for name in dir() if name.startswith(("CHAT_", "DIGEST_"))),
        "PRIVATE_ONLY", "NO_LOG", "NOTHING_MISSED", "NOT_ATTACHED", "INVALID_BUTTON",
        "MISSED_HEADER", "GROUP_HEADER", "GROUP_EXAMPLE", "GROUP_WITHOUT_NEAREST",
        "ENTRY_BUTTON", "IGNORE_BUTTON", "RELOAD_PROBLEMS", "LISTED", "RELOADED", "IGNORED",
        "NOT_DONE", "PREVIEW_HEADER", "FIT_CHANCE", "POOR_FIT", "ATTACH_ANYWAY", "ATTACH",
        "CANCEL", "ATTACHED", "STILL_MISSED",
        # turning a staff reply into an entry (curators)
        "GROUP_STAFF_REPLY", "FROM_REPLY_BUTTON", "PROPOSALS_HEADER", "PROPOSAL",
        "NO_PROPOSALS", "PROPOSAL_BUTTON", "NONE_FITS_BUTTON", "FROM_REPLY_WRITTEN",
        "REPLY_UNSUPPORTED",
        "HANDOVER_STAFF", "HANDOVER_STAFF_CONTACT", "HANDOVER_STAFF_ANONYMOUS",
        "HANDOVER_REPLY_BUTTON", "HANDOVER_REPLY_PROMPT", "HANDOVER_RELAYED",
        "HANDOVER_NOT_DELIVERED", "HANDOVER_ANSWERED", "HANDOVER_UNKNOWN",
        "LANGUAGE_BUTTONS",
    }
)  # fmt: skip
