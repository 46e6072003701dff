from __future__ import annotations

import json
import re

import numpy as np
import pytest

from critmin.discourse import FRAMES
from critmin.discourse.report import bootstrap_ci, build_findings, change_points, js_distance, write_report


def test_seed_documents_are_analysed_as_real_chinese_prose(demo_warehouse, seeds_dir):
    import duckdb

    con = duckdb.connect(str(demo_warehouse), read_only=True)
    seeds = con.execute("select title, language, n_sentences from discourse_documents where not synthetic "
                        "order by title").df()
    top = con.execute("select top_frame, count(*) n from discourse_sentences s join discourse_documents d "
                      "using (doc_id) where not d.synthetic and s.language = 'zh' group by 1 order by 2 desc").df()
    con.close()
    assert len(seeds) == 5 and (seeds.language == "zh").all() and (seeds.n_sentences > 100).all()
    # policy prose about security, risk, rules and industry: every frame occurs, 'none' is a minority
    assert set(FRAMES) <= set(top.top_frame)
    assert top.set_index("top_frame").n.get("none", 0) < top.n.sum() * 0.4


def test_findings_reproduce_the_shape_of_seed_004(demo_warehouse):
    f = build_findings(demo_warehouse, ["US", "EU", "JP", "AU", "CN"])
    s = f.sentiment.set_index("economy")
    # seed 004: Australia the most positive; Japan the most restrained (lowest sentiment extremes and subjectivity)
    assert s.polarity.idxmax() == "AU"
    assert s.subjectivity.idxmin() == "JP"
    assert s.strong_share.idxmin() == "JP"
    assert (s.polarity_lo <= s.polarity).all() and (s.polarity <= s.polarity_hi).all()
    assert np.allclose(f.profile.sum(axis=1), 1.0)
    assert f.profile.loc["EU"].idxmax() == "rules_standards"
    assert f.shared and set(f.shared) <= set(FRAMES)
    dm = f.divergence_matrix
    assert np.allclose(dm.values, dm.values.T) and np.allclose(np.diag(dm.values), 0)
    traits = {tr["trait"]: tr for tr in f.traits}
    assert set(traits) == {"securitisation", "green_transition", "restrained_tone"}
    assert traits["restrained_tone"]["holds"] and set(traits["securitisation"]["values"]) == set(f.economies)
    kinds = {e["kind"] for e in f.evidence}
    assert {"polarity:positive", "polarity:negative", "frame:security"} <= kinds
    assert all(e["sentence"] for e in f.evidence)


def test_html_report_is_self_contained_and_lists_evidence(demo_warehouse, tmp_path):
    f = build_findings(demo_warehouse)
    out = write_report(f, str(tmp_path / "r.html"), "html", "zh")
    html = open(out, encoding="utf-8").read()
    # plotly.js from the one shared file written beside the page (issue 16), nothing from the network
    assert re.findall(r'<script[^>]*\bsrc="([^"]+)"', html) == ["plotly.min.js"]
    assert "Plotly.newPlot" in html and (tmp_path / "plotly.min.js").stat().st_size > 1_000_000
    assert "关键矿产话语分析" in html and "证据" in html
    assert any(e["sentence"][:20] in html for e in f.evidence if e["economy"] == "JP")
    assert "合成演示文本" in html  # the synthetic texts are labelled as such
    js = json.loads(open(write_report(f, str(tmp_path / "r.json"), "json"), encoding="utf-8").read())
    assert {"profile", "sentiment", "shared_frames", "shared_traits", "divergence_matrix", "evolution", "change_points",
            "evidence"} <= set(js)


def test_statistics_helpers():
    assert js_distance(np.array([1, 0]), np.array([0, 1])) == pytest.approx(1.0)
    assert js_distance(np.array([0.5, 0.5]), np.array([0.5, 0.5])) == pytest.approx(0.0)
    lo, hi = bootstrap_ci(np.array([0.1, 0.2, 0.3, 0.4]))
    assert 0.1 <= lo < 0.25 < hi <= 0.4
    assert bootstrap_ci(np.array([0.1, 0.2, 0.3, 0.4])) == (lo, hi)  # seeded
    x = np.r_[np.zeros(5), np.ones(5) * 3] + np.array([0.01, -0.02, 0.0, 0.02, -0.01] * 2)
    assert change_points(x, list(range(2010, 2020))) == [2015]


def test_second_opinion_is_stored_and_reported(tmp_path):
    """add --embed stores the embedding path per sentence; the report compares it with the lexicon path
    (deterministic hash embedder here; the real model is exercised in the slow test)."""
    import duckdb

    from critmin.discourse.demo import load_demo
    from critmin.discourse.embedding import HashEmbedder, PrototypeClassifier

    wh = tmp_path / "wh.duckdb"
    res = load_demo(wh, with_seeds=False, embed=True, classifier=PrototypeClassifier(HashEmbedder()))
    con = duckdb.connect(str(wh), read_only=True)
    n = con.execute("select count(*) from discourse_embedding_scores").fetchone()[0]
    con.close()
    assert n == res.n_sentences
    f = build_findings(wh)
    so = f.second_opinion.set_index("economy")
    assert set(so.index) == set(f.economies)
    assert so.frame_agreement.between(0, 1).all() and (so.n_sentences_embedded > 0).all()
    assert "second_opinion" in f.to_dict()
