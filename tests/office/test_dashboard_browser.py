"""The office's day in a real browser (Playwright driving Debian's Chromium, headless): log
in, open an overdue case from the today board, reassign it, see the deputy's chat message
arrive, look at the figures and download the ledger. A screenshot of each page is kept in
var/screenshots/ (a CI artefact). Skipped, with the reason, where no browser can be had."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.simulator import Simulation
from bot.web import make_web_app
from office.dashboard import Dashboard, make_dashboard
from tests.office.dashboard_helpers import PASSWORD, TICKET, a_case, make_staff

ROOT = Path(__file__).resolve().parent.parent.parent
SHOTS = Path(os.environ.get("GRID_INTAKE_SCREENSHOTS", ROOT / "var" / "screenshots"))
CHROMIUM = os.environ.get("GRID_INTAKE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

playwright_api = pytest.importorskip(
    "playwright.async_api", reason="Playwright is not installed (pip install playwright)"
)
pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason=f"no Chromium at {CHROMIUM} (apt-get install -y chromium fonts-noto-cjk)",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(sqlite_sim: Simulation) -> Iterator[str]:
    """The web app with the dashboard, served by uvicorn on a loopback port."""
    import uvicorn

    app = sqlite_sim.app
    dashboard = make_dashboard(Dashboard(app.sessions, app.services, app.clock))
    port = _free_port()
    config = uvicorn.Config(
        make_web_app(app.engine, channels=[], office=dashboard),
        host="127.0.0.1", port=port, log_level="warning",
    )  # fmt: skip
    served = uvicorn.Server(config)
    thread = threading.Thread(target=served.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not served.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    served.should_exit = True
    thread.join(timeout=10)


async def test_the_offices_day_in_the_browser(sqlite_sim: Simulation, server: str, tmp_path):
    sim = sqlite_sim
    await a_case(sim)
    sim.clock.advance(timedelta(days=3))  # past its 签收 limit
    sim.recorder.take()
    make_staff(sim.app, "王主任")
    SHOTS.mkdir(parents=True, exist_ok=True)

    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            context = await browser.new_context(
                accept_downloads=True, locale="zh-CN", viewport={"width": 1280, "height": 900}
            )
            page = await context.new_page()
            await page.goto(f"{server}/office/")
            assert "/office/login" in page.url  # logged out: sent to log in
            await page.screenshot(path=SHOTS / "01-login.png", full_page=True)
            await page.fill("#name", "王主任")
            await page.fill("#password", PASSWORD)
            await page.click("button[type=submit]")
            await page.wait_for_url(f"{server}/office/")
            assert "逾期未签收（1件）" in await page.inner_text("#late_accept h2")
            await page.screenshot(path=SHOTS / "02-today.png", full_page=True)

            await page.click(f"#late_accept a[href='/office/cases/{TICKET}']")
            await page.wait_for_url(f"{server}/office/cases/{TICKET}")
            assert "逾期未签收" in await page.inner_text("h1")
            await page.screenshot(path=SHOTS / "03-case.png", full_page=True)

            before = await page.eval_on_selector("#deputy option[disabled]", "o => o.value")
            target = "D001" if before != "D001" else "D002"
            await page.select_option("#deputy", target)
            await page.click("form[action$='/assign'] button")
            await page.wait_for_selector(".flash")
            assert "改派" in await page.inner_text(".flash")
            await page.screenshot(path=SHOTS / "04-reassigned.png", full_page=True)

            await sim.sender.drain()  # the worker's part: the outbox to the chats
            sent = sim.recorder.take()
            assert any(s.chat_id == f"deputy:{target}" and TICKET in s.text for s in sent)
            assert any(s.chat_id == f"deputy:{before}" and "您无需再办理" in s.text for s in sent)

            await page.click("header a[href='/office/cases']")
            await page.wait_for_url(f"{server}/office/cases")
            await page.screenshot(path=SHOTS / "05-cases.png", full_page=True)

            await page.click("header a[href='/office/figures']")
            await page.wait_for_selector("svg.chart")
            await page.screenshot(path=SHOTS / "06-figures.png", full_page=True)
            async with page.expect_download() as info:
                await page.click("#xlsx")
            download = await info.value
            saved = tmp_path / download.suggested_filename
            await download.save_as(saved)
            assert load_workbook(saved)["台账"]["A2"].value == TICKET

            await page.click("header a[href='/office/suggestions']")
            await page.screenshot(path=SHOTS / "07-suggestions.png", full_page=True)
            await page.click("header a[href='/office/county']")
            await page.screenshot(path=SHOTS / "08-county.png", full_page=True)
            typo = tmp_path / "county-typo.yaml"
            typo.write_text(
                "county: {code: YS, name: 阳朔县}\nstations:\n  - {code: ST-NEW, nmae: 新站}\n",
                encoding="utf-8",
            )
            await page.set_input_files("#file", str(typo))
            await page.click("form[action='/office/county'] button")
            await page.wait_for_selector(".errors")
            assert "未导入任何内容" in await page.inner_text("main")
            await page.screenshot(path=SHOTS / "09-county-errors.png", full_page=True)

            phone = await browser.new_context(viewport={"width": 390, "height": 844})
            await phone.add_cookies(await context.cookies())
            small = await phone.new_page()
            await small.goto(f"{server}/office/")
            width = await small.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the today board is {width}px wide on a phone"
            await small.screenshot(path=SHOTS / "10-today-phone.png", full_page=True)
            await small.goto(f"{server}/office/cases/{TICKET}")
            await small.screenshot(path=SHOTS / "11-case-phone.png", full_page=True)

            await page.click("header form button")  # 退出
            await page.wait_for_url(f"{server}/office/login")
        finally:
            await browser.close()
