"""`policybot add-report` / `remove-report` on the shapes reports are published in: a saved
government page (navigation, footer, scripts, 文件已失效), a PDF and a Word file, each built
here from the two reports' text; the extracted text against the original paragraphs, and
what the bot makes of a report added that way."""

from __future__ import annotations

import hashlib
import html
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from bot.cli.main import main
from bot.knowledge.catalogue import CatalogueError, NewReport, add_report, remove_report
from bot.knowledge.extract import ExtractionError, extract
from bot.knowledge.reports import load_reports, parse_report

ROOT = Path(__file__).resolve().parents[1]
REPORTS = {
    "pingshan-2020": ROOT / "data/reports/pingshan-2020-summary-2021-plan.txt",
    "guanhu-2020": ROOT / "data/reports/guanhu-2020-party-committee-report.txt",
}
FORMATS = ("html", "pdf", "docx")


def paragraphs(text: str) -> list[str]:
    return [line.strip().strip("\u3000").strip() for line in text.splitlines() if line.strip()]


# --- the published shapes, built from a report's text --------------------------------------


def write_page(text: str, path: Path, title: str, marked_stale: bool = False) -> Path:
    """A saved government page: the report among navigation, breadcrumbs, sharing links,
    related articles, a footer and scripts."""
    body = "\n".join(f"<p style='text-indent:2em'>{html.escape(p)}</p>" for p in paragraphs(text))
    stale = '<div class="sxbz">文件已失效</div>' if marked_stale else ""
    path.write_text(
        f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}_门户网站</title>
<script>var _hmt=_hmt||[];(function(){{var hm=document.createElement("script");}})();</script>
<style>.nav{{color:red}}</style></head><body>
<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk">政务公开</a></li>
<li><a href="/bsfw">办事服务</a></li><li><a href="/hdjl">互动交流</a></li></ul>
<input type="text" placeholder="请输入关键字"><button>搜索</button></div>
<div class="crumb">当前位置:<a href="/">首页</a> &gt; <a href="/zwgk">政务公开</a>
&gt; 工作报告</div>
<div class="article"><h1>{title}</h1>
<div class="info">来源:街道办 日期:2021年03月01日 【字体:<a>大</a> <a>中</a> <a>小</a>】</div>
{stale}<div class="TRS_Editor">{body}</div>
<div class="share">分享到:<a>微信</a><a>微博</a></div></div>
<div class="related"><h3>相关文章</h3><ul><li><a>街道召开年度工作会议</a></li>
<li><a>区召开安全生产工作会议</a></li></ul></div>
<div class="footer"><p>主办单位:区人民政府办公室 版权所有</p><p>粤ICP备12345678号</p>
<p>联系我们 | 网站地图 | 隐私声明</p></div>
<script src="/js/common.js"></script><script>document.write("统计代码");</script>
</body></html>""",
        encoding="utf-8",
    )
    return path


def write_pdf(text: str, path: Path) -> Path:
    """A PDF with a text layer, set in reportlab's built-in CID font (no font file)."""
    from xml.sax.saxutils import escape

    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = ParagraphStyle(
        "body", fontName="STSong-Light", fontSize=12, leading=18, firstLineIndent=24
    )
    style.wordWrap = "CJK"
    document = SimpleDocTemplate(str(path), pagesize=A4)
    document.build([Paragraph(escape(p), style) for p in paragraphs(text)])
    return path


def write_scanned_pdf(path: Path) -> Path:
    """A PDF of a page image: no text layer."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    page = canvas.Canvas(str(path), pagesize=A4)
    page.rect(50, 50, 400, 600, fill=1)
    page.showPage()
    page.save()
    return path


def write_docx(text: str, path: Path) -> Path:
    import docx

    document = docx.Document()
    for paragraph in paragraphs(text):
        document.add_paragraph(paragraph)
    document.save(str(path))
    return path


def published(report_id: str, shape: str, at: Path, marked_stale: bool = False) -> Path:
    text = REPORTS[report_id].read_text(encoding="utf-8")
    path = at / f"{report_id}.{shape}"
    if shape == "html":
        return write_page(text, path, report_id, marked_stale)
    if shape == "pdf":
        return write_pdf(text, path)
    return write_docx(text, path)


# --- extraction ---------------------------------------------------------------------------


@pytest.mark.parametrize("shape", FORMATS)
@pytest.mark.parametrize("report_id", sorted(REPORTS))
def test_the_extracted_text_is_the_reports_paragraphs(
    report_id: str, shape: str, tmp_path: Path
) -> None:
    source = published(report_id, shape, tmp_path)
    extracted = extract(source)
    assert paragraphs(extracted.text) == paragraphs(REPORTS[report_id].read_text("utf-8"))
    page = extracted.text
    for chrome in ("首页", "政务公开", "版权所有", "粤ICP备", "统计代码", "相关文章", "分享到"):
        assert chrome not in page


def test_a_page_marked_no_longer_in_force_says_so(tmp_path: Path) -> None:
    assert extract(published("guanhu-2020", "html", tmp_path, marked_stale=True)).not_in_force
    assert not extract(published("pingshan-2020", "html", tmp_path)).not_in_force


def test_text_in_gbk_is_read(tmp_path: Path) -> None:
    source = tmp_path / "report.txt"
    source.write_bytes(REPORTS["pingshan-2020"].read_text("utf-8").encode("gb18030"))
    assert paragraphs(extract(source).text) == paragraphs(REPORTS["pingshan-2020"].read_text())


@pytest.mark.parametrize(
    ("name", "content", "says"),
    [
        ("empty.txt", b"  \n", "empty"),
        ("empty.html", b"", "empty"),
        ("broken.pdf", b"%PDF-1.4 not really", "PDF"),
        ("broken.docx", b"PK\x03\x04 not really", "Word"),
        ("notes.odt", b"whatever", "cannot read .odt"),
        ("short.txt", "一、工作情况\n今年做了很多工作。\n".encode(), "no report text"),
        (
            "links.html",
            (
                "<html><body><div class='nav'><a href='/'>首页</a> <a href='/a'>政务公开</a></div>"
                "<ul><li><a href='/1'>坪山街道2020年工作报告</a></li>"
                "<li><a href='/2'>观湖街道2020年工作报告</a></li></ul>"
                "<div class='footer'>版权所有 粤ICP备12345678号</div></body></html>"
            ).encode(),
            "no report text",
        ),
    ],
)
def test_a_file_without_a_report_is_refused_with_a_reason(
    name: str, content: bytes, says: str, tmp_path: Path
) -> None:
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(ExtractionError, match=says):
        extract(source)


def test_a_scanned_pdf_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ExtractionError, match="no text layer"):
        extract(write_scanned_pdf(tmp_path / "scan.pdf"))


# --- adding and removing ------------------------------------------------------------------


def digest(root: Path) -> str:
    found = hashlib.blake2b()
    for tree in ("data", "faq", "intents"):
        for path in sorted(p for p in (root / tree).rglob("*") if p.is_file()):
            found.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return found.hexdigest()


def without_report(root: Path, report_id: str) -> None:
    """Remove a report from a scratch project, with the hand-written entries citing it, the
    English renderings of its entries and the examples among its generated entries."""
    prefix = load_reports(root / "data")[report_id].id_prefix
    for path in (root / "faq").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        extends = [*(data.get("phrasings") or {}), *(data.get("keywords") or {})]
        cites = data.get("report") == report_id or any(i.startswith(f"{prefix}-") for i in extends)
        if cites and data.get("generated_by") is None:
            path.unlink()
    for path in (root / "faq" / "en").glob("*.yaml"):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        kept = {k: v for k, v in (data.get("entries") or {}).items() if not k.startswith(prefix)}
        path.write_text(yaml.safe_dump({"entries": kept}, allow_unicode=True), encoding="utf-8")
    scope = root / "intents" / "scope.yaml"
    lines = scope.read_text(encoding="utf-8").splitlines(keepends=True)
    scope.write_text("".join(x for x in lines if not x.startswith(f"  - {prefix}-")), "utf-8")
    remove_report(root, report_id)


# A report neither street has published (a third street's), long enough to be one.
FRESH_REPORT = """新桥街道2021年工作情况和2022年工作计划
一、2021年工作情况
(一)长者食堂。新桥街道在辖区建成社区长者食堂三家,为独居老人每日提供午餐配送服务,\
全年累计服务老人两万余人次,社区党群服务中心设立助餐登记点。
(二)社区治理。推行“网格员+楼栋长”联动机制,全年化解邻里纠纷三百余宗,\
群众满意度持续提升。
二、2022年工作计划
(一)口袋公园。新桥街道计划新建口袋公园五个,方便居民就近休闲健身,\
同步完善无障碍设施和夜间照明。
(二)民生实事。围绕教育、医疗、养老等领域办好十件民生实事,新增学位一千个,\
建设社区健康服务中心两家,打造十五分钟便民生活圈。
附:名词解释
1.口袋公园:指规模较小、分布零散、方便居民就近使用的小型公园绿地。
"""


def fresh_docx(at: Path) -> Path:
    return write_docx(FRESH_REPORT.replace("\\\n", ""), at / "fresh.docx")


NEW_XINQIAO = NewReport(
    street="xinqiao",
    street_name="新桥街道",
    district="宝安区",
    street_aliases=("新桥",),
    title="2020年新桥街道党工委工作报告",
    years=(2019, 2020),
)


@pytest.mark.parametrize(
    ("new", "source", "says"),
    [
        (NEW_XINQIAO, "pingshan-2020", "is report pingshan-2020 again"),
        (NewReport("xinqiao", "标题", (2021,)), "guanhu-2020", "give --street-name"),
        (
            NewReport("pingshan", "标题", (2021,), street_name="坪山镇"),
            "guanhu-2020",
            "is 坪山街道",
        ),
        (NewReport("pingshan", "标题", (2020,)), "guanhu-2020", "already in data/reports.yaml"),
        (NewReport("Ping Shan", "标题", (2021,)), "guanhu-2020", "--street"),
        (replace(NEW_XINQIAO, channels=("月球服务站",)), "fresh", "月球"),
    ],
)
def test_a_report_that_cannot_be_added_leaves_the_knowledge_as_it_was(
    new: NewReport, source: str, says: str, make_project: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_project("data", "faq", "intents", at=tmp_path / "project")
    before = digest(root)
    with pytest.raises(Exception, match=says) as raised:
        path = fresh_docx(tmp_path) if source == "fresh" else published(source, "docx", tmp_path)
        add_report(root, path, new)
    assert raised.type.__name__ in ("CatalogueError", "KnowledgeError")
    assert digest(root) == before


def test_a_report_still_cited_by_hand_written_entries_is_not_removed(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    root = make_project("data", "faq", "intents", at=tmp_path / "project")
    before = digest(root)
    with pytest.raises(CatalogueError, match=r"faq/pingshan.yaml: \d+"):
        remove_report(root, "pingshan-2020")
    with pytest.raises(CatalogueError, match="no report 'nowhere-2020'"):
        remove_report(root, "nowhere-2020")
    assert digest(root) == before


@pytest.mark.slow
@pytest.mark.parametrize("shape", FORMATS)
def test_a_report_added_from_each_shape_is_built_answered_and_cited(
    shape: str, make_project: Callable[..., Path], tmp_path: Path
) -> None:
    from bot.engine.answering import Engine

    root = make_project("data", "faq", "intents", at=tmp_path / "project")
    original = load_reports(root / "data")["guanhu-2020"]
    without_report(root, "guanhu-2020")
    source = published("guanhu-2020", shape, tmp_path, marked_stale=True)
    added = add_report(root, source, NEW_XINQIAO)

    assert added.id == "xinqiao-2019" and added.glossary
    assert added.in_force is (shape != "html")  # only the page says 文件已失效
    report = load_reports(root / "data")[added.id]
    assert (root / "data" / report.file).name == "xinqiao-2019.txt"
    (sections, _), (theirs, _) = parse_report(report), parse_report(original)
    assert [(s.number, s.heading) for s in sections] == [(s.number, s.heading) for s in theirs]
    assert added.sections == len(theirs) - 2  # without the preamble and the appendix
    engine = Engine.load(root, model="none")
    glossary = [e for e in engine.kb.glossary if e.report == added.id]
    assert len(glossary) >= 29
    reply = engine.ask("新桥街道的“六零”是什么")
    assert reply.outcome == "answer" and reply.source is not None
    assert reply.source.startswith("新桥街道《2020年新桥街道党工委工作报告》")
    assert "新桥街道(宝安区)" in engine.about()


@pytest.mark.slow
def test_the_cli_adds_and_removes_a_report(tmp_path: Path, make_project) -> None:
    root = make_project("data", "faq", "intents", at=tmp_path / "project")
    without_report(root, "guanhu-2020")
    source = published("guanhu-2020", "pdf", tmp_path)
    runner = CliRunner()
    args = ["add-report", str(source), "--root", str(root), "--model", "none"]
    args += ["--street", "xinqiao", "--street-name", "新桥街道", "--district", "宝安区"]
    args += ["--title", "2020年新桥街道党工委工作报告", "--date", "2020-03-13"]
    args += ["--years", "2019,2020", "--channel", "党群服务中心", "--not-in-force"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "added xinqiao-2020 (not in force)" in result.output
    item = yaml.safe_load((root / "data/reports.yaml").read_text("utf-8"))["reports"][-1]
    assert item["date"].isoformat() == "2020-03-13" and item["channels"] == ["党群服务中心"]
    assert "# Metadata for the source reports" in (root / "data/reports.yaml").read_text("utf-8")
    assert runner.invoke(main, ["check", "--root", str(root)]).exit_code == 0

    again = runner.invoke(main, args)
    assert again.exit_code == 1 and "nothing was changed" in again.output

    removed = runner.invoke(main, ["remove-report", "xinqiao-2020", "--root", str(root)])
    assert removed.exit_code == 0, removed.output
    assert not (root / "data/reports/xinqiao-2020.txt").exists()
    assert [
        r["id"] for r in yaml.safe_load((root / "data/reports.yaml").read_text())["reports"]
    ] == ["pingshan-2020"]


# --- 坪山 out and back in, from its web page ---------------------------------------------


def pingshan_questions() -> list:
    """Every labeled question answered from the 坪山 report alone."""
    from bot.engine.textnorm import fold
    from bot.tools.evaluation import load_questions

    text = fold(REPORTS["pingshan-2020"].read_text(encoding="utf-8"))
    sets = sorted(p for p in (ROOT / "tests/eval").glob("*.yaml") if p.name != "floors.yaml")
    items = []
    for path in sets:
        try:
            labeled = load_questions(path)
        except ValueError:
            continue  # dialogs.yaml: turns, not questions
        items += [
            i for i in labeled if i.expect == "answer" and all(fold(q) in text for q in i.quotes)
        ]
    return items


@pytest.mark.slow
def test_pingshan_re_added_from_its_page_answers_as_its_text_does(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    from bot.engine.answering import Engine
    from bot.tools.evaluation import evaluate

    root = make_project("data", "faq", "intents", at=tmp_path / "project")
    questions = pingshan_questions()
    assert len(questions) > 200
    before = evaluate(Engine.load(root, generated_only=True), questions)
    without_report(root, "pingshan-2020")
    page = write_page(REPORTS["pingshan-2020"].read_text("utf-8"), tmp_path / "ps.html", "坪山")
    again = NewReport(
        street="pingshan",
        street_name="坪山街道",
        district="坪山区",
        street_aliases=("坪山区", "坪山"),
        title="坪山街道2020年主要工作情况和2021年工作计划",
        period="2020年工作总结、2021年工作计划",
        years=(2020, 2021),
        channels=("街道行政服务大厅", "社区党群服务中心"),
        id="pingshan-2020",
        id_prefix="ps",
    )
    add_report(root, page, again)
    after = evaluate(Engine.load(root, generated_only=True), questions)
    n = len(before.outcomes)
    print(
        f"坪山, generated only, {n} questions: "
        f"text {before.accuracy:.1%}, page {after.accuracy:.1%}"
    )
    assert len(after.outcomes) == len(before.outcomes)
    assert after.accuracy == before.accuracy
    # The same passages, under the same ids.
    passages = yaml.safe_load((root / "faq/generated-passages.yaml").read_text("utf-8"))
    original = yaml.safe_load((ROOT / "faq/generated-passages.yaml").read_text("utf-8"))
    mine = [p for p in passages["passages"] if p["report"] == "pingshan-2020"]
    assert mine == [p for p in original["passages"] if p["report"] == "pingshan-2020"]


# --- several reports of one street ----------------------------------------------------------

PINGSHAN_2022 = """坪山街道2022年工作情况和2023年工作计划
一、2022年主要工作情况
(一)托育服务扩容。坪山街道互助式婴幼儿托育服务中心2022年新增托位一百个,开设周末托育班,\
家长志愿服务时间继续用于置换托育服务。
(二)口袋公园。坪山街道全年建成口袋公园六个,配套健身步道和儿童游乐设施,方便居民就近休闲。
二、2023年工作计划
(一)长者饭堂。坪山街道计划在六个社区各建一家长者饭堂,为辖区老人提供助餐服务,\
并设立街道行政服务大厅助老窗口。
(二)城市更新。推进老旧小区改造十个,完善雨污分流和电梯加装,提升居民居住品质。
"""


@pytest.mark.slow
def test_a_year_goes_to_its_report_and_otherwise_the_newest_answers_first(
    make_project: Callable[..., Path], tmp_path: Path
) -> None:
    from bot.engine.answering import Engine

    root = make_project("data", "faq", "intents", at=tmp_path / "project")
    source = tmp_path / "pingshan-2022.txt"
    source.write_text(PINGSHAN_2022, encoding="utf-8")
    new = NewReport(
        street="pingshan", title="坪山街道2022年工作情况和2023年工作计划", years=(2022, 2023)
    )
    assert add_report(root, source, new).id == "pingshan-2022"
    engine = Engine.load(root, model="none")
    newest = "坪山街道《坪山街道2022年工作情况和2023年工作计划》"
    older = "(这是2020、2021年的报告；该街道最新的报告是《坪山街道2022年工作情况和2023年工作计划》)"

    no_year = engine.ask("坪山街道的托育服务中心怎么样")
    assert no_year.outcome == "answer" and no_year.source is not None
    assert no_year.source.startswith(newest) and older not in no_year.source
    that_year = engine.ask("2020年坪山街道的托育服务")
    assert that_year.outcome == "answer" and that_year.source is not None
    assert "《坪山街道2020年主要工作情况和2021年工作计划》" in that_year.source
    assert newest not in that_year.source and older in that_year.source
    # Only the older report speaks of it: it answers, saying which year it is from.
    only_older = engine.ask("坪山街道门磁报警器")
    assert only_older.outcome == "answer" and only_older.source is not None
    assert only_older.source.endswith(older)
    # Hand-written entries keep citing the report they were written for.
    assert engine.kb.entries["ps-childcare-centre"].report == "pingshan-2020"
    about = engine.about()
    assert "2022年工作情况和2023年工作计划" in about and "2020年主要工作情况" in about


# --- live: SIGHUP -----------------------------------------------------------------------------


async def test_sighup_makes_the_running_bot_reload_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    import signal
    from types import SimpleNamespace

    from bot.telegram import curators

    reloads: list[object] = []

    async def reload_engine(bot_data: object) -> list:
        reloads.append(bot_data)
        return []

    async def notify_pending(context: object) -> None:
        return None

    monkeypatch.setattr(curators, "reload_engine", reload_engine)
    monkeypatch.setattr(curators, "notify_pending", notify_pending)
    engine = SimpleNamespace(kb=SimpleNamespace(entries={}))
    context = SimpleNamespace(bot_data=SimpleNamespace(engine=engine))
    job = curators.SighupReload()
    previous = signal.getsignal(signal.SIGHUP)
    try:
        job.install()
        await job(context)
        assert reloads == []
        os.kill(os.getpid(), signal.SIGHUP)  # would end the process without the handler
        await job(context)
        await job(context)
        assert reloads == [context.bot_data]
    finally:
        signal.signal(signal.SIGHUP, previous)
