"""Assessing the candidate answers to a question: those nearest in wording and in meaning,
kept to the street and code it names, described and given a calibrated probability."""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from collections.abc import Callable

import numpy as np

from bot.engine.index import CANDIDATES, LexicalIndex, Scored
from bot.engine.postings import ANSWER_WEIGHT, Doc
from bot.engine.question import QuestionReader
from bot.engine.scoring import Calibration, Candidate, describe, same_answer
from bot.engine.semantic import SemanticIndex, VectorCache
from bot.engine.textnorm import fold, sound_key
from bot.engine.wording import ENGLISH_SHARE, clauses, for_model, latin_share
from bot.knowledge.loading import KnowledgeBase
from bot.knowledge.reports import current_reports

SEMANTIC_CANDIDATES = 12
# A question naming no year is answered from a street's current report first: its text
# goes before an older report's that is at most this much more probably right.
NEWER_REPORT_MARGIN = 0.2  # documents nearest in meaning, added to those nearest in wording
PASSAGE_CANDIDATES = 8
# Two answers that belong together (facets of one subject) are given together when the
# second is this close to the first.
CLOSE_P = 0.35
# A word of the question that both texts say and at most this many texts say at all names
# the subject they share (垃圾分类, 民生微实事, 停车难); a word most texts say (服务, 社区)
# names none.
SHARED_WORD_MAX_TEXTS = 4
SHARED_WORD_MIN_CHARS = 2  # any rare word the second text lacks makes it another subject
# ... but two characters alone seldom name one (花园 of 街心花园 and of 花园小区党支部).
SUBJECT_WORD_MIN_CHARS = 3
# A headline: at most this long, stating no figure, opening its paragraph or numbered as
# a line of work (一是, 二是 …, how these reports list what they did).
HEADLINE_MAX_CHARS = 30
ENUMERATED = re.compile(r"^[一二三四五六七八九十]+是")
DIGIT = re.compile(r"[0-9０-９]")


class Assessor:
    """Finds and weighs the candidate answers to a question; side-effect free."""

    def __init__(
        self,
        kb: KnowledgeBase,
        index: LexicalIndex,
        questions: QuestionReader,
        calibration: Calibration,
        rule: Callable[[str], bool],
        vectors: VectorCache | None = None,
    ):
        self.kb = kb
        self.index = index
        self.wording = index.wording
        self.questions = questions
        self.calibration = calibration
        self.rule = rule
        self.passage_by_id = {p.id: p for p in kb.passages}
        self.passage_at = {p.id: at for at, p in enumerate(kb.passages)}
        self.current = current_reports(kb.reports.values())  # street -> its current report
        self._folded_answers = [fold(self.answer_text(d.id)) for d in self.index.docs]
        self._folded_answers += [fold(p.text) for p in kb.passages]
        # Which answers hold each character: a word is looked for only in those holding its
        # rarest one, not in every text (on a base twenty times the real one, a scan per
        # word of every question was the slowest step).
        holding: dict[str, list[int]] = defaultdict(list)
        for position, text in enumerate(self._folded_answers):
            for char in set(text):
                holding[char].append(position)
        self._answers_holding = dict(holding)
        self.semantic = self._semantic_index(vectors) if vectors else None
        self._intent_phrasings = [
            (i.id, p) for i in kb.intents.values() if not i.alone for p in i.phrasings
        ]
        self._intent_vectors = (
            vectors.vectors([for_model(p) for _, p in self._intent_phrasings]) if vectors else None
        )

    def semantic_texts(self) -> tuple[list[int], list[str]]:
        """Every text that stands for a document in meaning, with the document it belongs to
        (entries first, then passages): each way of asking, the answer and its clauses."""
        owners: list[int] = []
        texts: list[str] = []
        for index, doc in enumerate(self.index.docs):
            entry = self.kb.entries[doc.id]
            names = [entry.term] if entry.term else []
            # An English rendering stands for the entry too: an English question is nearer
            # in meaning to it than to the Chinese it renders.
            english = [t for t in (entry.question_en, entry.answer_en) if t]
            own = (
                entry.question,
                *entry.phrasings,
                *names,
                entry.answer,
                *clauses(entry.answer),
                *english,
            )
            for text in dict.fromkeys(for_model(t) for t in own):
                owners.append(index)
                texts.append(text)
        for index, passage in enumerate(self.kb.passages, start=len(self.index.docs)):
            for text in dict.fromkeys(for_model(t) for t in (passage.text, *clauses(passage.text))):
                owners.append(index)
                texts.append(text)
        return owners, texts

    def _semantic_index(self, vectors: VectorCache) -> SemanticIndex:
        owners, texts = self.semantic_texts()
        return SemanticIndex(
            vectors.embedder,
            owners,
            vectors.vectors(texts),
            len(self.index.docs) + len(self.index.passage_docs),
        )

    def texts_saying(self, word: str, beyond: int | None = None) -> int:
        """How many entries and passages say a word (folded), in their answer text; with
        ``beyond``, counting stops past that many (whether a word is rare is all asked)."""
        if not word:
            return len(self._folded_answers)
        rarest = min((self._answers_holding.get(char, []) for char in word), key=len)
        count = 0
        for position in rarest:
            if word in self._folded_answers[position]:
                count += 1
                if beyond is not None and count > beyond:
                    break
        return count

    def answer_text(self, doc_id: str) -> str:
        """What an entry or passage quotes, as written (a figure's unit may be 95%)."""
        passage = self.passage_by_id.get(doc_id)
        return passage.text if passage else self.kb.entries[doc_id].answer

    def report_of(self, candidate: Candidate) -> str:
        if candidate.passage:
            return self.passage_by_id[candidate.id].report
        return self.kb.entries[candidate.id].report

    def assess(self, text: str, folded: str, street: str | None) -> list[Candidate]:
        """Every plausible answer to a question, most probably right first."""
        latin = latin_share(text)
        expansion = (
            self.questions.expansion(
                text,
                folded,
                self.rule("either_order"),
                self.rule("number_words"),
                self.rule("words_apart"),
            )
            if self.rule("lexicon")
            else ""
        )
        spelling = self.wording.spelling_of(text)
        if latin >= ENGLISH_SHARE:
            # English words are compared through the lexicon only: spelled out letter by
            # letter, they would look like rare words no document has.
            spelling = self.wording.spelling_of("".join(c for c in text if not c.isascii()))
            spelling, expansion = spelling + expansion, ""
        key = sound_key(spelling + expansion)
        similarity = self._similarity(text)
        if not key and similarity is None:
            return []
        codes = self.questions.codes(text)
        halves = self.questions.halves_asked(folded)
        if not halves and self.rule("half_by_words"):
            halves = self.questions.halves_by_words(text)
        entries_by_meaning: list[int] = []
        passages_by_meaning: list[int] = []
        if similarity is not None:
            top = np.argsort(-similarity)[:SEMANTIC_CANDIDATES]
            entries_by_meaning = [int(i) for i in top if i < len(self.index.docs)]
            passages_by_meaning = [
                int(i) - len(self.index.docs) for i in top if i >= len(self.index.docs)
            ]
        candidates = [
            self._candidate(s, self.index.docs[s.index], False, similarity)
            for s in self.index.rank(
                spelling, street, CANDIDATES, codes, halves, entries_by_meaning, expansion
            )
        ]
        candidates += [
            self._candidate(s, self.index.passage_docs[s.index], True, similarity)
            for s in self.index.rank_passages(
                spelling, PASSAGE_CANDIDATES, codes, halves, passages_by_meaning, expansion
            )
        ]
        if street and self.rule("named_street"):
            # The other street's programme would read as if the named street had it.
            candidates = [c for c in candidates if c.street == street]
        if codes and self.rule("code"):
            # A code of letters and digits (PM10, 5G) names one thing exactly: a text that
            # does not contain it is about something else (PM2.5).
            candidates = [c for c in candidates if not c.missing_code]
        years = self.questions.years_named(folded)
        candidates = self._of_the_year(candidates, years)
        if latin >= ENGLISH_SHARE and self.rule("lexicon") and self.rule("lent_concepts"):
            self._by_concepts(candidates, text, folded)
        asked = folded if self.rule("one_subject") else ""
        self._calibrate(candidates, key, latin, asked)
        if not years:
            self._newest_first(candidates, asked)
        return candidates

    def _by_concepts(self, candidates: list[Candidate], text: str, folded: str) -> None:
        """An English question's coverage counted by the concepts the lexicon lent it, when
        that explains more: its everyday words are the only ones compared, and each lends
        several alternatives of which a text uses one."""
        apart = self.rule("words_apart")
        groups = self.questions.lent_groups(text, folded, self.rule("either_order"), apart)
        if not groups:
            return
        unlent = self.questions.lexicon.unlent_words(text, apart)
        by_kind = {
            passages: self.index.concept_coverage(groups, unlent, passages)
            for passages in (False, True)
        }
        for candidate in candidates:
            concepts = float(by_kind[candidate.passage][candidate.index])
            candidate.coverage = max(candidate.coverage, concepts)
            if candidate.passage:
                # A passage's lexical score is its coverage on the entries' scale.
                lexical = min(100.0, 100.0 * concepts / ANSWER_WEIGHT)
                candidate.lexical = max(candidate.lexical, lexical)

    def _of_the_year(self, candidates: list[Candidate], years: frozenset[int]) -> list[Candidate]:
        """A year named goes to the report of that year: of a street with a report that
        covers it, the texts of its other reports are left out."""
        if not years:
            return candidates
        covering = {r.id for r in self.kb.reports.values() if years & set(r.years)}
        streets = {self.kb.reports[r].street for r in covering}
        return [c for c in candidates if c.street not in streets or self.report_of(c) in covering]

    def _older(self, best: Candidate, other: Candidate) -> bool:
        """Whether ``other`` is the older report's text beside the current one's: another
        edition of the same programme, not a rival answer."""
        report = self.report_of(best)
        return (
            other.street == best.street
            and report == self.current[best.street]
            and self.report_of(other) != report
        )

    def _newest_first(self, candidates: list[Candidate], asked: str = "") -> None:
        """The best candidate from a street's older report gives way to a close one from the
        street's current report (most questions mean the report in force)."""
        best = candidates[0] if candidates else None
        if best is None or self.report_of(best) == self.current[best.street]:
            return
        newer = next(
            (
                c
                for c in candidates[1:]
                if c.street == best.street
                and self.report_of(c) == self.current[c.street]
                and best.probability - c.probability <= NEWER_REPORT_MARGIN
            ),
            None,
        )
        if newer is not None:
            candidates.remove(newer)
            candidates.insert(0, newer)
            self._lead(candidates, asked)

    def _calibrate(
        self, candidates: list[Candidate], key: str, latin: float, asked: str = ""
    ) -> None:
        """Each candidate's features and probability, most probably right first; the best
        one's confidence against its nearest rival with a different answer (with ``asked``,
        the question folded, one on the same subject is given beside it, no rival)."""
        pairs = self.index.weights(key)[1]
        for candidate in candidates:
            candidate.missing_peak = self._missing_peak(pairs, candidate)
        rows = describe(candidates, self._unknown_share(key), latin)
        probabilities = self.calibration.probability(rows)
        for candidate, row, probability in zip(candidates, rows, probabilities, strict=True):
            candidate.features = row
            candidate.probability = float(probability)
        candidates.sort(key=lambda c: (-c.probability, c.id))
        self._lead(candidates, asked)

    def _lead(self, candidates: list[Candidate], asked: str = "") -> None:
        """The first candidate's confidence, against its nearest rival with another answer;
        with ``asked`` (the question, folded), the close text of the same street on the
        same subject is no rival either: it is given beside the first (``one_subject``)."""
        if candidates:
            best = candidates[0]
            beside = self.one_subject(best, candidates, asked) if asked else None
            rival = next(
                (
                    c
                    for c in candidates[1:]
                    if not same_answer(best, c) and not self._older(best, c) and c is not beside
                ),
                None,
            )
            best.confidence = self.calibration.confidence(
                best.probability, rival.probability if rival else 0.0
            )

    def one_subject(
        self, best: Candidate, candidates: list[Candidate], asked: str
    ) -> Candidate | None:
        """The first close candidate of the best one's street that tells the same subject
        again: a sentence of the same report saying every rare word of the question the
        best one says (托育 of two sentences on one childcare centre), or a term's
        definition and the sentence that uses the term. Given beside the best one, not
        another answer to choose from; only the first such one (a third text on it is
        still a rival). Two hand-written entries name their subject in their topic
        instead, which is not read here: with those, a decline was answered."""
        for other in candidates[1:]:
            if best.probability - other.probability >= CLOSE_P:
                return None
            if other.street != best.street or same_answer(best, other):
                continue
            if best.passage and other.passage and self.share_a_rare_word(best, other, asked):
                return other
            if (best.term or other.term) and self.defines(best.id, other.id):
                return other
        return None

    def _one_paragraph(self, at: int, other_at: int) -> bool:
        """Whether two passages are of one paragraph (never when it is not known)."""
        a, b = self.kb.passages[at], self.kb.passages[other_at]
        return bool(a.paragraph) and (a.report, a.section, a.paragraph) == (
            b.report,
            b.section,
            b.paragraph,
        )

    def body_of_headline(self, doc_id: str) -> str | None:
        """The sentence after a headline (一是加装“红色引擎”…, or a short sentence that
        opens its paragraph): the headline names a line of work and states no fact of
        it, the sentences after it do. None for any other text."""
        at = self.passage_at.get(doc_id)
        if at is None or at + 1 >= len(self.kb.passages):
            return None
        passage = self.kb.passages[at]
        if len(passage.text) > HEADLINE_MAX_CHARS or DIGIT.search(passage.text):
            return None
        opens = at == 0 or not self._one_paragraph(at - 1, at)
        if not (opens or ENUMERATED.match(passage.text)) or not self._one_paragraph(at, at + 1):
            return None
        return self.kb.passages[at + 1].id

    def defines(self, first: str, second: str) -> bool:
        """Whether one of two texts is a term's definition whose name (or first keyword)
        the other one's answer uses (八大行动 and the plan that names 排水八大行动): two
        facets of one question."""
        for term, other in ((first, second), (second, first)):
            entry = self.kb.entries.get(term)
            if entry is None or entry.kind == "faq":
                continue
            answer = fold(self.answer_text(other))
            names = (entry.term or "", *entry.keywords[:1])
            if any(len(fold(n)) >= 3 and fold(n) in answer for n in names):
                return True
        return False

    def share_a_rare_word(self, first: Candidate, second: Candidate, asked: str) -> bool:
        """Whether the second text says every rare word of the question that the first one
        says (垃圾分类, 民生微实事; few texts say it), one of them at least three characters
        long: generated passages have no hand-written topic, and those words are what
        names their subject. One rare word the second lacks (非公 of 非公企业党支部) makes
        it another thing."""
        if not (first.answer and second.answer):
            return False
        said = self._rare_words_said(asked, first.answer)
        named = any(len(word) >= SUBJECT_WORD_MIN_CHARS for word in said)
        return named and all(word in second.answer for word in said)

    @functools.lru_cache(maxsize=64)  # noqa: B019 (the assessor lives as long as its engine)
    def _rare_words_said(self, asked: str, answer: str) -> tuple[str, ...]:
        """The rare words of a question (few texts say them) that an answer says; asked of
        the same best answer for each of its rivals."""
        return tuple(
            word
            for word in _common_words(asked, answer)
            if self.texts_saying(word, SHARED_WORD_MAX_TEXTS) <= SHARED_WORD_MAX_TEXTS
        )

    def _candidate(
        self, scored: Scored, doc: Doc, passage: bool, similarity: np.ndarray | None
    ) -> Candidate:
        offset = len(self.index.docs) if passage else 0
        entry = None if passage else self.kb.entries[doc.id]
        return Candidate(
            id=doc.id,
            index=scored.index,
            passage=passage,
            street=doc.street,
            lexical=scored.score,
            coverage=scored.coverage,
            semantic=float(similarity[offset + scored.index]) if similarity is not None else 0.0,
            keyword=scored.keyword,
            anchored=scored.anchored,
            written=scored.written,
            term=bool(entry and entry.kind != "faq"),
            other_half=scored.other_half,
            missing_code=scored.missing_code,
            answer=self._folded_answers[offset + scored.index],
        )

    def entry_candidate(self, entry_id: str) -> Candidate:
        index = next(i for i, d in enumerate(self.index.docs) if d.id == entry_id)
        doc = self.index.docs[index]
        return Candidate(
            id=entry_id,
            index=index,
            passage=False,
            street=doc.street,
            term=self.kb.entries[entry_id].kind != "faq",
            anchored=True,
            written=True,
            answer=self._folded_answers[index],
        )

    @functools.lru_cache(maxsize=4)  # noqa: B019 (the assessor lives as long as its engine)
    def _similarity(self, text: str) -> np.ndarray | None:
        """Each document's nearest cosine to the question (the gates ask it twice)."""
        if self.semantic is None:
            return None
        return self.semantic.similarity(self._query_vector(text))

    @functools.lru_cache(maxsize=4)  # noqa: B019
    def _query_vector(self, text: str) -> np.ndarray:
        assert self.semantic is not None
        return self.semantic.query_vector(for_model(text))

    def nearness(self, text: str, candidates: list[Candidate]) -> list[float] | None:
        """Each candidate's nearest cosine to ``text`` over all of its texts; None without
        a model."""
        similarity = self._similarity(text)
        if similarity is None:
            return None
        offset = len(self.index.docs)
        return [float(similarity[c.index + (offset if c.passage else 0)]) for c in candidates]

    def nearest_by_meaning(self, text: str, limit: int) -> list[str]:
        """The ids of the ``limit`` documents nearest in meaning to ``text``, nearest
        first, each answer once; empty without a model."""
        similarity = self._similarity(text)
        if similarity is None:
            return []
        docs = [*self.index.docs, *self.index.passage_docs]
        nearest: list[str] = []
        answers: set[str] = set()
        for i in np.argsort(-similarity):
            answer = self._folded_answers[int(i)]
            if answer in answers:
                continue
            answers.add(answer)
            nearest.append(docs[int(i)].id)
            if len(nearest) == limit:
                break
        return nearest

    def intent_by_meaning(self, text: str) -> tuple[str, float, float] | None:
        """The intent whose phrasing is nearest in meaning to a message: (intent, its
        cosine, its lead over the nearest document); None without a model."""
        if self.semantic is None or self._intent_vectors is None or not self._intent_phrasings:
            return None
        cosines = self._intent_vectors @ self._query_vector(text)
        nearest = int(np.argmax(cosines))
        documents = self._similarity(text)
        best_document = float(documents.max()) if documents is not None and len(documents) else -1.0
        cosine = float(cosines[nearest])
        return self._intent_phrasings[nearest][0], cosine, cosine - best_document

    def _missing_peak(self, pairs: dict[str, float], candidate: Candidate) -> float:
        """The weight of the most informative syllable pair of the question that the
        candidate lacks, on the scale of a pair no document has (公积金 in 公积金怎么提取
        against an entry on 怎么申请): one missing key word is enough to be about
        something else."""
        sounds = self.index.doc_sounds[
            candidate.index + (len(self.index.docs) if candidate.passage else 0)
        ]
        missing = [w for g, w in pairs.items() if g not in sounds]
        return max(missing, default=0.0) / self.index.unknown_idf

    def _unknown_share(self, key: str) -> float:
        """Share of a question's syllables that no document contains (公积金, 天气)."""
        unigrams, _ = self.index.weights(key)
        total = sum(unigrams.values())
        if not total:
            return 0.0
        return sum(w for g, w in unigrams.items() if g not in self.index.idf) / total


def _common_words(asked: str, text: str) -> list[str]:
    """Every run of at least SHARED_WORD_MIN_CHARS characters of ``asked`` that ``text``
    says, shortest first; a run is extended only while the text still says it (the rule
    runs for every question, on messages of up to 300 characters)."""
    found: dict[int, list[str]] = defaultdict(list)
    for start in range(len(asked)):
        for end in range(start + SHARED_WORD_MIN_CHARS, len(asked) + 1):
            word = asked[start:end]
            if word not in text:
                break
            found[len(word)].append(word)
    return [word for size in sorted(found) for word in found[size]]
