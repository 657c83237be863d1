"""Streets, their names and reports come from data/reports.yaml alone: a street renamed
there, or a third one added, is answered and cited with no change to the code."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli.main import main
from bot.engine.answering import Engine
from bot.engine.rendering import render_text
from bot.engine.textnorm import fold
from bot.knowledge.build import build

ROOT = Path(__file__).resolve().parents[1]

TINY_REPORT = """新桥街道2021年工作情况和2022年工作计划
一、2021年工作情况
(一)长者食堂
新桥街道在辖区建成社区长者食堂三家,为独居老人每日提供午餐配送服务。
二、2022年工作计划
(一)口袋公园
新桥街道计划新建口袋公园五个,方便居民就近休闲健身。
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("data", "faq", "intents"):
        shutil.copytree(
            ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("*.db", "*.db-*")
        )
    return tmp_path


def _reports(project: Path) -> dict:
    return yaml.safe_load((project / "data" / "reports.yaml").read_text(encoding="utf-8"))


def _write_reports(project: Path, data: dict) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (project / "data" / "reports.yaml").write_text(text, encoding="utf-8")


@pytest.mark.slow
def test_a_renamed_street_is_understood_and_cited_by_its_new_name(project: Path) -> None:
    data = _reports(project)
    (guanhu,) = [r for r in data["reports"] if r["street"] == "guanhu"]
    guanhu["street_name"] = "澜湖街道"
    guanhu["street_aliases"] = ["澜湖"]
    _write_reports(project, data)
    engine = Engine.load(project, model="none")

    assert engine.matcher.street_of(fold("澜湖街道明年有什么计划")) == "guanhu"
    assert engine.matcher.street_of(fold("观湖街道明年有什么计划")) is None
    term = engine.kb.entries["gh-term-01"]
    reply = engine.ask(term.question)
    assert reply.outcome == "answer" and reply.source is not None
    assert reply.source.startswith("澜湖街道《") and "澜湖街道《" in render_text(reply)
    miss = engine.ask("上海哪里办护照")
    assert miss.outcome == "miss" and "坪山街道和澜湖街道" in miss.text
    assert "澜湖街道(龙华区)" in engine.about()


@pytest.mark.slow
def test_a_third_street_is_built_answered_and_cited(project: Path) -> None:
    (project / "data" / "reports" / "xinqiao-2021.txt").write_text(TINY_REPORT, encoding="utf-8")
    data = _reports(project)
    data["reports"].append(
        {
            "id": "xinqiao-2021",
            "file": "reports/xinqiao-2021.txt",
            "street": "xinqiao",
            "street_name": "新桥街道",
            "street_aliases": ["新桥"],
            "id_prefix": "xq",
            "district": "宝安区",
            "title": "新桥街道2021年工作情况和2022年工作计划",
            "period": "2021年工作情况、2022年工作计划",
            "years": [2021, 2022],
            "date": None,
            "in_force": True,
        }
    )
    _write_reports(project, data)
    build(project)
    engine = Engine.load(project, model="none")

    assert "xinqiao" in engine.kb.streets
    assert engine.matcher.street_of(fold("新桥的长者食堂")) == "xinqiao"
    reply = engine.ask("新桥街道社区长者食堂")
    assert reply.outcome == "answer", reply
    assert reply.entry_id == "psg-xq-001"
    assert reply.source is not None and reply.source.startswith("新桥街道《")
    miss = engine.ask("上海哪里办护照")
    assert "坪山街道、观湖街道和新桥街道" in miss.text


def test_replies_about_the_bot_name_what_reports_yaml_lists(project: Path) -> None:
    data = _reports(project)
    (guanhu,) = [r for r in data["reports"] if r["street"] == "guanhu"]
    guanhu["street_name"] = "澜湖街道"
    guanhu["title"] = "澜湖街道工作报告"
    guanhu["channels"] = ["群众诉求服务平台"]
    _write_reports(project, data)
    engine = Engine.load(project, model="none")

    identity = engine.ask("你是谁")
    assert identity.intent == "identity" and "《澜湖街道工作报告》" in identity.text
    assert "观湖" not in identity.text
    human = engine.ask("转人工")
    assert human.intent == "human"
    assert "澜湖街道的群众诉求服务平台" in human.text and "V站" not in human.text
    assert "坪山街道的街道行政服务大厅" in human.text


def test_a_channel_the_report_does_not_name_is_refused(project: Path) -> None:
    data = _reports(project)
    data["reports"][0]["channels"] = ["市民中心"]
    _write_reports(project, data)
    result = CliRunner().invoke(main, ["check", "--root", str(project)])
    assert result.exit_code == 1
    assert "channel '市民中心' is not in the report" in result.output


@pytest.mark.parametrize(
    ("reply", "refused"),
    [("您好!我是{streets}的助手。", False), ("您好!我是{street}的助手。", True), ("{", True)],
)
def test_an_intent_reply_may_name_only_the_known_fields(
    project: Path, reply: str, refused: bool
) -> None:
    path = project / "intents" / "conversation.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["intents"][0]["reply"] = reply
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(main, ["check", "--root", str(project)])
    assert (result.exit_code == 1) is refused, result.output
    assert ("'reply' may name only {streets}, {reports}, {channels}" in result.output) is refused
