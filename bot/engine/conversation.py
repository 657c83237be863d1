"""Conversations: what the last turn was about, and the follow-ups resolved against it.

A short message that leans on the turn before is resolved into a question of its own by
one of five named rules, tried in order, each only when the conversation allows it:

* ``choice``: after a clarify, a number, an ordinal ("第二个", "后面那个") or words of one
  option pick that option;
* ``another_street``: a message that is only a street's name and follow-up cue words
  ("那观湖呢", "换成坪山呢", "观湖的那个"), or those and words of the last question
  ("观湖的办结率呢"), or asks for the other street ("另一个街道呢") re-asks the last
  question for that street (with words of the last answer instead, "观湖的政务服务呢",
  it asks those of that street), the entry the curators put on the same topic for that
  street first; a street's name mistyped as the input method offered it (平山, 观胡,
  坪山街到) names it by its sound;
* ``source_of_answer``: which year the last answer is from, or whether it still holds
  ("哪年的事", "现在还有效吗"), is the last answer again: its source line names the
  report's period and marks one no longer in force;
* ``detail``: a short message with no topic of its own ("具体有几家") is asked together
  with the last question, first among the last answer's neighbours (its section of the
  same report), then among everything; the answer just given, when it states the detail
  in words of the kind that state it (a place, a rank, who takes it on), is the reply;
  a how-many a term's definition leaves out is answered where its report uses the term
  with a figure of the kind asked ("路长制是什么" … "有几条路" … 26条主要干道"路长制"工作);
* ``street_in_play``: a question that names no street, while one the resident named is in
  play, is asked of that street when the question alone would not be answered from it
  ("坪山的领导下基层吗" … "解决了多少问题"). Where that street's report does not answer it,
  the reply says so, unless the message names something of its own that the report never
  mentions ("义警有多少人", "广场舞扰民有人管吗"): that is a new topic, taken alone, its
  answer headed by the street it comes from. Asking only after "it" or an action the
  report speaks of too ("什么时候能通车") is no new topic: it never borrows another street's
  answer.

Whether a message has a topic of its own is decided by matching it alone: a message that
names an entry's distinctive word, or is answered almost surely, or is decided by a rule
on what it names (an intent, another place, a service or year not covered), is a new
question, whatever cue it carries. Street names come from the knowledge base alone.

Three more named rules refine how those are answered: ``nearest_on_street`` (another
street's unsure ranking settled by nearness in meaning to the last answer),
``unstated_detail_of_it`` (a phone or hours asked of the last answer in words that alone
are only the handover) and ``answer_kept`` (the last answer kept behind a miss on its
topic, for the details asked after it); and ``nearest_after_clarify`` (that nearness weighed
against a clarify's options), ``choice_by_half`` (an option chosen by the half of its report:
"今年要办的那个"), ``new_thing_named`` (a thing the last answer never mentions is a new
topic), ``letter_of_answer`` ("what does the N stand for"), ``which_where_term_used`` (which
community, where a term's report uses it), ``narrowed_after_clarify`` ("法治那个"),
``counted_by_any_word`` (a how-many in a counter of its own, "分几级", answered by the figure
just given, 三级干预体系), ``asks_as_before`` (a street and only words of asking, asking as
the last question did: "观湖几个" after a how-many, is that question asked of it),
``english_detail`` (a detail asked in English stated by the last answer in words of its
kind: "what services does it offer" by a list, "which villages" by a village named),
``who_takes_part`` ("都是谁参加", stated by the people an answer mobilizes: 发动干部职工、党员…),
``detail_in_answer_words`` (a message too long for a detail, said almost only in words of
the last answer, "要培育几家示范企业", asks a detail of it) and ``unwritten_on_street`` (a
word named of another street that its report never writes, "坪山有类似的公园吗", is a miss
on that street, not an answer on something else; ``lent_unwritten_on_street``, the same for
an English question, by the words the lexicon lends it; ``counter_on_street``, a how-many in
a counter of its own, 几座, asked of another street is not answered by a text stating no
figure so counted); ``half_of_answer`` (the half of its report named, "2021年计划里那个",
after an answer from that half is that answer); ``detail_after_clarify`` (a few words
only one option of a clarify speaks of, "音量有没有规定", are a detail of that option);
``last_words_no_name`` (a street's sound heard in a word the last question wrote, 评上 for
坪山, names no street beside another heard: "观糊咧 也评上了吗"); ``sound_keeps_a_character``
(a street heard by sound only where a character of its name is kept: 平山, 观胡, never 评上;
"观糊也评上了吗" after 坪山's honours named no street and was asked of 坪山 in play).

Rules learnt on the fifth dialog set: ``detail_word_stated`` (a price or hours asked in the
scope's detail words, "要交钱不", "what time", stated by the last answer as such a detail is,
免费, 7点—9点, is that answer, not "a detail the report leaves out"); ``street_spelled`` (a
street named only by its sound, 平山, is spelled as the street writes it before anything is
matched, so a question of its own, "平山有没有加健身器材", is asked of 坪山, not answered from
观湖's text that ranks first); ``person_asked`` (who a person is, "负责帮扶的干部是谁",
"负责的人是谁", "who is the river chief", asked after any answer is a name no report
gives: a miss, not the answer in play again); ``purpose_of_it`` (what it is for,
"干嘛用的", "是办什么用的", though alone the bot's capabilities by meaning, is the last
answer when it says to what end the thing was done: 防范…, 实现…); ``english_street_cues``
(an English follow-up naming a street in words of asking the same only, "Does Pingshan have them
too?", "Is it the same in Guanhu?", re-asks the last question of it, as "what about" does);
``year_names_nothing`` (a year, "what about 2020", "那2020呢", is when, not a new thing for
``new_thing_named``: it asks the last topic, not whatever text writes 2020);
``counted_thing_on_street`` (another street's unsure how-many is the one of its first texts
that counts the very thing asked: 115项民生微实事, not 14项区民生实事和一批民生微实事);
``how_it_went_on_street`` (a count or how it went naming only another street, "坪山有几家"
after 观湖's 三小场所, asks the last question of that street); ``street_part_of_answer``
("观湖呢" after an answer from both streets is 观湖's part of it, not a ranking afresh that
may be unsure of what was just quoted).

Rules learnt on the sixth dialog set: ``lent_compound_on_street`` (two English phrases next
to each other, "social work village", lend a compound the last answer writes as one word,
社工村; a street whose report never writes it has no answer on it, though it writes 社工
and 村 apart); ``handover_words_of_it`` (word for word a handover phrase, "电话多少",
right after an answer asks that answer's phone or hours, as ``unstated_detail_of_it`` does);
``asking_tail_cue`` ("那坪山有义警不": a yes-no tail, 不 or 没,
is a street follow-up's cue like 吗); ``new_thing_as_written`` (a new thing is named only as
the message writes it, not across words of asking its spelling dropped: 建了哪些工作机制);
``target_in_plan`` ("and the target for 2020?" after a figure of the year reviewed is the
one text of that report's plan stating a target for the same thing: 确保PM2.5…低于26.5);
``award_stated`` ("获了啥奖" stated by 获评…,
荣获…); ``kind_after_clarify`` (after a clarify, "Is it free?" picks the one option
stating 免费, as an answer stating it would be); ``figure_after_clarify`` ("那4个是指啥"
picks the one option holding 4 as a number of its own); and, from review, ``target_unstated``
("目标是多少" after an answer that states no target, whose report's plan states none for
it either, is a figure the report leaves out: not that answer's figure again, nor another
thing's target found alone).

Rules learnt on the seventh dialog set: ``a_not_a_cue`` (a yes-no question asked as "A not
A", "那坪山搞不搞", "坪山建没建", is a street follow-up's cue like 有没有: the last question
of that street, a miss where its report never says it, not a clarify on whatever 搞 finds);
``short_year`` (a year by its last two digits, "21年计划那个", "２２年呢", is that year: 2021年
picks the plan's half, 2022年 is a year no report covers, not a figure of the answer again);
``count_of_own_thing`` (a how-many naming what it counts in words neither the last answer nor
its section write, "摄像头装了多少个", is a question of its own, not a detail answered
by that answer's figures of something else); ``results_stated`` ("成效呢", "what were the
results?" after an answer from the year reviewed stating what was done, 成功破获…14宗, is
that answer, not "a detail the report leaves out"); ``rate_on_street`` (a rate asked of
another street, "观湖的调解成功率呢", is a figure: a text of that street stating none, even
the curators' counterpart on the topic, is no answer, but a miss there); ``kind_is_no_name``
("装在哪几个小区" after …物业小区高空抛物坠物智能监测系统 is not stated by 物业小区, a kind
every street's report writes, as it is by a 小区 named, 招商花园小区); ``on_time_stated``
("Did they all finish on time?", "按时完成了吗" is stated by 如期完成…, 提前4个月完成…);
``year_is_when`` (a year in a follow-up, "what is planned for it in 2021", "2020年计划建
几所", says when, not what: it does not make the message too long for a detail);
``count_word_names_nothing`` (the count's own words, 几支 in "一共几支队伍", are no part of a
new thing named: 支队伍, written in 坪山's "一支队伍", is not named by it);
``figure_stated_with_words`` (a how-many stated in the last answer needs a figure where its
words are: "今年管几条干道" after 路长制's definition, which writes 主次干道 and no figure, is
stated by the text beside it, 26条主要干道, not by the definition); ``thanks_then_question``
("谢谢 另外问下观湖街道图书馆建没建" is thanks for the last reply and then a question of its
own, answered, not thanks only); ``name_of_it`` ("那个村叫什么" is stated by a 村 the answer
in play names, 梅林村; with none in play it points at nothing: no subject, not a term found
by its words); ``english_thing_counted`` ("how many cameras were installed" after the 雪亮
工程 term is no count where the term is used unless a figure there counts what the lexicon
lends for cameras: 2个管理薄弱片区 does not); ``detail_keeps_street`` (a detail of one
street's answer that its texts leave out, "坪山的群防群治" … "一共几支队伍", is a miss on that
street, not the other street's text found alone, 观湖's 整合9支…队伍).
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from bot.engine import messages
from bot.engine.policy import (
    COUNTER_ASKED,
    QUANTITY,
    THING_COUNTERS,
    Match,
    Outcome,
    Reason,
    states_a_figure,
)
from bot.engine.postings import report_halves
from bot.engine.question import ENGLISH_YEAR, LATIN_WORD, YEAR, QuestionReader
from bot.engine.textnorm import (
    LEADING_CONNECTIVE,
    content,
    fold,
    romanizations,
    sound_key,
    unquoted,
)
from bot.engine.wording import ENGLISH_SHARE, latin_share, reads_as_english
from bot.knowledge.loading import Entry, KnowledgeBase
from bot.privacy import mask

if TYPE_CHECKING:
    from bot.engine.answering import Engine, Reply

FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
# What a short year follows where it is a year: the message's start, a break, a word saying
# when or which (那19年呢, 在21年, 和22年, 坪山的21年), or a street's name (观湖19年GDP). After
# a verb or 了 it is a span of years (住了20年, 交了15年社保, 工作25年, 期限为20年).
BEFORE_SHORT_YEAR = re.compile(r"(?:^|[\s\W_]|那|在|于|从|到|至|和|与|跟|及|或|是|的)$")
QUIET_SECONDS = 600.0  # a conversation quiet for longer starts afresh
STATE_VERSION = 1
# The rules that resolve a follow-up, tried in this order.
RESOLVING_RULES = ("choice", "another_street", "source_of_answer", "detail", "street_in_play")
# Rules refining those: another street's text chosen by its nearness in meaning to the
# last answer (Engine._nearest_on_street); a detail the reports never give asked of the
# last answer in words that alone are only a handover phrase ("队长电话多少"); the last
# answer kept behind a miss on its topic, for the details asked after it.
FOLLOW_UP_RULES = (
    *RESOLVING_RULES,
    "nearest_on_street",
    "unstated_detail_of_it",
    "answer_kept",
    "nearest_after_clarify",
    "choice_by_half",
    "new_thing_named",
    "letter_of_answer",
    "which_where_term_used",
    "narrowed_after_clarify",
    "counted_by_any_word",
    "asks_as_before",
    "unwritten_on_street",
    "english_detail",
    "who_takes_part",
    "detail_in_answer_words",
    "lent_unwritten_on_street",
    "counter_on_street",
    "half_of_answer",
    "detail_after_clarify",
    "last_words_no_name",
    "sound_keeps_a_character",
    "detail_word_stated",
    "street_spelled",
    "person_asked",
    "purpose_of_it",
    "english_street_cues",
    "year_names_nothing",
    "counted_thing_on_street",
    "how_it_went_on_street",
    "street_part_of_answer",
    "lent_compound_on_street",
    "handover_words_of_it",
    "asking_tail_cue",
    "new_thing_as_written",
    "target_in_plan",
    "award_stated",
    "kind_after_clarify",
    "figure_after_clarify",
    "target_unstated",
    "a_not_a_cue",
    "short_year",
    "count_of_own_thing",
    "results_stated",
    "rate_on_street",
    "kind_is_no_name",
    "on_time_stated",
    "year_is_when",
    "count_word_names_nothing",
    "figure_stated_with_words",
    "thanks_then_question",
    "name_of_it",
    "english_thing_counted",
    "detail_keeps_street",
)
# Particles and breaks left at the start of a message once its street's name is set aside.
LEADING_PARTICLES = re.compile(r"^[\s,，、。.!！?？的呢吗啊呀吧嘛哈那]+")
# A detail of the last answer is asked in a few words; a longer message is a question.
DETAIL_MAX_CHARS = 8
# ... unless it says what it is about in the last answer's words: at least these many
# pairs of characters of that answer, and all but one of its own.
ANSWER_WORDS_HELD = 3
# In English, counted in words, besides those pointing back ("how many roads does it cover")
DETAIL_MAX_WORDS = 5
ENGLISH_POINTING_BACK = frozenset({"it", "its", "this", "that", "they", "them", "these", "those"})
# Matched alone at least this surely, a message is a question of its own.
OWN_QUESTION_P = 0.9
# Reasons that say a message names something itself (an intent, a place, a service, a
# year, a term, both streets): it is not about the last answer.
OWN_CONTENT = frozenset(
    {
        Reason.INTENT,
        Reason.INTENT_PHRASE,
        Reason.INTENT_NOTHING_ELSE,
        Reason.INTENT_MEANING,
        Reason.OTHER_PLACE,
        Reason.UNCOVERED_TOPIC,
        Reason.OPINION,
        Reason.REQUEST,
        Reason.UNCOVERED_YEAR,
        Reason.TERM_NAME,
        Reason.BOTH_STREETS,
        Reason.BOTH_STREETS_ASKED,
    }
)
# Messages that carry nothing to ask about: never a detail of the last answer.
NOTHING_ASKED = frozenset({Reason.EMPTY, Reason.ONLY_NUMBERS, Reason.ONLY_STREET})
# The words around a street's name in a follow-up that asks the same for it (folded).
STREET_CUES = re.compile(
    # "that one" of a street, picking its part of an answer from both ("观湖的那个")
    "那个|那些|那条|那项|那1个|"
    "那么|那边|那里|那儿|这边|这里|换成|换到|改成|换做|如果是|要是|的话|情况|怎么样|咋样|怎样"
    "|如何|有没有|有没|有无|管没|还有|同样|一样|也是|也|又|有|那|呢|吗|呀|啊|吧|的|是|街道|问"
    # what points back at the last topic, and how it went, in words naming nothing new
    "|类似|相似|同类|这个|这样|这种|这方面|这块|这项|做得|搞得|弄得|办得|进展|进度|效果"
    # chat: asking someone else in turn, how it was done, and the particles of spoken
    # southern Mandarin a message trails off with (那观湖咧, 换坪山问1下, 有说吗)
    "|换个|换|1下|(?<=问)下|说了|说|提到|讲了|咋搞|怎么搞|咋弄|怎么弄|咋做|怎么做"
    "|咧|嘞|捏|哩|咯|嘛|哦|噢|喔|哈"
    # the figure just given, asked of the other street ("坪山的数呢", "观湖的数据呢")
    "|数据|数字|数目|数量|数"
    # English, folded (spaces dropped): "what about guanhu?", "and in pingshan"
    "|whatabout|howabout|and|in|for|the|there|same|subdistrict|district|street"
)
# The tail of a yes-no question in chat, asked as 有没有 or 吗 asks it ("那坪山有义警不",
# "观湖装了没"; folded): at the end only, where it is no part of a word (不文明, 没收).
ASKING_TAIL = re.compile(r"(?<=[\u4e00-\u9fff])(?:不|没|没有)$")
# A yes-no question asked as "A not A" ("那坪山搞不搞", "坪山建没建", "是不是也有"; folded):
# the verb doubled around 不 or 没 asks whether, as 吗 does, and names nothing
# (``a_not_a_cue``). A verb of one or two characters, the same both times.
A_NOT_A = re.compile(r"([\u4e00-\u9fff]{1,2})(?:不|没)\1")
# An English follow-up asking the same of another street in words of asking and pointing
# back only ("Does Pingshan have them too?", "Is it the same in Guanhu?", "Guanhu too?"),
# counted as whole words (folded, the English cues above are cut out of any word):
# ``english_street_cues``.
_ENGLISH_CUE_WORDS = (
    "does do did has have had is are was were it its them they this that these those one ones"
    " any some a an too also as well either same similar likewise the there in at of for and"
    " what how about so then ok okay please subdistrict district street"
)
ENGLISH_STREET_CUES = frozenset(_ENGLISH_CUE_WORDS.split())
# Asking the same for the other street (folded: 另一个 is 另1个).
OTHER_STREET = re.compile(
    r"(?:另|别|其他|其它|其余)外?的?(?:1|那)?(?:个|边|1个)?(?:街道|边)"
    # in English, folded without spaces: "what about the other subdistrict?"
    r"|(?:the)?other(?:subdistrict|street)"
)
# A year written by its last two digits, as residents type it ("21年计划那个", "１９年呢"):
# 2015-2029, not a span ("近10年", "20年来", "满18年", "第21年"; ``short_year``).
SHORT_YEAR = re.compile(
    r"(?<![0-9０-９.．近多几第满这过])((?:[1１][5-9５-９])|(?:[2２][0-9０-９]))年(?![来间内多以左前后])"
)
# How a how-many asks (多少个, 几条, 多少钱: the figure's word and its counter) and the words
# saying only how much or when of what is counted (一共, 目前; folded): no thing counted.
COUNT_ASKED = re.compile(rf"(?:多少|几)(?:{THING_COUNTERS}|片|盏|张|块|元|钱|人|岁|天|年|号)?")
COUNT_WORDS = re.compile(r"总共|共计|总计|累计|目前|现在|今年|去年|全年|大概|大约|平均|一下|具体")
ORDINAL = re.compile(r"(?:我?(?:选|要|问|看))?第?([0-9]+)(?:个|条|项|号|种)?")
LAST = re.compile(r"(?:我?(?:选|要|问|看))?(?:最后|后面|后边|最后面|后)(?:那|这)?1?(?:个|条|项)?")
FIRST = re.compile(r"(?:我?(?:选|要|问|看))?(?:最前面|前面|上面|第1)(?:那|这)?1?(?:个|条|项)?")
HAN_PAIR = re.compile(r"[\u4e00-\u9fff]{2}")
# The characters of a question's own words (具体, 怎么, 哪些, 多少…), which say how it is asked,
# not what about: a detail "stated in the last answer" must share more than these.
ASKING_CHARS = frozenset("具体怎么什么哪些几多少有没是的吗呢了个些还能会要请问下")
# A detail asked in words the answer need not share (folded: 一 is 1), and what in an
# answer as written states it: a change over time ("比上一年好了没" … 同比下降5.9%) and the parts
# of something ("具体管哪些方面" … 活动时段、区域、规模、音量).
DETAIL_STATED_AS = (
    (
        re.compile(r"比(?:上1?年|去年|前年|以前|之前|往年)|同比|好转|变好|好了没|改善|降了|升了"),
        re.compile(r"同比|比上年|较上年|较去年|比去年|下降|提高|提升|增长|上升|减少|增加|改善"),
    ),
    (
        re.compile(
            r"哪些方面|哪几个?方面|包括哪些|包括什么|都有哪些|有哪几|哪几项|哪几类|哪些内容"
        ),
        re.compile(r"[^、,。]{1,12}、[^、,。]{1,12}、"),
    ),
    # a rank ("是全市第几个" … 全市首个), stated by no figure; where it is ranked is part
    # of asking it ("在全区排第几" … 均列全区第二, 位居全区第一)
    (
        re.compile(
            r"(?:在|于)?(?:全区|全市|全省|全国|区里|市里)?(?:排|排名|排在|位列|列)?第几|排第|排名|几名"
        ),
        re.compile(
            r"首个|首家|首批|首创|首例|第[一二三四五六七八九十0-9]+[个家名位批]|率先|唯一"
            r"|(?:全区|全市|全省|全国)(?:排名)?第[一二三四五六七八九十0-9]+"
        ),
    ),
    # where, among places ("装在哪些地方" … 在人员密集场所、旧屋村等试点): not "在哪", which
    # asks an address, a kind of detail the reports never give (intents/scope.yaml)
    (
        re.compile(r"哪些地方|什么地方|哪里|哪儿|哪些场所|什么场所|哪些区域|什么位置|哪些位置"),
        re.compile(r"在[^,，。]{1,12}(?:场所|村|社区|小区|园区|片区|区域|广场|公园|学校|楼)"),
    ),
    # a price ("is it free?", "要收费吗" … 免费托育服务)
    (
        re.compile(r"free|costs?|fees?|charges?|price|收费|收钱|要钱|花钱|多少钱|费用|免费吗"),
        re.compile(r"免费|收费|[0-9.]+元"),
    ),
    # who takes something on, and those an answer has taking it on ("谁要负责" … 所有的
    # 单位、门店、住户担负…责任); not who someone is (a name is never in the reports)
    (
        re.compile(
            r"谁(?:来|要|去|在)?(?:负责|管|承担|落实|参与)|由谁|哪些人(?:参与|负责)"
            r"|哪1?个?单位|哪些单位|哪1?个?部门|哪些部门"
        ),
        re.compile(
            r"(?:单位|部门|住户|居民|商户|门店|企业|党员|志愿者|群众|家庭|业主)[^,，。]{0,4}"
            r"(?:负责|担负|承担|参与|落实|认领)"
        ),
    ),
)
# The same in English, which shares no characters with the reports (folded: spaces
# dropped): the parts of something ("what services does it offer" … 提供办事指引、移居适应、
# 职场学习等优质服务), stated as DETAIL_STATED_AS states them.
ENGLISH_DETAIL_STATED_AS = (
    (
        re.compile(
            r"what(?:services|kinds?|types?|sorts?|activities|programs?|programmes?|projects?"
            r"|measures|things)|what(?:does|do|did)(?:it|they)(?:offer|provide|include|cover)"
        ),
        DETAIL_STATED_AS[1][1],
    ),
)
# An award asked ("获了啥奖", "得了什么荣誉", "评上什么了"; folded), stated by an answer
# as reports state one: 获评市级优秀项目, 荣获…表彰, 被评为…, …称号 (``award_stated``).
AWARD = (
    re.compile(
        r"(?:获|得|拿|评)了?(?:什么|啥|哪些|哪个)(?:奖|荣誉|称号|表彰)|获奖|得奖|拿奖"
        r"|(?:什么|啥)(?:奖|荣誉|称号)|评上(?:了)?(?:什么|啥)|whatawards?|anyawards?"
    ),
    re.compile(r"获评|荣获|被评为|评为|授予|表彰|称号|获奖|奖项|[一二三]等奖|优秀奖"),
)
# Results asked of the last answer ("成效呢", "效果怎么样", "what were the results?";
# folded), and a review's text stating some (成功破获涉黑涉恶案件14宗, 完成率达232.4%,
# 同比下降5.9%): what was done in the year reviewed is its result; a plan states none
# (``results_stated``).
RESULTS_ASKED = re.compile(
    r"成效|效果|成果|成绩|结果|管用|有用吗|results?|outcomes?|achieve(?:d|ments?)|effects?"
)
RESULT_STATED = re.compile(
    r"成功|破获|完成|取得|增至|下降|达标|获评|荣获|被评为|率达|办结|同比|[0-9]+(?:\.[0-9]+)?%"
)
# Whether something was done on time ("按时完成了吗", "Did they finish on time?"; folded),
# stated as reports state it: 如期完成全面脱贫任务, 提前4个月完成… (``on_time_stated``).
ON_TIME = (
    re.compile(r"按时|准时|按期|如期|ontime|intime|onschedule|asscheduled|bythedeadline"),
    re.compile(r"如期|按期|按时|准时|提前[0-9一二三四五六七八九十]*个?(?:月|天|年)?完成"),
)
# Thanks opening a message ("谢谢 另外问下观湖街道图书馆建没建", "thanks, and ..."): what
# follows may be the next question (``thanks_then_question``).
THANKS_OPENING = re.compile(
    r"^\s*(?:非常|太)?(?:谢谢你们|谢谢您|谢谢你|谢谢|谢了|谢啦|多谢|感谢)"
    r"|^\s*(?:thanks|thank you|thx)(?:\s+(?:a lot|so much|very much|a million|again))?",
    re.IGNORECASE,
)
THANKS_TAIL = re.compile(r"^[\s,，、.。!！~～啦了哈呀啊]*")
# What the rest of such a message must hold to be a question: a few characters at least
# ("观湖呢"), not a particle or two ("谢谢啦哈").
THANKS_REST_CHARS = 3
# ... and to ask: a question mark or a word of asking ("另外问下…建没建", "by the way, what
# is…"), or an English question opening it ("and is there…"). Praise after the thanks
# ("thanks a lot, very helpful", "谢谢,很有帮助") asks nothing: it stays thanks.
THANKS_REST_ASKS = re.compile(
    r"[?？]|吗|呢|什么|啥|哪|几|多少|怎|如何|是否|有没有|问|请教|([\u4e00-\u9fff])[不没]\1"
    r"|\b(?:what|whats|how|which|when|where|who|why|whose)\b"
    r"|^(?:(?:and|also|by the way|btw|one more thing|another question)\W*)*"
    r"(?:is|are|was|were|does|do|did|can|could|will|would|has|have|any)\b",
    re.IGNORECASE,
)
# The name asked of a thing pointed back at ("那个村叫什么", "这个公园叫啥名字", "那个社区
# 叫啥"; folded): the thing (村, 公园), stated by one named in the answer in play, and
# pointing at nothing where none is (``name_of_it``).
NAME_ASKED = re.compile(
    r"(?:那|这)1?(?:个|些|家|所|条|座|位|项)?([县镇村市省区]|[\u4e00-\u9fff]{2})"
    r"(?:叫|的名字|名字|名称|全称)"
)
# A year as a Chinese message writes it in full (2020年, ２０２０年 as content() leaves it).
WRITTEN_YEAR = re.compile(r"(?:19|20)[0-9]{2}年")
# A rate named (成功率, 办结率, 覆盖率; folded): a figure asked, with or without 多少.
RATE_ASKED = re.compile(r"(?<![多大])[\u4e00-\u9fff]{2}率")
# A target asked of what the last answer measured ("目标是多少", "and the target for 2020?";
# folded), and how a report's plan states one (确保PM2.5年均浓度值低于26.5微克/立方米):
# the year planned is the other half of the same report (``target_in_plan``).
TARGET_ASKED = re.compile(r"目标|指标|要达到|target|goal")
TARGET_STATED = re.compile(r"确保|力争|目标|低于|不低于|不少于|达到|以上|以内")
# What names the thing measured in a question and its answer alike: a pair of characters,
# or a code of letters and digits (pm2.5, 5g).
MEASURED = re.compile(r"[\u4e00-\u9fff]{2}|[a-z]+[0-9][0-9.]*")
# Who takes part ("都是谁参加" … 充分发动干部职工、党员、义工、居民群众等人员), stated by the
# people an answer has mobilized or taking part (``who_takes_part``; folded).
PEOPLE = "党员|志愿者|义工|居民|群众|干部|职工|家长|青少年|学生|老人|长者|商户|企业|社工|网格员"
WHO_TAKES_PART = (
    re.compile(
        # 哪些人 alone or taking part; not who may apply or is eligible (哪些人可以申请),
        # which a list of the people mobilized does not state
        r"谁(?:来|去|会|能|可以)?(?:参加|参与)|哪些人(?:来|去|会|能|可以)?(?:参加|参与)"
        r"|哪些人(?:呢|啊|呀|吗|了)*$|什么人(?:参加|参与)"
        r"|whotakespart|whocanjoin|whojoins|whoisinvolved|whoparticipates|whotookpart"
    ),
    re.compile(
        rf"(?:发动|组织|动员|号召|带领|吸引|邀请)[^,，。]{{0,12}}(?:{PEOPLE})"
        rf"|(?:{PEOPLE})[^,，。]{{0,6}}(?:参与|参加)"
    ),
)
# Who a person is ("负责帮扶的干部是谁", "队长叫什么", "who is the river chief"; folded): a
# name, which the reports never give (they name posts, not who holds them). Not who does
# something ("是谁在运营", "都是谁参加"), which an answer may state (专业机构运营).
ROLE = (
    "干部|负责人|书记|主任|队长|站长|所长|局长|处长|科长|组长|会长|社长|院长|校长|园长|领导"
    "|河长|湖长|路长|楼栋长|网格员|社工|委员|代表|老师|医生|律师|专家|工作人员|联系人|带头人"
)
# ... or named by what the person does, not by a post ("负责的人是谁", "管事的那个人叫啥",
# "谁负责的 叫啥名字"): still a person's name, not the body an answer may say takes it on
# ("由谁负责", "谁来负责": DETAIL_STATED_AS).
IN_CHARGE = "负责|管事|主管|分管|牵头|带队|带头|主持|经办|对接"
PERSON_ASKED = re.compile(
    rf"(?:{ROLE})(?:是|为)(?:谁|哪位|哪1位)|(?:{ROLE})(?:叫|姓)(?:什么|啥)|谁是(?:{ROLE})"
    rf"|(?:{IN_CHARGE})的?(?:那个|那位|这个|这位)?(?:人|人员|同志)(?:是|为|叫|姓)"
    r"(?:谁|哪位|哪1位|什么|啥)"
    r"|谁[^,，。?？]{0,6}(?:叫|姓)(?:什么|啥)"
    r"|who(?:is|was|are|were|s)(?:the|their|its|our|your)?[a-z]{0,16}"
    r"(?:chief|head|leader|director|secretary|captain|manager|official|cadre|boss|chair)"
)
# What something is for ("干嘛用的", "是办什么用的", "what is it for"; folded), and an answer
# saying what it was done for (…防范隔离人员脱控, …实现企业和群众少带、少跑、快办): a report
# sentence says what was done and to what end, so the answer that described the thing
# states its purpose (``purpose_of_it``).
PURPOSE = (
    re.compile(
        r"(?:干嘛|干啥|干什么|做什么|做啥|办什么|办啥)(?:用|的)|(?:有|起)(?:什么|啥)(?:用|作用)"
        r"|(?:什么|啥)用(?:处|途)|用途|用来(?:干|做|办)?(?:什么|啥|嘛)|作用是"
        r"|what(?:is|s)it(?:for|usedfor)|whatfor|what(?:is|s)thepurpose|purposeof|whatdoesitdo"
    ),
    re.compile(
        r"为了|以便|用于|防范|防止|预防|降低|减少|提高|提升|保障|促进|实现|确保|避免|方便|便民"
        r"|助力|满足|解决"
    ),
)
# A figure and its counter, as a report writes a count of something (115项民生微实事): what
# follows the counter is the thing counted (``counts_thing_asked``; folded). Not 批: 一批
# (folded 1批) is "some", no figure.
COUNTED_THING = re.compile(
    r"[0-9]+(?:\.[0-9]+)?(?:万|亿)?(?:个|项|家|所|座|条|宗|名|人|套|片|处|栋|支|场)"
)
# What an English how-many counts: the word after "how many" ("how many cameras").
ENGLISH_COUNTED = re.compile(r"\bhow\s+many\s+([a-z]+)")
# "Which X" in English (which villages): X as the lexicon lends it a word of the reports (村),
# stated by a name before that word (梅林村), as WHICH is in Chinese.
ENGLISH_WHICH = re.compile(r"\bwhich\s+([a-z]+)")
# Words that point back at what was just said ("那这个具体有几家"): no part of what is asked.
POINTING_BACK = re.compile("那个|这个|那些|这些|那项|这项|那里|这里|那边|这边|它们|它|那|这")
# "That one" of a kind, pointing at one option among several ("法治那个").
ONE_OF_A_KIND = re.compile("那1?个|这1?个|那项|这项|那种|这种|那条|这条")
# "Which X" (哪个社区, 哪些小区, 哪1所, 哪个县), and what names one X in an answer: a word
# right before it that is no number, measure word or "every/first" (观城社区, not 首个社区;
# 紫金县). A place of one character ends the question or comes before a particle.
WHICH = re.compile(
    r"哪(?:1|几)?(?:个|些|家|所|条|座|位)?([县镇村市省区](?=[的呢啊呀吗嘛]|$)|[\u4e00-\u9fff]{2})"
)
NAMED_BEFORE = r"[^\W\d个家所条座位首各每全该本此等]"
# What "which X" asks a name of, where the report names one: a place or a body (哪个社区,
# 哪个村, 哪些单位), not a kind of thing (哪些分类).
PLACE_OR_BODY = re.compile(
    r"(?:社区|小区|村|镇|县|市|区|街道|单位|部门|学校|医院|公园|园区|企业|机构|协会)$"
)
# Asking when what was just answered happened, or whether it still holds (folded: 一 is 1,
# spaces dropped): what the answer's source line states, not its text.
SOURCE_ASKED = re.compile(
    r"哪1?年|哪个年份?|什么年份|几几年|什么时候的事|啥时候的事|还有效|失效|过期|作废|还算数"
    r"|还在(?:执行|实行|实施|施行|用)|还适用|还管用"
    r"|whichyear|whatyear|stillvalid|stillinforce|stillineffect|stillapplies|outdated"
)
FIGURE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
# A how-many counted in a word policy.QUANTITY does not list, as a follow-up asks how a
# programme is divided (folded): "分几级" … 三级干预体系, "分成几类" … 3大项48小项,
# "有几种"; not which (哪几), a rank (第几) or a time (几点, 几时, 几号).
COUNTED_BY_ANY_WORD = re.compile(r"(?<![哪第])几(?:大|小)?(级|类|种|层|档|批|轮|期|步|组|块|部分)")
# ... and what answers it, in a folded answer: a number so counted, or by the items it is
# divided into (3大项48小项), which policy.DIGIT does not read as a figure.
COUNTED_FIGURE = re.compile(r"[0-9]+(?:大|小)?(级|类|种|层|档|批|轮|期|步|组|块|项|部分)")
# ... in the counter asked, or in one of its kin: kinds are counted in items (分成几类 …
# 3大项48小项), but levels, batches or phases only as such (分几批 is no 3大项).
COUNTED_KINDS = frozenset({"类", "种", "项", "块", "部分"})
# A letter standing alone, as a report writes a count left open ("1+4+N", "N个服务点"); in
# a message, not the English words "a" and "I".
LONE_LETTER = re.compile(r"(?<![a-z])[a-z](?![a-z])")
NOT_A_SYMBOL = frozenset("ai")
EDGE_PUNCTUATION = re.compile(r"^[\s,，、的:：]+|[\s,，、:：]+$")
CHOICE_TAIL = re.compile("(?:吧|呀|啊|呢|的|吗|问题)+$")
# Each report reviews the year before it was written and plans the year it was (folded):
# the half of it a choice names by when ("今年要办的那个", "去年做的那个"); a year named is
# matched against the reports' own years (QuestionReader.halves_asked).
PLAN_ASKED = re.compile(
    r"计划|打算|准备|规划|要办|要做|要搞|要建|将要|下1?步|接下来|今后|今年|planned|plan|thisyear"
)
REVIEW_ASKED = re.compile(
    r"去年|已经|做过|办过|搞过|建过|做了|办了|搞了|建了|完成|回顾|总结|lastyear|already|done"
)
# What a choice by half says besides the half: pointing back, choosing, and particles.
CHOICE_WORDS = re.compile(
    r"那个|这个|那项|这项|那条|这条|[我要选看问的里中是那这个年]|theone|one|the|in"
)


@dataclass(frozen=True)
class Conversation:
    """One conversation's state after a turn; ``Conversation()`` is a fresh one."""

    question: str = ""  # the last question as understood, personal data masked
    outcome: str = ""  # answer | clarify | miss | intent
    answered: tuple[str, ...] = ()  # the entries or passages answered
    street: str | None = None  # the street in play (named, or of every answer)
    year: int | None = None  # the year the last question named
    offered: tuple[str, ...] = ()  # the options a clarify offered, in order
    time: float = 0.0  # of the last turn, seconds since the epoch
    # The language of the last reply to a question ("" before one): what the Telegram
    # layer's own notices follow when the user chose none (bot.telegram.language).
    language: str = ""
    # After a miss on the topic of the last answer ("托育中心什么时候开始服务" after one on
    # 托育), that answer and its question: what a detail asked next is about ("要收费吗").
    kept_question: str = ""
    kept_answered: tuple[str, ...] = ()

    @property
    def started(self) -> bool:
        return bool(self.question)

    def expired(self, now: float, quiet: float = QUIET_SECONDS) -> bool:
        """Whether the conversation has been quiet for longer than ``quiet`` seconds."""
        return self.started and now - self.time > quiet

    def to_json(self) -> str:
        state = {
            "v": STATE_VERSION,
            "question": self.question,
            "outcome": self.outcome,
            "answered": list(self.answered),
            "street": self.street,
            "year": self.year,
            "offered": list(self.offered),
            "time": self.time,
            "language": self.language,
            "kept_question": self.kept_question,
            "kept_answered": list(self.kept_answered),
        }
        return json.dumps(state, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes | None) -> Conversation:
        """The state ``to_json`` wrote; a fresh conversation for anything else (broken,
        from another version, tampered with): never an exception."""
        try:
            data = json.loads(text or "")
            return cls._checked(data) if isinstance(data, dict) else cls()
        except (TypeError, ValueError, RecursionError):
            return cls()

    @classmethod
    def _checked(cls, data: dict[str, Any]) -> Conversation:
        question, outcome, street = data.get("question"), data.get("outcome"), data.get("street")
        answered, offered = data.get("answered"), data.get("offered")
        year, moment = data.get("year"), data.get("time")
        # Absent from states written before they were kept: read as none.
        language = data.get("language", "")
        kept_question, kept = data.get("kept_question", ""), data.get("kept_answered", [])
        if not (
            data.get("v") == STATE_VERSION
            and isinstance(question, str)
            and isinstance(outcome, str)
            and (street is None or isinstance(street, str))
            and isinstance(answered, list)
            and isinstance(offered, list)
            and all(isinstance(v, str) for v in (*answered, *offered))
            and (year is None or (isinstance(year, int) and not isinstance(year, bool)))
            and isinstance(moment, (int, float))
            and not isinstance(moment, bool)
            and math.isfinite(moment)
            and isinstance(language, str)
            and isinstance(kept_question, str)
            and isinstance(kept, list)
            and all(isinstance(v, str) for v in kept)
        ):
            return cls()
        return cls(
            question,
            outcome,
            tuple(answered),
            street,
            year,
            tuple(offered),
            float(moment),
            language,
            kept_question,
            tuple(kept),
        )

    def with_answer_kept(self) -> Conversation:
        """After a miss that kept the answer before it: the conversation as it was after
        that answer, for a detail of it; otherwise itself."""
        if self.outcome != "miss" or not self.kept_answered:
            return self
        return replace(
            self,
            question=self.kept_question,
            outcome="answer",
            answered=self.kept_answered,
            kept_question="",
            kept_answered=(),
        )


@dataclass(frozen=True)
class FollowUp:
    """A message resolved against the conversation: what it is understood to ask."""

    rule: str  # one of RESOLVING_RULES
    question: str  # the question asked in its place
    understood: str  # what the reply says it understood
    option: str | None = None  # choice: the entry or passage chosen
    street: str | None = None  # another_street, street_in_play: the street asked about
    within: frozenset[str] | None = None  # detail: the neighbourhood tried first
    answered: tuple[str, ...] = ()  # source_of_answer: the answer given again
    # street_in_play: unanswered from the street, the message is taken alone (it names
    # something of its own, or is answered alone partly from that street)
    alone_otherwise: bool = False
    # detail: a figure the last answer's report never states of its thing (a target):
    # a miss that says so, not the figure answered again nor another thing's target
    unstated_figure: bool = False


class FollowUps:
    """Resolves follow-ups against one knowledge base's streets, entries and passages."""

    def __init__(
        self,
        kb: KnowledgeBase,
        questions: QuestionReader,
        answer_text: Callable[[str], str],
        disabled: Iterable[str] = (),
    ):
        self.kb = kb
        # Rules switched off (`policybot eval --dialogs … --ablate`, and the rules' tests).
        self.disabled = frozenset(disabled)
        self.enabled = [rule for rule in RESOLVING_RULES if rule not in self.disabled]
        self.questions = questions
        self.answer_text = answer_text
        self.wording = questions.wording
        # Every name of every street, longest first: as written, and as an English
        # question spells it (Pingshan Subdistrict, guanhu), matched ignoring case.
        names = []
        for street in kb.streets.values():
            latin = [street.name_en] if street.name_en else []
            latin += [r for name in street.names for r in romanizations(name) if len(r) >= 5]
            names += [(name, street.id) for name in (*street.names, *latin)]
        # Ties in length by the name and street themselves, not the set's order, which
        # changes with PYTHONHASHSEED: the first name found is the one replaced.
        self._names = sorted(set(names), key=lambda pair: (-len(pair[0]), pair))
        # Every Chinese name of every street by its sound, longest first: a name mistyped
        # as the input method offered it (平山, 观胡, 坪山街到) still names the street.
        sounds = {
            (sound_key(fold(name)), street.id)
            for street in kb.streets.values()
            for name in street.names
            if len(name) >= 2 and name.isalpha() and not name.isascii()
        }
        self._sounds = sorted(sounds, key=lambda pair: (-len(pair[0]), pair))
        # The name each sound is of, as a message mistyping it is spelled for matching.
        self._sound_names = {
            sound_key(fold(name)): name
            for street in kb.streets.values()
            for name in sorted(street.names, key=len)
            if len(name) >= 2 and name.isalpha() and not name.isascii()
        }
        # The characters of the names each sound is heard in: a name mistyped by the input
        # method keeps one of its own (平山, 观胡, 官湖); a word only sounding as one
        # (评上 as 坪山, "是不是评上过") keeps none, and names no street.
        self._sound_chars: dict[str, set[str]] = {}
        for street in kb.streets.values():
            for name in street.names:
                if len(name) >= 2 and name.isalpha() and not name.isascii():
                    self._sound_chars.setdefault(sound_key(fold(name)), set()).update(fold(name))
        self._report_street = {r.id: r.street for r in kb.reports.values()}
        self._place = {e.id: (e.report, e.section) for e in kb.entries.values()}
        self._place |= {p.id: (p.report, p.section) for p in kb.passages}
        self._passage_at = {p.id: i for i, p in enumerate(kb.passages)}
        halves = report_halves(kb)
        self._half = {
            doc: half
            for doc, (report, section) in self._place.items()
            if (half := halves.get((report, section.split(".")[0]))) is not None
        }
        # Each report's texts in order, entries first, as a term's name is found in them.
        self._report_texts: dict[str, list[tuple[str, str]]] = {}
        for doc, report, text in (
            *((e.id, e.report, e.answer) for e in kb.entries.values()),
            *((p.id, p.report, p.text) for p in kb.passages),
        ):
            self._report_texts.setdefault(report, []).append((doc, unquoted(text)))
        # All a street's texts, folded: what its report mentions at all.
        texts: dict[str, list[str]] = {street: [] for street in kb.streets}
        for entry in kb.entries.values():
            texts.setdefault(entry.street, []).append(entry.answer)
        for passage in kb.passages:
            texts.setdefault(self._report_street.get(passage.report, ""), []).append(passage.text)
        self._street_text = {street: fold("\n".join(t)) for street, t in texts.items()}

    def held(self, before: Conversation) -> Conversation:
        """The conversation naming only entries and passages this knowledge base holds: a
        state stored before a rebuild, or by the other mode (--generated-only), may name
        others, which no rule could quote."""
        named = (*before.answered, *before.kept_answered, *before.offered)
        if all(doc in self._place for doc in named):
            return before
        return replace(
            before,
            answered=tuple(d for d in before.answered if d in self._place),
            kept_answered=tuple(d for d in before.kept_answered if d in self._place),
            # an option missing would renumber the rest: "2" must not choose another
            offered=before.offered if all(d in self._place for d in before.offered) else (),
        )

    def rule(self, name: str) -> bool:
        """Whether a follow-up rule is on."""
        return name not in self.disabled

    def resolve(self, message: str, before: Conversation, alone: Match) -> FollowUp | None:
        """The follow-up ``message`` is, given the conversation ``before`` and what the
        message gets matched alone; None when it is a question of its own."""
        if not before.started:
            return None
        # "好的,那观湖呢", "另外,电话呢": the opening links to the last reply, the rest asks.
        message = LEADING_CONNECTIVE.sub("", message) or message
        answered = self.answer_in_play(before)
        rules: dict[str, Callable[[], FollowUp | None]] = {
            "choice": lambda: (
                self.choice(message, before)
                or self.narrowed(message, before, alone)
                or self.detail_of_option(message, before, alone)
            ),
            "another_street": lambda: self.another_street(message, before),
            "source_of_answer": lambda: self.source_of_answer(message, answered),
            "detail": lambda: self.detail(message, answered, alone),
            "street_in_play": lambda: self.street_in_play(message, before, alone),
        }
        return next((f for rule in self.enabled if (f := rules[rule]()) is not None), None)

    def answer_in_play(self, before: Conversation) -> Conversation:
        """The conversation a detail or the source of an answer is asked of: after a miss
        that kept the answer before it, as it was after that answer."""
        return before.with_answer_kept() if self.rule("answer_kept") else before

    def topic_settled_by(self, before: Conversation) -> tuple[str, ...]:
        """The texts another street's unsure ranking is weighed against by nearness: the
        last answer; after a clarify, the options it offered (``nearest_after_clarify``):
        they are the topic's texts on the first street, though none was chosen, and only
        the other street's texts are weighed against them, never borrowed."""
        if before.answered or before.outcome != "clarify":
            return before.answered
        return before.offered if self.rule("nearest_after_clarify") else ()

    def says_topic_of(
        self, settled: tuple[str, ...], asked: str, match: Match, before: Conversation
    ) -> bool:
        """Whether the text chosen by nearness to what settled the topic says that topic:
        after an answer, by being nearest; after a clarify, it must also share a pair of the
        question's own characters with one of the options: options offered, none chosen,
        settle the topic less than an answer read, and a long text of general aims is
        near any of them."""
        if settled == before.answered:
            return True
        chosen = [fold(self.answer_text(doc)) for doc in match.chosen]
        offered = [fold(self.answer_text(doc)) for doc in settled]
        return any(
            any(pair in text for text in chosen) and any(pair in text for text in offered)
            for pair in self.topic_pairs(self.without_streets(asked))
        )

    # --- the rules --------------------------------------------------------------------

    def choice(self, message: str, before: Conversation) -> FollowUp | None:
        """After a clarify: the option a number, an ordinal or its own words name."""
        if before.outcome != "clarify" or not before.offered:
            return None
        option = (
            self._ordinal(fold(message), before.offered)
            or self._by_words(message, before.offered)
            or self._by_half(fold(message), before.offered)
        )
        if option is None:
            return None
        asked = self._question_of(option)
        return FollowUp("choice", asked, asked, option=option)

    def options_past(self, message: str, before: Conversation) -> int | None:
        """After a clarify, a number or an ordinal past its options ("第二个" when one was
        offered): how many there were; None for anything else. Left to the other rules, it
        was asked as a question of the street in play."""
        if before.outcome != "clarify" or not before.offered or not self.rule("choice"):
            return None
        said = CHOICE_TAIL.sub("", fold(LEADING_CONNECTIVE.sub("", message) or message))
        number = ORDINAL.fullmatch(said)
        if number and not 1 <= int(number.group(1)) <= len(before.offered):
            return len(before.offered)
        return None

    def narrowed(self, message: str, before: Conversation, alone: Match) -> FollowUp | None:
        """After a clarify, a few words pointing back at one of a kind that pick no option
        ("法治那个" after options on 公园): the question clarified, narrowed by those words
        (``narrowed_after_clarify``). Not words that stand alone as a question."""
        if before.outcome != "clarify" or not self.rule("narrowed_after_clarify"):
            return None
        folded = fold(message)
        if not ONE_OF_A_KIND.search(folded) or self.street_named(folded):
            return None
        if self.too_long_for_a_detail(message):
            return None
        rest = CHOICE_TAIL.sub("", self.asked_of_it(message))
        if not rest or self.stands_alone(alone):
            return None
        topic = before.question.rstrip("?？。.!！ ")
        understood = topic + messages.UNDERSTOOD_SEPARATOR + message.strip()
        return FollowUp("choice", f"{topic},{rest}", understood)

    def detail_of_option(self, message: str, before: Conversation, alone: Match) -> FollowUp | None:
        """After a clarify, a few words with no topic of their own that only one option
        speaks of ("音量有没有规定" after options on 广场舞 and others, one of them 明确活动
        时段、区域、规模、音量): a detail of that option, which is the answer
        (``detail_after_clarify``). Not when several or none do, nor words that stand
        alone as a question, nor another street named, nor a detail the reports never
        give."""
        if before.outcome != "clarify" or not before.offered:
            return None
        folded = fold(message)
        if not self.rule("detail_after_clarify") or self.street_named(folded):
            return None
        if self.too_long_for_a_detail(message):
            return None
        figure = self.figure_of_option(message, before, alone)
        if self.stands_alone(alone) and figure is None:
            return None
        if OTHER_STREET.search(folded):
            return None  # "另一个街道呢" asks of a street
        stating = figure or self.options_stating(message, before.offered)
        if stating is not None:
            topic = before.question.rstrip("?？。.!！ ")
            understood = topic + messages.UNDERSTOOD_SEPARATOR + message.strip()
            return FollowUp("choice", f"{topic},{message}", understood, option=stating)
        # A phone or an hours the reports never give is declined as asked, not read in an
        # option that names a hotline.
        if self.questions.detail_asked(folded, message):
            return None
        pairs = self.topic_pairs(message)
        if not pairs:
            return None
        speaking = [
            doc
            for doc in before.offered
            if any(pair in fold(self.answer_text(doc)) for pair in pairs)
        ]
        if len(speaking) != 1:
            return None
        if QUANTITY.search(folded) and not states_a_figure(self.answer_text(speaking[0]), message):
            # "党员有多少" of an option on 党员 that counts nothing is not answered by it.
            return None
        topic = before.question.rstrip("?？。.!！ ")
        understood = topic + messages.UNDERSTOOD_SEPARATOR + message.strip()
        return FollowUp("choice", f"{topic},{message}", understood, option=speaking[0])

    def figure_of_option(self, message: str, before: Conversation, alone: Match) -> str | None:
        """After a clarify, the one option holding a number a few words ask about, as a
        number of its own ("那4个是指啥" after options on 养老, one of them …4个社区级“医养
        结合”养老服务站…): alone the words hold only a number, but it is that option's, as
        ``asks_of_a_figure`` reads one of the last answer (``figure_after_clarify``). A
        number alone, or an ordinal, is a choice, not this."""
        if not self.rule("figure_after_clarify") or not FIGURE.search(fold(message)):
            return None
        if alone.reason is not Reason.ONLY_NUMBERS and self.stands_alone(alone):
            return None
        if ORDINAL.fullmatch(CHOICE_TAIL.sub("", fold(message))):
            return None
        holding = [
            doc
            for doc in before.offered
            if self._figure_stated(message, replace(before, answered=(doc,)))
        ]
        return holding[0] if len(holding) == 1 else None

    def options_stating(self, message: str, offered: tuple[str, ...]) -> str | None:
        """The one option of a clarify that states what a few words ask in words of the
        kind that state it, sharing none of the message's: "Is it free?" after options on
        托育, one of them …免费托育服务; "Which community is it in?" after options on the
        social work village, one naming 观城社区 (``kind_after_clarify``). English shares no
        characters with the reports, so the options' own words never pick one. None when
        none, or several, do."""
        if not self.rule("kind_after_clarify"):
            return None
        stating = [
            doc
            for doc in offered
            if self.stated_in_other_words(message, (doc,)) is not None
            or self.detail_word_stated(message, (doc,))
            or self.which_named_in_english(message, fold(self.answer_text(doc)))
        ]
        return stating[0] if len(stating) == 1 else None

    def another_street(self, message: str, before: Conversation) -> FollowUp | None:
        """A street's name and cue words only, or "the other street": the last question
        again, for that street."""
        if before.outcome not in ("answer", "miss", "clarify"):
            return None
        folded = fold(message)
        street = self.street_named(folded) or self.heard_besides_last_words(folded, before)
        rest = self.without_street_names(folded)
        if street is None and OTHER_STREET.search(folded):
            others = [s for s in self.kb.streets if s != before.street]
            street = others[0] if before.street and len(others) == 1 else None
            rest = OTHER_STREET.sub("", folded)
        if street is None:
            return None
        if street != before.street:
            # "另一个街道呢 坪山有龙舟赛吗": the other street, and then its name.
            rest = OTHER_STREET.sub("", rest)
        if self.rule("a_not_a_cue"):
            # "那坪山搞不搞", "坪山建没建": whether, as 有没有 asks it (``a_not_a_cue``).
            rest = A_NOT_A.sub("", rest)
        if self.rule("asking_tail_cue"):
            # "那坪山有义警不", "观湖装了没": a yes-no question's tail, as 吗 is.
            rest = ASKING_TAIL.sub("", rest)
        rest = "" if self.only_english_cues(message) else STREET_CUES.sub("", rest)
        again = self.repeats_last_topic(rest, before)
        if again:
            topic = self.without_streets(before.question)
        elif self.words_of_last_answer(rest, before):
            # "观湖的政务服务呢" after an answer on 坪山's 政务服务: those words are the topic.
            topic = rest
        elif self.how_it_went_on_street(message, street, before):
            return self.how_it_went_of(message, street, before)
        else:
            return None
        name = self.kb.streets[street].name
        asked = name + topic
        if again and reads_as_english(before.question):
            # "How does Guanhu sort garbage?", not "观湖街道How does sort garbage?": what is
            # asked next of it reads as the resident would ask it.
            topic = asked = self.in_english_of_street(before.question, street)
        understood = name + messages.UNDERSTOOD_SEPARATOR + topic
        given = self.street_part_of_answer(street, before) if again else ()
        return FollowUp("another_street", asked, understood, street=street, answered=given)

    def street_part_of_answer(self, street: str, before: Conversation) -> tuple[str, ...]:
        """The texts of ``street`` in the last answer, when that answer spoke for more than
        one street ("老人有什么福利" answered from both, then "观湖呢"): the last question
        asked of it is answered by its part of what was just said, which it would otherwise
        rank afresh and might find unsure. Nothing otherwise."""
        if not self.rule("street_part_of_answer") or before.outcome != "answer":
            return ()
        streets = {self.street_of_doc(doc) for doc in before.answered}
        if street not in streets or len(streets) < 2:
            return ()
        return tuple(doc for doc in before.answered if self.street_of_doc(doc) == street)

    def how_it_went_on_street(self, message: str, street: str, before: Conversation) -> bool:
        """Whether a message names another street than the one in play and nothing else
        but how it went or a count ("坪山落实了吗", "坪山有几家" after 观湖's 六零行动): the
        last question, asked of that street (``how_it_went_on_street``). Alone it names no
        programme; the detail rule keeps to the street in play."""
        if not self.rule("how_it_went_on_street") or before.outcome != "answer":
            return False
        # Not in English: asked again in English words of another street, a term the
        # lexicon lent the first time ("Sixty Zero") found a text sharing a word.
        if street == before.street or not before.question or reads_as_english(message):
            return False
        spelling = self.questions.wording.spelling_of(message)
        return self.questions.names_no_subject(message, spelling)

    def how_it_went_of(self, message: str, street: str, before: Conversation) -> FollowUp:
        """The last question asked of ``street`` with what the message asks of it. Where
        the last question asked a how-many already, it is matched as 那坪山呢 asks it: the
        count's own words again (有几家) would find any text of that street counting 家
        (坪山's 194 polluting firms for 观湖's 违建)."""
        name = self.kb.streets[street].name
        topic = self.without_streets(before.question).rstrip("?？。.!！ ")
        # What the street's name left behind it (坪山呢 有几家 → 有几家), not its particle.
        said = LEADING_PARTICLES.sub("", self.without_streets(message))
        understood = name + messages.UNDERSTOOD_SEPARATOR + topic + "," + said
        asked = name + topic if QUANTITY.search(fold(topic)) else f"{name}{topic},{said}"
        return FollowUp("another_street", asked, understood, street=street)

    def only_english_cues(self, message: str) -> bool:
        """Whether an English message says nothing but a street's name and words of asking
        the same of it ("Does Pingshan have them too?"; ``english_street_cues``)."""
        if not self.rule("english_street_cues") or latin_share(fold(message)) < ENGLISH_SHARE:
            return False
        names = {word for name, _ in self._names if name.isascii() for word in name.lower().split()}
        said = LATIN_WORD.findall(message.lower())
        return bool(said) and all(w in names or w in ENGLISH_STREET_CUES for w in said)

    def in_english_of_street(self, question: str, street: str) -> str:
        """An English question asked again of ``street``: the street it names replaced by
        that one (Pingshan → Guanhu, Pingshan Subdistrict → Guanhu Subdistrict), or that
        street named after it when it names none."""
        target = self.kb.streets[street]
        full = target.name_en or target.name
        short = full.split()[0]
        # A street named in Chinese before it ("观湖街道And the target for 2020?", as the
        # street in play asked it) is named again in English, not left beside it.
        for name, _ in self._names:
            if not name.isascii():
                question = question.replace(name, "")
        question = question.strip()
        for name, _ in self._names:
            if not name.isascii():
                continue
            found = re.search(rf"\b{re.escape(name)}\b", question, flags=re.IGNORECASE)
            if found:
                said = found.group(0)
                instead = full if " " in said else short
                return question[: found.start()] + instead + question[found.end() :]
        return f"{EDGE_PUNCTUATION.sub('', question)} in {full}?"

    def repeats_last_topic(self, rest: str, before: Conversation) -> bool:
        """Whether what a street follow-up says besides the street and its cue words is
        nothing, or words of the last question ("观湖的办结率呢" after 坪山 信访案件办结率)."""
        if not rest:
            return True
        asked = fold(self.without_streets(before.question))
        if (len(rest) >= 2 and rest in asked) or self.asks_as_before(rest, asked):
            return True
        # Words of the last question asked with words of asking ("观糊咧 也评上了吗" after
        # 坪山…是不是评上过…): the same question, of this street (``sound_keeps_a_character``
        # leaves 评上 in the message, where its sound was taken out as a name before).
        core = "".join(c for c in rest if c not in ASKING_CHARS)
        return self.rule("sound_keeps_a_character") and len(core) >= 2 and core in asked

    def asks_as_before(self, rest: str, asked: str) -> bool:
        """Whether what a street follow-up says besides the street and its cue words is
        only words of asking, asking what the last question asked: a how-many after a
        how-many ("观湖几个" after 坪山搞了多少个民生微实事), or neither one (``asks_as_before``).
        It names no topic of its own, so the topic is the last question's."""
        if not self.rule("asks_as_before") or not all(c in ASKING_CHARS for c in rest):
            return False
        return (QUANTITY.search(rest) is None) == (QUANTITY.search(asked) is None)

    def unwritten_on_street(
        self, message: str, street: str, before: Conversation | None = None
    ) -> str | None:
        """What a street follow-up names besides the street and its cue words, when the
        street's report writes no pair of its characters: "坪山有类似的公园吗"
        after 观湖's 上围小雅公园 asks of 公园, which 坪山's report never names, so no text of
        it answers, however its ranking goes (``unwritten_on_street``). Only what the
        message itself names: the last question's words may be the first street's own
        (高空抛物, written 高空坠物 in the other's report)."""
        if not self.rule("unwritten_on_street"):
            return None
        folded = fold(LEADING_CONNECTIVE.sub("", message) or message)
        rest = OTHER_STREET.sub("", self.without_street_names(folded))
        if self.rule("a_not_a_cue"):
            # 搞不搞 asks whether; its characters are no thing the street's report must write
            rest = A_NOT_A.sub("", rest)
        rest = STREET_CUES.sub("", rest)
        written = self._street_text.get(street, "")
        # Chinese words only, not its asking ones ("观湖几个"): English shares no
        # characters with the reports.
        pairs = {
            pair
            for i in range(len(rest) - 1)
            if HAN_PAIR.fullmatch(pair := rest[i : i + 2]) and not set(pair) & ASKING_CHARS
        }
        if before is not None and self.rule("sound_keeps_a_character"):
            # Words the last question wrote in its own wording, which no text shown for it
            # writes, are the asking again, not a thing named ("观湖呢 评上了吗" after
            # 坪山是不是评上过…, answered by 获评, which 观湖's report writes too); a thing the
            # texts shown name (公园) still is.
            asked = fold(before.question)
            shown = " ".join(fold(self.answer_text(d)) for d in before.answered or before.offered)
            pairs = {pair for pair in pairs if pair not in asked or pair in shown}
        # None of it written: a compound may be written apart (生活垃圾强制分类 holds no 圾分).
        if not pairs or any(pair in written for pair in pairs):
            return None
        return rest

    def lent_unwritten_on_street(
        self, asked: str, before: Conversation, street: str
    ) -> tuple[str, ...] | None:
        """The reports' words for a phrase of an English question asked of another street
        (the lexicon's, alternatives together), when the last answer writes one of them and
        that street's report none: "what about Guanhu" after 坪山's 电动自行车安全质量治理示范街
        asks of 电动自行车 / 电动车, which 观湖's report never writes, so no text of it
        answers (``lent_unwritten_on_street``). Only in English, which shares no
        characters with the reports: a Chinese question's own words tell (see
        ``unwritten_on_street``), and the lexicon's alternatives are not all of a report's
        wordings (生活垃圾强制分类 is 垃圾分类 too), so they are trusted only where nothing
        else can tell."""
        if not self.rule("lent_unwritten_on_street") or before.outcome != "answer":
            return None
        if latin_share(fold(asked)) < ENGLISH_SHARE:
            return None
        said = " ".join(fold(self.answer_text(doc)) for doc in before.answered)
        written = self._street_text.get(street, "")
        topic = self.without_streets(asked)
        for group in self.questions.lexicon.official_groups(topic, fold(topic)):
            words = [fold(word) for word in group]
            if any(w in said for w in words) and not any(w in written for w in words):
                return group
        return self.lent_compound_unwritten(topic, said, written)

    def lent_compound_unwritten(
        self, topic: str, said: str, written: str
    ) -> tuple[str, ...] | None:
        """The compound two English phrases next to each other lend, when the last answer
        writes it as one word and the other street's report never does: "Does Pingshan
        have one too?" after 观湖's “社工村” asks of 社工村 (social work village), though
        坪山's report writes 社工 and 村 apart (社工热线, 北中村), so each lent word alone
        is found there and its ranking answered with paired villages
        (``lent_compound_on_street``)."""
        if not self.rule("lent_compound_on_street"):
            return None
        for first, second in self.questions.lexicon.english_compounds(topic):
            compounds = tuple(fold(a) + fold(b) for a in first for b in second)
            if any(c in said for c in compounds) and not any(c in written for c in compounds):
                return compounds
        return None

    def uncounted(self, asked: str, chosen: Iterable[str]) -> bool:
        """Whether a how-many asked of another street in a counter of its own (几座, 多少家;
        not the 个 of anything) gets texts stating no figure in that counter or its kin
        ("坪山街道公厕改造了几座" … 签约建筑面积2.16万平方米): what its ranking found counts
        something else (``counter_on_street``)."""
        folded = fold(asked)
        counter = COUNTER_ASKED.search(folded)
        if not self.rule("counter_on_street") or counter is None or counter.group(1) == "个":
            return False
        return not any(
            states_a_figure(self.answer_text(doc), asked, counted=True) for doc in chosen
        )

    def unrated(self, asked: str, chosen: Iterable[str]) -> bool:
        """Whether another street's question naming a rate ("观湖的调解成功率呢" after 坪山's
        调解成功率达96%) gets texts stating no figure of that rate: 观湖's text on disputes
        resolved (成功稳控化解…12宗重大矛盾纠纷) says nothing of a 成功率, and a rate is a
        figure asked though no 多少 asks it (``rate_on_street``)."""
        if not self.rule("rate_on_street"):
            return False
        rate = RATE_ASKED.search(fold(self.without_streets(asked)))
        if rate is None:
            return False
        # stated as the rate (成功率达96%) or as its stem and a percentage (同比增长6.2%)
        stated = re.compile(
            re.escape(rate.group(0))
            + r"[^,，。;；]{0,6}[0-9]|"
            + re.escape(rate.group(0)[:-1])
            + r"[^,，。;；]{0,4}[0-9.]+%"
        )
        return not any(stated.search(fold(self.answer_text(d))) for d in chosen)

    def words_of_last_answer(self, rest: str, before: Conversation) -> bool:
        """Whether what a street follow-up says besides the street and its cue words is a
        word of the answer just given (two characters or more): the topic it was about."""
        if before.outcome != "answer" or len(rest) < 2:
            return False
        return any(rest in fold(self.answer_text(doc)) for doc in before.answered)

    def source_of_answer(self, message: str, before: Conversation) -> FollowUp | None:
        """A few words asking which year the last answer is from or whether it still holds,
        naming no year or other street of their own: the last answer again."""
        folded = fold(message)
        if before.outcome != "answer" or not before.answered or YEAR.search(folded):
            return None
        if not SOURCE_ASKED.search(folded) or self.too_long_for_a_detail(message):
            return None
        named = self.street_named(folded)
        if named is not None and named != before.street:
            return None
        topic = before.question.rstrip("?？。.!！ ")
        understood = topic + messages.UNDERSTOOD_SEPARATOR + message.strip()
        return FollowUp("source_of_answer", topic, understood, answered=before.answered)

    def detail(self, message: str, before: Conversation, alone: Match) -> FollowUp | None:
        """A few words with no topic of their own, after an answer: asked with the last
        question, among its answer's neighbours first. Not when they name another street
        than the one in play: the last answer is no neighbour of that street's texts."""
        if before.outcome != "answer" or not before.answered:
            return None
        named = self.street_named(fold(message))
        if named is not None and named != before.street:
            return None
        target = self.target_in_plan(message, before)
        if target is not None:
            topic = before.question.rstrip("?？。.!！ ")
            understood = topic + messages.UNDERSTOOD_SEPARATOR + message.strip()
            return FollowUp("detail", topic, understood, answered=(target,))
        if self.target_unstated(message, before):
            topic = before.question.rstrip("?？。.!！ ")
            understood = topic + messages.UNDERSTOOD_SEPARATOR + message.strip()
            return FollowUp("detail", topic, understood, unstated_figure=True)
        # However long, a message that names nothing else asks a detail of it ("几点上班
        # 周末开不开" after an answer on a service centre).
        of_it = self.asks_unstated_detail_of_it(message, alone) or bool(
            self.letter_of_answer(message, before)
        )
        if (
            self.too_long_for_a_detail(message)
            and not of_it
            and not self.in_words_of_answer(message, before)
        ):
            return None
        if self.names_new_thing(message, before) or self.counts_own_thing(message, before):
            return None
        if (
            self.stands_alone(alone)
            and not self.asks_of_a_figure(message, alone, before)
            and not of_it
            and not self.asks_purpose_of_it(message, alone)
        ):
            return None
        topic = before.question.rstrip("?？。.!！ ")
        asked = f"{topic},{message}"
        understood = topic + messages.UNDERSTOOD_SEPARATOR + message.strip()
        return FollowUp("detail", asked, understood, within=self.neighbours(before.answered))

    def target_in_plan(self, message: str, before: Conversation) -> str | None:
        """The text of the last answer's report, in the half that plans, stating a target
        for the thing that answer measured, when a few words ask the target ("目标是多少",
        "and the target for 2020?" after 观湖's 2019 PM2.5 of 23.9): the plan states it
        (确保PM2.5年均浓度值低于26.5), the review answered does not. The thing is what the
        last question and its answer both name (PM2.5); a year named must be the plan's;
        one such text only, else None (``target_in_plan``)."""
        folded = fold(message)
        if not self.rule("target_in_plan") or not self.asks_target_of_it(message, before):
            return None
        said = " ".join(fold(self.answer_text(doc)) for doc in before.answered)
        asked = fold(self.without_streets(before.question))
        measured = {
            m.group(0)
            for i in range(len(asked))
            if (m := MEASURED.match(asked, i)) and not set(m.group(0)) & ASKING_CHARS
        }
        measured = {thing for thing in measured if thing in said}
        years = self.questions.halves_asked(folded)
        reports = {self._place[doc][0] for doc in before.answered if doc in self._place}
        found: dict[str, str] = {}
        for report in sorted(reports):
            # a year named must be the one this report plans (2022 is none's: a miss)
            if years.get(report, "plan" if not YEAR.search(folded) else None) != "plan":
                continue
            for doc, text in self._report_texts.get(report, ()):
                written = fold(text)
                if self._half.get(doc) != "plan" or not TARGET_STATED.search(written):
                    continue
                if any(thing in written for thing in measured):
                    found.setdefault(written, doc)  # an entry and its passage: one text
        return next(iter(found.values())) if len(found) == 1 else None

    def asks_target_of_it(self, message: str, before: Conversation) -> bool:
        """Whether a few words, naming nothing new and no street, ask the target of what
        the last answer was on ("目标是多少", "What's the target?")."""
        folded = fold(message)
        if not TARGET_ASKED.search(folded):
            return False
        if not before.answered or before.outcome != "answer":
            return False
        english = latin_share(folded) >= ENGLISH_SHARE
        words = [w for w in LATIN_WORD.findall(message.lower()) if w not in ENGLISH_POINTING_BACK]
        if (len(words) > 8) if english else (len(self.asked_of_it(message)) > DETAIL_MAX_CHARS):
            return False
        return not (self.names_new_thing(message, before) or self.street_named(folded))

    def target_unstated(self, message: str, before: Conversation) -> bool:
        """Whether a few words ask the target of the last answer's thing when neither that
        answer nor its report's plan states one (``target_in_plan`` found none): after
        观湖's 3000余人义警队伍, "目标是多少" had been answered with that figure again, as if
        it were the target, and "What's the target?" after it, taken alone, with the PM2.5
        target of the air-quality plan (found in review4). A figure the report leaves out,
        declined as such (``target_unstated``)."""
        if not self.rule("target_unstated") or not self.asks_target_of_it(message, before):
            return False
        # an answer that itself states a target (确保…低于26.5) is asked again as before
        return not any(TARGET_STATED.search(fold(self.answer_text(doc))) for doc in before.answered)

    def counts_thing_asked(self, asked: str, doc: str) -> bool:
        """Whether a text counts the very thing a how-many asks: a figure whose counter is
        followed by words of the question (115项民生微实事 for "民生微实事搞了多少个"; not
        14项区民生实事, a count of something else beside it; ``counted_thing_on_street``)."""
        pairs = self.topic_pairs(self.without_streets(asked))
        text = fold(self.answer_text(doc))
        return any(text[m.end() : m.end() + 2] in pairs for m in COUNTED_THING.finditer(text))

    def in_words_of_answer(self, message: str, before: Conversation) -> bool:
        """Whether a message too long for a detail says what it is about almost only in
        words of the last answer ("要培育几家示范企业" after …培育10家“五好”党建示范企业):
        all but one of its pairs of its own characters, and three at least, are in that
        answer, so it asks of it however long it is (``detail_in_answer_words``)."""
        if not self.rule("detail_in_answer_words"):
            return False
        pairs = self.topic_pairs(message)
        said = " ".join(fold(self.answer_text(doc)) for doc in before.answered)
        held = sum(pair in said for pair in pairs)
        return held >= ANSWER_WORDS_HELD and held >= len(pairs) - 1

    def street_in_play(self, message: str, before: Conversation, alone: Match) -> FollowUp | None:
        """A question naming no street while one is in play, unless it is answered alone
        from that street already or names something of its own (an intent, a place)."""
        folded = fold(message)
        street = before.street
        if street is None or street not in self.kb.streets or self.street_named(folded):
            return None
        if self.street_named(fold(before.question)) != street:
            # Only a street the resident named is in play: one the last answer merely came
            # from is no choice of theirs (义警有多少人 is answered from 观湖's report, and
            # the next question, 楼上老往下扔东西怎么办, is not about 观湖 for that).
            return None
        if self.questions.names_both_streets(folded):
            return None
        if alone.reason in OWN_CONTENT or alone.reason in NOTHING_ASKED:
            return None
        if alone.outcome is Outcome.ANSWER and all(
            self.street_of_doc(doc) == street for doc in alone.chosen
        ):
            return None
        name = self.kb.streets[street].name
        understood = name + messages.UNDERSTOOD_SEPARATOR + message.strip()
        alone_otherwise = self.names_own_topic(message, alone, street) or (
            alone.outcome is Outcome.ANSWER
            and any(self.street_of_doc(doc) == street for doc in alone.chosen)
        )
        return FollowUp(
            "street_in_play",
            name + message,
            understood,
            street=street,
            alone_otherwise=alone_otherwise,
        )

    def names_new_thing(self, message: str, before: Conversation) -> bool:
        """Whether a message names a thing the reports speak of, in three characters or
        more of its own words, that neither the last answer nor the texts beside it mention
        ("那上围艺术村在搞什么" after an answer on a fire-safety hall): a new topic, however
        short, never a detail of that answer (``new_thing_named``)."""
        if not self.rule("new_thing_named"):
            return False
        said = POINTING_BACK.sub("|", self.wording.spelling_of(message))
        if self.rule("count_word_names_nothing"):
            # "一共几支队伍": 几支 counts; 支队伍 is no thing (an 一支队伍 elsewhere is not it)
            said = COUNT_ASKED.sub("|", said)
        if self.rule("year_names_nothing"):
            # "and the target for 2020?" asks the last topic in another of its report's
            # years: a year is when, not a thing (the year rules decide whether one is
            # covered), though 2020 is written in many texts the answer is not beside.
            said = ENGLISH_YEAR.sub("|", said)
        named = {
            said[i : i + 3]
            for i in range(len(said) - 2)
            if not (set(said[i : i + 3]) & (ASKING_CHARS | {"|"}))
        }
        if self.rule("new_thing_as_written"):
            # Only as the message writes it: the spelling drops words of asking and joins
            # what was around them ("建了哪些工作机制" is spelled 建工作机制, whose 建工作 is
            # 党建工作's, named nowhere in the message).
            written = fold(message)
            named = {thing for thing in named if thing in written}
        if not named:
            return False
        # Each text on its own: folded together (fold drops the line breaks) a name could
        # be read across two texts' seam, and which seams there are followed the set's
        # order, which changes with PYTHONHASHSEED.
        near = [fold(self.answer_text(doc)) for doc in sorted(self.beside(before.answered))]
        return any(
            all(thing not in text for text in near)
            and any(thing in text for text in self._street_text.values())
            for thing in named
        )

    def counts_own_thing(self, message: str, before: Conversation) -> bool:
        """Whether a how-many names what it counts in words that neither the last answer
        nor the texts of its section write ("摄像头装了多少个" after an answer on garbage sorting,
        or on the 雪亮工程 term): it counts a thing of its own, taken alone, not a detail
        of that answer, whose figures count something else (237个垃圾分类投放点, 2个管理薄弱
        片区; ``count_of_own_thing``). Unlike ``new_thing_named``, the thing need be written
        in no report: a figure of the answer is no count of it either way. Words of asking,
        the count's own words (多少个, 几条) and how much or when (一共, 目前) name nothing."""
        if not self.rule("count_of_own_thing"):
            return False
        folded = fold(message)
        if QUANTITY.search(folded) is None:
            return False
        if self.questions.detail_asked(folded, message):
            return False  # a phone or hours ("电话多少"): a detail the reports never give
        said = COUNT_WORDS.sub("|", COUNT_ASKED.sub("|", self.wording.spelling_of(message)))
        # a thing is named in three characters or more of its own ("摄像头装"); two may be
        # a verb and a particle left by the count (有几条路搞了: 路搞)
        runs = re.findall(
            r"[\u4e00-\u9fff]{3,}", "".join("|" if c in ASKING_CHARS else c for c in said)
        )
        if not runs:
            return False
        docs = sorted(self.beside(before.answered) | self.neighbours(before.answered))
        near = [fold(self.answer_text(doc)) for doc in docs]
        return any(
            not any(run[i : i + 2] in text for i in range(len(run) - 1) for text in near)
            for run in runs
        )

    def names_own_topic(self, message: str, alone: Match, street: str) -> bool:
        """Whether a message names something the street's report never mentions: a word
        it shares with what it is matched to alone (义警, 广场舞) that no text of that street
        has. One asking only after "it", or an action that report speaks of too (通车, 收费),
        names nothing of its own."""
        docs = alone.chosen or tuple(c.id for c in alone.candidates[:1])
        texts = [fold(self.answer_text(doc)) for doc in docs]
        mentioned = self._street_text.get(street, "")
        return any(
            pair not in mentioned and any(pair in text for text in texts)
            for pair in self.topic_pairs(message)
        )

    def topic_pairs(self, message: str) -> set[str]:
        """The pairs of characters a message says what it is about in: those of its own
        words, not of how it asks (具体, 怎么, 哪些…)."""
        said = self.wording.spelling_of(message)
        return {
            said[i : i + 2]
            for i in range(len(said) - 1)
            if not (set(said[i : i + 2]) & ASKING_CHARS)
        }

    def repeats_without_detail(
        self, message: str, chosen: Iterable[str], before: Conversation
    ) -> bool:
        """Whether a detail follow-up would get the answer already given, which does not
        speak of what the message asks (no pair of its characters, no figure for a
        how-many, no words of the kind that state it): that is no answer to it ("在哪个社区"
        after 垃圾分类)."""
        chosen = tuple(chosen)
        if not chosen or not set(chosen) <= set(before.answered):
            return False
        which = WHICH.findall(fold(message))
        said = self.wording.spelling_of(message)
        if which:
            # "哪个社区" is stated by a 社区 named, not by 社区 (全区首个社区消防展示厅).
            said = WHICH.sub("|", said)
            for noun in which:
                said = said.replace(noun, "|")
        written = "".join(self.answer_text(doc) for doc in chosen)
        answer = fold(written)
        if any(
            said[i : i + 2] in answer for i in range(len(said) - 1) if "|" not in said[i : i + 2]
        ):
            return False
        if any(self.names_one(noun, answer) for noun in which):
            return False
        if self.which_named_in_english(message, answer):
            return False
        if self.rule("half_of_answer") and self._by_half(fold(message), chosen) is not None:
            # "2021年计划里那个" after an answer from the part of its report that plans: it
            # is the one asked.
            return False
        if self.stated_in_other_words(message, chosen) or self.detail_word_stated(message, chosen):
            return False
        if {self._figure_stated(message, before), self.letter_of_answer(message, before)} & set(
            chosen
        ):
            return False
        if self.counted_in_answer(message, chosen):
            return False
        asks_figure = QUANTITY.search(fold(message)) is not None
        return not (
            asks_figure and any(states_a_figure(self.answer_text(d), message) for d in chosen)
        )

    def names_one(self, noun: str, text: str) -> bool:
        """Whether a text names one ``noun`` ("哪几个小区" … 招商花园小区): a word right
        before it that is no number or measure word, and, with ``kind_is_no_name``, that
        word and the noun not written by every street's report: those are a kind
        (物业小区, 城中村), not a name. "装在哪几个小区" after 建设物业小区高空抛物坠物智能监测
        系统 was answered with that text again, though it names no 小区."""
        for found in re.finditer(NAMED_BEFORE + re.escape(noun), text):
            if not self.rule("kind_is_no_name"):
                return True
            word = text[max(found.start() - 1, 0) : found.end()]
            if not all(word in written for written in self._street_text.values()):
                return True
        return False

    def counted_in_answer(self, message: str, chosen: Iterable[str]) -> bool:
        """Whether a how-many counted in a word of its own ("分几级", "分成几类") is
        answered by a figure so counted in the texts chosen (三级干预体系, 3大项48小项):
        how a programme is divided, stated where it was just described
        (``counted_by_any_word``)."""
        folded = fold(message)
        asked = COUNTED_BY_ANY_WORD.search(folded)
        if not self.rule("counted_by_any_word") or asked is None:
            return False
        counter = asked.group(1)
        return any(
            figure.group(0) not in folded
            and (figure.group(1) == counter or {figure.group(1), counter} <= COUNTED_KINDS)
            for doc in chosen
            for figure in COUNTED_FIGURE.finditer(fold(self.answer_text(doc)))
        )

    def figure_where_term_used(
        self, message: str, match: Match, before: Conversation
    ) -> str | None:
        """After a term's definition, a how-many it does not answer: the first text of the
        term's report that names the term and states a figure of the kind asked. A
        definition says what a term means; the figures are where the report says what was
        done under it ("路长制是什么" … "有几条路" … 26条主要干道"路长制"工作)."""
        if match.reason is not Reason.UNSTATED_FIGURE or QUANTITY.search(fold(message)) is None:
            return None
        lent = self.english_counted_words(message)
        for doc in before.answered:
            for use in self.uses_of_term(self.kb.entries.get(doc)):
                text = self.answer_text(use)
                if not states_a_figure(text, message, of_kind=True, counted=True):
                    continue
                if lent and not any(
                    set(fold(text)[m.end() : m.end() + 6]) & lent
                    for m in COUNTED_THING.finditer(fold(text))
                ):
                    # "how many cameras": 2个管理薄弱片区 counts no 视频监控 or 摄像头
                    continue
                return use
        return None

    def english_counted_words(self, message: str) -> set[str]:
        """The characters of the reports' words for what an English how-many counts ("how
        many cameras" … 视频监控, 摄像头): a count of it is a figure followed by some of
        them (26条主要干道 for "how many roads", 道路); none when the message is no English
        how-many or the lexicon lends nothing (``english_thing_counted``)."""
        if not self.rule("english_thing_counted") or latin_share(fold(message)) < ENGLISH_SHARE:
            return set()
        counted = ENGLISH_COUNTED.search(message.lower())
        if counted is None:
            return set()
        noun = counted.group(1)
        groups = self.questions.lexicon.official_groups(noun, fold(noun))
        # the term itself (雪亮工程, lent for cameras too) is what the use text names anyway
        return {c for group in groups for word in group for c in fold(word) if c not in "工程"}

    def which_where_term_used(self, message: str, match: Match, before: Conversation) -> str | None:
        """After a term's definition, a "which X" it is given again for: the first text of
        the term's report that names the term and an X. A definition says what a term
        means in general; which community or village did it is where the report says what
        was done under it ("五老是指哪五老" … "是哪个社区的做法" … 润城社区“五老”服务社区经验做法;
        ``which_where_term_used``)."""
        which = [noun for noun in WHICH.findall(fold(message)) if PLACE_OR_BODY.search(noun)]
        if not self.rule("which_where_term_used") or not which:
            return None
        if match.outcome is not Outcome.ANSWER or set(match.chosen) != set(before.answered):
            return None
        for doc in before.answered:
            for use in self.uses_of_term(self.kb.entries.get(doc)):
                text = fold(self.answer_text(use))
                if any(re.search(NAMED_BEFORE + re.escape(noun), text) for noun in which):
                    return use
        return None

    def uses_of_term(self, entry: Entry | None) -> list[str]:
        """The texts of a term's report that name it, in order, entries first."""
        if entry is None or not entry.term:
            return []
        name = unquoted(entry.term)
        texts = self._report_texts.get(entry.report, ())
        return [doc for doc, text in texts if doc != entry.id and name in text]

    def which_named_in_english(self, message: str, answer: str) -> bool:
        """Whether a folded answer names one of what an English "which X" asks ("which
        villages in Guangxi" … 广西作登乡梅林村): a name right before a word the lexicon lends
        X (``english_detail``)."""
        found = ENGLISH_WHICH.search(message.lower())
        if not self.rule("english_detail") or found is None:
            return False
        noun = found.group(1)
        lent = self.questions.lexicon.official_words(noun, fold(noun))
        return any(re.search(NAMED_BEFORE + re.escape(fold(word)), answer) for word in lent)

    def stated_in_other_words(self, message: str, docs: Iterable[str]) -> str | None:
        """The text among ``docs`` that states what a detail asks in words of the kind that
        state it, though it shares none of the message's (DETAIL_STATED_AS)."""
        asked = fold(message)
        ways = (
            *DETAIL_STATED_AS,
            *(ENGLISH_DETAIL_STATED_AS if self.rule("english_detail") else ()),
            *((WHO_TAKES_PART,) if self.rule("who_takes_part") else ()),
            *((PURPOSE,) if self.rule("purpose_of_it") else ()),
            *((AWARD,) if self.rule("award_stated") else ()),
            *((ON_TIME,) if self.rule("on_time_stated") else ()),
        )
        kinds = [stated for asking, stated in ways if asking.search(asked)]
        found = next((d for d in docs if any(s.search(self.answer_text(d)) for s in kinds)), None)
        named = NAME_ASKED.search(asked) if self.rule("name_of_it") else None
        if found is None and named is not None:
            # "那个村叫什么" after …汕尾北中村、广西作登乡梅林村…: a 村 named states it
            found = next(
                (d for d in docs if self.names_one(named.group(1), fold(self.answer_text(d)))),
                None,
            )
        if found is None and self.rule("results_stated") and RESULTS_ASKED.search(asked):
            # 成效 is stated by what the year reviewed did, not by a plan's aims
            found = next(
                (
                    d
                    for d in docs
                    if self._half.get(d) == "review" and RESULT_STATED.search(self.answer_text(d))
                ),
                None,
            )
        return found

    def detail_word_stated(self, message: str, docs: Iterable[str]) -> bool:
        """Whether a text among ``docs`` states a detail of a kind reports seldom give (the
        scope's detail words: a price, hours) by that kind's own evidence: "要交钱不" after
        …免费托育服务, "what time is the supervision" after …督导(每晚7点—9点). The same test
        as a neighbourhood's miss is checked by (Engine._stated_after_all), for the answer
        about to be given again (``detail_word_stated``)."""
        if not self.rule("detail_word_stated"):
            return False
        word = self.questions.detail_asked(fold(message), message)
        return word is not None and any(
            self.questions.states_detail(self.answer_text(doc), word) for doc in docs
        )

    def asks_of_a_figure(self, message: str, alone: Match, before: Conversation) -> bool:
        """Whether a message asks about a figure of the last answer in words that say
        nothing else ("那个4指的是什么" after "…4个社区级医养结合…"): alone it holds only a
        number, but the number is the last answer's."""
        if alone.reason is not Reason.ONLY_NUMBERS or fold(message).isdigit():
            return False
        return self._figure_stated(message, before) is not None

    def asks_unstated_detail_of_it(self, message: str, alone: Match) -> bool:
        """Whether a message asks a detail the reports never give (a phone, an address)
        in words that alone are an intent only because nothing else fits ("队长电话多少"
        after an answer on a volunteer team): it asks that of the last answer, which the
        reply declines as a detail, not the handover to staff that does not exist. Not
        one speaking to the bot ("你们几点上班"): that asks the bot's own."""
        return (
            self.rule("unstated_detail_of_it")
            and (alone.reason is Reason.INTENT_NOTHING_ELSE or self.handover_words_of_it(alone))
            and self.questions.detail_asked(fold(message), message) is not None
            and not self.questions.addresses_bot(message)
        )

    def handover_words_of_it(self, alone: Match) -> bool:
        """Whether a message is, word for word, a phrase of the handover to staff ("电话多少",
        "几点上班"): first in a conversation it asks the bot's own, but right after an answer
        on a centre or a service it asks that one's phone or hours, a detail the reports
        never give, declined as such like "队长电话多少" (``handover_words_of_it``)."""
        return (
            self.rule("handover_words_of_it")
            and alone.reason is Reason.INTENT
            and alone.intent == "human"
        )

    def asks_purpose_of_it(self, message: str, alone: Match) -> bool:
        """Whether a few words ask what the last answer's thing is for ("干嘛用的" after an
        answer on door alarms), though alone they are the bot's capabilities found by
        meaning: not one speaking to the bot ("你是干嘛的"), which asks the bot's own
        (``purpose_of_it``)."""
        return (
            self.rule("purpose_of_it")
            and alone.reason in (Reason.INTENT_MEANING, Reason.INTENT_NOTHING_ELSE)
            and PURPOSE[0].search(fold(message)) is not None
            and not self.questions.addresses_bot(message)
        )

    def letter_of_answer(self, message: str, before: Conversation) -> str | None:
        """The answered text that holds a letter the message names, standing alone in both
        ("what does the N stand for" after "1+4+N"平台(…N个…)): the message asks what that
        letter of the answer means, however many words it takes (``letter_of_answer``)."""
        if not self.rule("letter_of_answer"):
            return None
        letters = set(LONE_LETTER.findall(message.lower())) - NOT_A_SYMBOL
        for letter in letters:
            alone = re.compile(rf"(?<![a-z]){letter}(?![a-z])")
            for doc in before.answered:
                if alone.search(fold(self.answer_text(doc))):
                    return doc
        return None

    def _figure_stated(self, message: str, before: Conversation) -> str | None:
        """The answered text that holds a number the message names, as a number of its own
        (4 is not in 2024)."""
        for number in FIGURE.findall(fold(message)):
            standalone = re.compile(rf"(?<![0-9.]){re.escape(number)}(?![0-9])")
            for doc in before.answered:
                if standalone.search(fold(self.answer_text(doc))):
                    return doc
        return None

    def stated_in_last_answer(self, message: str, before: Conversation) -> str | None:
        """The answer just given, when it speaks of what a detail asks ("是什么模式运营的"
        after an answer that names its 运营 模式): a pair of the message's own characters,
        not only its asking words, is in it, or a number of it, or words of the kind that
        state what it asks ("is it free?" after …免费托育服务: English shares no characters
        with the reports, so the pairs never find it)."""
        pairs = self.topic_pairs(message)
        counts = QUANTITY.search(fold(message)) is not None
        for doc in before.answered:
            text = fold(self.answer_text(doc))
            if pairs and any(pair in text for pair in pairs):
                if (
                    counts
                    and self.rule("figure_stated_with_words")
                    and not states_a_figure(self.answer_text(doc), message)
                ):
                    # "今年管几条干道": 主次干道 in a definition stating no figure is no count
                    continue
                return doc
        return self._figure_stated(message, before) or self.stated_in_other_words(
            message, before.answered
        )

    @staticmethod
    def stands_alone(alone: Match) -> bool:
        """Whether a message matched alone is a question of its own (see the module)."""
        if alone.reason in OWN_CONTENT or alone.reason in NOTHING_ASKED:
            return True
        best = alone.candidates[0] if alone.candidates else None
        return (
            alone.outcome is Outcome.ANSWER
            and best is not None
            and (bool(best.keyword) or best.probability >= OWN_QUESTION_P)
        )

    # --- what they rest on ------------------------------------------------------------

    def asked_of_it(self, message: str) -> str:
        """What a message asks besides the words pointing back at the last answer (那个,
        这个): what says how long a detail is. A street named counts: naming it again is
        how a new question opens ("那观湖街道图书馆在建了吗")."""
        return POINTING_BACK.sub("", content(message))

    def too_long_for_a_detail(self, message: str) -> bool:
        """Whether a message says too much to be a detail of the last answer: more than a
        few characters, or in English (where characters are letters) more than a few words."""
        if latin_share(fold(message)) >= ENGLISH_SHARE:
            words = [
                w for w in LATIN_WORD.findall(message.lower()) if w not in ENGLISH_POINTING_BACK
            ]
            if self.rule("year_is_when"):
                # "what is planned for it in 2021": a year says when, not what is asked
                words = [w for w in words if not ENGLISH_YEAR.fullmatch(w)]
            return len(words) > DETAIL_MAX_WORDS
        asked = self.asked_of_it(message)
        if self.rule("year_is_when"):
            # "2020年计划建几所" after 2019's 新增公办幼儿园3所: five characters ask, the
            # year says when
            asked = WRITTEN_YEAR.sub("", asked)
        return len(asked) > DETAIL_MAX_CHARS

    def names_street_or_year(self, message: str) -> bool:
        """Whether a message names a street or a year of its own: a plan or review so named
        (坪山2021年计划做什么) is a question of its own, not a detail of the answer in play;
        "去年呢", "明年呢" alone may ask the topic's year."""
        folded = fold(message)
        return self.street_named(folded) is not None or YEAR.search(folded) is not None

    def street_named(self, folded: str) -> str | None:
        """The one street a message names: by its characters, else by their sound."""
        named = self.questions.street_of(folded)
        if named is not None:
            return named
        streets = {street for _, sound, street in self._heard(folded)}
        return streets.pop() if len(streets) == 1 else None

    def _heard(self, text: str, only: str | None = None) -> Iterator[tuple[int, str, str]]:
        """Where a street's name is heard in ``text`` by its sound (``only`` that sound, if
        given): each place, sound and street; only where the characters heard keep one of
        the name's own (``sound_keeps_a_character``)."""
        key = sound_key(text)
        for sound, street in self._sounds:
            if only is not None and sound != only:
                continue
            at = key.find(sound)
            while at >= 0:
                heard = text[at : at + len(sound)]
                if (
                    not self.rule("sound_keeps_a_character")
                    or set(heard) & self._sound_chars[sound]
                ):
                    yield at, sound, street
                at = key.find(sound, at + 1)

    def heard_besides_last_words(self, folded: str, before: Conversation) -> str | None:
        """The one street a message names by sound, when the sound of another is heard
        only in characters the last question wrote as they are ("观糊咧 也评上了吗" after
        "…是不是评上过…": 评上 sounds as 坪山, but is the word asked again, so 观糊 names
        观湖; ``last_words_no_name``)."""
        if not self.rule("last_words_no_name") or self.questions.street_of(folded):
            return None
        asked = fold(before.question)
        heard = {
            street
            for at, sound, street in self._heard(folded)
            if folded[at : at + len(sound)] not in asked
        }
        return heard.pop() if len(heard) == 1 else None

    def asks_a_person(self, message: str) -> bool:
        """Whether a follow-up asks who a person is ("负责帮扶的干部是谁" after an answer on
        the villages helped; "who is the river chief" with 观湖 in play): a name, which no
        report gives, so no answer on the topic in play is its answer (``person_asked``)."""
        return self.rule("person_asked") and PERSON_ASKED.search(fold(message)) is not None

    def spelled(self, message: str) -> str:
        """A message naming one street only by its sound (平山, 观糊, 坪山街到), with that
        name written as the street writes it: matched alone, a question of its own ("平山
        有没有加健身器材", "平山是不是评上过…") is then asked of the street it names, as one
        spelled right is, not answered from whichever street's text ranks first
        (``street_spelled``). Only where a character of the name is kept
        (``sound_keeps_a_character``): 评上 names nothing."""
        if not self.rule("street_spelled") or self.questions.street_of(fold(message)):
            return message
        heard = {street for _, _, street in self._heard(fold(message))}
        if len(heard) != 1:
            return message
        for sound, street in self._sounds:
            if street not in heard:
                continue
            size = len(sound)
            for at in range(len(message) - size + 1):
                said = fold(message[at : at + size])
                if sound_key(said) == sound and (
                    not self.rule("sound_keeps_a_character") or set(said) & self._sound_chars[sound]
                ):
                    name = self._sound_names[sound]
                    return message[:at] + name + message[at + size :]
        return message

    def name_of_nothing(self, message: str, before: Conversation) -> bool:
        """Whether a message asks the name of a thing it points back at ("那个村叫什么")
        with no answer in play to point at: alone its words had found a term's definition
        (“三规”确权: 农村城市化…). It names no subject; the reports cannot say which
        (``name_of_it``)."""
        if not self.rule("name_of_it") or not NAME_ASKED.search(fold(message)):
            return False
        if self.too_long_for_a_detail(message):
            return False
        return before.outcome not in ("answer", "clarify") or not (
            before.answered or before.offered
        )

    def after_thanks(self, message: str, before: Conversation, alone: Match) -> str | None:
        """What a message says after thanking for the last reply and going on ("谢谢 另外
        问下观湖街道图书馆建没建"), when alone it was taken as thanks only; None otherwise. The
        thanks is for the reply before; the rest asks the next question
        (``thanks_then_question``). "谢谢啦" alone stays thanks."""
        if not self.rule("thanks_then_question") or not before.started:
            return None
        if alone.outcome is not Outcome.INTENT or alone.intent != "thanks":
            return None
        opening = THANKS_OPENING.match(message)
        if opening is None:
            return None
        rest = THANKS_TAIL.sub("", message[opening.end() :])
        rest = LEADING_CONNECTIVE.sub("", rest) or rest
        if len(re.sub(r"[\W_]", "", rest)) < THANKS_REST_CHARS:
            return None
        return rest if THANKS_REST_ASKS.search(rest) else None

    def years_written(self, message: str) -> str:
        """A message writing a year by its last two digits ("21年计划那个", "那19年呢") with
        the year in full: a year is read only as 2021年 (YEAR), so "21年计划那个" had chosen
        nothing by its half and "21年有啥计划" found the plan's first text, not the plan for
        the thing in play (``short_year``). A year no report covers ("22年") is then
        declined as such."""
        if not self.rule("short_year"):
            return message
        names = [n for ns in self.wording.street_names.values() for n in ns]

        def year(m: re.Match[str]) -> str:
            before = message[: m.start()]
            if not BEFORE_SHORT_YEAR.search(before) and not before.endswith(tuple(names)):
                return m.group(0)  # a span of years
            return "20" + m.group(1).translate(FULL_WIDTH_DIGITS) + "年"

        return SHORT_YEAR.sub(year, message)

    def without_street_names(self, folded: str) -> str:
        """A folded message with the streets' names taken out, mistyped ones too."""
        return self.wording.strip_streets(self._without_sounds_of_names(folded))

    def _without_sounds_of_names(self, text: str, first_only: bool = False) -> str:
        for sound, _ in self._sounds:
            # A sound key holds one code per character: where it is found, so is the name.
            while (at := next((at for at, _, _ in self._heard(text, sound)), -1)) >= 0:
                text = text[:at] + text[at + len(sound) :]
                if first_only:
                    break
        return text

    def neighbours(self, answered: Iterable[str]) -> frozenset[str]:
        """The answered entries and passages, with every one of the same section of the
        same report and the passages beside each answered passage."""
        answered = [a for a in answered if a in self._place]
        places = {self._place[a] for a in answered}
        near = {doc for doc, place in self._place.items() if place in places}
        return frozenset(near) | self.beside(answered)

    def beside(self, answered: Iterable[str]) -> frozenset[str]:
        """The answered entries and passages, the passages beside each answered passage
        and the entries curators related to each answered entry."""
        near = set(answered)
        for doc in answered:
            at = self._passage_at.get(doc)
            if at is not None:
                near.update(p.id for p in self.kb.passages[max(at - 2, 0) : at + 3])
            entry = self.kb.entries.get(doc)
            near.update(entry.related if entry else ())
        return frozenset(near)

    def same_topic(self, answered: Iterable[str], street: str) -> tuple[str, ...]:
        """The entries of ``street`` that curators put on the topic of an answered entry."""
        topics = {e.topic for a in answered if (e := self.kb.entries.get(a)) and e.topic}
        return tuple(
            sorted(
                e.id for e in self.kb.entries.values() if e.topic in topics and e.street == street
            )
        )

    def without_streets(self, question: str) -> str:
        """A question with the streets' names taken out (the topic another street is
        asked about). A name heard by its sound is taken out where it is first heard
        only: after it, the same sound is a word of the question ("平山是不是评上过…" is
        about 是不是评上过…; ``last_words_no_name``)."""
        question = self._without_sounds_of_names(question, self.rule("last_words_no_name"))
        for name, _ in self._names:
            question = re.sub(re.escape(name), "", question, flags=re.IGNORECASE)
        question = re.sub(r"\s{2,}", " ", question)
        return EDGE_PUNCTUATION.sub("", question) or question

    def street_of_doc(self, doc: str) -> str | None:
        """The street whose report an entry or passage comes from."""
        place = self._place.get(doc)
        return self._report_street.get(place[0]) if place else None

    def _question_of(self, doc: str) -> str:
        entry = self.kb.entries.get(doc)
        if entry is not None:
            return entry.question
        passage = next((p for p in self.kb.passages if p.id == doc), None)
        return passage.text if passage else doc

    @staticmethod
    def _ordinal(folded: str, offered: tuple[str, ...]) -> str | None:
        said = CHOICE_TAIL.sub("", folded)
        number = ORDINAL.fullmatch(said)
        if number:
            n = int(number.group(1))
            return offered[n - 1] if 1 <= n <= len(offered) else None
        if LAST.fullmatch(said):
            return offered[-1]
        if FIRST.fullmatch(said):
            return offered[0]
        return None

    def _by_half(self, folded: str, offered: tuple[str, ...]) -> str | None:
        """The one option from the half of its report a few words name, by a year of that
        report or by when ("2021年计划里那个", "今年要办的那个"): plans from the part
        that plans, work done from the part that reviews (``choice_by_half``). Words of
        anything else make it no choice but a question."""
        if not self.rule("choice_by_half"):
            return None
        years = self.questions.halves_asked(folded)
        plan, review = PLAN_ASKED.search(folded), REVIEW_ASKED.search(folded)
        rest = CHOICE_WORDS.sub("", REVIEW_ASKED.sub("", PLAN_ASKED.sub("", YEAR.sub("", folded))))
        if CHOICE_TAIL.sub("", rest) or (not years and bool(plan) == bool(review)):
            return None
        named = "plan" if plan and not review else "review" if review and not plan else None
        fits = [
            doc
            for doc in offered
            if (half := self._half.get(doc)) is not None
            and (named is None or half == named)
            and years.get(self._place[doc][0], half) == half
        ]
        return fits[0] if len(fits) == 1 else None

    def _by_words(self, message: str, offered: tuple[str, ...]) -> str | None:
        """The one option whose text holds every pair of characters the message asks."""
        said = content(message)
        pairs = {said[i : i + 2] for i in range(len(said) - 1)}
        if not pairs:
            return None
        holding = [o for o in offered if all(p in content(self._question_of(o)) for p in pairs)]
        return holding[0] if len(holding) == 1 else None

    # --- the state after a turn -------------------------------------------------------

    def after(
        self, before: Conversation, reply: Reply, follow: FollowUp | None, now: float
    ) -> Conversation:
        """The conversation once ``reply`` is given; an intent or an empty message leaves
        what is in play as it was."""
        keeps = reply.outcome == "intent" or reply.reason is Reason.EMPTY
        # An empty message says nothing of the language; any other turn does.
        language = before.language if reply.reason is Reason.EMPTY else reply.language
        if keeps or (follow and follow.rule == "detail" and reply.outcome != "answer"):
            # The topic stays in play: "那电话呢" missed, "地址呢" is still about it.
            return replace(before, time=now if before.started else before.time, language=language)
        answered = tuple(b.id for b in reply.blocks)
        streets = {self.street_of_doc(doc) for doc in answered}
        if follow and follow.rule in ("detail", "source_of_answer"):
            # The last question stays the topic, so details do not pile up on each other.
            question = before.question
        elif (
            follow and follow.rule == "street_in_play" and streets and follow.street not in streets
        ):
            # A new topic taken alone and answered from another street (义警有多少人 while
            # 坪山 is in play): kept as "坪山街道义警有多少人", the next "另一个街道呢" would
            # ask 观湖 again, the street whose answer the resident just read.
            question = mask(reply.question)
        else:
            question = mask(follow.question if follow else reply.question)
        named = self.street_named(fold(question))
        years = YEAR.findall(fold(question))
        kept_question, kept = (
            self.answer_behind(before, reply, named) if reply.outcome == "miss" else ("", ())
        )
        return Conversation(
            question=question,
            outcome=reply.outcome,
            answered=answered,
            street=named or (streets.pop() if len(streets) == 1 else None),
            year=int(years[0]) if years else None,
            offered=tuple(s.id for s in reply.suggestions) if reply.outcome == "clarify" else (),
            time=now,
            language=language,
            kept_question=kept_question,
            kept_answered=kept,
        )

    def answer_behind(
        self, before: Conversation, miss: Reply, named: str | None
    ) -> tuple[str, tuple[str, ...]]:
        """The last answer and its question, kept behind a miss on its topic: the text the
        miss found nearest, first among its candidates, quotes the answer's text ("托育中心
        什么时候开始服务" after an answer on the 托育 centre), and the miss names no other
        street. A miss on anything else keeps nothing: a new topic is never dragged onto
        the old answer, even one sharing a word with it (养老服务 after 托育服务)."""
        last = before.with_answer_kept()
        if not self.rule("answer_kept") or last.outcome != "answer" or not miss.candidates:
            return "", ()
        if named is not None and any(self.street_of_doc(d) != named for d in last.answered):
            return "", ()
        nearest = fold(self.answer_text(miss.candidates[0].id))
        texts = [fold(self.answer_text(doc)) for doc in last.answered]
        if not any(nearest in text or text in nearest for text in texts):
            return "", ()
        return last.question, last.answered


def dialogue(
    engine: Engine, lines: Iterable[str], clock: Callable[[], float] = time.time
) -> Iterator[tuple[Reply, float] | None]:
    """Each line a turn of one conversation, a blank line starting the next: a reply and
    the seconds it took for each turn, None for each blank line. `policybot ask
    --conversation` and `policybot eval --dialogs` both go through here."""
    conversation: Conversation | None = None
    for line in lines:
        line = line.rstrip("\r\n")
        if not line.strip():
            conversation = None
            yield None
            continue
        start = time.perf_counter()
        reply, conversation = engine.reply(line, conversation, clock())
        yield reply, time.perf_counter() - start
