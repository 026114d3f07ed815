"""``grid-intake bench update``: both bots get every update, every resident's case is filed,
and every reply goes out with its update (none left for the drain)."""

from __future__ import annotations

import json

from bot.cli import main


def test_bench_update_plays_the_intake_against_the_echo_bot_with_history(capsys):
    assert main(["bench", "update", "--residents", "3", "--history", "500"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["updates_per_bot"] == 9  # /start, the problem, 确认提交 for three each
    assert figures["cases_filed"] == 3 + 20  # the measured residents and the warm-up ones
    assert figures["history_cases"] == 500
    assert figures["replies_left_for_the_drain"] == 0
    assert figures["messages_sent_per_update"] == {"ours": 1.0, "echo": 1.0}
    ours, echo = figures["ours_handle_and_send"]["mean_ms"], figures["echo_bot"]["mean_ms"]
    assert abs(figures["ratio_mean_with_send"] - ours / echo) < 0.02  # of the unrounded means
