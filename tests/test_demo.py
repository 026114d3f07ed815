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


def test_demo_logs_go_to_the_data_folder_not_between_chat_lines(tmp_path, capsys):
    """ "WARNING casework.calendar: …" was printed inside the demo's conversation."""
    import logging

    from bot.demo import log_to_file
    from tests.conftest import make_settings

    root = logging.getLogger()
    saved = list(root.handlers)
    try:
        path = log_to_file(make_settings("sqlite://", tmp_path))
        logging.getLogger("casework.calendar").warning("no official holiday schedule for 2027")
        for handler in root.handlers:
            handler.flush()
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved:
            root.addHandler(handler)
    captured = capsys.readouterr()
    assert "WARNING" not in captured.out + captured.err
    assert path == tmp_path / "var" / "grid-intake.log"
    assert "WARNING casework.calendar: no official holiday schedule for 2027" in path.read_text()


async def test_demo_refuses_a_text_over_2000_characters(app, clock):
    """A 3,000-character message typed into the demo was accepted whole."""
    out = io.StringIO()
    demo = DemoSession(app, clock, out)
    await demo.handle_line("东岭村的路灯坏了" + "很" * 2992)
    await demo.handle_line("1")
    shown = out.getvalue()
    assert "超过了2000字的上限" in shown
    assert "工单号" not in shown
