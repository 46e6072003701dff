from __future__ import annotations

from critmin.discourse.demo import load_demo
from critmin.discourse.monitor import watch_folder


def test_watch_adds_new_files_once_and_raises_alerts(tmp_path):
    wh = tmp_path / "wh.duckdb"
    load_demo(wh, with_seeds=False)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "US_2026-02-01_statement.txt").write_text(
        "This coercion is outrageous and dangerous. We condemn the reckless abuse of export controls. "
        "The damage to our industry is severe and unacceptable.", encoding="utf-8")
    (inbox / "JP_2026-02-02_note.md").write_text("政府は需給の動向を注視する。", encoding="utf-8")
    (inbox / "notes.txt").write_text("no economy in this name", encoding="utf-8")
    (inbox / "EU_2026-01_latin1.txt").write_bytes("Sécurité d'approvisionnement".encode("latin-1"))

    res = watch_folder(inbox, wh, sentiment_threshold=0.15, share_threshold=0.10)
    assert len(res.files) == 4 and len(res.added) == 2
    assert {e["file"].rsplit("/", 1)[-1] for e in res.errors} == {"notes.txt", "EU_2026-01_latin1.txt"}
    a = res.alerts.set_index(["economy", "metric"])
    us = a.loc[("US", "polarity")]
    assert us.level == "red" and us["shift"] < -0.45 and us.threshold == 0.15
    assert "condemn" in us.evidence or "coercion" in us.evidence
    assert set(res.alerts.level) <= {"blue", "yellow", "orange", "red"}
    assert {"alert_id", "rule", "level", "economy", "metric", "value", "threshold", "period"} <= set(res.alerts.columns)
    assert res.engine in ("critmin.alerts", "discourse fallback")

    again = watch_folder(inbox, wh)
    assert again.files == [] and again.alerts.empty

    import duckdb

    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select count(*) from discourse_alerts where economy = 'US'").fetchone()[0] >= 1
    assert con.execute("select count(*) from discourse_watch_files").fetchone()[0] == 4
    con.close()


def test_watch_reads_folder_manifest_and_falls_back_without_the_alerts_engine(tmp_path, monkeypatch):
    import sys

    wh = tmp_path / "wh.duckdb"
    load_demo(wh, with_seeds=False)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "statement.txt").write_text("中方对此表示强烈不满，坚决反对这种霸凌行径。这种做法严重损害了合作。",
                                         encoding="utf-8")
    (inbox / "manifest.yaml").write_text(
        "- {path: statement.txt, economy: CN, actor: MFA, date: 2026-03-01, genre: press}\n", encoding="utf-8")
    monkeypatch.setitem(sys.modules, "critmin.alerts.engine", None)  # engine not installed -> ImportError
    res = watch_folder(inbox, wh)
    assert res.engine == "discourse fallback"
    assert [d["economy"] for d in res.added] == ["CN"] and res.added[0]["actor"] == "MFA"
    cn = res.alerts.set_index("metric").loc["polarity"]
    assert cn.level in ("orange", "red") and cn.economy == "CN" and cn.period == "2026-03-01"
