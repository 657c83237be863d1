"""Which answers go together: a term's definition and its use, the other street's answer on
the same subject, facets of one subject; and which candidates a clarify or a miss offers."""

from __future__ import annotations

from bot.engine.candidates import CLOSE_P, Assessor
from bot.engine.scoring import Candidate, same_answer
from bot.knowledge.loading import KnowledgeBase

# A second answer that belongs with the first (the other street's, or a facet) is added
# from this probability: it is shown beside a confident answer, not instead of it.
COMPANION_P = 0.1
KEYWORD_COMPANION_AT = 50.0  # lexical score of the other street's text on the same word


class Composer:
    """Chooses the answers given together and the candidates offered."""

    def __init__(self, kb: KnowledgeBase, assessor: Assessor):
        self.kb = kb
        self.assessor = assessor
        self.wording = assessor.wording
        self._answer_keys: dict[str, str] = {}

    def distinct(self, candidates: list[Candidate]) -> list[Candidate]:
        """Candidates with different answers, first of each kept."""
        kept: list[Candidate] = []
        for candidate in candidates:
            if not any(same_answer(candidate, k) for k in kept):
                kept.append(candidate)
        return kept

    def offered(self, ranked: list[Candidate]) -> list[Candidate]:
        """What a clarify offers: the first candidate and the likely others."""
        likely = [c for i, c in enumerate(ranked) if i == 0 or c.probability >= COMPANION_P]
        return self.distinct(likely)[:3]

    def nearest(self, ranked: list[Candidate]) -> list[Candidate]:
        """What a miss suggests: the entries nearest the question in meaning."""
        entries = [c for c in ranked if not c.passage]
        entries.sort(key=lambda c: (-c.semantic, -c.lexical, c.id))
        return self.distinct(entries)[:3]

    def term_with_use(self, term: str, ranked: list[Candidate]) -> tuple[str, ...]:
        """The definition, then where the report puts the term to work, if it does."""
        report = self.kb.entries[term].report
        used = next(
            (
                c.id
                for c in ranked[1:]
                if c.probability >= COMPANION_P
                and not c.term
                and self.assessor.report_of(c) == report
                and self.assessor.defines(term, c.id)
            ),
            None,
        )
        return (term, used) if used else (term,)

    def one_per_street(self, ranked: list[Candidate]) -> dict[str, Candidate]:
        """The best candidate of each street that is likely enough to be given."""
        chosen: dict[str, Candidate] = {}
        for candidate in ranked:
            if candidate.street not in chosen and candidate.probability >= COMPANION_P:
                chosen[candidate.street] = candidate
        return chosen

    def companions(
        self,
        best: Candidate,
        ranked: list[Candidate],
        street: str | None,
        asked_key: str = "",
        asked_words: str = "",
        subject_words: str = "",
    ) -> tuple[str, ...]:
        """The best answer, plus one that belongs with it: the other street's on the same
        subject when the question names none (a topic both reports cover is answered for
        both), or a close one that the best one defines or shares its asked-for word with.
        ``asked_key``: the question's own sound key, without the lexicon's words for it;
        ``asked_words``: the question folded, when a rare word of it that both streets'
        texts say makes them one subject (the ``shared_word`` rule), else empty;
        ``subject_words``: the same, when a close text of the best one's own street on its
        subject goes beside it (the ``one_subject`` rule), else empty."""
        close = [c for c in ranked[1:] if c.probability >= COMPANION_P and not same_answer(best, c)]
        if not street:
            # The other street's text on the same subject (a topic both reports cover, or a
            # distinctive word of the question that the best answer speaks of too: 油烟,
            # 高空抛物) is the same subject seen from its report: a question naming neither
            # street gets both.
            for other in ranked[1:]:
                if other.street == best.street or same_answer(best, other):
                    continue
                on_topic = other.probability >= COMPANION_P or other.lexical >= KEYWORD_COMPANION_AT
                same = self._same_topic(best, other) or (
                    other.probability >= COMPANION_P
                    and self.assessor.share_a_rare_word(best, other, asked_words)
                )
                if (on_topic and same) or (
                    best.keyword
                    and other.keyword
                    # A word the question says, not one the lexicon lent it: 义警 lends
                    # 群防群治, which 坪山's report uses of its anti-epidemic campaign.
                    and other.keyword in asked_key
                    and other.lexical >= KEYWORD_COMPANION_AT
                    and self._shares_keyword(best, other)
                ):
                    return (best.id, other.id)
        beside = self.assessor.one_subject(best, ranked, subject_words) if subject_words else None
        for other in close:
            if best.probability - other.probability >= CLOSE_P or other.street != best.street:
                continue
            if (
                other is beside
                or self._same_topic(best, other)
                or (best.keyword and other.keyword == best.keyword)
                or self.assessor.defines(best.id, other.id)
            ):
                pair = sorted((best, other), key=self._definition_first)
                return tuple(c.id for c in pair)
        return (best.id,)

    def _same_topic(self, first: Candidate, second: Candidate) -> bool:
        if first.passage or second.passage:
            return False
        a, b = self.kb.entries[first.id], self.kb.entries[second.id]
        return a.topic is not None and a.topic == b.topic

    @staticmethod
    def _definition_first(candidate: Candidate) -> tuple[bool, float]:
        # A look-up of jargon wants the definition before the report's use of it.
        return (not candidate.term, -candidate.probability)

    def _shares_keyword(self, best: Candidate, other: Candidate) -> bool:
        """Whether ``other`` was found by a word of the question that is as specific as the
        best entry's and that the best entry's answer speaks of as well."""
        if best.keyword == other.keyword:
            return True
        return len(other.keyword) >= len(best.keyword) and other.keyword in self._answer_key(
            best.id
        )

    def _answer_key(self, entry_id: str) -> str:
        key = self._answer_keys.get(entry_id)
        if key is None:
            answer = self.assessor.answer_text(entry_id)
            key = self._answer_keys[entry_id] = self.wording.key_of(answer)
        return key
