"""The answer engine: a question in, a reply model out. Knows nothing of Telegram."""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path

from bot.engine import messages, messages_en
from bot.engine.conversation import FOLLOW_UP_RULES, Conversation, FollowUp, FollowUps
from bot.engine.languages import EN, ZH, EnglishTexts, miss_text, reply_language
from bot.engine.matching import MAX_QUERY_CHARS, RULES, Matcher
from bot.engine.policy import CLARIFY_P, QUANTITY, Match, Outcome, Reason, states_a_figure
from bot.engine.question import NAME_DETAIL, reported_word
from bot.engine.replies import Block, Reply, Source, Suggestion, section_label
from bot.engine.scoring import load_calibration
from bot.engine.semantic import (
    DEFAULT_MODEL,
    MODEL_ENV,
    VectorCache,
    default_cache_dir,
    embedder_named,
    one_blas_thread,
)
from bot.engine.textnorm import as_written, clean, content, fold, strip_markup, unquoted
from bot.knowledge.loading import Entry, KnowledgeBase, load_knowledge
from bot.knowledge.reports import Report, current_reports
from bot.privacy import without_personal_data

MAX_RELATED = 3
# Misses whose message names nothing to be near to in meaning: they offer the examples.
NAMES_NOTHING = frozenset(
    {Reason.EMPTY, Reason.ONLY_NUMBERS, Reason.ONLY_STREET, Reason.NO_SUBJECT}
)
MAX_TERMS = 5
# Misses that say what the reports leave out: a follow-up's neighbourhood saying so is the
# answer, as it is to a question of its own.
# Another street's texts weighed by nearness to the last answer: the first few it ranks,
# and how much nearer its first must be than the rest to be chosen (a cosine).
NEAREST_AMONG = 5
NEAREST_MARGIN = 0.04
UNSTATED = (Reason.UNSTATED_DETAIL, Reason.UNSTATED_FIGURE)


def configured_model() -> str:
    """The sentence-embedding model named by ``$POLICYBOT_MODEL`` (default: use)."""
    return os.environ.get(MODEL_ENV) or DEFAULT_MODEL


class Engine:
    """Answers questions from a validated knowledge base."""

    def __init__(
        self,
        kb: KnowledgeBase,
        root: Path | None = None,
        model: str | None = None,
        cache_dir: Path | None = None,
        disabled: Iterable[str] = (),
    ):
        self.kb = kb
        self.model = model or configured_model()
        cache_dir = cache_dir or default_cache_dir()
        one_blas_thread()
        vectors = None
        if self.model != "none":
            embedder = embedder_named(self.model)
            embedder.start()
            vectors = VectorCache(embedder, cache_dir)
        calibration = load_calibration(root, self.model) if root else None
        self.vectors = vectors
        # The matcher's rules and the follow-up rules can each be switched off by name.
        off = frozenset(disabled)
        unknown = off - set(RULES) - set(FOLLOW_UP_RULES)
        if unknown:
            raise ValueError(f"unknown rules: {', '.join(sorted(unknown))}")
        self.matcher = Matcher(kb, vectors, calibration, off & set(RULES), cache_dir)
        self._passages = {p.id: p for p in kb.passages}
        self._term_names = self._glossary_names()
        self.followups = FollowUps(
            kb,
            self.matcher.questions,
            self.matcher.assessor.answer_text,
            off & set(FOLLOW_UP_RULES),
        )
        self._current = current_reports(kb.reports.values())
        self.english = EnglishTexts(kb)
        # Each detail word as it is reported found, with its kind (the first kind to list
        # it): a miss looked its kind up word by word, folding the whole scope file again.
        self._detail_labels: dict[str, str] = {}
        for label, words in kb.unstated_details.items():
            for word in words:
                self._detail_labels.setdefault(reported_word(word), label)

    @classmethod
    def load(
        cls,
        root: Path,
        generated_only: bool = False,
        model: str | None = None,
        disabled: Iterable[str] = (),
        curated: Path | None = None,
    ) -> Engine:
        """Load, validate and index the knowledge under ``root`` (raises KnowledgeError),
        with the curators' answers in ``curated`` if that file exists; with
        ``generated_only``, only what `policybot build` makes of the reports."""
        if (model or configured_model()) != "none":
            # Read the model's weights while the knowledge files are parsed.
            embedder_named(model or configured_model()).start()
        extra = [curated] if curated is not None and not generated_only else []
        kb = load_knowledge(root, extra, generated_only=generated_only)
        return cls(kb, root, model, disabled=disabled)

    # --- building replies --------------------------------------------------------

    def _source(self, report_id: str, section: str) -> Source:
        report = self.kb.reports[report_id]
        heading = self.kb.sections.get((report_id, section), "")
        if section == "appendix":
            heading = ""
        older = self._older(report_id)
        return Source(
            street_name=report.street_name,
            report_title=report.title,
            section=section_label(section),
            heading=heading,
            dated=report.dated,
            in_force=report.in_force,
            older=("、".join(str(y) for y in older[0]), older[1].title) if older else None,
            street_name_en=report.street_name_en or report.street_name,
            report_title_en=report.title_en or report.title,
            section_en=messages_en.section_name(section),
            dated_en=messages_en.dated(report.date, report.years),
            older_en=(
                messages_en.streets_phrase([str(y) for y in older[0]]),
                older[1].title_en or older[1].title,
            )
            if older
            else None,
        )

    def _older(self, report_id: str) -> tuple[tuple[int, ...], Report] | None:
        """An older report of its street: its years and the street's current report."""
        report = self.kb.reports[report_id]
        current = self.kb.reports[self._current[report.street]]
        if current.id == report_id:
            return None
        return report.years, current

    def _block(self, entry: Entry) -> Block:
        source = self._source(entry.report, entry.section)
        return Block(
            entry.id, entry.question, entry.answer, source, entry.question_en, entry.answer_en
        )

    def _suggest(self, doc_id: str, language: str = ZH) -> Suggestion:
        passage = self._passages.get(doc_id)
        if passage is not None:
            # A sentence of a report has no question; its beginning says what it is about.
            text = passage.text if len(passage.text) <= 30 else passage.text[:29] + "…"
            return Suggestion(doc_id, text)
        entry = self.kb.entries[doc_id]
        return Suggestion(doc_id, (entry.question_en if language == EN else None) or entry.question)

    def _in_english(self, reply: Reply, text: str | None = None) -> Reply:
        """``reply`` marked English, with English ``text`` and English questions on its
        buttons where entries have them; its quotes carry their renderings already."""

        def english(suggestions: tuple[Suggestion, ...]) -> tuple[Suggestion, ...]:
            return tuple(self._suggest(s.id, EN) for s in suggestions)

        return replace(
            reply,
            language=EN,
            text=reply.text if text is None else text,
            suggestions=english(reply.suggestions),
            terms=english(reply.terms),
            candidates=english(reply.candidates),
        )

    def _glossary_names(self) -> list[tuple[str, str]]:
        names = []
        for entry in self.kb.glossary:
            for name in (*entry.keywords, entry.term or ""):
                plain = unquoted(name)
                if len(plain) >= 3:
                    names.append((plain, entry.id))
        return sorted(names, key=lambda pair: -len(pair[0]))

    def terms_in(self, text: str, exclude: set[str]) -> tuple[Suggestion, ...]:
        """Glossary terms named inside an answer, so they can be opened with a tap."""
        plain = unquoted(text)
        found: list[str] = []
        for name, entry_id in self._term_names:
            if name in plain and entry_id not in exclude and entry_id not in found:
                found.append(entry_id)
        return tuple(self._suggest(i) for i in found[:MAX_TERMS])

    def related_to(
        self, entries: list[Entry], alternatives: tuple[str, ...] = ()
    ) -> tuple[Suggestion, ...]:
        shown = {e.id for e in entries}
        related: list[str] = [a for a in alternatives if a not in shown]
        for entry in entries:
            for other in entry.related:
                if other not in shown and other not in related:
                    related.append(other)
        for entry in entries:
            if entry.topic:
                for same_topic in self.kb.entries.values():
                    if (
                        same_topic.topic == entry.topic
                        and same_topic.id not in shown
                        and same_topic.id not in related
                    ):
                        related.append(same_topic.id)
        return tuple(self._suggest(i) for i in related[:MAX_RELATED])

    def entry_reply(self, entry_id: str, question: str = "", language: str = ZH) -> Reply | None:
        """The answer for one entry or passage, as when a suggested question is tapped, in
        ``language`` (zh or en)."""
        if entry_id not in self._passages and entry_id not in self.kb.entries:
            return None
        asked = question or self._suggest(entry_id, language).question
        chosen = [entry_id]
        # A headline tapped (一是…, or the heading of an outline's part) states nothing of
        # its own: the sentence after it comes with it, as when it is answered.
        if self.matcher.rule("headline_body"):
            body = self.matcher.assessor.body_of_headline(
                entry_id
            ) or self.matcher.outlines.body_of(entry_id)
            chosen += [body] if body else []
        reply = self._answer_reply(asked, chosen, 1.0, Reason.CHOSEN, "")
        return self._in_english(reply) if language == EN else reply

    def _passage_block(self, passage_id: str) -> Block:
        passage = self._passages[passage_id]
        return Block(
            passage.id,
            messages.PASSAGE_TITLE,
            passage.text,
            self._source(passage.report, passage.section),
        )

    def _answer_reply(
        self,
        question: str,
        chosen: list[str],
        score: float,
        reason: Reason,
        normalized: str,
        alternatives: tuple[str, ...] = (),
    ) -> Reply:
        blocks = tuple(
            self._passage_block(i) if i in self._passages else self._block(self.kb.entries[i])
            for i in chosen
        )
        entries = [self.kb.entries[i] for i in chosen if i in self.kb.entries]
        shown = set(chosen)
        terms = self.terms_in(" ".join(b.body for b in blocks), shown)
        return Reply(
            question=question,
            outcome="answer",
            blocks=blocks,
            suggestions=self.related_to(entries, tuple(a for a in alternatives if a not in shown)),
            terms=terms,
            entry_id=chosen[0],
            score=score,
            reason=reason,
            normalized=normalized,
        )

    def examples(self, language: str = ZH) -> tuple[Suggestion, ...]:
        return tuple(self._suggest(i, language) for i in self.kb.examples)

    # --- the one entry point -------------------------------------------------------

    def ask(self, question: str, language: str | None = None) -> Reply:
        """Answer one question on its own: answer, clarify, miss or intent. In English
        when the question is, or ``language`` is "en" (bot.engine.languages)."""
        question = clean(question)
        text = self._matched_text(question)
        match = (
            Match(Outcome.MISS, Reason.NO_SUBJECT, 0.0)
            if self.followups.name_of_nothing(text, Conversation())
            else self.matcher.match(text)
        )
        # Read without markup: "<b>" is no English.
        return self._reply_to(question, match, reply_language(text, language))

    def reply(
        self,
        question: str,
        conversation: Conversation | None = None,
        now: float | None = None,
        language: str | None = None,
    ) -> tuple[Reply, Conversation]:
        """Answer one turn of a conversation, and the conversation after it: a follow-up
        (bot/engine/conversation.py) is answered as what it is understood to ask, and
        says so. A conversation quiet too long, or none, starts afresh. ``language``:
        the user's choice, as for ``ask``."""
        now = time.time() if now is None else now
        before = self.followups.held(conversation or Conversation())
        if before.expired(now):
            before = Conversation()
        # a year by its last two digits (21年) is read, and checked, as the year it is
        question = self.followups.years_written(clean(question))
        # a street named by its sound only (平山) is matched as the street spelled right
        text = self.followups.spelled(self._matched_text(question))
        count = self.followups.options_past(text, before)
        if count is not None:
            # The clarify stands: its options again, and how to choose one.
            said = reply_language(text, language)
            return self._no_such_option(question, before, count, said), replace(before, time=now)
        alone = self.matcher.match(text)
        if self.followups.name_of_nothing(text, before):
            # "那个村叫什么" with nothing in play: which one, the conversation does not say
            said = reply_language(text, language)
            reply = self._reply_to(question, Match(Outcome.MISS, Reason.NO_SUBJECT, 0.0), said)
            return reply, self.followups.after(before, reply, None, now)
        after_thanks = self.followups.after_thanks(text, before, alone)
        if after_thanks is not None:
            # thanks for the last reply, then the next question: that question is asked
            asked = self.matcher.match(after_thanks)
            # it asks when it names a programme or a street ("thanks a lot" names neither)
            if asked.outcome in (Outcome.ANSWER, Outcome.CLARIFY) or self.followups.street_named(
                fold(after_thanks)
            ):
                question = text = after_thanks
                alone = asked
        follow = self.followups.resolve(text, before, alone)
        if (
            follow is not None
            and follow.rule != "choice"
            and alone.reason is Reason.OUTLINE
            and self.followups.names_street_or_year(text)
        ):
            # 坪山2021年计划做什么 after an answer on 托育 asks the whole plan, not a detail
            # of 托育 (found in a terminal chat: it was "the report gives no such detail")
            follow = None
        if follow is not None and follow.rule in ("detail", "source_of_answer"):
            # asked of the answer a miss kept behind it, if one did
            before = self.followups.answer_in_play(before)
        said = reply_language(text, language)
        reply = (
            self._reply_to(question, alone, said)
            if follow is None
            else self._follow(question, follow, before, alone, said)
        )
        return reply, self.followups.after(before, reply, follow, now)

    def _no_such_option(
        self, question: str, before: Conversation, count: int, language: str
    ) -> Reply:
        texts = messages_en if language == EN else messages
        return Reply(
            question=question,
            outcome="clarify",
            text=texts.no_such_option(count),
            suggestions=tuple(self._suggest(i, language) for i in before.offered),
            reason=Reason.NO_SUCH_OPTION,
            language=language,
            normalized=content(question),
        )

    def choose(
        self,
        entry_id: str,
        conversation: Conversation | None = None,
        now: float | None = None,
        language: str = ZH,
    ) -> tuple[Reply | None, Conversation]:
        """A tapped option or suggestion: its answer (None if the engine no longer has it),
        and the conversation now about it, so that a follow-up asks after it."""
        before = conversation or Conversation()
        reply = self.entry_reply(entry_id, language=language)
        if reply is None:
            return None, before
        now = time.time() if now is None else now
        return reply, self.followups.after(before, reply, None, now)

    @staticmethod
    def _matched_text(question: str) -> str:
        # Markup and personal numbers are not what is asked; the reply still echoes the
        # question as typed (masked where it is stored, by the store).
        return clean(without_personal_data(strip_markup(question)))

    def _follow(
        self, question: str, follow: FollowUp, before: Conversation, alone: Match, language: str
    ) -> Reply:
        """The reply to a follow-up, naming what it was understood to ask."""
        if follow.rule != "choice" and self.followups.asks_a_person(question):
            # Who holds a post is a name, which no report gives: whatever the topic in play
            # finds is about something else (``person_asked``).
            unstated = Match(
                Outcome.MISS,
                Reason.UNSTATED_DETAIL,
                0.0,
                detail=self.matcher.questions.word_of_detail(NAME_DETAIL),
            )
            reply = self._reply_to(question, unstated, language)
        elif follow.unstated_figure:
            # a target neither the last answer nor its report's plan states
            # (``target_unstated``): the figure the report leaves out
            unstated = Match(Outcome.MISS, Reason.UNSTATED_FIGURE, 0.0)
            reply = self._reply_to(question, unstated, language)
        elif follow.option is not None:
            chosen = self.entry_reply(follow.option, question, language)
            assert chosen is not None  # an option offered is an entry or passage
            reply = chosen
        elif follow.rule == "street_in_play":
            assert follow.street is not None
            reply = self._reply_to(question, self.matcher.match(follow.question), language)
            answered = reply.outcome == "answer" and not self._borrowed(reply, follow.street)
            if answered or not follow.alone_otherwise:
                # Where the street in play does not answer it, a miss that says so, never
                # another street's answer.
                reply = self._from_street(question, reply, follow.street, language)
            else:
                # A new topic: the question as it stands alone, headed by the street its
                # answer comes from when that is another one than the street in play.
                reply = self._reply_to(question, alone, language)
                other = self._answered_from(follow, reply)
                if other is None:
                    return reply
                follow = other
        elif follow.answered:
            again = Match(Outcome.ANSWER, Reason.STATED_BEFORE, 1.0, chosen=follow.answered)
            reply = self._reply_to(question, again, language)
        elif follow.street is not None:
            reply = self._on_street(question, follow, before, language)
        else:
            detail = self._detail(question, follow, before, language)
            if detail is None:
                reply = self._reply_to(question, alone, language)
                street = before.street
                if (
                    self.followups.rule("detail_keeps_street")
                    and street is not None
                    and reply.outcome == "answer"
                    and reply.blocks
                    and not self.followups.street_named(fold(question))
                    and all(self.followups.street_of_doc(b.id) != street for b in reply.blocks)
                ):
                    # A detail asked of one street's answer ("坪山的群防群治" … "一共几支队伍")
                    # that its texts leave out is not the other street's figure (整合9支…,
                    # 观湖's): the street in play does not say it.
                    return self._miss_on_street(question, reply, street, language)
                return reply
            reply = detail
        understood = self.english.understood(follow) if language == EN else follow.understood
        return replace(reply, understood=understood)

    def _detail(
        self, question: str, follow: FollowUp, before: Conversation, language: str
    ) -> Reply | None:
        """A detail of the last answer: among its neighbours, then among everything; the
        answer already given, when it does not speak of the detail, is a miss. None when
        neither answers nor says the detail is left out: the message is then taken alone."""
        match = self._detail_match(question, follow, before)
        if match is None:
            return None
        use = self.followups.figure_where_term_used(
            question, match, before
        ) or self.followups.which_where_term_used(question, match, before)
        if use is not None:
            match = Match(Outcome.ANSWER, Reason.TERM_USED, 1.0, chosen=(use,))
        return self._reply_to(question, match, language)

    def _detail_match(self, question: str, follow: FollowUp, before: Conversation) -> Match | None:
        """What a detail of the last answer is matched to, before a term's uses are looked at."""
        match = self.matcher.match(follow.question, follow.within)
        stated = self._stated_after_all(question, match, before)
        if stated is not None:
            return Match(Outcome.ANSWER, Reason.STATED_BEFORE, 1.0, chosen=(stated,))
        if match.outcome is not Outcome.ANSWER and match.reason not in UNSTATED:
            stated = self.followups.stated_in_last_answer(question, before)
            if stated is not None:
                return Match(Outcome.ANSWER, Reason.STATED_BEFORE, 1.0, chosen=(stated,))
            match = self.matcher.match(follow.question)
        if match.outcome is not Outcome.ANSWER and match.reason not in UNSTATED:
            if self._names_no_subject(question):
                # Only how it went, asked of the answer just given: taken alone it would ask
                # which programme, which the conversation has said. The reports say no more.
                return Match(Outcome.MISS, Reason.UNSTATED_DETAIL, 0.0)
            return None
        if match.outcome is Outcome.ANSWER and self.followups.repeats_without_detail(
            question, match.chosen, before
        ):
            match = replace(
                match, outcome=Outcome.MISS, reason=Reason.UNSTATED_DETAIL, chosen=(), detail=None
            )
        return match

    def _names_no_subject(self, message: str) -> bool:
        questions = self.matcher.questions
        return self.matcher.rule("no_subject") and questions.names_no_subject(
            message, questions.wording.spelling_of(message)
        )

    def _stated_after_all(self, question: str, match: Match, before: Conversation) -> str | None:
        """The answer just given, when the neighbourhood says the detail is left out but
        that answer states it: the detail word's own test (a day, a price), or, for a detail
        of no kind the reports never give, words of the kind that state it (全市首个 for
        "第几个"). The reason checked only the text ranked first."""
        if match.reason not in UNSTATED:
            return None
        if match.detail:
            answer_text = self.followups.answer_text
            return next(
                (
                    d
                    for d in before.answered
                    if self.matcher.questions.states_detail(answer_text(d), match.detail)
                ),
                None,
            )
        return self.followups.stated_in_other_words(question, before.answered)

    def _on_street(
        self, question: str, follow: FollowUp, before: Conversation, language: str
    ) -> Reply:
        """The last question asked again for the street: among the entries curators put on
        the same topic there first, then among all of that street's; where its report does
        not answer, a miss that says so, never another street's answer."""
        asked, street = follow.question, follow.street
        assert street is not None
        if (
            self.followups.unwritten_on_street(question, street, before) is not None
            or self.followups.lent_unwritten_on_street(asked, before, street) is not None
        ):
            # The thing the resident names is never written in that street's report:
            # whatever its ranking finds is about something else.
            reply = self._reply_to(question, self.matcher.match(asked), language)
            return self._miss_on_street(question, reply, street, language)
        same_topic = self.followups.same_topic(before.answered, street)
        if same_topic:
            match = self.matcher.match(asked, frozenset(same_topic))
            found = match if match.outcome is Outcome.ANSWER else self._counterpart(match)
            if found is not None:
                reply = self._reply_to(question, found, language)
                if self.followups.unrated(asked, found.chosen):
                    # the curators' counterpart on the topic states no such rate
                    return self._miss_on_street(question, reply, street, language)
                return reply
        match = self.matcher.match(asked)
        settled = self.followups.topic_settled_by(before)
        nearest = self._nearest_on_street(asked, match, settled, street)
        if nearest and not self.followups.says_topic_of(settled, asked, nearest, before):
            nearest = None
        chosen = nearest or self._counted_on_street(asked, match, street) or match
        reply = self._reply_to(question, chosen, language)
        if chosen.outcome is Outcome.ANSWER and (
            self.followups.uncounted(asked, chosen.chosen)
            or self.followups.unrated(asked, chosen.chosen)
        ):
            # 几座 answered by 2.16万平方米 counts something else; 成功率 by no rate at all.
            return self._miss_on_street(question, reply, street, language)
        return self._from_street(question, reply, street, language)

    def _nearest_on_street(
        self, asked: str, match: Match, answered: tuple[str, ...], street: str
    ) -> Match | None:
        """Where the street's own ranking is unsure, its first text when it is also the one
        nearest in meaning to the answer just given and the question, by NEAREST_MARGIN
        over the next of the street's texts: the conversation has settled the topic, and
        two signals agree. A how-many needs a figure in it. None otherwise (the miss)."""
        if not self.followups.rule("nearest_on_street") or match.reason is not Reason.UNSURE:
            return None
        if not answered:  # after a miss nothing settles the topic
            return None
        on_street = [c for c in match.candidates if c.street == street][:NEAREST_AMONG]
        last = " ".join(self.followups.answer_text(doc) for doc in answered)
        topic = self.followups.without_streets(asked)
        near = self.matcher.assessor.nearness(f"{last} {topic}", on_street)
        if near is None or len(near) < 2 or near[0] - max(near[1:]) < NEAREST_MARGIN:
            return None
        first = on_street[0]
        text = self.followups.answer_text(first.id)
        if QUANTITY.search(fold(topic)) and not states_a_figure(text, topic, True, True):
            return None
        # Nearness alone is no subject: a street without the topic has a nearest text too
        # (安全专项整治 for 巡察整改), which must name something the question does.
        if not self.matcher.questions.names_a_word_of(topic, text):
            return None
        return Match(Outcome.ANSWER, Reason.NEAREST_ON_STREET, first.probability, (first.id,))

    def _counted_on_street(self, asked: str, match: Match, street: str) -> Match | None:
        """Where the street's own ranking is unsure of a how-many, the one of its first
        texts that counts the very thing asked (115项民生微实事 beside 14项区民生实事 for
        "观湖街道民生微实事搞了多少个"): the figure asked is written there. None when no
        text, or several, do (``counted_thing_on_street``)."""
        followups = self.followups
        if not followups.rule("counted_thing_on_street") or match.reason is not Reason.UNSURE:
            return None
        if QUANTITY.search(fold(followups.without_streets(asked))) is None:
            return None
        on_street = [c for c in match.candidates if c.street == street][:NEAREST_AMONG]
        counting = [c for c in on_street if followups.counts_thing_asked(asked, c.id)]
        if len(counting) != 1:
            return None
        return Match(
            Outcome.ANSWER, Reason.NEAREST_ON_STREET, counting[0].probability, (counting[0].id,)
        )

    def _from_street(self, question: str, reply: Reply, street: str, language: str) -> Reply:
        """The reply to a question asked of ``street``: its answer when it quotes that
        street's report alone; a miss that says why (a detail or year no report gives);
        else a miss that says that street's report does not answer it."""
        if reply.outcome == "answer" and not self._borrowed(reply, street):
            return reply
        if reply.reason is Reason.OUTLINE and all(
            self.followups.street_of_doc(s.id) == street for s in reply.suggestions
        ):
            return reply  # that street's plan or review, in its parts
        if reply.reason in (*UNSTATED, Reason.UNCOVERED_YEAR):
            return reply
        return self._miss_on_street(question, reply, street, language)

    def _miss_on_street(self, question: str, reply: Reply, street: str, language: str) -> Reply:
        """A miss saying that ``street``'s report does not answer the question, offering
        what ``reply`` found, if it found no answer."""
        # Unsure among that street's texts is no answer from its report: a miss that says
        # so, offering what was found.
        miss = Reply(
            question=question,
            outcome="miss",
            text=messages.miss_on_street(self.kb.streets[street].name),
            suggestions=reply.suggestions if reply.outcome != "answer" else self.examples(),
            score=reply.score,
            reason=Reason.NOT_ON_STREET,
            normalized=reply.normalized,
        )
        if language == EN:
            return self._in_english(miss, messages_en.miss_on_street(self.english.street(street)))
        return miss

    @staticmethod
    def _counterpart(match: Match) -> Match | None:
        """Among the entries curators put on the topic of the answer just given, the one
        the question fits likely enough to offer (p >= CLARIFY_P): the conversation has
        settled the topic, the curators its counterpart on that street."""
        if match.outcome is not Outcome.CLARIFY or not match.candidates:
            return None
        best = match.candidates[0]
        if best.probability < CLARIFY_P or best.passage:
            return None
        return Match(
            Outcome.ANSWER, Reason.SAME_TOPIC, best.probability, (best.id,), match.candidates
        )

    def _answered_from(self, follow: FollowUp, reply: Reply) -> FollowUp | None:
        """The follow-up as answered from the one street all of an answer comes from, when
        that is not the street in play; None otherwise."""
        streets = {self.followups.street_of_doc(b.id) for b in reply.blocks}
        other = streets.pop() if reply.outcome == "answer" and len(streets) == 1 else None
        if other is None or other == follow.street or other not in self.kb.streets:
            return None
        _, separator, asked = follow.understood.partition(messages.UNDERSTOOD_SEPARATOR)
        understood = self.kb.streets[other].name + separator + asked
        return replace(follow, street=other, understood=understood)

    def _borrowed(self, reply: Reply, street: str) -> bool:
        """Whether a reply quotes another street's report than ``street``'s."""
        return any(self.followups.street_of_doc(b.id) != street for b in reply.blocks)

    def _reply_to(self, question: str, match: Match, language: str = ZH) -> Reply:
        """The reply to ``question`` (cleaned) for what the matcher decided, in
        ``language``: the Chinese reply, its own words and buttons then put in English."""
        reply = self._chinese_reply(question, match)
        if language != EN:
            return reply
        if reply.outcome == "intent":
            intent = self.kb.intents[match.intent or ""]
            return self._in_english(reply, self.english.intent_text(intent, reply.text))
        if reply.reason is Reason.OUTLINE:
            # (the parts keep their Chinese headings: no report gives them in English)
            return replace(reply, language=EN, text=self._outline_text(match.chosen, EN))
        if reply.outcome == "clarify":
            several = len(reply.suggestions) > 1
            text = messages_en.CLARIFY_SEVERAL if several else messages_en.CLARIFY_ONE
            return self._in_english(reply, text)
        if reply.outcome == "miss":
            label = self._detail_label(match.detail or "")
            # The place or topic named as the resident wrote it: the scope file's words are
            # folded ("bankaccount" for "bank account").
            named = replace(match, detail=as_written(question, match.detail or ""))
            return self._in_english(reply, self.english.miss_text(named, label))
        return self._in_english(reply)

    def _chinese_reply(self, question: str, match: Match) -> Reply:
        """The reply to ``question`` (cleaned) for what the matcher decided, in Chinese."""
        normalized = content(question) if question else ""
        candidates = tuple(self._suggest(c.id) for c in match.candidates)
        score = round(match.score, 4)
        reply_to = functools.partial(
            Reply,
            question=question,
            score=score,
            reason=match.reason,
            normalized=normalized,
            detail=match.detail,
        )
        if match.outcome is Outcome.INTENT:
            intent = self.kb.intents[match.intent or ""]
            return reply_to(
                outcome="intent",
                text=self.intent_text(intent.reply),
                suggestions=self.examples() if match.intent in ("greeting", "capabilities") else (),
                intent=match.intent,
            )
        if match.reason is Reason.OUTLINE:
            return reply_to(
                outcome="clarify",
                text=self._outline_text(match.chosen),
                suggestions=self._outline_parts(match.chosen),
            )
        if match.outcome is Outcome.ANSWER:
            # A term looked up by name has its own related entries; the runners-up of its
            # ranking share only characters with it (六零 / 60).
            alternatives = (
                ()
                if match.reason is Reason.TERM_NAME
                else tuple(
                    c.id
                    for c in match.candidates[1:3]
                    if c.probability >= CLARIFY_P and not c.passage
                )
            )
            reply = self._answer_reply(
                question,
                list(match.chosen),
                score,
                match.reason,
                normalized,
                alternatives,
            )
            return replace(reply, candidates=candidates, detail=match.detail)
        if match.outcome is Outcome.CLARIFY:
            offered = candidates[:MAX_RELATED]
            return reply_to(
                outcome="clarify",
                text=messages.CLARIFY_SEVERAL if len(offered) > 1 else messages.CLARIFY_ONE,
                suggestions=offered,
                candidates=candidates,
            )
        return reply_to(
            outcome="miss",
            text=self._miss_text(match),
            # A detail the reports leave out belongs to a programme they do describe: point
            # to it. Otherwise the questions nearest in meaning, if any, else examples.
            suggestions=candidates[:MAX_RELATED] or self._nearest_or_examples(question, match),
            candidates=candidates,
        )

    def _outline_text(self, parts: tuple[str, ...], language: str = ZH) -> str:
        """Where the plan or review whose ``parts`` are offered is told."""
        outlines = self.matcher.outlines.outlines_offering(parts)
        sources = [self._source(o.report, o.section) for o in outlines]
        if language == EN:
            return messages_en.outline([s.cite_en() for s in sources])
        return messages.outline([s.cite() for s in sources])

    def _outline_parts(self, parts: tuple[str, ...]) -> tuple[Suggestion, ...]:
        """The parts offered, each by its heading; named by street when streets differ."""
        streets = {self._passages[p].report for p in parts}
        named = len({self.kb.reports[r].street for r in streets}) > 1
        suggestions = []
        for part in parts:
            label = self.matcher.outlines.label(part) or self._suggest(part).question
            if named:
                label = f"{self.kb.reports[self._passages[part].report].street_name}:{label}"
            suggestions.append(Suggestion(part, label))
        return tuple(suggestions)

    def _nearest_or_examples(self, question: str, match: Match) -> tuple[Suggestion, ...]:
        """What a miss decided before anything was ranked offers: the texts nearest in
        meaning when the message names something (another place or year, a topic the
        reports never cover: 南山的托育 is nearest to 坪山's), else the examples."""
        if match.reason in NAMES_NOTHING:
            return self.examples()
        nearest = self.matcher.assessor.nearest_by_meaning(question[:MAX_QUERY_CHARS], MAX_RELATED)
        return tuple(self._suggest(i) for i in nearest) or self.examples()

    def _miss_text(self, match: Match) -> str:
        covered = "；".join(
            f"{r.street_name}{r.period}"
            for r in self.kb.reports.values()
            if not match.street or r.street == match.street
        )
        label = self._detail_label(match.detail or "")
        return miss_text(messages, match, self.streets(), label, covered)

    def intent_text(self, reply: str) -> str:
        """An intent's reply with the reports' streets, titles and channels filled in."""
        reports = self.kb.reports.values()
        # Per street: each of a street's reports may name some of its places.
        channels: dict[str, list[str]] = {}
        for report in reports:
            named = channels.setdefault(report.street_name, [])
            named += [c for c in report.channels if c not in named]
        return reply.strip().format(
            streets=self.streets(),
            reports=messages.titles_phrase([r.title for r in reports]),
            channels=messages.channels_phrase(channels),
        )

    def streets(self, language: str = ZH) -> str:
        """The streets the reports cover, as a reply names them (data/reports.yaml)."""
        if language == EN:
            return self.english.streets()
        return messages.streets_phrase([s.name for s in self.kb.streets.values()])

    def _detail_label(self, word: str) -> str:
        """The kind of detail (地址, 收费) a detail word asks for, as the scope file names it."""
        return self._detail_labels.get(word, messages.DETAIL_FALLBACK)

    def search(self, text: str, limit: int = 10, language: str = ZH) -> list[Suggestion]:
        """Entries matching a partial query, best first (inline mode)."""
        ranked = self.matcher.rank(text, limit=limit)
        return [self._suggest(s.id, language) for s in ranked if s.score >= 40.0]

    def glossary(self, language: str = ZH) -> list[Suggestion]:
        """Every defined term, in report order."""
        return [self._suggest(e.id, language) for e in self.kb.glossary]

    def about(self, language: str = ZH) -> str:
        """The sources the bot answers from, with their dates."""
        if language == EN:
            return self.english.about()
        return "\n".join(
            messages.source_line(r.street_name, r.district, r.title, r.period, r.date, r.in_force)
            for r in self.kb.reports.values()
        )


def timed_ask(engine: Engine, question: str) -> tuple[Reply, float]:
    """A reply and the seconds it took."""
    start = time.perf_counter()
    reply = engine.ask(question)
    return reply, time.perf_counter() - start
