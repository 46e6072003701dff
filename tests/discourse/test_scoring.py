from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critmin.discourse import FRAMES
from critmin.discourse.scoring import analyzer, polarity_label, score_text
from critmin.discourse.text import detect_language, split_sentences, tokenize


@pytest.mark.parametrize("pos,neg,lang", [
    ("结果令人满意。", "结果并不令人满意。", "zh"),
    ("双方合作十分顺利。", "双方合作并不顺利。", "zh"),
    ("The outcome is good.", "The outcome is not good.", "en"),
    ("This was a successful programme.", "This was never a successful programme.", "en"),
    ("この取り組みは成功した。", "この取り組みは成功していない。", "ja"),
])
def test_negation_flips_polarity_in_each_language(pos, neg, lang):
    a = analyzer(lang)
    assert a.analyze(pos).polarity > 0
    assert a.analyze(neg).polarity < 0


@pytest.mark.parametrize("plain,strong,lang", [
    ("形势严峻。", "形势极其严峻。", "zh"),
    ("The damage is severe.", "The damage is extremely severe.", "en"),
    ("状況は深刻だ。", "状況は極めて深刻だ。", "ja"),
])
def test_intensifiers_strengthen_polarity(plain, strong, lang):
    a = analyzer(lang)
    assert a.analyze(strong).polarity < a.analyze(plain).polarity < 0


def test_frames_and_subjectivity_on_typical_sentences():
    df = score_text("我们必须坚决维护国家资源安全。\nThe regulation sets new recycling standards for batteries.\n"
                    "同志国との協力を深める。")
    assert df.language.tolist() == ["zh", "en", "ja"]
    assert df.top_frame.tolist() == ["security", "rules_standards", "alliances_cooperation"]
    assert df.subjectivity[0] >= 0.5 > df.subjectivity[1]
    assert list(df.columns) == ["sentence", "language", *FRAMES, "top_frame", "polarity", "subjectivity"]


def test_segmentation_keeps_domain_terms_whole():
    assert "关键矿产" in tokenize("我国关键矿产供应链韧性增强", "zh")
    assert "供应链韧性" in tokenize("我国关键矿产供应链韧性增强", "zh")
    assert "レアアース" in tokenize("レアアースの供給が不足している", "ja")
    assert tokenize("The U.S. and US allies", "en")[:2] == ["the", "u.s."]


def test_language_id_and_sentence_split():
    assert detect_language("An English sentence about 稀土 quotas") == "en"
    assert detect_language("中国的G7政策分析") == "zh"
    assert detect_language("レアアースの輸入") == "ja"
    assert split_sentences("第一句。第二句！The U.S. acts. Then Europe follows.") == [
        "第一句。", "第二句！", "The U.S. acts.", "Then Europe follows."]


def test_label_thresholds():
    assert polarity_label(0.5) == "positive" and polarity_label(-0.5) == "negative" and polarity_label(0.1) == "neutral"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("安全合作不非常绿色风险市场。！abc notgood.,!?の協力ない ")), max_size=80))
def test_scores_stay_in_range_for_any_text(text):
    df = score_text(text)
    for s in split_sentences(text):
        assert s.strip()
    if not df.empty:
        assert df.polarity.between(-1, 1).all()
        assert df.subjectivity.between(0, 1).all()
        assert (df[list(FRAMES)] >= 0).all().all()
