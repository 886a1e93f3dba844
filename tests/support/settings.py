"""The bot's settings for a test: fixed credentials, the emulator as Slack, a given database."""

from __future__ import annotations

from bot.core.settings import Settings
from bot.devtools.slack_emulator import SlackEmulator

SIGNING_SECRET = "8f742231b10e8888abcd99111222a5a5"
BOT_TOKEN = "xoxb-sitrep-test"
APP_TOKEN = "xapp-1-sitrep-test"


def make_settings(database_url: str, slack: SlackEmulator, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]
