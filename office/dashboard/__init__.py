"""The office's web dashboard (代表工委工作台) under ``/office/``: server-rendered pages on
casework, mounted by ``bot.web``. ``make_dashboard`` builds the Starlette app."""

from office.dashboard.app import Dashboard, make_dashboard

__all__ = ["Dashboard", "make_dashboard"]
