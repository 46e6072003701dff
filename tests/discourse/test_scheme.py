"""The annotation scheme (research/discourse_annotation.md) on its hard cases, in zh, en and ja: modal obligation
and bare importance claims are subjective but not polar; negated evaluation flips; a hazard presented as one is
negative, a purpose clause to reduce it is not; plain facts are objective. Sentences written for this test."""

import pytest

from critmin.discourse.scoring import analyzer, polarity_label, subjectivity_label


def labels(text: str, lang: str) -> tuple[str, str]:
    s = analyzer(lang).analyze(text)
    return polarity_label(s.polarity), subjectivity_label(s.subjectivity)


@pytest.mark.parametrize("text,lang", [
    ("Exporters must submit an end-user certificate within 30 days of shipment.", "en"),
    ("Operators shall keep the records for five years.", "en"),
    ("出口经营者应当在装运后三十日内提交最终用户证明。", "zh"),
    ("任何单位不得擅自转让相关物项。", "zh"),
    ("輸出者は出荷後三十日以内に最終用途証明を提出しなければならない。", "ja"),
])
def test_modal_obligation_is_subjective_and_neutral(text, lang):
    assert labels(text, lang) == ("neutral", "subjective")


@pytest.mark.parametrize("text,lang", [
    ("Graphite is essential for battery anodes.", "en"),
    ("Gallium is indispensable for radar chips.", "en"),
    ("石墨对电池负极不可或缺。", "zh"),
    ("镓对雷达芯片至关重要。", "zh"),
    ("黒鉛は電池の負極に不可欠である。", "ja"),
    ("ガリウムはレーダー用半導体に欠かせない。", "ja"),
])
def test_bare_importance_claim_is_subjective_and_neutral(text, lang):
    assert labels(text, lang) == ("neutral", "subjective")


@pytest.mark.parametrize("plain,negated,lang", [
    ("The new permit system is effective.", "The new permit system is not effective.", "en"),
    ("新的许可制度是有效的。", "新的许可制度并不有效。", "zh"),
    ("新しい許可制度は有効だ。", "新しい許可制度は有効ではない。", "ja"),
])
def test_negated_evaluation_flips_polarity(plain, negated, lang):
    assert labels(plain, lang)[0] == "positive"
    assert labels(negated, lang) == ("negative", "subjective")


@pytest.mark.parametrize("hazard,purpose,lang", [
    ("Our dependence on a single refinery is a serious vulnerability.",
     "The fund aims to reduce dependence on a single refinery.", "en"),
    ("对单一炼厂的过度依赖是严重的隐患。", "该基金旨在降低对单一炼厂的依赖。", "zh"),
    ("単一の製錬所への依存は深刻な脆弱性だ。", "基金は単一の製錬所への依存を低減する。", "ja"),
])
def test_hazard_is_negative_but_a_purpose_clause_is_not(hazard, purpose, lang):
    assert labels(hazard, lang)[0] == "negative"
    assert labels(purpose, lang)[0] == "neutral"


@pytest.mark.parametrize("text,lang", [
    ("The agency bought 2,000 tonnes of graphite in March.", "en"),
    ("The list will be reviewed every four years.", "en"),
    ("该机构三月份收购了两千吨石墨。", "zh"),
    ("機構は三月に黒鉛二千トンを購入した。", "ja"),
])
def test_plain_facts_and_planned_actions_are_objective_and_neutral(text, lang):
    assert labels(text, lang) == ("neutral", "objective")


def test_traditional_characters_score_like_simplified():
    trad = analyzer("zh").analyze("中方願與各國加強出口管制對話交流，更好維護全球產業鏈供應鏈安全穩定。")
    simp = analyzer("zh").analyze("中方愿与各国加强出口管制对话交流，更好维护全球产业链供应链安全稳定。")
    assert trad.frames == simp.frames and trad.polarity == simp.polarity
    assert trad.sentence.startswith("中方願")  # the stored sentence keeps the author's script


@pytest.mark.parametrize("text,lang", [
    ("The programme aims to improve recycling rates.", "en"),
    ("该计划旨在提升回收率。", "zh"),
])
def test_a_purpose_clause_is_not_positive_either(text, lang):
    assert labels(text, lang)[0] == "neutral"


def test_hyphenated_compounds_are_looked_up_by_their_head():
    s = analyzer("en").analyze("The country remains import-dependent for twelve minerals.")
    assert "dependent" in s.terms
