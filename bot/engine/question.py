"""What a question asks: the street, year and half it names, the detail, service or place
it asks about, an intent phrase, a glossary term, and the reports' words for its own."""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections import defaultdict
from itertools import accumulate

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from bot.engine.index import LexicalIndex
from bot.engine.lexicon import FUNCTION_WORDS, Lexicon
from bot.engine.textnorm import content, fold, romanizations
from bot.engine.wording import BOTH_STREETS, ENGLISH_SHARE, YEAR_WORD, latin_share
from bot.knowledge.loading import KnowledgeBase

TERM_WITHIN_SHARE = 0.35  # of a question's information, for it to be a look-up of a term
# A term's core name without the generic kind of thing it is (“三事分流”工作机制).
TERM_SUFFIX = re.compile(r"(工作机制|工作模式|工作体系|机制|模式|体系|制度)$")
INTENT_AT = 86.0
TRAVEL_VERBS = "(?:从|来回|往返|跑)"
# What a place's name ends with that its English spelling leaves out or translates.
PLACE_SUFFIX = re.compile(r"(?:街道|区|市|镇)$")
# Verbs that ask for a service to be done (办护照, 开证明, 换驾照).
SERVICE_VERBS = "(?:办理|申请|提取|处理|受理|办|开|换|补|领|考|拿|交|缴|查)"
# ... or after it (签证怎么办, 护照在哪办).
SERVICE_ASKED_AFTER = (
    "(?:怎么办理|如何办理|怎么办|怎么弄|怎么申请|如何申请|在哪办|去哪办|哪里办|能办|可以办)"
)
# Words that ask whether one may or can do a thing, just before it (河里可以游泳吗,
# 水库能钓鱼吗, can I swim): the thing is what is asked, wherever it happens.
MAY_ASKED_BEFORE = (
    "(?:可以|可不可以|能不能|能否|能|准不准|允许|允不允许|让不让|会不会|要不要|需不需要"
    "|cani|canwe|canyou|howdoi|howcani|howto|allowedto)"
)
# Words that ask about a thing, just after it (家庭医生怎么签约, 宠物有什么规定).
ASKED_AFTER = "(?:怎么|怎样|如何|吗|嘛|呢|多少|哪|几|什么|啥|是否|有没有|有哪些|allowed|permitted)"
# 那 (then, so) opening a chat message (folded): it points back, naming nothing.
POINTING_OPENING = re.compile(r"^那么?(?!个|些|边|里)")
LINE_NUMBER = re.compile(r"([0-9]+)\s*号线|\bline\s*(?:no\.?\s*)?([0-9]+)\b")
# A hotline by its number (the 12345 hotline, 12345热线, hotline 12345): one hotline, as a
# numbered line is one line, which a text names only by writing the number.
HOTLINE_NUMBER = re.compile(
    r"(?<![0-9])([0-9]{3,6})\s*(?:hotline|热线|服务热线)|\bhotline\s*(?:no\.?\s*)?([0-9]{3,6})(?![0-9])"
)
# A code: letters then digits (PM10, pm2.5), or digits then capitals (5G); "24h" and "3km"
# are measures, not codes.
CODE = re.compile(
    r"(?<![A-Za-z0-9.])(?:[A-Za-z]+[0-9][A-Za-z0-9.]*|[0-9][0-9.]*[A-Z]+[A-Z0-9]*)(?![A-Za-z0-9])"
)
# An English question's time, when it names no year: each two-year report reviews the year
# before it was written and plans the year it was, so "will", "planned", "this year" ask
# the plan and "did", "last year", "so far" the review (``half_by_words``). Chinese says
# when by its own words and years; a bare past participle (built, done) is left alone, as
# "is it done" or "has … been built" asks what is planned as often as what was.
ENGLISH_PLAN = re.compile(
    r"\b(?:will|gonna|going to be|plan|plans|planned|planning|next year|this year|upcoming"
    r"|in the future|future|target|targets|aim|aims"
    # still going on, still held: what goes on from the report's year, its plan
    r"|still)\b",
    re.IGNORECASE,
)
ENGLISH_REVIEW = re.compile(
    r"\b(?:did|didn't|didnt|was|were|last year|last yr|so far|in the past|achieved)\b",
    re.IGNORECASE,
)
# A year as a year (2021年), not a house number or a count (2088号, 2030个岗位).
YEAR = re.compile(r"(?<![0-9])(20[0-9]{2})(?=年)")
# In English a year is written alone ("work plan for 2023"), and numbers of that size
# that are not years are rare in a resident's question.
ENGLISH_YEAR = re.compile(r"(?<![0-9.])(20[0-9]{2})(?![0-9.])")
# Kinds of detail (as intents/scope.yaml labels them) an answer can state in words of
# its own: a day, an opening time, a price.
DETAIL_EVIDENCE = {
    # (每周 or 每月 alone says how often, not which day: 每周围绕不同主题)
    "日期": re.compile(
        r"20[0-9]{2}年|[0-9]+月[0-9]+日|每月[0-9]+[日号]|每周[0-9一二三四五六日天]|每年|星期[0-9一二三四五六日天]"
    ),
    # "when" is answered by a year, a month or a part of the year too (年内通车); "which
    # day" is not
    "时间安排": re.compile(
        r"20[0-9]{2}年|[0-9]+月|每月|每周|每年|星期[一二三四五六日天]|年内|年底|年初|今年|明年"
        r"|上半年|下半年"
    ),
    "所需时间": re.compile(r"[0-9]+个?(?:小时|分钟|天|工作日|月)|当天|当场|即办|立即"),
    "年龄要求": re.compile(r"[0-9]+岁"),
    "开放时间": re.compile(r"[0-9]+小时|不打烊|[0-9]+点|全天"),
    "收费": re.compile(r"[0-9.]+元|免费"),
    # a line named by its number: 16号线, 轨道4号线
    "线路编号": re.compile(r"[0-9一二三四五六七八九十]+号线"),
}
# The scope's kind of detail that is a person's name: the reports name posts, never who
# holds them (a follow-up asking who someone is, bot.engine.conversation.PERSON_ASKED).
NAME_DETAIL = "姓名"
# The part of a detail word that asks (哪里, 多少, 几点, 什么时候): an answer that shares it
# states nothing; the thing asked about (电话, 租金, 位置) is what the answer must name.
ASKING_PART = re.compile(
    "什么时候|啥时候|哪里|哪儿|哪个|哪条|哪天|哪年|哪一|在哪|去哪|多少|几点|几时|什么|怎么|如何"
    "|何时|多久|多长|多大|是啥|哪|几|啥|谁|吗"
)
# What is done at a place asked for (去哪里登记, 哪里办理): a text that says a registration
# exists (登记备案制度) does not say where it is done.
DONE_AT_A_PLACE = frozenset({"登记", "办理", "报名", "申报", "备案"})
# Asking how to choose (球拍怎么选) asks advice, except of people: the reports describe how
# cadres, secretaries and deputies are chosen (换届, 选拔, 推荐), never how a thing is.
CHOOSING = ("怎么选", "如何选", "该选", "选哪")
PEOPLE_CHOSEN = re.compile(
    r"(?:书记|干部|代表|委员|人选|主任|班子|两委|居委|领导|党员|后备|委员会)[^,，。?？]{0,3}"
    r"(?:怎么|如何|该|要|是)"
)
# Particles around a question's words, which no text's words are made of (的, 了, 吗).
PARTICLES = re.compile("[的得地了吗呢啊呀吧么嘛]")
# Where a detail word's parts may have a few characters between them (盖…章).
DETAIL_GAP = "\0"
GAP_CHARS = 8
# What may follow a detail word anchored at the end of a question (托育中心电话是啥).
TRAILING_PARTICLES = "(?:是啥|是什么|是多少|有吗|呗|吧|呀|啊|呢|吗|嘛|哈|哦|哇)*$"
# What may open a request to the bot before its verb (folded: spaces dropped).
POLITE_OPENERS = re.compile(
    r"^(?:请问|请|麻烦你?|拜托|你好|您好|你|您|能不能|能否|可不可以|可以|可否|能|帮帮忙|"
    r"hi|hello|please|pls|plz|canyou|couldyou|wouldyou|willyou|canu|couldu)+"
)
LATIN_RUN = re.compile(r"[0-9a-z]+")
LATIN_WORD = re.compile(r"[a-z0-9]+")
# A street's pinyin name this long or longer is still told with one letter mistyped.
STREET_TYPO_MIN = 6
# A word spelled wholly in pinyin syllables (jingshan, pengshan, guandu): with one letter
# changed from a street's name it is another place's name, not that street mistyped.
PINYIN_WORD = re.compile(
    r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?"
    r"(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|ai|an|ao|ei|en|er|ia|ie|in|iu|ou"
    r"|ua|ue|ui|un|uo|a|e|i|o|u|v))+"
)
# A request to act for the asker inside a question, in its clause (…三事分流能帮我协调吗,
# 油烟太大了 帮我投诉一下): 帮我 or 替我 and the act asked. 帮我们 is what a service does for
# residents (网格员能帮我们办些什么), and a clause that asks who, where or what (谁帮我白天
# 照看小娃娃, 有没有人能帮我…, 能帮我做什么) asks what exists, not the bot to act.
ACT_FOR_ME = re.compile(r"(?:帮我|替我)(?!们)([\u4e00-\u9fff]+)")
ASKS_WHAT = re.compile(r"什么|啥|哪|几|多少|怎么|如何|谁|有没有|有人")
# The same in English, on the clause as written (lower case): an office asked to hand the
# asker something (can the legal service give me a free lawyer, get it for me, find me a
# flat), or to help the asker do a thing (help me renew my permit). A clause that asks
# who, what, where or whether anyone can (who can help me, is there someone to help me)
# asks what exists; "us" is residents at large (can the street help us with the noise).
ACT_FOR_ME_EN = re.compile(
    r"\b(?:give|get|find|book|send|issue|bring|lend)\s+me\b|\bget\s+(?:it|them|this|that)\s+for\s+me\b"
    r"|\bhelp\s+me\b"
)
ASKS_WHAT_EN = re.compile(
    r"\b(?:what|who|whom|where|which|how|anyone|anybody|someone|somebody|is\s+there|are\s+there)\b"
)
# Telling the asker about something (帮我介绍一下六零行动, 帮我找一下托育服务的信息, give me
# the details of…, help me understand…) is what the bot does, quoting the reports: a
# question, not an act it cannot do (``request_within``). Chinese on the act after 帮我,
# English on the words after the request.
INFORMING = re.compile(
    r"(?:介绍|讲|说|解释|解读|总结|概括|梳理|列|整理|科普|分析|了解|看看)"
    r"|(?:找|查|搜)[^我]{0,12}(?:信息|资料|内容|介绍)"
)
INFORMING_EN = re.compile(
    r"(?:(?:give|get|find|send|bring)\s+me|help\s+me)\s+"
    r"(?:(?:some|the|a|an|more|all|any|all\s+the|a\s+bit\s+of)\s+)?"
    r"(?:information|info|details?|list|overview|summary|numbers|figures|data|facts|examples?"
    r"|explanation|rundown|breakdown|update|answer|idea|understand|learn|know|find\s+out"
    r"|figure\s+out)\b"
)
EN_CLAUSE_BREAK = re.compile(r"[,.;:!?，。；：！？]+")
HELP_ME = "help me"
CLAUSE_BREAK = re.compile(r"[\s,，.。;；:：!！?？、~～]+")
# A charge asked in words of its own (要交会费吗, 要收钱吗, 票价多少): what the 收费 details
# of intents/scope.yaml ask, whatever the fee is called; folded. A fee named in passing
# (有免费的课吗, 电费收得太高了) asks none.
CHARGE_ASKED = re.compile(
    r"(?:要|需要|得|收|交|缴|付|花|掏)[\u4e00-\u9fff]{0,2}?(?:钱|费)(?:吗|不|么|嘛|没|多少)"
    r"|(?:钱|费|价)(?:是|要|大概|一般)?多少"
)
CHARGE = "收费"  # the detail word such a question is read as asking
# A year is context, not subject, in English as in Chinese ("what are the plans for 2021").
ENGLISH_YEAR = re.compile(r"(?:19|20)[0-9]{2}")
# Which numbered line (地铁几号线): the 几号 of a date detail asks no date there.
WHICH_LINE = re.compile(r"几号(?=线)")
# Particles left around the words of a message that names no subject (落实|得|怎么样).
PARTICLES = re.compile("[的得地了吗呢啊呀吧么嘛过着还又再也]")
HAN = re.compile(r"[\u4e00-\u9fff]")
# An intent phrase this short counts in a short message only with nothing but particles
# beside it.
SHORT_INTENT_PHRASE = 3
# The apostrophe pinyin writes before a syllable that opens with a vowel (Bao'an, Xi'an),
# which the place patterns spell without; a possessive ('s) is left alone.
PINYIN_APOSTROPHE = re.compile(r"(?<=[a-z])['’](?=[aoe])")
# The second person: a message that speaks to the bot ("what can you help me with", 你会
# 什么) is likelier about the bot than one that only sounds like it. "u" is chat spelling.
SECOND_PERSON = re.compile(r"你|您|\b(?:you|your|yourself|u)\b", re.IGNORECASE)
# A short message that holds an intent phrase and nothing the knowledge base fits.
LOOSE_INTENT_CHARS = 40


def _years_in(folded: str) -> list[str]:
    """The years a folded question names, read as English writes them when it is English."""
    return (ENGLISH_YEAR if latin_share(folded) >= ENGLISH_SHARE else YEAR).findall(folded)


def _latin_words(text: str) -> str:
    """A text's runs of Latin letters and digits, lower-case, one space apart: where an
    English phrase's words begin and end, which folding (spaces dropped) loses."""
    return " ".join(LATIN_RUN.findall(text.lower()))


def _as_english_words(word: str, text: str) -> bool:
    """Whether a scope word of Latin letters, found in a folded question (spaces dropped),
    is there as words of the question: it begins a word and, where it runs on into another
    word, takes that one whole, give or take a plural s. "today" is in "is it open today",
    not in "send my son to daycare"; "mydog" is in "my dogs"; a stem that ends inside the
    word it begins (compensat, refund) still counts."""
    words = LATIN_RUN.findall(unicodedata.normalize("NFKC", text).lower())
    starts = list(accumulate((len(w) for w in words), initial=0))
    joined = "".join(words)
    at = joined.find(word)
    while at != -1:
        end = at + len(word)
        if at in starts:
            last = bisect_right(starts, end - 1) - 1  # the word the scope word ends in
            if starts[last] == at or joined[end : starts[last + 1]] in ("", "s", "es"):
                return True
        at = joined.find(word, at + 1)
    return False


def _inside_a_word(words: str, text_words: str) -> bool:
    """Whether a phrase of letters or digits (88, 886, hi, real person please) occurs only
    as part of longer runs of them (2088号, this): 坪山大道2088号 says no goodbye."""
    pattern = rf"(?<![0-9a-z]){re.escape(words)}(?![0-9a-z])"
    return re.search(pattern, text_words) is None


def _folded_scope_word(word: str) -> str:
    """A scope word folded, keeping what fold drops: the "$" that anchors it at the end of
    the question, the "…" that lets a few characters come between its parts (盖…章:
    盖研学实践的章)."""
    folded = DETAIL_GAP.join(fold(part) for part in word.split("…"))
    return folded + ("$" if word.endswith("$") else "")


def _detail_finder(word: str) -> tuple[str, re.Pattern[str] | None]:
    """A detail word as it is reported, and the pattern that finds it where a plain look-up
    cannot: at the end of the question (``$``) or with characters between its parts (…)."""
    if word.endswith("$"):
        return word[:-1], re.compile(re.escape(word[:-1]) + TRAILING_PARTICLES)
    if DETAIL_GAP in word:
        parts = map(re.escape, word.split(DETAIL_GAP))
        return word.replace(DETAIL_GAP, ""), re.compile(f".{{0,{GAP_CHARS}}}".join(parts))
    return word, None


class Finders:
    """Words to look for in a question, each with its finder (see _detail_finder), in
    the order they are tried, indexed by first character: a question is tried only
    against the words it could hold (a few of the scope file's hundreds), in the same
    order, so the first found is the same."""

    def __init__(self, finders: list[tuple[str, re.Pattern[str] | None]]):
        self.finders = finders
        # A pattern, too, finds its word's first character: the word begins it, or
        # follows the gap that begins it (…上了).
        self._always = [i for i, (word, _) in enumerate(finders) if not word]
        starting: dict[str, list[int]] = defaultdict(list)
        for position, (word, _) in enumerate(finders):
            if word:
                starting[word[0]].append(position)
        self._starting = dict(starting)

    def possible(self, folded: str) -> list[tuple[str, re.Pattern[str] | None]]:
        """The finders whose word could be in ``folded``, in their order."""
        positions = list(self._always)
        for char in set(folded):
            positions += self._starting.get(char, ())
        return [self.finders[i] for i in sorted(positions)]


def reported_word(word: str) -> str:
    """A scope word as ``detail_asked`` and its kin report it found: folded, its markers
    (``$``, ``…``) dropped."""
    return _detail_finder(_folded_scope_word(word))[0]


# A count in a counter of its own (几家, 多少项), asked of nothing named: no subject either.
# Not people (多少人 asks a population) nor a time (几点, 几号), which are subjects.
BARE_COUNT = re.compile(
    r"(?:多少|几)(?:个|家|所|条|名|位|次|项|件|宗|起|座|台|辆|间|处|户|栋|支|批|场|套|棵)?"
)


class QuestionReader:
    """Reads what a question asks, against the words of one knowledge base."""

    def __init__(self, kb: KnowledgeBase, index: LexicalIndex):
        self.kb = kb
        self.index = index
        self.wording = index.wording
        self.street_years: dict[str, set[int]] = defaultdict(set)
        for report in kb.reports.values():
            self.street_years[report.street].update(report.years)
        self._intents = [
            (intent.id, fold(p)) for intent in kb.intents.values() for p in intent.phrasings
        ]
        self._intent_keys = [key for _, key in self._intents]
        self._other_places = self._place_patterns(kb)
        self._other_places_latin = self._latin_place_patterns(kb)
        self._uncovered = Finders(
            [
                _detail_finder(_folded_scope_word(w))
                for w in sorted(kb.uncovered_topics, key=len, reverse=True)
            ]
        )
        self._opinion_finders = Finders(
            [
                _detail_finder(_folded_scope_word(w))
                for w in sorted(kb.opinions, key=len, reverse=True)
            ]
        )
        self._requests = sorted((fold(w) for w in kb.requests), key=len, reverse=True)
        chinese = sorted((fold(w) for w in kb.no_subject if not w.isascii()), key=len, reverse=True)
        self._no_subject = re.compile("|".join(map(re.escape, chinese))) if chinese else None
        self._no_subject_en = frozenset(w.lower() for w in kb.no_subject if w.isascii())
        # Words asking for a plan or a review as a whole, each with its half.
        self._outline_half = {
            fold(w) if not w.isascii() else w.lower(): half
            for half, words in sorted(kb.outline_words.items())
            for w in words
        }
        outline_zh = sorted(
            (w for w in self._outline_half if not w.isascii()), key=len, reverse=True
        )
        self._outline = re.compile("|".join(map(re.escape, outline_zh))) if outline_zh else None
        self._street_words_en = frozenset(
            word
            for names in self.wording.street_names.values()
            for name in names
            for word in LATIN_WORD.findall(name.lower())
        )
        # A street's own names in pinyin, one word each (pingshan, guanhu), long enough
        # that one letter mistyped still says which (see mend_street_names).
        self._pinyin_street_names = tuple(
            name
            for names in self.wording.street_names.values()
            for name in names
            if name.isascii() and name.isalpha() and len(name) >= STREET_TYPO_MIN
        )
        self.term_names, self._canonical_terms = self._glossary_index(kb)
        self._details = [
            (label, _folded_scope_word(word))
            for label, words in kb.unstated_details.items()
            for word in words
        ]
        self._detail_labels = {
            word.rstrip("$").replace(DETAIL_GAP, ""): label for label, word in self._details
        }
        self._detail_finders = Finders([_detail_finder(word) for _, word in self._details])
        self.lexicon = Lexicon.from_pairs(kb.lexicons)
        # Each intent phrase folded, and an English one's words too (see _inside_a_word).
        self._intent_contained = sorted(
            (
                (intent.id, content(p), _latin_words(p) if content(p).isascii() else None)
                for intent in kb.intents.values()
                if not intent.alone
                for p in intent.phrasings
                if len(content(p)) >= 2
            ),
            key=lambda item: -len(item[1]),
        )

    def _glossary_index(self, kb: KnowledgeBase) -> tuple[dict[str, str], list[tuple[str, str]]]:
        """Each glossary term's names by sound key, and its canonical names longest first."""
        # Staff type a term to look it up: a question that is exactly a glossary term's
        # name (in any spelling that sounds the same) goes straight to its definition.
        names: dict[str, str] = {}
        for entry in kb.glossary:
            for name in (*entry.keywords, entry.term or ""):
                name_key = self.wording.key_of(name)
                if len(name_key) >= 2:
                    names.setdefault(name_key, entry.id)
        # ... and a question that is mostly one term's own name ("三事分流机制怎么运作").
        canonical = sorted(
            {
                (self.wording.key_of(name), entry.id)
                for entry in kb.glossary
                for name in (entry.term or "", *entry.keywords[:1])
                for name in (name, TERM_SUFFIX.sub("", name))
                if len(self.wording.key_of(name)) >= 3
            },
            key=lambda pair: (-len(pair[0]), pair[1]),
        )
        return names, canonical

    def halves_asked(self, folded: str) -> dict[str, str]:
        """For each report, the half a year named in the question points to."""
        asked: dict[str, str] = {}
        for year in {int(y) for y in YEAR.findall(folded)}:
            for report in self.kb.reports.values():
                if len(report.years) == 2 and year in report.years:
                    asked[report.id] = "review" if year == report.years[0] else "plan"
        return asked

    def halves_by_words(self, text: str) -> dict[str, str]:
        """For each two-year report, the half an English question's year or, naming none,
        its time words point to (``ENGLISH_PLAN``, ``ENGLISH_REVIEW``); none when it says
        both or neither."""
        if latin_share(text) < ENGLISH_SHARE:
            return {}
        years = {int(y) for y in ENGLISH_YEAR.findall(text)}
        if years:
            # A year written alone ("in 2019") points as 2019年 does.
            return {
                r.id: "review" if year == r.years[0] else "plan"
                for year in years
                for r in self.kb.reports.values()
                if len(r.years) == 2 and year in r.years
            }
        plan, review = ENGLISH_PLAN.search(text), ENGLISH_REVIEW.search(text)
        if bool(plan) == bool(review):
            return {}
        half = "plan" if plan else "review"
        return {r.id: half for r in self.kb.reports.values() if len(r.years) == 2}

    @staticmethod
    def _place_patterns(kb: KnowledgeBase) -> list[tuple[str, list[str]]]:
        # A place the reports do not cover may still be part of a name they use (南山园区
        # is in 观湖's glossary, 观澜河 flows through 观湖): such names do not count.
        corpus_names = set()
        for report in kb.reports.values():
            corpus_names.add(fold(report.text))
        # Nor is a place that names a street the reports cover (新桥 once 新桥街道 is one).
        covered = [fold(name) for street in kb.streets.values() for name in street.names]
        patterns = []
        for place in kb.other_places:
            folded = fold(place)
            if any(folded in name for name in covered):
                continue
            inside = sorted(
                {
                    m.group(0)
                    for text in corpus_names
                    for m in re.finditer(re.escape(folded) + r".{1,3}", text)
                }
            )
            patterns.append((folded, inside))
        return patterns

    @staticmethod
    def _latin_place_patterns(kb: KnowledgeBase) -> list[tuple[re.Pattern[str], str]]:
        """How an English question spells the other places (futian, nanshan district): in
        pinyin, each reading. A place whose name the reports use (观澜河, 龙华区) is left
        out: in pinyin there is no telling the name from the place."""
        texts = [fold(report.text) for report in kb.reports.values()]
        covered = [fold(name) for street in kb.streets.values() for name in street.names]
        patterns = []
        for place in kb.other_places:
            name = PLACE_SUFFIX.sub("", fold(place))
            spellings = romanizations(name)
            if len(name) < 2 or not spellings:
                continue
            if any(name in street or street in name for street in covered):
                continue
            alternatives = "|".join(re.escape(s) for s in spellings)
            if any(name in text for text in texts):
                # 南山 is in 南山园区: "nanshan district" is surely the place, and so is the
                # name where a place stands with nothing after it ("a daycare in nanshan?");
                # "in nanshan park" may be the report's.
                if any(name + "区" in text for text in texts):
                    continue
                alternatives = (
                    f"(?:{alternatives}) district"
                    f"|(?:in|at|near|around|from) (?:{alternatives})(?=\\s*(?:[?.!,;]|$))"
                )
            patterns.append((re.compile(rf"\b(?:{alternatives})\b"), place))
        return patterns

    def other_place_latin(self, text: str) -> str | None:
        """An other place an English question names in pinyin ("garbage sorting in futian")."""
        if not latin_share(text):
            return None
        lowered = PINYIN_APOSTROPHE.sub("", text.lower())
        return next(
            (place for pattern, place in self._other_places_latin if pattern.search(lowered)), None
        )

    def mend_street_names(self, text: str, other_names: bool = True) -> str:
        """An English question with a street's pinyin name mistyped by one letter (pinshan,
        guanhuu, pingshna) spelled right: a name no rule recognises leaves the question
        asking no street, and another street's text answers it. Only names of six letters
        or more (one letter is a sixth of them), and never a word that is itself a place
        the reports do not cover, nor the start of a longer name the question writes."""
        if not latin_share(text):
            return text
        names = self._pinyin_street_names

        def mended(found: re.Match[str]) -> str:
            word = found.group(0)
            lowered = word.lower()
            if len(lowered) < STREET_TYPO_MIN - 1 or lowered in names:
                return word
            if self.other_place_latin(lowered):
                return word
            near = [n for n in names if OSA.distance(lowered, n, score_cutoff=1) <= 1]
            if len(near) != 1:
                return word
            changed = (
                len(lowered) == len(near[0])
                and sum(a != b for a, b in zip(lowered, near[0], strict=True)) == 1
            )
            if other_names and changed and PINYIN_WORD.fullmatch(lowered):
                # One letter changed and still pinyin (jingshan, qingshan for pingshan;
                # guandu for guanhu): another place's name (``typo_no_other_name``); a
                # letter left out or two swapped (pinshan, gaunhu) stays a typo.
                return word
            return near[0]

        return re.sub(r"[A-Za-z]+", mended, text)

    def street_of(self, folded: str) -> str | None:
        """The street a question names, if it names exactly one."""
        streets = self.wording.street_names
        named = [s for s, names in streets.items() if any(n in folded for n in names)]
        return named[0] if len(named) == 1 else None

    def names_both_streets(self, folded: str) -> bool:
        """Whether a question asks about both streets at once (坪山和观湖, 两个街道)."""
        names = self.wording.street_names.values()
        return all(any(n in folded for n in ns) for ns in names) or any(
            fold(word) in folded for word in BOTH_STREETS
        )

    def other_place(self, folded: str) -> str | None:
        """A place outside the two streets that the question is about, if any."""
        for place, inside in self._other_places:
            if place not in folded:
                continue
            masked = folded
            for name in inside:
                masked = masked.replace(name, "")
            # A place one travels to or from (跑香港拉货, 去广州) is where the question goes,
            # not what it is about: the programme asked about may still be ours.
            masked = re.sub(TRAVEL_VERBS + re.escape(place), "", masked)
            if place in masked:
                return place
        return None

    def uncovered_topic(self, folded: str, text: str | None = None) -> str | None:
        """A service neither report mentions (公积金, 护照) that the question asks about;
        given the question as written, an English one only as its words (see
        _as_english_words). A word with characters between its parts (落在…上了) is
        returned as the question says it (落在地铁上了): that whole is what it asks about."""
        for word, pattern in self._uncovered.possible(folded):
            if pattern is not None:
                if found := pattern.search(folded):
                    return found.group(0)
            elif word in folded and self._as_written(word, text):
                return word
        return None

    @staticmethod
    def _as_written(word: str, text: str | None) -> bool:
        # Folding drops the spaces between English words: "to daycare" holds "today".
        return text is None or not LATIN_RUN.fullmatch(word) or _as_english_words(word, text)

    def request_made(self, folded: str) -> str | None:
        """The words that ask the bot to act for the asker (帮我投诉, write me a…), at the
        start of the message after polite openers: not a question about the reports."""
        rest = POLITE_OPENERS.sub("", folded)
        return next((word for word in self._requests if rest.startswith(word)), None)

    @staticmethod
    def act_requested(text: str) -> str | None:
        """The act a question asks someone to do for the asker, anywhere in it (帮我协调 of
        我家漏水楼上不管 三事分流能帮我协调吗), folded; in English, the clause from the words
        that ask it (help me renew my permit); None if it asks none."""
        if latin_share(text) >= ENGLISH_SHARE:
            for clause in EN_CLAUSE_BREAK.split(text.lower()):
                found = ACT_FOR_ME_EN.search(clause)
                act = " ".join(clause[found.start() :].split()) if found else ""
                if act and not ASKS_WHAT_EN.search(clause) and not INFORMING_EN.match(act):
                    return act
            return None
        for clause in CLAUSE_BREAK.split(text):
            folded = fold(clause)
            found = ACT_FOR_ME.search(folded)
            if found is None or ASKS_WHAT.search(folded):
                continue
            if not INFORMING.match(folded, found.start(1)):
                return found.group(0)
        return None

    def speaks_to_act(self, act: str, answer: str) -> bool:
        """Whether a text says two characters in a row of an act asked (调解 of 帮我调解纠纷):
        then the question asks what the street does, which the text tells. In English,
        help asked with a thing (help me with a labour dispute) is spoken to by a text that
        says a word the lexicon lends that thing; a thing to be handed to the asker (give me
        a free lawyer) never is: the reports say what services exist, not what anyone is
        given."""
        if latin_share(act) >= ENGLISH_SHARE:
            if not act.startswith(HELP_ME):
                return False
            rest = act[len(HELP_ME) :]
            said = fold(answer)
            return any(fold(w) in said for w in self.lexicon.official_words(rest, fold(rest)))
        named = PARTICLES.sub(" ", act[2:])
        said = fold(answer)
        pairs = (named[i : i + 2] for i in range(len(named) - 1))
        return any(" " not in pair and pair in said for pair in pairs)

    def names_no_subject(self, text: str, spelling: str) -> bool:
        """Whether a question only asks how something went or what was done (落实得怎么样,
        效果如何, any progress?): it says one such word, and nothing else of it, besides a
        street, asking words and particles, says which programme. ``spelling`` is its
        Chinese wording with streets and years set aside."""
        if not spelling:
            return False
        if latin_share(spelling) >= ENGLISH_SHARE:
            words = LATIN_WORD.findall(text.lower())
            return any(w in self._no_subject_en for w in words) and all(
                len(w) <= 2
                or w in FUNCTION_WORDS
                or w in self._no_subject_en
                or w in self._street_words_en
                or ENGLISH_YEAR.fullmatch(w)
                for w in words
            )
        if self._no_subject is None:
            return False
        # A count asked of nothing named (坪山呢 有几个, 坪山有几家) is no subject either.
        counts = BARE_COUNT.findall(spelling)
        spelling = BARE_COUNT.sub("", spelling)
        said = self._no_subject.findall(spelling)
        rest = self._no_subject.sub("", spelling)
        # One character (做, 有, 好的) is too little to say that it asks how something went.
        how_it_went = bool(counts) or any(len(ASKING_PART.sub("", word)) >= 2 for word in said)
        return how_it_went and not PARTICLES.sub("", ASKING_PART.sub("", rest))

    def outline_asked(self, text: str, folded: str, spelling: str) -> tuple[dict[str, str], bool]:
        """For each two-year report, the half a question asks for as a whole (坪山2021年计划
        做什么, 观湖去年做了啥, what are pingshan's plans for 2021), and whether a year says
        so: it names nothing but a street, a year or a time, words of a plan or a review
        (intents/scope.yaml ``outline``), no_subject words and words that ask. Empty when
        it names something else, or says both halves or neither."""
        if not spelling:
            return {}, False
        if latin_share(spelling) >= ENGLISH_SHARE:
            words = LATIN_WORD.findall(text.lower())
            asking = self._no_subject_en | self._outline_half.keys()
            by_words = self.halves_by_words(text)
            # (time words say the half, and no subject: "last year", "will")
            timeless = ENGLISH_REVIEW.sub(" ", ENGLISH_PLAN.sub(" ", text.lower()))
            # (a figure or a code is a subject: "pm 2.5 target this year")
            numbers = [w for w in words if w.isdigit() and not ENGLISH_YEAR.fullmatch(w)]
            # A tense alone ("how effective was it") says a time, not that the whole year
            # is asked: a plan or review word, or a year, says that.
            whole = any(w in self._outline_half for w in words) or any(
                w == "year" or ENGLISH_YEAR.fullmatch(w) for w in words
            )
            if (
                numbers
                or not whole
                or not all(
                    len(w) <= 2
                    or w in FUNCTION_WORDS
                    or w in asking
                    or w in self._street_words_en
                    or ENGLISH_YEAR.fullmatch(w)
                    for w in LATIN_WORD.findall(timeless)
                )
            ):
                return {}, False
            halves = {self._outline_half[w] for w in words if w in self._outline_half}
            if not by_words and len(halves) == 1:
                half = halves.pop()
                by_words = {r.id: half for r in self.kb.reports.values() if len(r.years) == 2}
            return by_words, bool(ENGLISH_YEAR.search(text))
        if self._outline is None:
            return {}, False
        # (the spelling drops what only sounds: 什么 is 什 there)
        own = YEAR_WORD.sub("", self.wording.strip_streets(folded))
        # a chat's 那 opening it points back and names nothing ("那2020年做了什么", "那坪山
        # 去年做了啥"): without it, "那去年做了什么" had found a text of the plan, and "那坪山
        # 2020年做了什么" nothing
        own = POINTING_OPENING.sub("", own)
        said = self._outline.findall(own)
        rest = self._outline.sub("", own)
        asks_how_it_went = self._no_subject is not None and bool(self._no_subject.search(rest))
        if self._no_subject is not None:
            rest = self._no_subject.sub("", rest)
        if PARTICLES.sub("", ASKING_PART.sub("", rest)).replace("是", ""):
            return {}, False
        by_year = self.halves_asked(folded)
        if by_year:
            return (by_year, True) if said or asks_how_it_went else ({}, False)
        halves = {self._outline_half[w] for w in said}
        if len(halves) != 1:
            return {}, False
        half = halves.pop()
        return {r.id: half for r in self.kb.reports.values() if len(r.years) == 2}, False

    def opinion_asked(self, folded: str) -> str | None:
        """The words that ask the bot's opinion or a recommendation (你觉得, do you like);
        not how people are chosen (社区书记怎么选), which the reports describe."""
        word = self._found(self._opinion_finders, folded)
        if word and word.startswith(CHOOSING) and PEOPLE_CHOSEN.search(folded):
            return None
        return word

    @staticmethod
    def addresses_bot(text: str) -> bool:
        """Whether a message speaks to the bot in the second person (you, 你, 您)."""
        return bool(SECOND_PERSON.search(text))

    def intent_of(self, folded: str) -> tuple[str, float] | None:
        if not folded or len(folded) > 16:
            return None
        best = process.extractOne(
            folded, self._intent_keys, scorer=fuzz.ratio, processor=None, score_cutoff=INTENT_AT
        )
        if best is None:
            return None
        return self._intents[best[2]][0], best[1]

    def detail_asked(self, folded: str, text: str | None = None) -> str | None:
        """The detail word (电话, 地址, 几点…) a question asks for, of a kind reports never give.

        A word written with a trailing ``$`` counts only at the end of the question: "托育中心
        在哪" asks an address, "社工村在哪个社区" asks what the report says. Given the
        question as written, an English word counts only as its words ("what day", not
        "what daycare"). A line asked by its number (几号线) asks which line, not a date."""
        return self._found(self._detail_finders, WHICH_LINE.sub("线", folded), text)

    def charge_asked(self, folded: str) -> str | None:
        """收费 when a question asks a charge in words the detail list lacks (会费, 收钱)."""
        return CHARGE if CHARGE in self._detail_labels and CHARGE_ASKED.search(folded) else None

    def _found(
        self,
        finders: Finders,
        folded: str,
        text: str | None = None,
    ) -> str | None:
        """The first word of ``finders`` (see _detail_finder) the folded question holds."""
        for word, pattern in finders.possible(folded):
            match = pattern.search(folded) if pattern else None
            # What was found, as the question spells it: an English word with others
            # between its parts (who is the…chief) is words of the question only as a whole.
            spelled = match.group(0) if match else word
            found = match is not None if pattern else word in folded
            if found and self._as_written(spelled, text):
                return word
        return None

    def names_a_word_of(self, question: str, text: str) -> bool:
        """Whether a text says something a question names: two characters of it in a row,
        its asking words and particles set aside (高空 of 怎么管高空抛物 in 高空坠物); in
        English, a word the lexicon lends it."""
        return bool(self.words_said_of(question, text))

    def words_said_of(self, question: str, text: str) -> frozenset[str]:
        """What of a question a text says (folded): the pairs of characters in a row of its
        Chinese, asking words and particles set aside; the lexicon's words lent to its
        English."""
        folded, said = fold(question), fold(text)
        if latin_share(folded) >= ENGLISH_SHARE:
            lent = self.lexicon.official_words(question, folded)
            return frozenset(fold(w) for w in lent if fold(w) in said)
        named = PARTICLES.sub(" ", ASKING_PART.sub(" ", folded))
        pairs = (named[i : i + 2] for i in range(len(named) - 1))
        return frozenset(p for p in pairs if " " not in p and p in said)

    @staticmethod
    def years_named(folded: str) -> frozenset[int]:
        """The years a question names (2021年; in English, 2021 as a number of its own)."""
        return frozenset(int(y) for y in _years_in(folded))

    def uncovered_year(self, folded: str, street: str | None) -> int | None:
        """A year the question names that the (named street's) reports do not cover."""
        covered = self.street_years[street] if street else set().union(*self.street_years.values())
        for year in _years_in(folded):
            if covered and int(year) not in covered:
                return int(year)
        return None

    def word_of_detail(self, label: str) -> str | None:
        """The first of the scope's detail words of a kind (NAME_DETAIL): what a miss on
        that kind names it by."""
        return next((word for word, kind in self._detail_labels.items() if kind == label), None)

    def states_detail(self, answer: str, word: str) -> bool:
        """Whether an answer states the detail a question asks for, in its words or others:
        the word's asking part (什么时候, 多少) is no evidence, the thing it asks about is."""
        # "厂房租金有没有指导价": the answer itself speaks of 租金, so it is not a detail
        # the report leaves out.
        answer = fold(answer)
        where = "哪" in word
        # A post asked of (书记是谁, 河长是谁) is in the answer that speaks of the post
        # (…小区党支部书记交叉任职); who holds it is a name, which no post word states.
        posts = self._detail_labels.get(word) == NAME_DETAIL
        for named in () if posts else ASKING_PART.split(word.replace(DETAIL_GAP, " ")):
            if where and named in DONE_AT_A_PLACE:
                continue
            if any(named[i : i + 2] in answer for i in range(len(named) - 1)):
                return True
        # "居民议事日是哪天": the answer gives the day (每月最后一个星期日), so the detail is
        # stated after all, in other words.
        evidence = DETAIL_EVIDENCE.get(self._detail_labels.get(word, ""))
        return bool(evidence and evidence.search(answer))

    def _term_within(self, key: str) -> str | None:
        """The glossary term whose name carries most of a question's information."""
        weights = self.index.weights(key)
        for name_key, entry_id in self._canonical_terms:
            if name_key in key and self.index.explained(weights, name_key) >= TERM_WITHIN_SHARE:
                return entry_id
        return None

    def intent_within(self, text: str, loose: bool, share: float = 0.5) -> str | None:
        """An intent phrase inside a short message ("太感谢了,帮大忙了"). Unless ``loose``
        (nothing in the knowledge base fits), the intent's phrases must make up ``share`` of
        the message."""
        key = content(text)
        if len(key) > (LOOSE_INTENT_CHARS if loose else 16):
            return None
        # Longest phrases first; an intent's phrases together ("这个机器人" + "哪个单位做")
        # may make up most of the message where no single one does.
        left: dict[str, str] = {}
        longest: dict[str, int] = {}
        text_words = _latin_words(text)
        for intent_id, phrase, words in self._intent_contained:
            rest = left.get(intent_id, key)
            if phrase not in rest or (words is not None and _inside_a_word(words, text_words)):
                continue
            greets_first = (
                intent_id == "greeting"
                and key.startswith(phrase)
                and len(key) <= 8
                and not self._asks_a_word_beside(phrase, key)
            )
            # (in English, a phrase of one word is as common: "help" in "… visa, pls help")
            fits = len(key) <= 16 or (len(phrase) >= 3 if words is None else " " in words)
            if loose and (greets_first or (intent_id != "greeting" and fits)):
                # A short phrase is too common to count inside a longer message, and a
                # greeting only opens one: "有人" in "楼顶加盖了一层,有没有人管" is no 有人吗.
                return intent_id
            left[intent_id] = rest.replace(phrase, "\0")
            longest[intent_id] = max(longest.get(intent_id, 0), len(phrase))
            remaining = left[intent_id].replace("\0", "")
            if len(key) - len(remaining) < share * len(key):
                continue
            # Two characters of a phrase with a word of its own beside them ask that word:
            # 有人 in 有人管吗 is no 有人吗 ("is anyone in charge?", not "anyone there?").
            if longest[intent_id] < SHORT_INTENT_PHRASE and HAN.search(
                PARTICLES.sub("", remaining)
            ):
                continue
            return intent_id
        return None

    @staticmethod
    def _asks_a_word_beside(phrase: str, key: str) -> bool:
        """Whether a greeting too short to stand for the message (有人) has a word of its
        own beside it (管 of 有人管吗): the loose reading (nothing in the reports fits,
        generated-only) must not greet it either."""
        return len(phrase) < SHORT_INTENT_PHRASE and bool(
            HAN.search(PARTICLES.sub("", key.replace(phrase, "", 1)))
        )

    def expansion(
        self,
        text: str,
        folded: str,
        either_order: bool = True,
        numerals: bool = True,
        words_apart: bool = True,
    ) -> str:
        """The reports' words for the everyday ones in a question (带娃 → 托育), from the
        report-independent lexicons, that the question does not already use, spelled as
        the index reads them; with ``numerals``, English number words' (six zeros → 六零)."""
        words = self.lexicon.official_words(text, folded, either_order, words_apart)
        words += self.lexicon.numerals(text) if numerals else []
        return "".join(
            spelled
            for spelled in dict.fromkeys(self.wording.spelling_of(w) for w in words)
            if spelled not in folded
        )

    def lent_groups(
        self, text: str, folded: str, either_order: bool = True, words_apart: bool = True
    ) -> list[list[str]]:
        """The lexicon's words for each everyday phrase of a question, spelled as the index
        reads them, one group of alternatives a phrase."""
        groups = self.lexicon.official_groups(text, folded, either_order, words_apart)
        spelled = ([self.wording.spelling_of(w) for w in group] for group in groups)
        return [[w for w in group if w] for group in spelled if any(group)]

    def term_asked(self, key: str, street: str | None) -> str | None:
        """The glossary term a question names, or is mostly made of."""
        term = self.term_names.get(key) or self._term_within(key)
        if term and street and self.kb.entries[term].street != street:
            return None
        return term

    def topic_asked(self, folded: str, topic: str) -> bool:
        """Whether an uncovered topic is what the question asks about (观澜河里可以游泳吗,
        家庭医生怎么签约), not a word on the way to what it asks (低保户能去扶贫超市吗,
        一下雨…是不是雨水污水混在一起了): a question about it answered by what is left
        would be a confident answer about the place or the thing next to it."""
        if self.asks_for_service(folded, topic):
            return True
        topic = re.escape(topic)
        asked = f"{MAY_ASKED_BEFORE}.{{0,2}}{topic}|{topic}.{{0,2}}{ASKED_AFTER}"
        return re.search(asked, folded) is not None

    def asks_for_service(self, folded: str, topic: str) -> bool:
        """Whether a question asks for a service to be done (大厅能办护照吗, 签证怎么办,
        能换驾照吗: a topic that starts with its verb), not about it."""
        core = re.sub("^" + SERVICE_VERBS, "", topic) or topic
        before = SERVICE_VERBS + r".{0,2}" + re.escape(core)
        after = re.escape(topic) + r".{0,2}" + SERVICE_ASKED_AFTER
        return re.search(f"{before}|{after}", folded) is not None

    @staticmethod
    def codes(text: str) -> tuple[str, ...]:
        """The codes of letters and digits (PM10, 5G) a question names, each once.

        Read on the text as written, not folded: folding drops spaces, which would glue an
        English question's words to its numbers ("what is garbage sorting 3.0" is no code
        "garbagesorting3.0")."""
        written = unicodedata.normalize("NFKC", text)
        codes = [code.lower() for code in CODE.findall(written)]
        # A numbered line names one line (16号线 is not 4号线), in Chinese or English.
        lines = LINE_NUMBER.findall(written.lower())
        codes += [f"{chinese or english}号线" for chinese, english in lines]
        codes += [before or after for before, after in HOTLINE_NUMBER.findall(written.lower())]
        return tuple(dict.fromkeys(codes))
