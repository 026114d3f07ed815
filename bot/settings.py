"""Settings from the environment and a ``.env`` file (INTERFACES.md, Settings)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    data_dir: Path = Field(Path("var"), alias="GRID_INTAKE_DATA")
    db: str | None = Field(None, alias="GRID_INTAKE_DB")
    tz: str = Field("Asia/Shanghai", alias="GRID_INTAKE_TZ")
    http: str = Field("127.0.0.1:8080", alias="GRID_INTAKE_HTTP")
    keywords: Path | None = Field(None, alias="GRID_INTAKE_KEYWORDS")
    # The office's dashboard (/office/): the key signing its session cookies (default: one
    # made once and kept in the database), and the cookies' Secure flag behind HTTPS.
    office_secret: str | None = Field(None, alias="GRID_INTAKE_OFFICE_SECRET")
    office_https: bool = Field(False, alias="GRID_INTAKE_OFFICE_HTTPS")

    telegram_bot_token: str | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_backend: str = Field("ptb", alias="TELEGRAM_BACKEND")
    telegram_bot_username: str | None = Field(None, alias="TELEGRAM_BOT_USERNAME")
    telegram_api_base_url: str = Field("https://api.telegram.org", alias="TELEGRAM_API_BASE_URL")
    telegram_webhook_url: str | None = Field(None, alias="TELEGRAM_WEBHOOK_URL")
    telegram_webhook_secret: str | None = Field(None, alias="TELEGRAM_WEBHOOK_SECRET")

    wechat_app_id: str | None = Field(None, alias="WECHAT_APP_ID")
    wechat_app_secret: str | None = Field(None, alias="WECHAT_APP_SECRET")
    wechat_token: str | None = Field(None, alias="WECHAT_TOKEN")
    wechat_aes_key: str | None = Field(None, alias="WECHAT_AES_KEY")
    wechat_api_base_url: str = Field(
        "https://api.weixin.qq.com/cgi-bin/", alias="WECHAT_API_BASE_URL"
    )
    # What must arrive outside the 48-hour window goes as template messages: JSON mapping a
    # kind (assignment, result, survey) to a template id, or to {"id": …, "fields": {…}}.
    wechat_templates: dict[str, Any] = Field(default_factory=dict, alias="WECHAT_TEMPLATES")

    # QQ official bot (q.qq.com, API v2): webhook (POST /qq/webhook, the default) or the
    # websocket gateway; the sandbox API is https://sandbox.api.sgroup.qq.com.
    qq_app_id: str | None = Field(None, alias="QQ_APP_ID")
    qq_app_secret: str | None = Field(None, alias="QQ_APP_SECRET")
    qq_api_base_url: str = Field("https://api.sgroup.qq.com", alias="QQ_API_BASE_URL")
    qq_token_url: str = Field("https://bots.qq.com/app/getAppAccessToken", alias="QQ_TOKEN_URL")
    qq_mode: str = Field("webhook", alias="QQ_MODE")
    # Active messages per chat and month (4 until QQ withdrew them on 2025-04-21; a refusal
    # from QQ stops the tries for that chat and month anyway).
    qq_active_quota: int = Field(4, alias="QQ_ACTIVE_QUOTA")

    @property
    def database_url(self) -> str:
        """``GRID_INTAKE_DB``, else the SQLite file in the data folder."""
        if self.db:
            return self.db
        return f"sqlite:///{(self.data_dir / 'grid-intake.sqlite3').resolve()}"

    @property
    def http_host_port(self) -> tuple[str, int]:
        host, _, port = self.http.rpartition(":")
        return host or "127.0.0.1", int(port)
