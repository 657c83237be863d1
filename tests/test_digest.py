"""The weekly digest: its figures, its chart (Chinese in the packaged font), and through the
fake Bot API a photo and a message with a button per group, once a week, to curators only;
/stats sends the same on demand."""

from __future__ import annotations

import datetime as dt
import warnings
from pathlib import Path
from typing import Any

import pytest
from dashboard_data import fill
from fake_bot_api import CURATOR_ID, FakeBotApi

from bot.curation.digest import chart_png, weekly_digest
from bot.store.question_log import Store
from bot.telegram.digest import MONDAY, TIMEZONE

RESIDENT = 2002


def test_the_figures_and_the_chart(tmp_path: Path) -> None:
    with Store(fill(tmp_path / "log.db")).open() as store:
        digest = weekly_digest(store)
    assert digest.week["questions"] + digest.before["questions"] > 100
    assert 1 <= len(digest.groups) <= 5
    assert digest.groups[0][0].label.startswith("社保")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = chart_png(digest)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    assert not [w for w in caught if "missing from font" in str(w.message)]


def test_the_font_comes_from_the_installed_package() -> None:
    from pylopdf_fonts_zh_cn import sans_path

    from bot.curation import digest

    assert sans_path().is_file() and "site-packages" in str(sans_path())
    assert "sans_path" in Path(digest.__file__).read_text()


@pytest.mark.slow
async def test_once_a_week_to_curators_with_buttons(curator_bot: Any, fake_api: FakeBotApi) -> None:
    fill(curator_bot.bot_data.settings.db_path)
    (job,) = curator_bot.job_queue.get_jobs_by_name("weekly-digest")
    nxt = job.next_t.astimezone(TIMEZONE)
    assert (nxt.hour, nxt.minute) == (9, 0) and nxt.isoweekday() == 1 and MONDAY == 1
    assert job.next_t - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=7)

    mark = fake_api.mark()
    await job.run(curator_bot)
    message = await fake_api.wait_for("sendMessage", after=mark)
    photos = [c for c in fake_api.requests("sendPhoto") if c.params["chat_id"] == CURATOR_ID]
    assert len(photos) == 1 and photos[0].params["photo"].startswith(b"\x89PNG")
    assert {c.params["chat_id"] for c in fake_api.requests("sendPhoto")} == {CURATOR_ID}
    assert message.params["chat_id"] == CURATOR_ID and "每周小结" in message.text
    groups = [data for _, data in message.buttons if data.startswith("m:g:")]
    assert 1 <= len(groups) <= 5

    # A tap shows the group as /missed does, with its buttons to answer it.
    mark = fake_api.mark()
    fake_api.tap(groups[0], fake_api.bot_message(message), user_id=CURATOR_ID)
    shown = await fake_api.wait_for("sendMessage", after=mark)
    assert any(data.startswith("m:i:") for _, data in shown.buttons)

    # /stats: the same on demand, for curators only.
    mark = fake_api.mark()
    fake_api.message("/stats", user_id=CURATOR_ID)
    again = await fake_api.wait_for("sendMessage", after=mark)
    assert "每周小结" in again.text
    mark = fake_api.mark()
    fake_api.message("/stats", user_id=RESIDENT)
    refused = await fake_api.wait_for("sendMessage", after=mark)
    assert "每周小结" not in refused.text
    assert all(c.params["chat_id"] == CURATOR_ID for c in fake_api.requests("sendPhoto"))
