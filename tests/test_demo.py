"""The terminal demo: a person plays resident, deputy and office with typed lines."""

from __future__ import annotations

import io

from bot.demo import DemoSession


async def test_demo_walks_the_whole_loop_by_typing(app, clock):
    out = io.StringIO()
    demo = DemoSession(app, clock, out)
    lines = [
        "/scan ST-DL",
        "东岭村的路灯坏了",
        "1",
        "/as deputy:D001",
        "受理 YS-2026-000001",
        "回复 YS-2026-000001 已联系供电所",
        "办结 YS-2026-000001 路灯已更换",
        "/as resident:小王",
        "查询 YS-2026-000001",
    ]
    for line in lines:
        assert await demo.handle_line(line)
    shown = out.getvalue()
    assert "→ 小王（resident:小王）" in shown
    assert "→ 莫小兰代表（deputy:D001）" in shown
    assert "1. 确认提交" in shown  # choices are a numbered list in the terminal
    assert "工单号：YS-2026-000001" in shown
    assert "路灯已更换" in shown
    assert "状态：已办结" in shown
    assert not await demo.handle_line("/quit")


async def test_demo_clock_moves_and_jobs_run(app, clock):
    out = io.StringIO()
    demo = DemoSession(app, clock, out)
    await demo.handle_line("东岭村的路灯坏了")
    await demo.handle_line("/advance 31m")
    assert "超过30分钟未确认提交" in out.getvalue()
    assert "（时钟已拨到 2026-11-23 09:31）" in out.getvalue()


async def test_demo_explains_its_own_commands(app, clock):
    out = io.StringIO()
    demo = DemoSession(app, clock, out)
    await demo.handle_line("/as deputy:D999")
    await demo.handle_line("/advance soon")
    await demo.handle_line("/what")
    shown = out.getvalue()
    assert "没有代表 deputy:D999" in shown
    assert "not a duration" in shown
    assert "/as deputy:D001" in shown  # the help text
