"""Public-opinion monitoring: feed readers (RSS, Atom, JSON Lines, CSV), scores, change points with minimum
support, alerts through the early-warning engine (injected by the CLI), the monitoring page. Items written
for these tests."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest
from typer.testing import CliRunner

from critmin.cli import app
from critmin.discourse import opinion
from critmin.errors import InputError

POS = ["中方愿与各国加强对话合作，推动互利共赢。", "双方合作进展顺利，成果丰硕。", "新项目顺利投产，前景光明。"]
NEG = ["美方滥用出口管制，严重损害中方正当权益。", "一些国家恶意炒作所谓断供风险，制造恐慌。", "外方无理打压中国企业，我们坚决反对。"]

RSS = """<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Mineral Wire</title>
<item><title>Allies welcome new minerals partnership</title>
<description>&lt;p&gt;The partnership is already delivering record investment.&lt;/p&gt;</description>
<pubDate>Mon, 05 Jan 2026 10:00:00 GMT</pubDate><link>https://example.org/a</link><category>alliances</category></item>
<item><title>Refinery opens</title><description>The new smelter will triple cobalt refining capacity.</description>
<pubDate>Tue, 06 Jan 2026 10:00:00 GMT</pubDate><link>https://example.org/b</link></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>資源ニュース</title>
<entry><title>供給途絶への懸念が高まる</title><id>urn:x:1</id><updated>2026-01-07T09:00:00Z</updated>
<summary>特定国への依存が深刻なリスクとなっている。</summary><category term="supply"/></entry>
</feed>"""


def jsonl(path, n_pos: int, n_neg: int, start=dt.date(2026, 1, 5)):
    rows = [{"id": f"i{i}", "published": str(start + dt.timedelta(days=2 * i)), "economy": "CN",
             "outlet": "Daily A" if i < n_pos else "Daily B", "topic": "rare earths",
             "text": (POS[i % 3] if i < n_pos else NEG[i % 3]) + f"（第{i}期）"} for i in range(n_pos + n_neg)]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def test_readers_rss_atom_csv(tmp_path):
    (tmp_path / "wire.rss").write_text(RSS, encoding="utf-8")
    items = opinion.read_feed(tmp_path / "wire.rss", {"economy": "us"})
    assert [(i.outlet, i.economy, str(i.published), i.topic) for i in items] == [
        ("Mineral Wire", "US", "2026-01-05", "alliances"), ("Mineral Wire", "US", "2026-01-06", "")]
    assert items[0].text == "The partnership is already delivering record investment."  # markup removed
    (tmp_path / "news.atom").write_text(ATOM, encoding="utf-8")
    (entry,) = opinion.read_feed(tmp_path / "news.atom", {"economy": "JP"})
    assert entry.outlet == "資源ニュース" and entry.topic == "supply"
    s = opinion.score_item(entry)
    assert s["language"] == "ja" and s["tone"] < 0 and s["top_frame"] == "risk"
    (tmp_path / "posts.csv").write_text("date,economy,source,text\n2026-01-08,AU,forum,Great news for jobs.\n",
                                        encoding="utf-8")
    (post,) = opinion.read_feed(tmp_path / "posts.csv")
    assert post.outlet == "forum" and opinion.score_item(post)["tone"] > 0


@pytest.mark.parametrize("name,content,needle", [
    ("a.rss", RSS, "field 'economy'"),                          # RSS names no economy and none was given
    ("b.jsonl", '{"published": "2026-01-05", "economy": "CN", "outlet": "x", "text": "好"}\nnot json\n', "line 2"),
    ("c.csv", "date,economy,outlet,text\nyesterday,CN,x,好消息\n", "field 'published'"),
    ("d.xml", "<html><body>hi</body></html>", "<rss> or Atom"),
])
def test_bad_feeds_are_named(tmp_path, name, content, needle):
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as exc:
        opinion.read_feed(tmp_path / name)
    assert name in str(exc.value) and needle in str(exc.value)


def test_one_item_never_raises_an_alert(tmp_path):
    wh = tmp_path / "wh.duckdb"
    opinion.ingest(jsonl(tmp_path / "f.jsonl", 12, 1), wh)
    alerts = opinion.detect(wh, min_support=5)
    assert "tone" not in set(alerts.metric)


def test_sustained_shift_raises_once_and_folder_rereads_only_new_items(tmp_path):
    wh = tmp_path / "wh.duckdb"
    feeds = tmp_path / "inbox"
    feeds.mkdir()
    jsonl(feeds / "f.jsonl", 8, 6)
    res = opinion.ingest(feeds, wh)
    assert (res.added, res.duplicates, res.errors) == (14, 0, [])
    alerts = opinion.detect(wh, min_support=5)
    tone = alerts[alerts.metric == "tone"].iloc[0]
    assert tone["shift"] < -0.3 and tone.n_before >= 5 and tone.n_after >= 5 and tone.level in ("orange", "red")
    assert "Daily B" in tone.evidence
    assert opinion.ingest(feeds, wh).duplicates == 14
    opinion.detect(wh, min_support=5)
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select count(*) from discourse_opinion_alerts where metric = 'tone'").fetchone()[0] == 1
    s = opinion.series(opinion.load_items(wh), ("economy", "outlet"), "week")
    assert set(s.outlet) == {"Daily A", "Daily B"} and s.n_items.sum() == 14


def test_cli_monitor_uses_the_alert_engine_and_writes_the_page(tmp_path):
    jsonl(tmp_path / "f.jsonl", 8, 6)
    (tmp_path / "wire.rss").write_text(RSS, encoding="utf-8")
    wh, page = str(tmp_path / "wh.duckdb"), tmp_path / "monitor.html"
    r = CliRunner().invoke(app, ["discourse", "monitor", str(tmp_path), "--economy", "US", "--warehouse", wh,
                                 "--out", str(page), "--format", "json"])
    assert r.exit_code == 0, r.output
    alerts = json.loads(r.stdout[r.stdout.index("["):])
    tone = [a for a in alerts if a["metric"] == "tone"]
    assert tone and tone[0]["engine"] == "critmin.alerts" and tone[0]["economy"] == "CN"
    html = page.read_text(encoding="utf-8")
    assert "Public-opinion monitor" in html and "Mineral Wire" in html and "Daily B" in html


def test_cli_series_by_outlet(tmp_path):
    jsonl(tmp_path / "f.jsonl", 3, 2)
    wh = str(tmp_path / "wh.duckdb")
    r = CliRunner().invoke(app, ["discourse", "monitor", str(tmp_path / "f.jsonl"), "--warehouse", wh,
                                 "--by", "economy,outlet", "--period", "month", "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout[r.stdout.index("["):])
    assert {(x["outlet"], x["n_items"]) for x in rows} == {("Daily A", 3), ("Daily B", 2)}
    assert next(x for x in rows if x["outlet"] == "Daily B")["tone"] < 0
