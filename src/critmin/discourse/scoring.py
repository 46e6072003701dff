"""Lexicon path: frame scores, sentiment polarity (negation, intensifiers) and subjectivity per sentence.

Method (per sentence, after segmentation):

* Matching is greedy longest-first over token n-grams, so a domain term such as 关键矿产 / "critical
  minerals" / 重要鉱物 is consumed whole and its parts ("critical", 关键, 重要) never reach sentiment or
  subjectivity (domain masking, research/nlp_options.md).
* frame score f_k = sum of the weights of frame-k terms found (raw, unnormalised); ``top_frame`` is the
  arg-max (ties: security > risk > rules_standards > the others, as the annotation scheme says) or ``none`` when no frame term occurs.
* Chinese compounds that jieba keeps whole (令人满意, 不稳定) are looked up by their last two characters
  (sentiment only) and by dropping a leading negation character (不/未/无/非/没), which then negates.
* sentiment: each sentiment term contributes its polarity p; an intensifier up to two tokens before it
  multiplies p by its factor; a negator up to three tokens before it (zh/en) or after it (ja: ない/ず/ぬ)
  multiplies p by -0.75 (as VADER does). S = sum; polarity = S / sqrt(S^2 + 4) in (-1, 1)
  (the VADER normalisation with alpha = 4 for our weight scale).
* subjectivity: markers M = evaluative + modal + stance + first-person weights, + 0.8 per sentiment term,
  + 0.5 per intensifier; subjectivity = M / (M + 2) in [0, 1).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from critmin.discourse import FRAMES, LANGS
from critmin.discourse.lexicon import SUBJ_KINDS, load_lexicon
from critmin.discourse.script import to_simplified
from critmin.discourse.text import JOINER, detect_language, split_sentences, tokenize

NEGATION_FACTOR = -0.75
ALPHA = 4.0
SUBJ_HALF = 2.0
STRONG_POLARITY = 0.6
# Ties between frame scores: security > risk > rules_standards > the others (discourse_annotation.md).
TIE_ORDER = tuple(FRAMES.index(f) for f in ("security", "risk", "rules_standards")) + tuple(
    k for k, f in enumerate(FRAMES) if f not in ("security", "risk", "rules_standards"))
MITIGATION_WINDOW = 6  # tokens between a mitigator and the hazard it cancels ("address its most serious risks")
WEAK_POLARITY = 0.5  # weaker sentiment terms (improve, 优化) describe a measure's aim more than they judge
HAZARD_SUBJ = 0.4  # one hazard word alone reads as description; two or more as an assessment
_ZH_NEG_PREFIX = ("不", "未", "无", "非", "没")
# A weak aim verb right after a purpose marker ("aims to improve", 旨在提升) states what a measure is for, which the
# scheme does not count as positive.
_PURPOSE = frozenset({"to", "旨在", "为了", "以便", "以"})


@dataclass(slots=True)
class Role:
    frame: int = -1
    frame_w: float = 0.0
    polarity: float = 0.0
    subj: int = -1
    subj_w: float = 0.0
    domain: bool = False
    negator: bool = False
    intensifier: float = 0.0
    hazard: float = 0.0
    mitigator: bool = False
    term: str = ""


@dataclass(slots=True)
class SentenceScore:
    sentence: str
    language: str
    frames: list[float]
    polarity: float
    subjectivity: float
    n_tokens: int
    sentiment_sum: float
    markers: list[float]  # evaluative, modal, stance, first_person
    terms: list[str] = field(default_factory=list)

    @property
    def top_frame(self) -> str:
        best = max(self.frames)
        if best <= 0:
            return "none"
        return next(FRAMES[k] for k in TIE_ORDER if self.frames[k] == best)

    def as_row(self, detail: bool = False) -> dict:
        row = {"sentence": self.sentence, "language": self.language}
        row.update({f: round(v, 4) for f, v in zip(FRAMES, self.frames, strict=True)})
        row.update(top_frame=self.top_frame, polarity=round(self.polarity, 4),
                   subjectivity=round(self.subjectivity, 4))
        if detail:
            row.update({k: round(v, 4) for k, v in zip(SUBJ_KINDS, self.markers, strict=True)})
            row.update(n_tokens=self.n_tokens, sentiment_sum=round(self.sentiment_sum, 4),
                       terms="|".join(self.terms))
        return row


class Analyzer:
    """A compiled lexicon for one language: one dict lookup per token (plus n-grams where a term starts)."""

    def __init__(self, lang: str):
        self.lang = lang
        lex = load_lexicon(lang)
        self.version = lex.version
        self.joiner = JOINER[lang]
        self.entries: dict[str, Role] = {}
        self.prefix_max: dict[str, int] = {}
        aff = lex.affect

        def role(term: str) -> Role:
            toks = tokenize(term, lang) or [term]
            key = self.joiner.join(toks)
            r = self.entries.get(key)
            if r is None:
                r = self.entries[key] = Role(term=term)
                if len(toks) > 1:
                    self.prefix_max[toks[0]] = max(self.prefix_max.get(toks[0], 1), len(toks))
            return r

        for e in lex.frames:
            r = role(e.term)
            r.frame, r.frame_w = FRAMES.index(e.frame), e.weight
        for t in aff.domain_terms:
            role(t).domain = True
        for s in aff.sentiment:
            role(s.term).polarity = s.polarity
        for s in aff.subjectivity:
            r = role(s.term)
            r.subj, r.subj_w = SUBJ_KINDS.index(s.kind), s.weight
        for i in aff.intensifiers:
            role(i.term).intensifier = i.factor
        for n in aff.negators:
            role(n).negator = True
        for h in aff.hazards:
            role(h.term).hazard = h.polarity
        for m in aff.mitigators:
            role(m).mitigator = True
        self.max_n = max(self.prefix_max.values(), default=1)

    def analyze_tokens(self, tokens: list[str], sentence: str = "") -> SentenceScore:
        entries, prefix_max, joiner = self.entries, self.prefix_max, self.joiner
        frames = [0.0] * len(FRAMES)
        markers = [0.0, 0.0, 0.0, 0.0]
        contribs: list[list] = []  # [position, value]
        terms: list[str] = []
        last_neg = -99
        last_mit = -99
        hazards: list[list] = []  # [position, value], cancelled by a mitigator nearby
        last_int, int_factor = -99, 1.0
        ja = self.lang == "ja"
        n = len(tokens)
        i = 0
        while i < n:
            tok = tokens[i]
            r = None
            span = 1
            m = prefix_max.get(tok)
            if m:
                for L in range(min(m, n - i), 1, -1):
                    r = entries.get(joiner.join(tokens[i:i + L]))
                    if r is not None:
                        span = L
                        break
            if r is None:
                r = entries.get(tok)
            negated_word = False
            if r is None:
                if self.lang == "en" and len(tok) > 3 and tok[-1] == "s":
                    r = entries.get(tok[:-1])
                if r is None and self.lang == "en" and "-" in tok:  # import-dependent, China-dominated
                    r = entries.get(tok.rsplit("-", 1)[1])
                elif self.lang == "zh" and len(tok) > 1:
                    if tok[0] in _ZH_NEG_PREFIX:
                        r = entries.get(tok[1:])
                        if r is not None and r.polarity:
                            negated_word = True
                    if r is None and len(tok) > 2:
                        # compounds such as 令人满意 / 日益严峻: a sentiment word at the end counts
                        r = entries.get(tok[-2:])
                        if r is not None and not r.polarity:
                            r = None
                if r is None:
                    i += 1
                    continue
            if r.frame >= 0:
                frames[r.frame] += r.frame_w
            if r.hazard and not r.domain and not (not ja and 0 < i - last_mit <= MITIGATION_WINDOW):
                v = r.hazard * (int_factor if 0 < i - last_int <= 2 else 1.0)
                if not ja and 0 < i - last_neg <= 3:
                    v *= NEGATION_FACTOR
                hazards.append([i + span - 1, v])
            if r.mitigator:
                last_mit = i + span - 1
                if ja:  # リスクを低減: the verb follows its object
                    hazards = [h for h in hazards if i - h[0] > MITIGATION_WINDOW]
            if not r.domain:
                if r.polarity and not (abs(r.polarity) < WEAK_POLARITY and i and tokens[i - 1] in _PURPOSE):
                    v = r.polarity
                    if 0 < i - last_int <= 2:
                        v *= int_factor
                    if negated_word or (not ja and 0 < i - last_neg <= 3):
                        v *= NEGATION_FACTOR
                    contribs.append([i + span - 1, v])
                    markers[0] += 0.8 if abs(r.polarity) >= WEAK_POLARITY else 0.3
                if r.subj >= 0:
                    markers[r.subj] += r.subj_w
                if r.intensifier:
                    last_int, int_factor = i + span - 1, r.intensifier
                    markers[0] += 0.5
                if r.negator:
                    if ja and contribs and i - contribs[-1][0] <= 4:
                        contribs[-1][1] *= NEGATION_FACTOR
                    last_neg = i + span - 1
            terms.append(r.term)
            i += span
        s = sum(c[1] for c in contribs) + sum(h[1] for h in hazards)
        markers[0] += HAZARD_SUBJ * len(hazards)
        m_total = markers[0] + markers[1] + markers[2] + markers[3]
        return SentenceScore(
            sentence=sentence, language=self.lang, frames=frames,
            polarity=s / math.sqrt(s * s + ALPHA), subjectivity=m_total / (m_total + SUBJ_HALF),
            n_tokens=n, sentiment_sum=s, markers=markers, terms=terms,
        )

    def analyze(self, sentence: str) -> SentenceScore:
        if self.lang == "zh":  # traditional relays are looked up in simplified form; the sentence is kept as is
            return self.analyze_tokens(tokenize(to_simplified(sentence), "zh"), sentence)
        return self.analyze_tokens(tokenize(sentence, self.lang), sentence)


@lru_cache(maxsize=3)
def analyzer(lang: str) -> Analyzer:
    if lang not in LANGS:
        from critmin.errors import UsageError

        raise UsageError(f"unsupported language {lang!r}: expected one of zh|en|ja|auto")
    return Analyzer(lang)


def score_sentences(text: str, lang: str = "auto") -> list[SentenceScore]:
    """Split ``text`` into sentences and score each (language per sentence when ``lang='auto'``)."""
    fixed = None if lang in (None, "auto") else lang
    doc_lang = fixed or detect_language(text)
    out = []
    for sent in split_sentences(text, fixed):
        sl = fixed or detect_language(sent, default=doc_lang)
        out.append(analyzer(sl).analyze(sent))
    return out


def score_text(text: str, lang: str = "auto", detail: bool = False):
    """Sentence-by-sentence scores as a DataFrame (columns: sentence, language, one per frame, top_frame,
    polarity, subjectivity; plus marker counts and matched terms when ``detail``)."""
    import pandas as pd

    rows = [s.as_row(detail) for s in score_sentences(text, lang)]
    cols = ["sentence", "language", *FRAMES, "top_frame", "polarity", "subjectivity"]
    return pd.DataFrame(rows, columns=None if rows else cols)


# Decision thresholds for labels (chosen on the dev split of the evaluation set only; see evaluate.py).
POLARITY_BAND = 0.2
SUBJECTIVE_AT = 0.25


def polarity_label(polarity: float) -> str:
    if polarity > POLARITY_BAND:
        return "positive"
    if polarity < -POLARITY_BAND:
        return "negative"
    return "neutral"


def subjectivity_label(subjectivity: float) -> str:
    return "subjective" if subjectivity >= SUBJECTIVE_AT else "objective"


def score_frame(text: str, lang: str = "auto", detail: bool = False, embed: bool = False, classifier=None):
    """:func:`score_text`, optionally with the embedding path's columns (emb_top_frame, emb_polarity,
    emb_polarity_label, emb_subjectivity_label)."""
    df = score_text(text, lang, detail)
    if embed and not df.empty:
        from critmin.discourse.embedding import default_classifier

        clf = classifier or default_classifier()
        s = clf.score(df.sentence.tolist(), df.language.tolist())
        df["emb_top_frame"] = s.top_frame
        df["emb_polarity"] = s.polarity.round(4)
        df["emb_polarity_label"] = s.polarity_label
        df["emb_subjectivity_label"] = s.subjectivity_label
    return df
