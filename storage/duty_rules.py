"""The duty record's defaults, as a county file may override them (``duties:``, ``points:``,
``stars:``): the seeds' 八个一 (one reception, one 社情民意 a month) and 履职积分 rules."""

from __future__ import annotations

__all__ = ["DEFAULT_DUTIES", "DEFAULT_POINTS", "DEFAULT_STARS", "DUTY_LABELS"]

# What a deputy should do each month: name → how many times.
DEFAULT_DUTIES: dict[str, int] = {"receptions": 1, "observations": 1}
DUTY_LABELS = {"receptions": "进站接待选民", "observations": "报送社情民意"}

# 履职积分: rule name → points. A county file's ``points:`` changes some of them (0 turns one
# off); a name not listed here is an error.
DEFAULT_POINTS: dict[str, int] = {
    "按时签收": 1,
    "按时答复": 2,
    "办结且满意": 3,
    "不满意重办": -2,
    "逾期通报": -3,
    "接待": 2,
    "代录": 1,
    "社情民意": 2,
    "建议答复": 2,
}

# 履职之星: the top N deputies of each level, listed to the office on 31 December.
DEFAULT_STARS = 3
