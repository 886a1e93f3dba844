"""Sitrep's configuration: one typed object, read once from the environment and `.env`."""

from __future__ import annotations

import re
from functools import cached_property
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.database_url import async_database_url

# Slack signing secrets are hex strings; anything else is almost always a pasted token or a
# copy of the wrong field from the app's "Basic Information" page.
_SIGNING_SECRET = re.compile(r"^[0-9a-fA-F]{16,}$")
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_EMOJI_NAME = re.compile(r"^[a-z0-9_+'-]{1,100}$")
_SECONDS = re.compile(r"^(\d+)\s*([smh])$")
_SECONDS_IN = {"s": 1, "m": 60, "h": 3600}
_HOURS = re.compile(r"^(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})$")
COMMANDER = "commander"
DEFAULT_TIMELINE_EMOJI = {"pushpin": "key_event"}
DEFAULT_ROLES = (COMMANDER, "comms", "scribe", "ops")
# Who may resolve or reopen an incident (SITREP_RESOLVE_BY, SITREP_REOPEN_BY): anyone in
# its channel, or only its commander and/or its reporter (who must be in the channel too).
MEMBER = "member"
REPORTER = "reporter"
DEFAULT_RESOLVE_BY = (MEMBER,)
DEFAULT_REOPEN_BY = (COMMANDER, REPORTER)
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable and how to fix it."""


class Settings(BaseSettings):
    """Every setting, named exactly as the environment variable that sets it."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    database_url: str = Field(default="sqlite+aiosqlite:///sitrep.db", alias="DATABASE_URL")
    # How long `serve` waits at start-up for a database that does not answer yet (a
    # PostgreSQL container started beside it), trying again with back-off, before it gives up.
    database_wait_s: Annotated[float, NoDecode] = Field(default=30.0,
                                                        alias="SITREP_DATABASE_WAIT")
    port: int = Field(default=3000, ge=1, le=65535, alias="PORT")
    host: str = Field(default="0.0.0.0", min_length=1, alias="SITREP_HOST")
    announce_channel: str | None = Field(default=None, alias="SITREP_ANNOUNCE_CHANNEL")
    timezone_name: str = Field(default="UTC", alias="SITREP_TIMEZONE")
    retro_template: Path | None = Field(default=None, alias="SITREP_RETRO_TEMPLATE")
    default_severity: int = Field(default=3, ge=1, le=4, alias="SITREP_DEFAULT_SEVERITY")
    roles: Annotated[tuple[str, ...], NoDecode] = Field(default=DEFAULT_ROLES,
                                                        alias="SITREP_ROLES")
    # emoji name → timeline kind, e.g. "pushpin=key_event,bulb=hypothesis".
    timeline_emoji: Annotated[dict[str, str], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_TIMELINE_EMOJI), alias="SITREP_TIMELINE_EMOJI")
    # The bot's own reaction on a message it put on the timeline; empty for none.
    timeline_confirm_emoji: str | None = Field(default="spiral_note_pad",
                                               alias="SITREP_TIMELINE_CONFIRM")
    resolve_by: Annotated[tuple[str, ...], NoDecode] = Field(default=DEFAULT_RESOLVE_BY,
                                                             alias="SITREP_RESOLVE_BY")
    reopen_by: Annotated[tuple[str, ...], NoDecode] = Field(default=DEFAULT_REOPEN_BY,
                                                            alias="SITREP_REOPEN_BY")
    # `sitrep stats` splits the hours people held the commander role into working hours
    # (Monday to Friday within these), nights (every day within SITREP_NIGHT_HOURS) and
    # evenings (the rest); seconds after local midnight, the night's start up to 24 h.
    working_hours: Annotated[tuple[int, int], NoDecode] = Field(
        default=(9 * 3600, 18 * 3600), alias="SITREP_WORKING_HOURS")
    night_hours: Annotated[tuple[int, int], NoDecode] = Field(
        default=(23 * 3600, 7 * 3600), alias="SITREP_NIGHT_HOURS")
    log_format: str = Field(default="text", alias="SITREP_LOG_FORMAT")
    log_level: str = Field(default="INFO", alias="SITREP_LOG_LEVEL")

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token",
                     "announce_channel", "retro_template", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `FOO=` in a .env file means "not set", not "set to the empty string".
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator("database_wait_s", mode="before")
    @classmethod
    def _wait_duration(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        written = value.strip().lower()
        if written in {"0", "off"}:
            return 0.0
        found = _SECONDS.match(written)
        if found is None:
            raise ValueError(f"write a duration such as 30s, 2m or off (not {value!r})")
        return float(int(found.group(1)) * _SECONDS_IN[found.group(2)])

    @field_validator("host", mode="before")
    @classmethod
    def _host_is_trimmed(cls, value: object) -> object:
        return value.strip() if isinstance(value, str) else value

    @field_validator("roles", mode="before")
    @classmethod
    def _comma_separated_roles(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip().lower() for part in value.split(",") if part.strip()]
        if isinstance(value, list | tuple):
            bad = [role for role in value if not _ROLE_NAME.match(str(role))]
            if bad:
                raise ValueError(f"role names are lowercase words (a-z, 0-9, - or _), "
                                 f"not {', '.join(map(repr, bad))}")
            # The commander always exists: handover and the card depend on it.
            return (COMMANDER, *dict.fromkeys(r for r in value if r != COMMANDER))
        return value

    @field_validator("resolve_by", "reopen_by", mode="before")
    @classmethod
    def _who_may(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip().lower() for part in value.split(",") if part.strip()]
        if not isinstance(value, list | tuple):
            return value
        words = tuple(dict.fromkeys(str(word) for word in value))
        if words == (MEMBER,) or (words and set(words) <= {COMMANDER, REPORTER}):
            return words
        typed = repr(",".join(words)) if words else "nothing"
        raise ValueError(f"write {MEMBER} (anyone in the incident's channel), or "
                         f"{COMMANDER}, {REPORTER} or {COMMANDER},{REPORTER} (not {typed})")

    @field_validator("working_hours", "night_hours", mode="before")
    @classmethod
    def _hours(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        found = _HOURS.match(value.strip())
        if found is None:
            raise ValueError(f"write a range of local times such as 09:00-18:00 "
                             f"(not {value!r})")
        start_h, start_m, end_h, end_m = (int(part) for part in found.groups())
        if start_h > 23 or end_h > 23 or start_m > 59 or end_m > 59:
            raise ValueError(f"{value!r} is not a range of times of day (00:00 to 23:59)")
        return (start_h * 3600 + start_m * 60, end_h * 3600 + end_m * 60)

    @model_validator(mode="after")
    def _working_hours_are_awake(self) -> Settings:
        work_start, work_end = self.working_hours
        night_start, night_end = self.night_hours
        # A night written as starting at 00:00 starts at the end of the day.
        night_start = night_start or 24 * 3600
        if not night_end <= work_start < work_end <= night_start:
            raise ValueError("SITREP_WORKING_HOURS must lie within the day that "
                             "SITREP_NIGHT_HOURS leaves, and the night must take in midnight "
                             "(e.g. 09:00-18:00 and 23:00-07:00)")
        return self

    @field_validator("log_format")
    @classmethod
    def _log_format(cls, value: str) -> str:
        if value.strip().lower() not in LOG_FORMATS:
            raise ValueError(f"write text (lines for people) or json (one object a line, "
                             f"for a log collector), not {value!r}")
        return value.strip().lower()

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level == "WARN":
            return "WARNING"
        if level not in LOG_LEVELS:
            raise ValueError(f"write one of {', '.join(LOG_LEVELS)}, not {value!r}")
        return level

    @field_validator("timeline_emoji", mode="before")
    @classmethod
    def _emoji_map(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        mapping: dict[str, str] = {}
        for pair in filter(None, (part.strip() for part in value.split(","))):
            emoji, separator, kind = (piece.strip().strip(":") for piece in pair.partition("="))
            if not separator or not _EMOJI_NAME.match(emoji) or not _ROLE_NAME.match(kind):
                raise ValueError(f"write emoji=kind pairs separated by commas, such as "
                                 f"pushpin=key_event,bulb=hypothesis (not {pair!r})")
            mapping[emoji] = kind
        if not mapping:
            raise ValueError("name at least one emoji, such as pushpin=key_event")
        return mapping

    @field_validator("timeline_confirm_emoji", mode="before")
    @classmethod
    def _confirm_emoji(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip().strip(":")
            if not value or value.lower() in {"none", "off"}:
                return None
            if not _EMOJI_NAME.match(value):
                raise ValueError(f"{value!r} is not an emoji name (such as spiral_note_pad)")
        return value

    @model_validator(mode="after")
    def _confirmation_is_not_a_marker(self) -> Settings:
        # The bot's own confirming reaction must not itself mark messages.
        if self.timeline_confirm_emoji in self.timeline_emoji:
            raise ValueError(f"SITREP_TIMELINE_CONFIRM ({self.timeline_confirm_emoji}) is also "
                             "in SITREP_TIMELINE_EMOJI; pick an emoji that marks nothing")
        return self

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        # slack-sdk joins method names onto the base URL; without the slash the last path
        # segment would be replaced.
        return value if value.endswith("/") else value + "/"

    @field_validator("timezone_name")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}; use an IANA name such as "
                             "Europe/London or America/New_York") from exc
        return value

    @cached_property
    def timezone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone_name)

    @property
    def socket_mode(self) -> bool:
        return self.slack_app_token is not None

    def check_can_serve(self) -> None:
        """Refuse to serve with credentials that cannot work, before Slack ever calls us."""
        token = self.slack_bot_token
        if token is None:
            raise ConfigError(
                "SLACK_BOT_TOKEN is not set: copy the Bot User OAuth Token (xoxb-…) from your "
                "Slack app's OAuth & Permissions page into .env or the environment."
            )
        if not token.startswith("xoxb-"):
            raise ConfigError(
                "SLACK_BOT_TOKEN does not look like a bot token: it must start with 'xoxb-' "
                "(the Bot User OAuth Token on the app's OAuth & Permissions page)."
            )
        if self.socket_mode:
            assert self.slack_app_token is not None
            if not self.slack_app_token.startswith("xapp-"):
                raise ConfigError(
                    "SLACK_APP_TOKEN does not look like an app-level token: it must start with "
                    "'xapp-' (Basic Information → App-Level Tokens, scope connections:write), "
                    "or unset it to serve over HTTP."
                )
            return
        secret = self.slack_signing_secret
        if secret is None:
            raise ConfigError(
                "SLACK_SIGNING_SECRET is not set: copy the Signing Secret from your Slack app's "
                "Basic Information page into .env, or set SLACK_APP_TOKEN to use Socket Mode."
            )
        if not _SIGNING_SECRET.match(secret):
            raise ConfigError(
                "SLACK_SIGNING_SECRET is malformed: it should be the hex Signing Secret from "
                "the app's Basic Information page (not a token)."
            )


def load_settings(**overrides: object) -> Settings:
    """Build the settings, turning pydantic's validation report into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first["msg"]).removeprefix("Value error, ")
        if not first["loc"]:
            # A rule across settings; its message names the variables itself.
            raise ConfigError(f"{message}.") from exc
        variable = _variable_name(str(first["loc"][0]))
        raise ConfigError(f"{variable} is invalid: {message}.") from exc


def _variable_name(field_or_alias: str) -> str:
    field = Settings.model_fields.get(field_or_alias)
    if field is not None and field.alias:
        return field.alias
    return field_or_alias.upper()
