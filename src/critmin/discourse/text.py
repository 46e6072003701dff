"""Language identification (script rules), sentence splitting and word segmentation per language.

* Language: a script rule that research/nlp_options.md measured as about as good as lingua restricted to
  en/zh/ja on this domain: any kana -> ja; Han characters outweighing Latin letters -> zh; else en.
* Chinese: jieba (its Rust port jieba-rs via ``rjieba`` when installed, else Python jieba) with the lexicon
  terms added as a user dictionary (keeps 关键矿产, 供应链韧性 whole).
* Japanese: SudachiPy + sudachidict-core, split mode C, dictionary forms (keeps レアアース whole).
* English: a regular-expression tokenizer (TextBlob/NLTK tokenizers need downloads).
"""

from __future__ import annotations

import re
from functools import lru_cache

_KANA = re.compile(r"[\u3040-\u309f\u30a0-\u30ff\uff66-\uff9f]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def detect_language(text: str, default: str = "en") -> str:
    """'zh', 'ja' or 'en' by script counts; ``default`` when the text has no letters at all."""
    if not _KANA.search(text):
        if not _LATIN.search(text):  # fast path: pure Han (or no letters)
            return "zh" if _HAN.search(text) else default
        if not _HAN.search(text):
            return "en"
        han, latin = len(_HAN.findall(text)), len(_LATIN.findall(text))
        return "zh" if han > 0.2 * latin else "en"
    kana = len(_KANA.findall(text))
    han = len(_HAN.findall(text))
    latin = len(_LATIN.findall(text))
    if kana >= 0.05 * (han + kana):
        return "ja"
    if han and han > 0.2 * latin:
        return "zh"
    if latin:
        return "en"
    return default


# Sentence ends: CJK full stops and marks always; Latin .!? followed by space and an upper-case/quote/digit.
_CJK_END = re.compile(r"(?<=[。！？!?；;])|(?<=[。！？!?][”」』\"’])")
_EN_END = re.compile(r"(?<=[.!?])[\"'”’)]?\s+(?=[A-Z0-9\"“‘(\u4e00-\u9fff])")
_ABBREV = re.compile(r"(?:\b(?:Mr|Ms|Mrs|Dr|St|No|Art|Vol|vs|e\.g|i\.e|U\.S|U\.K|Inc|Ltd|Co|Jan|Feb|Mar|Apr|Jun|Jul|"
                     r"Aug|Sep|Sept|Oct|Nov|Dec)\.)$")
MIN_CHARS = 4


def split_sentences(text: str, lang: str | None = None) -> list[str]:
    """Split ``text`` into sentences (lines are hard breaks; CJK and Latin end marks)."""
    out: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        lang_line = lang or detect_language(line)
        if lang_line in ("zh", "ja"):
            parts = _CJK_END.split(line)
            # Latin sentences embedded in CJK prose are rare; split them too.
            parts = [p for part in parts for p in _split_en(part)] if _LATIN.search(line) else parts
        else:
            parts = _split_en(line)
        for p in parts:
            p = p.strip()
            if len(p) >= MIN_CHARS and (_HAN.search(p) or _LATIN.search(p) or _KANA.search(p)):
                out.append(p)
    return out


def _split_en(line: str) -> list[str]:
    pieces: list[str] = []
    start = 0
    for m in _EN_END.finditer(line):
        head = line[start:m.start() + 1]
        if _ABBREV.search(head.rstrip("\"'”’)")):
            continue
        pieces.append(line[start:m.end()].strip())
        start = m.end()
    pieces.append(line[start:])
    return pieces


# ---------------------------------------------------------------- tokenizers

_EN_TOKEN = re.compile(r"[A-Za-z](?:\.[A-Za-z])+\.?|[A-Za-z0-9][A-Za-z0-9&'’\-]*[A-Za-z0-9]|[A-Za-z0-9]")


def tokenize_en(text: str) -> list[str]:
    """Lower-cased word tokens; 'US'/'U.S.' become 'u.s.' (not the pronoun), month 'May' becomes 'may_month'."""
    toks = []
    for i, m in enumerate(_EN_TOKEN.finditer(text)):
        tok = m.group().replace("’", "'")
        if tok in ("US", "U.S.", "U.S", "USA"):
            toks.append("u.s.")
        elif tok == "May" and i > 0:
            toks.append("may_month")
        else:
            toks.append(tok.lower())
    return toks


def _zh_user_words() -> list[str]:
    from critmin.discourse.lexicon import load_lexicon

    lex = load_lexicon("zh")
    words = {e.term for e in lex.frames} | {e.term for e in lex.affect.sentiment}
    words |= {e.term for e in lex.affect.subjectivity} | set(lex.affect.domain_terms)
    words |= {e.term for e in lex.affect.intensifiers} | set(lex.affect.negators)
    return sorted(w for w in words if len(w) > 1)


@lru_cache(maxsize=2)
def _zh_cutter(engine: str = "auto"):
    """A function text -> tokens: jieba-rs (``rjieba``, the jieba algorithm and dictionary in Rust) when
    installed, else Python jieba; both with the lexicon terms as a user dictionary, no HMM."""
    if engine in ("auto", "rjieba"):
        try:
            import rjieba
        except ImportError:
            if engine == "rjieba":
                raise
        else:
            tk = rjieba.Jieba()
            for w in _zh_user_words():
                tk.add_word(w, 50000, None)
            return lambda text: tk.cut(text, False)
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    tk = jieba.Tokenizer()
    tk.initialize()
    for w in _zh_user_words():
        tk.add_word(w, freq=50000)
    return lambda text: tk.lcut(text, HMM=False)


def tokenize_zh(text: str, engine: str = "auto") -> list[str]:
    """Chinese words (jieba-rs or jieba, precise mode, lexicon as user dictionary), whitespace dropped."""
    return [w for w in _zh_cutter(engine)(text) if not w.isspace()]


@lru_cache(maxsize=1)
def _sudachi():
    from sudachipy import Dictionary, SplitMode

    return Dictionary(dict="core").tokenizer(mode=SplitMode.C)


def tokenize_ja(text: str) -> list[str]:
    """SudachiPy mode C dictionary forms, whitespace dropped."""
    return [m.dictionary_form() for m in _sudachi().tokenize(text) if not m.surface().isspace()]


def tokenize(text: str, lang: str) -> list[str]:
    if lang == "zh":
        return tokenize_zh(text)
    if lang == "ja":
        return tokenize_ja(text)
    return tokenize_en(text)


JOINER = {"zh": "", "ja": "", "en": " "}
