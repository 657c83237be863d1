"""The decision: an ordered list of named gates, each of which may answer, clarify, miss or
name an intent; the rules that can be switched off; the thresholds; the Match it returns."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import Enum

from bot.engine.candidates import Assessor
from bot.engine.composing import Composer
from bot.engine.outlines import Outlines
from bot.engine.question import PARTICLES, QuestionReader
from bot.engine.scoring import Candidate, same_answer
from bot.engine.textnorm import content, fold, sound_key
from bot.engine.wording import ENGLISH_SHARE, latin_share

# The decision, on the calibrated probability that the best candidate is the right answer
# (bot/engine/scoring.py); the calibration table in data/calibration.yaml says what each means.
ANSWER_P = 0.5  # answer when the best candidate is more likely right than wrong
CLARIFY_P = 0.3  # offer the likely candidates when about one in three would be right
# Share of a message an intent's phrases make up for a detail word in it to be the intent's
# own (联系 in 怎么联系工作人员), not a detail asked of a topic (托育中心电话多少).
WHOLLY_INTENT = 0.75
INTENT_OVER_WORDING = 40.0  # lexical score below which an intent phrase is what counts
# A message as near in meaning to an intent's phrasing as a rewording ("thank u so much lah"
# / "thanks a lot"), and clearly nearer to it than to anything in the reports, is that
# intent (cosines of the sentence model).
INTENT_MEANING_AT = 0.72
INTENT_MEANING_LEAD = 0.2
# A message that speaks to the bot (you, 你) needs less nearness to an intent's phrasing,
# not less lead over the reports: "what can you help me with" is far from "what can you do"
# in wording yet nearer to it than to any text of the reports.
INTENT_ADDRESSED_AT = 0.65
ONLY_NUMBERS = re.compile(r"[0-9.%\-]+")
A_WORD = re.compile(r"[\u3400-\u9fff]|[A-Za-z]{3,}")  # something a message could ask about
# A question asking how many or how much, answered by text with no number in it, asks a
# figure the report does not give (广场舞音量最多允许多少分贝).
QUANTITY = re.compile(
    r"多少|(?<!哪)几[个家条次所座名人岁天项处宗件位台辆间]|比例|百分之几|几成"
    # English, folded (spaces dropped): how many, how much, what percentage, how long, the
    # most or least allowed
    r"|howmany|howmuch|whatpercent|whatproportion|whatshare|numberof"
    r"|howlong|howold|howloud|howfar|howbig|howlarge|maximum|minimum"
    # a limit asked (音量上限, what's the decibel limit): a figure, whatever it limits; in
    # English the noun (limit on, limit for), not the verb (how did they limit the rise)
    r"|上限|下限|限额|limits?(?=on|for|of|is|to|$)"
)
# A figure: a number with a unit or a counter ("一是" folds to "1是", which is none).
DIGIT = re.compile(
    r"[0-9０-９〇零一二三四五六七八九十百千万两][0-9０-９.．〇零一二三四五六七八九十百千万两]*(?:余|多)?"
    r"(?:%|％|个|家|所|条|名|人|万|亿|元|宗|件|次|项|平方|公里|米|岁|座|台|辆|间|户|栋|处|支|批|场|套"
    r"|吨|微克|倍|小时|分钟|天|年|月|日|号|期|轮|类|级|位|棵|公顷|亩|以上|以下)"
)
# A how-much that names the kind of figure it wants is not answered by a figure of another
# kind: an amount of money by a headcount, a rate by a count, a length by a number of
# projects. (question, folded; the unit an answer's figure must carry.)
FIGURE_KINDS = (
    (
        re.compile(
            r"多少钱|几块钱|多少块|多少元|(?:补贴|补助|工资|薪水|奖金|津贴|费用?)(?:有|是|给)?多少"
            r"|多少(?:的)?(?:补贴|补助|工资|薪水|奖金|津贴|费)"
            r"|howmuchmoney|howmuch(?:is|are|do|does)?(?:the|they|it|i|you)?"
            r"(?:subsid|allowance|fee|cost|salar|pay|wage|earn|get)"
            # ... or with the thing priced between (how much does a covid test cost)
            r"|howmuch.{0,30}(?:cost|fees|price|charge|subsid|allowance|salar|wage|earn|paid)"
            # a budget asked, or a sum spent (what's the budget for the library, how much
            # did they spend on it): an amount of money
            r"|(?:whats|whatis|whatwas|howmuchis|howmuchwas|howbigis|howbigwas)(?:the|its|their)?budget"
            r"|howmuch.{0,30}spen[dt]"
        ),
        re.compile(r"元|块钱"),
    ),
    (
        re.compile(
            r"比例|百分之几|百分比|几成|率(?:是|有|达到?)?(?:多少|多高|几)|whatpercent|whatrate"
            # English names a rate by what it counts (the lexicon's success rate, closure
            # rate: 成功率, 办结率), folded; listed whole, as "rate" ends other words
            # (corporate, separate)
            r"|(?:success|closure|closing|completion|resolution|settlement|satisfaction"
            r"|coverage|pass|approval|employment|occupancy)rate"
        ),
        re.compile(r"%|％|百分之|[0-9一二三四五六七八九十]成"),
    ),
    (
        re.compile(r"(?:多少|几)(?:公里|千米|米)|howmany(?:kilomet|met)"),
        # (a square kilometre or metre is an area: 4800平方米 is no length of a line)
        re.compile(r"(?<!平方)(?:公里|千米|米)"),
    ),
    # an area: in square metres, mu or hectares (坪山记忆馆有多大面积, how much land; not
    # "how big", which asks a team's size as often as a park's)
    (
        re.compile(
            r"多大面积|面积(?:有|是|为)?多(?:大|少)|占地(?:面积)?(?:有|是)?多(?:大|少)"
            r"|多少(?:亩|平方|平米|公顷)|几(?:亩|公顷)|howmanysquare|squaremet"
            r"|howmuch(?:land|space|area)|whatarea"
        ),
        re.compile(r"平方|平米|亩|公顷"),
    ),
    # a length (自行车道有多长, how long are the bike lanes; how long a service takes is a
    # detail the reports never give, intents/scope.yaml): a year or a count is none
    (
        re.compile(r"多长(?!时间)|howlong"),
        re.compile(r"(?<!平方)(?:公里|千米|米)|小时|分钟|天|个月|周|星期"),
    ),
    # a loudness: no report gives one in decibels
    (re.compile(r"(?:多少|几)分贝|分贝(?:是|有)?多少|decibel"), re.compile(r"分贝")),
    (
        re.compile(
            r"多少(?:个)?人|几(?:个)?人|多少名|howmanypeople|howmanypersons"
            # people named by what they are (几个消防员, 能收多少个小孩); 我们几个老人 and
            # 好几个老师 count nobody
            r"|(?<![们这那好])(?:多少|几)(?:个|名|位)?(?:小孩|孩子|儿童|学生|老人|居民|员工|工人|职工|志愿者|义工"
            r"|消防员|医生|护士|老师|教师|党员|干部|民警|警察|保安|社工|网格员|外国人)"
            # English names of people counted (how many kids are in one class)
            r"|howmany(?:kids|children|students|pupils|residents|members|staff|employees"
            r"|workers|volunteers|officers|doctors|nurses|teachers|foreigners|families"
            r"|seniors|pensioners|expats|babies|infants|toddlers|policemen|firefighters"
            r"|volunteerpolice|auxiliarypolice)"
            # ... or people by what they are (how many elderly people live here, how many
            # foreign residents): a headcount, whatever the word before it
            r"|howmany(?:elderly|old|older|young|foreign|local|disabled|poor|retired|senior"
            r"|migrant|ordinary)(?:people|persons|residents|citizens|folks|adults|kids|children"
            r"|workers)"
        ),
        re.compile(r"人|名|位"),
    ),
)


# Rules that can be switched off one at a time (``policybot eval --ablate``); each one
# must earn its place there and has its own test with it on and off.
RULES = (
    "other_place",  # a place outside the streets the reports cover: miss
    "uncovered_topic",  # a service neither report mentions (公积金): miss
    "opinion",  # the bot's opinion or a recommendation asked (你觉得, do you like): miss
    "request",  # the bot asked to act for the asker (帮我投诉, write me a letter): miss
    "request_within",  # ... inside a question (…能帮我协调吗), an act the answer does not say
    "uncovered_year",  # a year no report covers: miss
    "only_numbers",  # a bare number asks nothing
    "no_subject",  # only how something went (落实得怎么样): which programme is not said
    "outline",  # a plan or review asked as a whole (2021年计划做什么): the parts it is told in
    "term_name",  # a glossary term's own name: its definition
    "named_street",  # a street named: only its report answers
    "street_typo",  # an English street name mistyped by one letter (pinshan): that street
    "typo_no_other_name",  # ... unless one letter changed spells another pinyin name (jingshan)
    "code",  # a code named (PM10): only texts that contain it answer
    "half_by_words",  # an English question's time (will, did, last year): that half of a report
    "unstated_detail",  # a detail the reports never give (电话, 几点): miss
    "charge_asked",  # ... a charge asked in words of its own (要交会费吗, 票价多少): 收费
    "unstated_figure",  # a how-many answered by text with no number: miss
    "number_held",  # ... an English question holds the figures it writes (line 4: 4号线)
    "figure_kind",  # a how-much of money, a rate, a length, a headcount: a figure of that kind
    "figure_first",  # a how-many: a likely text stating the figure goes before those that do not
    "detail_first",  # a detail asked (几点, where): a likely text stating it goes first
    "figure_clause",  # a figure given beside the answer: in a clause naming what is asked
    "count_not_ordinal",  # things counted (多少个) are not answered by 三级, 2020年, 二期
    "count_by_noun",  # ... 多少问题 counts things too; 一届四次 is a rank
    "counted_thing",  # 多少个学校: a figure whose phrase counts no such thing (94个民生微实事)
    "act_stated",  # 能换孩子免费托管吗: a text that says the act and its object states it
    "english_count_clause",  # ... in English (how many cameras): in a clause saying a lent word
    "batch_no_figure",  # 一批 (a batch of) states no figure: how many tennis courts is no 一批活动
    "detail_aside",  # a detail asked (几点, 电话): the texts ranked on what it is asked of
    "both_streets",  # both streets named: one answer from each, or none
    "companions",  # the other street's answer on the same subject, or a close facet
    "shared_word",  # ... the same subject: a rare word of the question both texts say
    "intent_phrase",  # an intent phrase in a message nothing else fits
    "intent_meaning",  # a message nearer in meaning to an intent than to the reports
    "addressed_intent",  # a message to the bot (you, 你) is an intent at a lower nearness
    "lexicon",  # the reports' words for everyday ones (带娃 → 托育, childcare → 托育)
    "either_order",  # a lexicon verb|object put object first (娃没人带 → 带娃 → 托育)
    "words_apart",  # an English lexicon phrase's words apart or inflected (throw … windows)
    "number_words",  # English number words read as Chinese numerals (six zeros → 六零)
    "lent_concepts",  # an English question covered by concept: one lent word of each phrase
    "one_subject",  # a close text of the same street on the question's rare word: no rival
    "headline_body",  # an answer that is a headline (一是…) gets the sentence after it
)


class Outcome(str, Enum):
    ANSWER = "answer"
    CLARIFY = "clarify"
    MISS = "miss"
    INTENT = "intent"


class Reason(str, Enum):
    """Why a question got its outcome; ``Match.detail`` carries the word or year."""

    EMPTY = "empty"
    INTENT = "intent"
    INTENT_PHRASE = "intent phrase"
    INTENT_NOTHING_ELSE = "intent phrase, nothing else fits"
    INTENT_MEANING = "intent by meaning"
    OTHER_PLACE = "other place"
    UNCOVERED_TOPIC = "uncovered topic"
    OPINION = "opinion asked"
    REQUEST = "request to act"
    UNCOVERED_YEAR = "uncovered year"
    ONLY_STREET = "only a street name"
    ONLY_NUMBERS = "only numbers"
    NO_SUBJECT = "no subject named"
    # a plan or a review asked for as a whole: its parts offered (Match.chosen holds them)
    OUTLINE = "outline of a plan or review"
    NO_SUCH_OPTION = "no such option"  # a number past a clarify's options
    TERM_NAME = "term name"
    UNSTATED_DETAIL = "unstated detail"
    UNSTATED_FIGURE = "unstated figure"
    BOTH_STREETS = "both streets"
    BOTH_STREETS_ASKED = "both streets asked"
    CONFIDENT = "confident"
    UNSURE = "unsure"
    LOW_SCORE = "low score"
    CHOSEN = "chosen"
    STATED_BEFORE = "stated in the last answer"  # a detail follow-up the answer speaks of
    # a how-many after a term's definition: the figure where the report uses the term
    TERM_USED = "stated where the term is used"
    NOT_ON_STREET = "not in that street's report"  # a follow-up for another street
    # A follow-up for another street, answered from that street's entry on the same topic.
    SAME_TOPIC = "that street's entry on the topic"
    # ... or from its text ranked first that is also nearest in meaning to the last answer
    NEAREST_ON_STREET = "that street's text nearest the last answer"


# Outcomes decided by a rule before any candidate is scored: the calibrated model is never
# consulted for them, so it is not fitted on them either.
DECIDED_BEFORE_SCORING = frozenset(
    {
        Reason.EMPTY,
        Reason.INTENT,
        Reason.OTHER_PLACE,
        Reason.UNCOVERED_TOPIC,
        Reason.OPINION,
        Reason.REQUEST,
        Reason.UNCOVERED_YEAR,
        Reason.ONLY_STREET,
        Reason.ONLY_NUMBERS,
        Reason.NO_SUBJECT,
        Reason.OUTLINE,
        Reason.TERM_NAME,
        Reason.INTENT_PHRASE,
    }
)


@dataclass(frozen=True)
class Match:
    outcome: Outcome
    reason: Reason
    score: float  # the probability that the answer is right (1.0 for rules that decide)
    chosen: tuple[str, ...] = ()  # entries or passages answered (two when both streets)
    candidates: tuple[Candidate, ...] = ()  # likely answers, for clarify and curation
    intent: str | None = None
    street: str | None = None
    detail: str | None = None  # the place, topic, year or detail word the reason names


@dataclass
class Asked:
    """A question as the gates see it. An uncovered topic set aside narrows ``text`` and
    ``folded``; street and wording are read after that, candidates after those gates."""

    text: str
    folded: str
    street: str | None = None
    spelling: str = ""
    key: str = ""
    ranked: list[Candidate] = field(default_factory=list)
    term: str | None = None  # the glossary term the question names

    @property
    def best(self) -> Candidate | None:
        return self.ranked[0] if self.ranked else None

    @property
    def top(self) -> float:
        return self.ranked[0].confidence if self.ranked else 0.0

    @property
    def worded(self) -> float:
        return self.ranked[0].lexical if self.ranked else 0.0


Gate = Callable[[Asked], "Match | None"]


# The counter or unit a how-many names (几个站, 多少家, 多少公里): a figure counted in another
# (3条道路 for 几个站) is a figure of something else.
COUNTER_ASKED = re.compile(
    r"(?:多少|几)(个|家|所|条|名|位|次|项|件|宗|起|座|台|辆|间|处|户|栋|支|批|场|套|棵|公里|千米|米|吨|亩|公顷)"
    r"([\u4e00-\u9fff]{2})?"  # ... and what it counts (几个站点, 多少个老师), when it says
)
# What a figure is when it ends in these: a rank, a date, a stage or a kind, not a count.
ORDINAL_UNIT = re.compile(r"(?:级|年|月|日|号|期|轮|类)$")
# English counts things as "how many" (folded) with no counter: "how many cameras were
# installed" is no more answered by 三级综治中心 than 摄像头装了多少个 is. Not when what is
# counted is itself years, levels, stages or kinds (how many levels: 三级 answers it).
# Chinese counts things by 多少 and a noun too, with no counter (解决了多少问题, 多少违建):
# not when what is counted is itself years, days, levels or stages (多少年, 多少期).
CHINESE_THINGS_COUNTED = re.compile(r"多少(?=[\u4e00-\u9fff])(?!年|月|日|天|号|级|期|轮|类|届|岁)")
# A session numbered within a term (区一届四次党代会, 十二届十一次全会) is a rank too.
SESSION_OF_TERM = "届"
ENGLISH_THINGS_COUNTED = re.compile(
    r"howmany(?!years?|months?|days?|levels?|tiers?|phases?|stages?|rounds?|kinds?|types?"
    r"|classes|class|grades?)"
)
# What a how-many counts, after its counter (多少个社区, 几所小学, 多少家散乱污企业): up to
# four characters, cut where the question goes on to ask (有, 是, 建…) or ends in a particle.
# The counters a how-many counts things in (多少个, 几所); the conversation's count words
# (bot/engine/conversation.py COUNT_ASKED) add those of money, people, age and time.
THING_COUNTERS = "个|家|所|条|名|位|次|项|件|宗|起|座|台|辆|间|处|户|栋|支|批|场|套|棵"
COUNTED_THING = re.compile(
    # (我们几个老人, 这几个, 好几个 count nobody)
    rf"(?:多少|(?<![们这那好])几)(?:{THING_COUNTERS})"
    r"([^的了吗呢啊呀吧么嘛嘞啦有是在搞建要能会和都还被给让把到不没呢哦咯多几哪怎什啥\W0-9A-Za-z]{2,4})"
)
# A figure's own phrase: what lies between the separators around it. 、 separates the
# things of a list (观湖小学、澜兴学校以及21所公办幼儿园: the 21 count 幼儿园, not 小学).
PHRASE_BREAK = re.compile(r"[,，;；。:：!！?？、]")
# An office's act asked by a modal (能换, 可以办, 能不能开), and how far after it its object
# is looked for.
MODAL_ACT = re.compile(r"(?:能不能|可以|能)([\u4e00-\u9fff])")
ACT_OBJECT_CHARS = 6
# How far from the act's verb, in a text's clause, its object is said (置换婴幼儿免费托育,
# 学位申请办证).
ACT_SPAN = 8
# Counters of the same things: 多少件 is answered by 400余宗.
KINDRED_COUNTERS = (("件", "宗", "起"), ("名", "位", "人"), ("公里", "千米"))
CLAUSE = re.compile(r"[,，;；。:：!！?？]")  # a sentence's clauses
# The rate asked by name (成功率, 成功的比例); the asking words before 比例 name none
# (交叉任职占多少比例 asks the 交叉任职比率).
RATE_NAMED = re.compile(r"(?!多少|多大)([\u4e00-\u9fff]{2})(?:率|的?比例)")


# "A batch of" (建设一批文体设施, 开展一批文体活动): a figure's shape, no number of anything.
NO_FIGURE = frozenset({"一批"})


# A number as English writes it, with no counter ("line 4", "in 2019"): the figure of a
# text with the same digits (4号线) is one the question already holds.
ENGLISH_NUMBER = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+)?(?![0-9])")
LEADING_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def states_a_figure(
    answer: str,
    question: str,
    of_kind: bool = False,
    counted: bool = False,
    english_numbers: bool = True,
    not_ordinal: bool = False,
    thing: tuple[str, ...] = (),
    thing_words: bool = False,
    batch_is_none: bool = True,
) -> bool:
    """Whether an answer gives a figure the question does not already hold: "4号线观湖段
    设了几个站" is not answered by "4号线观湖段年内通车". ``of_kind``: and of the kind the
    question names, if it names one (义警一个月有多少补贴 is not answered by 300名义警).
    ``counted``: and in the counter the question names, if it names one (几个站, not 3条),
    in a text that names what is counted (多少个老师 is not answered by 120个学位).
    ``english_numbers``: an English question holds the figures whose digits it writes
    ("how many stations will line 4 have" holds 4号线; ``number_held``). ``not_ordinal``:
    things counted (多少个, 几家) are not answered by a rank, a date, a stage or a kind (三级
    综治中心, 2020年, 二期; ``count_not_ordinal``). ``thing``: what a how-many counts and
    the lexicon's words for it (``counted_thing``); a figure counts it only in a phrase
    that says it (``counts_the_thing``). ``thing_words``: with ``not_ordinal``, things
    counted by 多少 and a noun (解决了多少问题) are counted too, and a session numbered
    within a term (一届四次) is a rank (``count_by_noun``). ``batch_is_none``: 一批 (a batch of)
    states no figure (``batch_no_figure``)."""
    given = fold(question)
    held = (
        set(ENGLISH_NUMBER.findall(question))
        if english_numbers and latin_share(question) >= ENGLISH_SHARE
        else set()
    )
    unit = next((u for asked, u in FIGURE_KINDS if asked.search(given)), None) if of_kind else None
    counter = COUNTER_ASKED.search(given) if counted else None
    counters = _kindred(counter.group(1)) if counter else ()
    if counted and not names_what_is_counted(answer, given):
        return False
    things = not_ordinal and (
        COUNTER_ASKED.search(given) is not None
        or ENGLISH_THINGS_COUNTED.search(given) is not None
        or (thing_words and CHINESE_THINGS_COUNTED.search(given) is not None)
    )
    return any(
        fold(found.group(0)) not in given
        and not (batch_is_none and found.group(0) in NO_FIGURE)
        and not (held and _leading_digits(found.group(0)) in held)
        and not (
            things
            and (
                ORDINAL_UNIT.search(found.group(0))
                or (thing_words and answer[found.start() - 1 : found.start()] == SESSION_OF_TERM)
            )
        )
        # (the unit may follow the figure's own: 5万元)
        and (unit is None or unit.search(answer[found.start() : found.end() + 2]) is not None)
        and (not counters or any(c in answer[found.start() : found.end() + 2] for c in counters))
        and (not thing or counts_the_thing(answer, found.start(), found.end(), thing))
        for found in DIGIT.finditer(answer)
    )


def counted_thing(folded_question: str) -> str | None:
    """What a Chinese how-many counts, when it names it after its counter (社区 of
    坪山有多少个社区)."""
    found = COUNTED_THING.search(folded_question)
    return found.group(1) if found else None


def counts_the_thing(answer: str, start: int, end: int, thing: tuple[str, ...]) -> bool:
    """Whether the figure at ``answer[start:end]`` counts the thing asked: its phrase says
    two of the thing's characters, or two of its sounds in a row, or a word the lexicon
    lends it. A resident counts in words of their own (主干道 for 主要干道, 工业园区 for 园区企业,
    幼儿圆 for 幼儿园), so no more is asked; 社区 is still no 园区, 学校 no 民生微实事项目."""
    left = max((m.end() for m in PHRASE_BREAK.finditer(answer, 0, start)), default=0)
    right = PHRASE_BREAK.search(answer, end)
    phrase = fold(answer[left : right.start() if right else len(answer)])
    asked, *lent = thing
    if any(word and word in phrase for word in lent):
        return True
    # two sounds in a row (幼儿 of 幼儿圆 in 公办幼儿园), or two characters anywhere (街边小花园:
    # 街心花园); not two sounds anywhere: 小学 and 学校 sound alike
    heard, said = sound_key(asked), sound_key(phrase)
    if any(heard[i : i + 2] in said for i in range(len(heard) - 1)):
        return True
    return len(set(asked) & set(phrase)) >= 2


def _leading_digits(figure: str) -> str:
    digits = LEADING_DIGITS.match(figure)
    return digits.group(0) if digits else ""


def names_what_is_counted(answer: str, folded_question: str) -> bool:
    """Whether a text names what a how-many counts (多少个老师) or the rate it asks (成功率)."""
    counter = COUNTER_ASKED.search(folded_question)
    rate = RATE_NAMED.search(folded_question)
    named = [w for w in (counter and counter.group(2), rate and rate.group(1)) if w]
    return all(word in fold(answer) for word in named)


def _kindred(counter: str) -> tuple[str, ...]:
    return next((kin for kin in KINDRED_COUNTERS if counter in kin), (counter,))


class Policy:
    """Decides answer, clarify, miss or intent: the first gate that decides, in order."""

    def __init__(
        self,
        questions: QuestionReader,
        assessor: Assessor,
        composer: Composer,
        rule: Callable[[str], bool],
        outlines: Outlines,
    ):
        self.outlines = outlines
        self.questions = questions
        self.wording = questions.wording
        self.assessor = assessor
        self.composer = composer
        self.rule = rule
        # On the message as sent, before anything is scored.
        self._on_the_message: tuple[Gate, ...] = (
            self._empty,
            self._intent,
            self._intent_phrase,
            self._other_place,
            self._opinion,
            self._request,
            self._uncovered_topic,
        )
        # On its street and wording, once read.
        self._on_the_wording: tuple[Gate, ...] = (
            self._uncovered_year,
            self._only_street,
            self._only_numbers,
            self._outline,
            self._no_subject,
        )
        # On the candidates, most probably right first.
        self._on_the_candidates: tuple[Gate, ...] = (
            self._intent_meaning,
            self._unstated_detail,
            self._request_within,
            self._term_name,
            self._both_streets,
            self._intent_nothing_else,
            self._confident,
            self._unsure,
        )

    def match(self, text: str, within: frozenset[str] | None = None) -> Match:
        """Decide one question; an answer to a how-many that states no figure (of the kind
        asked) is a miss, and so is an offer of texts none of which states one.
        With ``within``, only those entries and passages are candidates (a follow-up's
        neighbourhood, bot/engine/conversation.py)."""
        result = self.decide(text, within)
        if result.outcome is Outcome.ANSWER and self._figure_unstated(
            text, result.chosen, beside=True
        ):
            return replace(
                result,
                outcome=Outcome.MISS,
                reason=Reason.UNSTATED_FIGURE,
                chosen=(),
                candidates=result.candidates[:1],
            )
        if result.outcome is Outcome.CLARIFY and self._offers_nothing_asked(text, result):
            # Unsure which text is meant, and none gives the figure or detail asked: nothing
            # worth offering (nor is it sure enough to say the report speaks of it). A plain
            # miss, which suggests the questions of those texts like any other.
            return replace(result, outcome=Outcome.MISS, reason=Reason.LOW_SCORE)
        return result

    def _offers_nothing_asked(self, text: str, clarify: Match) -> bool:
        """Whether a clarify asked for a figure or a detail offers no text that gives it."""
        offered = tuple(c.id for c in clarify.candidates)
        if self._figure_unstated(text, offered):
            return True
        detail = self._detail_of(fold(text), text)
        if not detail:
            return False
        return not any(
            self.questions.states_detail(self.assessor.answer_text(i), detail) for i in offered
        )

    def _detail_of(self, folded: str, text: str) -> str | None:
        """The detail asked of a kind the reports never give, as far as the rules are on: a
        word of intents/scope.yaml, or (a part of the same rule, switched on its own) a
        charge asked in words of its own (会费, 票价)."""
        if not self.rule("unstated_detail"):
            return None
        detail = self.questions.detail_asked(folded, text)
        if detail is None and self.rule("charge_asked"):
            detail = self.questions.charge_asked(folded)
        return detail

    def _figure_unstated(self, text: str, chosen: tuple[str, ...], beside: bool = False) -> bool:
        """Whether a how-many (or a how-much of a kind: money, a rate, a length, people) is
        asked and none of the texts states such a figure. With ``beside`` (an answer's
        texts), a text given beside the first states it only in a clause that names
        something of the question: 土地整备入库34.9万平方米 is no area of 樟坑径直升机场."""
        asks, of_kind = self._figure_asked(text)
        # A rate asked by name is no other rate (成功的比例 is not 办结率在95%以上).
        rate = RATE_NAMED.search(fold(text)) if of_kind else None
        thing = self._thing_counted(text)

        def states(answer: str) -> bool:
            return states_a_figure(
                answer,
                text,
                of_kind,
                english_numbers=self.rule("number_held"),
                not_ordinal=self.rule("count_not_ordinal"),
                thing=thing,
                thing_words=self.rule("count_by_noun"),
                batch_is_none=self.rule("batch_no_figure"),
            ) and (rate is None or rate.group(1) in fold(answer))

        # English counts things with no counter ("how many cameras"): a figure counting
        # something else (2个片区 beside 雪亮工程) is told only by its clause, which must
        # say a word the lexicon lends the question, in the first text as in those beside it.
        things = (
            self.rule("english_count_clause")
            and latin_share(text) >= ENGLISH_SHARE
            and ENGLISH_THINGS_COUNTED.search(fold(text)) is not None
            and not of_kind
        )
        return asks and not any(
            states(answer := self.assessor.answer_text(i))
            and (
                not (
                    (beside and self.rule("figure_clause") and n)
                    or (things and self.questions.names_a_word_of(text, answer))
                )
                or any(
                    states(clause) and self.questions.names_a_word_of(text, clause)
                    for clause in CLAUSE.split(answer)
                )
            )
            for n, i in enumerate(chosen)
        )

    def _thing_counted(self, text: str) -> tuple[str, ...]:
        """What a how-many counts and the lexicon's words for it, as far as
        ``counted_thing`` is on; nothing when it names none."""
        asked = counted_thing(fold(text)) if self.rule("counted_thing") else None
        if not asked:
            return ()
        lent = self.questions.lexicon.official_words(asked, asked) if self.rule("lexicon") else []
        return (asked, *(fold(w) for w in lent))

    def _figure_asked(self, text: str) -> tuple[bool, bool]:
        """Whether a question asks a figure, and whether it names its kind (money, a rate,
        a length, people), as far as the figure rules are on."""
        folded = fold(text)
        of_kind = self.rule("figure_kind") and any(
            asked.search(folded) for asked, _ in FIGURE_KINDS
        )
        asks = of_kind or (self.rule("unstated_figure") and bool(QUANTITY.search(folded)))
        return asks, of_kind

    def decide(self, text: str, within: frozenset[str] | None = None) -> Match:
        """The first gate that decides; a miss on a low score when none does."""
        asked = Asked(text, fold(text))
        decided = _first(self._on_the_message, asked)
        if decided is None:
            self._read(asked)
            decided = _first(self._on_the_wording, asked)
        if decided is None:
            self._score(asked)
            if within is not None:
                self._keep_within(asked, within)
            if self.rule("figure_first"):
                self._figure_first(asked)
            if self.rule("detail_first"):
                self._detail_first(asked)
            decided = _first(self._on_the_candidates, asked)
        return decided or self._low_score(asked)

    def _subject_of(self, asked: Asked, ranked: list[Candidate]) -> str:
        """What a question asks a detail of (托育中心 of 托育中心几点开门), when no text is
        likely and none states the detail: the texts say the programme, not the hour, so
        the asking words would only find texts that share them (广场舞's 时段 for 几点).
        The whole question where nothing is left."""
        if not self.rule("detail_aside") or latin_share(asked.text) >= ENGLISH_SHARE:
            return asked.text
        detail = self.questions.detail_asked(asked.folded, asked.text)
        if not detail or detail not in asked.folded or not ranked:
            return asked.text
        if ranked[0].probability >= CLARIFY_P:
            return asked.text
        states = self.questions.states_detail
        if any(
            states(self.assessor.answer_text(c.id), detail)
            for c in ranked
            if c is ranked[0] or c.probability >= CLARIFY_P
        ):
            return asked.text
        subject = asked.folded.replace(detail, " ")
        return subject if len(PARTICLES.sub("", subject.replace(" ", ""))) >= 2 else asked.text

    def _read(self, asked: Asked) -> None:
        asked.street = self.questions.street_of(asked.folded)
        asked.spelling = self.wording.spelling_of(asked.text)
        asked.key = sound_key(asked.spelling)

    def _score(self, asked: Asked) -> None:
        """The candidates, with a glossary term the question names first and certain."""
        ranked = self.assessor.assess(asked.text, asked.folded, asked.street)
        subject = self._subject_of(asked, ranked)
        if subject != asked.text:
            ranked = self.assessor.assess(subject, fold(subject), asked.street)
        term = (
            self.questions.term_asked(asked.key, asked.street) if self.rule("term_name") else None
        )
        if term:
            found = next((c for c in ranked if c.id == term), None)
            if found is None:
                found = self.assessor.entry_candidate(term)
            found.probability = found.confidence = 1.0
            ranked = [found, *(c for c in ranked if c.id != term)]
        asked.ranked, asked.term = ranked, term

    def _keep_within(self, asked: Asked, within: frozenset[str]) -> None:
        """Only the candidates in ``within``; the best one's confidence against its
        nearest rival among them."""
        asked.ranked = [c for c in asked.ranked if c.id in within]
        asked.term = asked.term if asked.term in within else None
        if asked.ranked:
            best = asked.ranked[0]
            rival = next((c for c in asked.ranked[1:] if not same_answer(best, c)), None)
            best.confidence = self.assessor.calibration.confidence(
                best.probability, rival.probability if rival else 0.0
            )

    def _figure_first(self, asked: Asked) -> None:
        """A how-many whose best candidate states no figure (of the kind asked) is answered
        by the likeliest candidate that does, if it is likely enough to offer and its figure
        is counted as asked, in a text that names what is counted (a number of that counter
        about something else is no answer). Texts stating no figure are then no rivals to
        it: they cannot answer."""
        best = asked.best
        asks, of_kind = self._figure_asked(asked.text)
        # Only a figure whose kind or counter is named can be told to be the one asked:
        # any number would do for a bare how-many (400余宗 for how many parking spaces).
        named = of_kind or COUNTER_ASKED.search(fold(asked.text)) is not None
        if not (best and asks and named) or asked.term:
            return
        if self._states(best, asked.text, of_kind, counted=True):
            return
        stating = [c for c in asked.ranked if self._states(c, asked.text, of_kind, counted=True)]
        first = stating[0] if stating else None
        if first is None or first.probability < CLARIFY_P:
            return
        rival = next((c for c in stating[1:] if not same_answer(first, c)), None)
        first.confidence = self.assessor.calibration.confidence(
            first.probability, rival.probability if rival else 0.0
        )
        asked.ranked = [*stating, *(c for c in asked.ranked if c not in stating)]

    def _detail_first(self, asked: Asked) -> None:
        """A detail asked (what time, where) whose best candidate does not state it is
        answered by the likeliest candidate that does, if it is likely enough to offer: the
        entry on a programme often leaves out the hour its passage gives (每晚7点—9点)."""
        best = asked.best
        detail = self.questions.detail_asked(asked.folded, asked.text) or (
            self.questions.charge_asked(asked.folded) if self.rule("charge_asked") else None
        )
        if not (best and detail) or asked.term:
            return
        states = self.questions.states_detail
        if states(self.assessor.answer_text(best.id), detail):
            return
        # ... and that says something of the question, and all the best one says of it: a
        # day of another programme (居民议事日 for the cleaning day) states a day too.
        said = self.questions.words_said_of
        named = said(asked.text, self.assessor.answer_text(best.id))
        stating = [
            c
            for c in asked.ranked
            if states(text := self.assessor.answer_text(c.id), detail)
            and named <= (says := said(asked.text, text))
            and says
        ]
        first = stating[0] if stating else None
        if first is None or first.probability < CLARIFY_P:
            return
        rival = next((c for c in stating[1:] if not same_answer(first, c)), None)
        confidence = self.assessor.calibration.confidence(
            first.probability, rival.probability if rival else 0.0
        )
        # Only an answer: offered unsure, it would hide that the best text leaves it out.
        if confidence >= ANSWER_P:
            first.confidence = confidence
            asked.ranked = [*stating, *(c for c in asked.ranked if c not in stating)]

    def _states(
        self, candidate: Candidate, text: str, of_kind: bool, counted: bool = False
    ) -> bool:
        return states_a_figure(
            self.assessor.answer_text(candidate.id),
            text,
            of_kind,
            counted,
            english_numbers=self.rule("number_held"),
            thing=self._thing_counted(text),
            batch_is_none=self.rule("batch_no_figure"),
        )

    # --- on the message ----------------------------------------------------------------

    def _empty(self, asked: Asked) -> Match | None:
        return None if asked.folded else Match(Outcome.MISS, Reason.EMPTY, 0.0)

    def _intent(self, asked: Asked) -> Match | None:
        # An opening acknowledgement or connective is no part of it: "嗯 好的", "好的,谢谢".
        intent = self.questions.intent_of(asked.folded) or self.questions.intent_of(
            content(asked.text)
        )
        return Match(Outcome.INTENT, Reason.INTENT, 1.0, intent=intent[0]) if intent else None

    def _intent_phrase(self, asked: Asked) -> Match | None:
        # A message that is mostly an intent phrase ("太感谢了,说得很清楚") is that intent,
        # whatever sentence of a report happens to thank someone too; but a detail asked
        # ("托育中心电话多少") makes it a question, unless the intent's phrases are nearly
        # all of it and the detail is the intent's own (怎么联系工作人员).
        if not self.rule("intent_phrase"):
            return None
        within = self.questions.intent_within(asked.text, loose=False)
        if within and (
            not self.questions.detail_asked(asked.folded, asked.text)
            or self.questions.intent_within(asked.text, loose=False, share=WHOLLY_INTENT) == within
        ):
            return Match(Outcome.INTENT, Reason.INTENT_PHRASE, 1.0, intent=within)
        return None

    def _other_place(self, asked: Asked) -> Match | None:
        place = (
            self.questions.other_place(asked.folded) or self.questions.other_place_latin(asked.text)
            if self.rule("other_place")
            else None
        )
        return Match(Outcome.MISS, Reason.OTHER_PLACE, 0.0, detail=place) if place else None

    def _opinion(self, asked: Asked) -> Match | None:
        """An opinion or a recommendation is asked: the reports give facts, not likes."""
        word = self.questions.opinion_asked(asked.folded) if self.rule("opinion") else None
        return Match(Outcome.MISS, Reason.OPINION, 0.0, detail=word) if word else None

    def _request(self, asked: Asked) -> Match | None:
        """The bot is asked to act for the asker: it can only quote the reports."""
        word = self.questions.request_made(asked.folded) if self.rule("request") else None
        return Match(Outcome.MISS, Reason.REQUEST, 0.0, detail=word) if word else None

    def _uncovered_topic(self, asked: Asked) -> Match | None:
        """A service neither report covers makes the question a miss, unless the rest of it
        is plainly about a programme they do describe ("一下雨下水道就返臭水,是不是雨水污水
        混在一起了" is about 雨污分流, not the weather): then the rest is what is asked."""
        folded = asked.folded
        topic = (
            self.questions.uncovered_topic(folded, asked.text)
            if self.rule("uncovered_topic")
            else None
        )
        if not topic:
            return None
        # ... but not when the service is what is asked for (大厅能办护照吗), nor when the
        # topic is (观澜河里可以游泳吗 asks about swimming, not the river): then the rest
        # need not be assessed at all.
        if self.questions.topic_asked(folded, topic):
            return Match(Outcome.MISS, Reason.UNCOVERED_TOPIC, 0.0, detail=topic)
        rest = folded.replace(topic, " ")
        # A rest that holds another uncovered topic (个税 / 年度汇算) is no programme's.
        if self.questions.uncovered_topic(fold(rest), rest):
            return Match(Outcome.MISS, Reason.UNCOVERED_TOPIC, 0.0, detail=topic)
        ranked = self.assessor.assess(rest, fold(rest), self.questions.street_of(folded))
        plainly = (
            ranked
            and ranked[0].confidence >= ANSWER_P
            and ranked[0].written
            and not self.questions.detail_asked(fold(rest))
        )
        if not plainly:
            return Match(Outcome.MISS, Reason.UNCOVERED_TOPIC, 0.0, detail=topic)
        asked.text, asked.folded = rest, fold(rest)
        return None

    # --- on the wording ----------------------------------------------------------------

    def _uncovered_year(self, asked: Asked) -> Match | None:
        if not self.rule("uncovered_year"):
            return None
        year = self.questions.uncovered_year(asked.folded, asked.street)
        if year:
            return Match(
                Outcome.MISS, Reason.UNCOVERED_YEAR, 0.0, street=asked.street, detail=str(year)
            )
        return None

    def _only_street(self, asked: Asked) -> Match | None:
        if asked.key:
            return None
        return Match(Outcome.MISS, Reason.ONLY_STREET, 0.0, street=asked.street)

    def _only_numbers(self, asked: Asked) -> Match | None:
        # "2021" or "1234567" alone asks nothing; as a rare token it would match whatever
        # entry happens to contain it.
        # Nor do numbers and symbols around no word ("1' OR '1'='1"): no Chinese, no English
        # word of three letters, no code (PM2.5).
        wordless = not A_WORD.search(asked.text) and not self.questions.codes(asked.text)
        if (
            self.rule("only_numbers")
            and (ONLY_NUMBERS.fullmatch(asked.spelling) or wordless)
            and asked.key not in self.questions.term_names
        ):
            return Match(Outcome.MISS, Reason.ONLY_NUMBERS, 0.0, street=asked.street)
        return None

    def _outline(self, asked: Asked) -> Match | None:
        """A plan or a review asked for as a whole: the parts the report tells it in, to
        choose from. Of the street named, or of every street; of the report a year names,
        else of each street's current report."""
        if not self.rule("outline"):
            return None
        halves, by_year = self.questions.outline_asked(asked.text, asked.folded, asked.spelling)
        parts = self.outlines.parts_of(halves, asked.street, by_year)
        if not parts:
            return None
        return Match(Outcome.CLARIFY, Reason.OUTLINE, 1.0, parts, street=asked.street)

    def _no_subject(self, asked: Asked) -> Match | None:
        # Its wording alone would match any phrasing that holds the same common words
        # ("河长制落实得咋样" for 落实得怎么样), at a confidence no wording of a subject earns.
        if self.rule("no_subject") and self.questions.names_no_subject(asked.text, asked.spelling):
            return Match(Outcome.MISS, Reason.NO_SUBJECT, 0.0, street=asked.street)
        return None

    # --- on the candidates -------------------------------------------------------------

    def _unstated_detail(self, asked: Asked) -> Match | None:
        """The detail is not in the reports. When the programme it belongs to is known, say
        so and point to it; a likely answer without the detail is no answer."""
        best = asked.best
        detail = self._detail_of(asked.folded, asked.text)
        if not (detail and best):
            return None
        if self.questions.states_detail(self.assessor.answer_text(best.id), detail):
            return None
        if self.rule("act_stated") and self._act_stated(
            asked.folded, detail, self.assessor.answer_text(best.id)
        ):
            return None
        known = best.anchored and best.confidence >= CLARIFY_P
        if known or best.confidence >= ANSWER_P:
            return Match(
                Outcome.MISS,
                Reason.UNSTATED_DETAIL,
                best.confidence,
                (),
                tuple(asked.ranked[:1]) if known else (),
                street=asked.street,
                detail=detail,
            )
        return None

    @staticmethod
    def _act_stated(folded: str, detail: str, answer: str) -> bool:
        """Whether a text states what an office's act asked by a modal (能换, 可以办, 能开)
        is done for: it says the act's verb and two characters in a row of what follows it
        in the question. 家长做志愿者能换孩子免费托管吗 is answered by 以家长志愿服务时间置换
        婴幼儿免费托育服务; 能换驾照吗 by no text that does not say 驾照. The scope's words
        are there for a document issued to the asker, which a text saying the act and its
        object describes."""
        act = MODAL_ACT.fullmatch(detail)
        if act is None or detail not in folded:
            return False
        after = PARTICLES.sub(" ", folded.split(detail, 1)[1][:ACT_OBJECT_CHARS])
        pairs = [after[i : i + 2] for i in range(len(after) - 1) if " " not in after[i : i + 2]]
        # The verb and its object in one clause, near each other: a verb of one character
        # is part of many words (开 of 开展), so 开展扫黑除恶…, …犯罪打击 says no act 开 of
        # 无犯罪证明 (可以开无犯罪证明吗 had been answered by it).
        for clause in CLAUSE.split(answer):
            said = fold(clause)
            verbs = [i for i, c in enumerate(said) if c == act.group(1)]
            near = [said[max(0, v - ACT_SPAN) : v + ACT_SPAN + 2] for v in verbs]
            if any(pair in span for span in near for pair in pairs):
                return True
        return False

    def _request_within(self, asked: Asked) -> Match | None:
        """An act asked for the asker inside a question (楼下油烟太大了 帮我投诉一下, 退役军人
        之家能帮我办优待证吗) that the likeliest text does not say: the bot cannot act, and
        the text does not say the street does it either. An act the text says asks what
        the street does (街道能帮我调解纠纷吗), which it answers."""
        best = asked.best
        act = self.questions.act_requested(asked.text) if self.rule("request_within") else None
        if not (act and best):
            return None
        if self.questions.speaks_to_act(act, self.assessor.answer_text(best.id)):
            return None
        return Match(Outcome.MISS, Reason.REQUEST, asked.top, street=asked.street, detail=act)

    def _term_name(self, asked: Asked) -> Match | None:
        if not asked.term:
            return None
        chosen = self.composer.term_with_use(asked.term, asked.ranked)
        ranked = tuple(asked.ranked[:5])
        return Match(Outcome.ANSWER, Reason.TERM_NAME, 1.0, chosen, ranked, street=asked.street)

    def _both_streets(self, asked: Asked) -> Match | None:
        """A question that names both streets is answered from both reports or not at all:
        the best candidate of each street when both are likely enough; else offered."""
        if (
            not self.rule("both_streets")
            or asked.street
            or not self.questions.names_both_streets(asked.folded)
        ):
            return None
        ranked, best = asked.ranked, asked.best
        if not best or best.confidence < CLARIFY_P:
            return None
        chosen = self.composer.one_per_street(ranked)
        # Each street's text on its own counts: the two are not rivals here.
        if len(chosen) == len(self.questions.street_years):
            pair = tuple(c.id for c in sorted(chosen.values(), key=lambda c: -c.probability))
            return Match(
                Outcome.ANSWER, Reason.BOTH_STREETS, best.confidence, pair, tuple(ranked[:5])
            )
        offered = tuple(self.composer.offered(ranked))
        return Match(Outcome.CLARIFY, Reason.BOTH_STREETS_ASKED, best.confidence, (), offered)

    def _intent_meaning(self, asked: Asked) -> Match | None:
        # A detail asked ("电话呢") is about a programme, however near it is to "电话多少?"
        # asked of the bot itself.
        if (
            not self.rule("intent_meaning")
            or asked.term
            or self.questions.detail_asked(asked.folded, asked.text)
        ):
            return None
        nearest = self.assessor.intent_by_meaning(asked.text)
        if nearest is None:
            return None
        intent, cosine, lead = nearest
        addressed = self.rule("addressed_intent") and self.questions.addresses_bot(asked.text)
        enough = INTENT_ADDRESSED_AT if addressed else INTENT_MEANING_AT
        if cosine >= enough and lead >= INTENT_MEANING_LEAD:
            return Match(Outcome.INTENT, Reason.INTENT_MEANING, cosine, intent=intent)
        return None

    def _intent_nothing_else(self, asked: Asked) -> Match | None:
        # An intent phrase in a message whose words fit nothing well is the intent: a
        # sentence of a report that merely thanks someone too is no answer to 太感谢了.
        top, worded = asked.top, asked.worded
        if not self.rule("intent_phrase") or (top >= ANSWER_P and worded >= INTENT_OVER_WORDING):
            return None
        loose = top < CLARIFY_P or worded < INTENT_OVER_WORDING
        within = self.questions.intent_within(asked.text, loose=loose)
        if within:
            return Match(Outcome.INTENT, Reason.INTENT_NOTHING_ELSE, top, intent=within)
        return None

    def _confident(self, asked: Asked) -> Match | None:
        best = asked.best
        if not best or asked.top < ANSWER_P:
            return None
        companions = self.rule("companions")
        chosen = (
            self.composer.companions(
                best,
                asked.ranked,
                asked.street,
                asked.key,
                asked.folded if self.rule("shared_word") else "",
                asked.folded if self.rule("one_subject") else "",
            )
            if companions
            else None
        )
        chosen = chosen or (best.id,)
        body = self.assessor.body_of_headline(best.id) if self.rule("headline_body") else None
        if body is not None and body not in chosen:
            chosen = (*chosen, body)
        return Match(
            Outcome.ANSWER,
            Reason.CONFIDENT,
            asked.top,
            chosen,
            tuple(asked.ranked[:5]),
            street=asked.street,
        )

    def _unsure(self, asked: Asked) -> Match | None:
        # Offering candidates needs a word in common with one (or English, where only the
        # meaning can be compared): a question that merely sounds like a passage in meaning
        # (今晚吃什么好 / 夜间经济) is no question about it.
        best = asked.best
        grounded = best is not None and (
            best.anchored or bool(best.keyword) or latin_share(asked.text) >= ENGLISH_SHARE
        )
        if best and asked.top >= CLARIFY_P and grounded:
            offered = tuple(self.composer.offered(asked.ranked))
            return Match(
                Outcome.CLARIFY, Reason.UNSURE, asked.top, (), offered, street=asked.street
            )
        return None

    def _low_score(self, asked: Asked) -> Match:
        nearest = tuple(self.composer.nearest(asked.ranked))
        return Match(Outcome.MISS, Reason.LOW_SCORE, asked.top, (), nearest, street=asked.street)


def _first(gates: tuple[Gate, ...], asked: Asked) -> Match | None:
    for gate in gates:
        decided = gate(asked)
        if decided is not None:
            return decided
    return None
