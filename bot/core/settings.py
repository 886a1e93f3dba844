"""Sitrep's configuration: one typed object, read once from the environment and `.env`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta
from functools import cached_property
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core import durations
from bot.core.database_url import async_database_url
from bot.core.label_matchers import Matchers, parse_matchers

# Slack signing secrets are hex strings; anything else is almost always a pasted token or a
# copy of the wrong field from the app's "Basic Information" page.
_SIGNING_SECRET = re.compile(r"^[0-9a-fA-F]{16,}$")
_ROLE_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
_EMOJI_NAME = re.compile(r"^[a-z0-9_+'-]{1,100}$")
# Room for the number and a readable part of the title in Slack's 80 characters.
_CHANNEL_PREFIX = re.compile(r"^[a-z0-9][a-z0-9_-]{0,19}$")
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
# How long an open incident may go without an update before the channel is reminded, per
# severity (SITREP_UPDATE_REMINDERS); None: never. PagerDuty asks for one every 20 minutes
# early in a major incident; these are a little gentler.
DEFAULT_UPDATE_REMINDERS: dict[int, timedelta | None] = {
    1: timedelta(minutes=30), 2: timedelta(hours=1), 3: timedelta(hours=4), 4: None}
_REMINDER_SEVERITY = re.compile(r"^(?:sev|s)?\s*-?\s*([1-4])$")
_CLOCK_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
LOG_FORMATS = ("text", "json")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_REVIEW_RULE = re.compile(r"^(?:sev)?\s*-?\s*([1-4])\s*=\s*(?:(\d+)\s*(d|wd)|(off))$")
_WEEKLY = re.compile(r"^([a-z]+)\s+(\d{1,2}):(\d{2})$")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                  "sunday")


@dataclass(frozen=True)
class ReviewDeadline:
    """How long after the resolve a severity's retrospective review should be held by:
    `days` calendar days, or working days (Monday to Friday) when `working`."""

    days: int
    working: bool = False


@dataclass(frozen=True)
class WeeklyAt:
    """A moment of the week in SITREP_TIMEZONE: `weekday` 0 is Monday."""

    weekday: int
    at: time


# sev1 within 3 calendar days, sev2 within 5 working days; the others may hold one if they
# choose, with no deadline and no reminder.
DEFAULT_REVIEW_WITHIN = {1: ReviewDeadline(3), 2: ReviewDeadline(5, working=True)}
DEFAULT_ACTION_ITEMS_DM = WeeklyAt(0, time(9, 0))
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
# The dashboard's cookie key is derived from SITREP_SESSION_SECRET; this many characters
# of randomness (`openssl rand -hex 32` gives 64) leave nothing to guess.
MIN_SESSION_SECRET = 32
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


class ConfigError(Exception):
    """A setting is missing or wrong; the message names the variable and how to fix it."""


class Settings(BaseSettings):
    """Every setting, named exactly as the environment variable that sets it."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
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
    # Incident channels are `<prefix>-<N>-<title>`.
    channel_prefix: str = Field(default="inc", alias="SITREP_CHANNEL_PREFIX")
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
    # severity → when its retrospective review is due, e.g. "sev1=3d,sev2=5wd,sev3=off".
    review_within: Annotated[dict[int, ReviewDeadline], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_REVIEW_WITHIN), alias="SITREP_REVIEW_WITHIN")
    # When owners get their weekly direct message of open action items ("mon 09:00", or
    # None for "off").
    action_items_dm: Annotated[WeeklyAt | None, NoDecode] = Field(
        default=DEFAULT_ACTION_ITEMS_DM, alias="SITREP_ACTION_ITEMS_DM")
    update_reminders: Annotated[dict[int, timedelta | None], NoDecode] = Field(
        default_factory=lambda: dict(DEFAULT_UPDATE_REMINDERS),
        alias="SITREP_UPDATE_REMINDERS")
    # Local time (SITREP_TIMEZONE) of the daily digest in the announce channel; None: off.
    digest_at: Annotated[time | None, NoDecode] = Field(default=time(9, 0),
                                                        alias="SITREP_DIGEST_AT")
    stale_after: Annotated[timedelta | None, NoDecode] = Field(default=timedelta(days=3),
                                                              alias="SITREP_STALE_AFTER")
    # A commander who has held the role this long is offered a handover in the update
    # reminder (PagerDuty's guide: about three hours at most).
    handover_after: Annotated[timedelta | None, NoDecode] = Field(
        default=timedelta(hours=3), alias="SITREP_HANDOVER_AFTER")
    # `sitrep stats` splits the hours people held the commander role into working hours
    # (Monday to Friday within these), nights (every day within SITREP_NIGHT_HOURS) and
    # evenings (the rest); seconds after local midnight, the night's start up to 24 h.
    working_hours: Annotated[tuple[int, int], NoDecode] = Field(
        default=(9 * 3600, 18 * 3600), alias="SITREP_WORKING_HOURS")
    night_hours: Annotated[tuple[int, int], NoDecode] = Field(
        default=(23 * 3600, 7 * 3600), alias="SITREP_NIGHT_HOURS")
    log_format: str = Field(default="text", alias="SITREP_LOG_FORMAT")
    log_level: str = Field(default="INFO", alias="SITREP_LOG_LEVEL")
    # Sign in with Slack on the dashboard: on when the client id is set.
    slack_client_id: str | None = Field(default=None, alias="SLACK_CLIENT_ID")
    slack_client_secret: str | None = Field(default=None, alias="SLACK_CLIENT_SECRET")
    public_url: str | None = Field(default=None, alias="SITREP_PUBLIC_URL")
    session_secret: str | None = Field(default=None, alias="SITREP_SESSION_SECRET")

    # The paging webhooks (POST /hooks/alertmanager, /hooks/pagerduty); unset: 404.
    alertmanager_token: str | None = Field(default=None, alias="SITREP_ALERTMANAGER_TOKEN")
    pagerduty_secret: str | None = Field(default=None, alias="SITREP_PAGERDUTY_SECRET")
    # Which triggered PagerDuty incidents open one (matchers on `urgency`, `priority`,
    # `service`); the others and their news are ignored.
    pagerduty_open_on: Annotated[Matchers, NoDecode] = Field(
        default_factory=Matchers, alias="SITREP_PAGERDUTY_OPEN_ON")
    # A read-only PagerDuty REST API key: with it, a PagerDuty page's assignee is found in
    # Slack by email and made commander. Unset: the card asks someone to take command.
    pagerduty_api_token: str | None = Field(default=None, alias="SITREP_PAGERDUTY_API_TOKEN")
    pagerduty_api_url: str = Field(default="https://api.pagerduty.com/",
                                   alias="SITREP_PAGERDUTY_API_URL")
    # Which firing Alertmanager groups may open an incident (label matchers, as
    # Alertmanager writes them); the others only join an incident that tracks them.
    alertmanager_open_on: Annotated[Matchers, NoDecode] = Field(
        default_factory=Matchers, alias="SITREP_ALERTMANAGER_OPEN_ON")

    @field_validator("slack_bot_token", "slack_signing_secret", "slack_app_token",
                     "announce_channel", "retro_template", "slack_client_id",
                     "slack_client_secret", "public_url", "session_secret",
                     "alertmanager_token", "pagerduty_secret", "pagerduty_api_token",
                     mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        # `FOO=` in a .env file means "not set", not "set to the empty string".
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    @field_validator("alertmanager_open_on", "pagerduty_open_on", mode="before")
    @classmethod
    def _label_matchers(cls, value: object) -> object:
        return parse_matchers(value) if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _async_database_url(cls, value: str) -> str:
        return async_database_url(value)

    @field_validator("database_wait_s", mode="before")
    @classmethod
    def _wait_duration(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if value.strip() == "0":
            return 0.0
        took = durations.parse(value)  # off: no waiting
        return 0.0 if took is None else took.total_seconds()

    @field_validator("update_reminders", mode="before")
    @classmethod
    def _reminder_cadence(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        cadence = dict(DEFAULT_UPDATE_REMINDERS)
        for pair in filter(None, (part.strip() for part in value.split(","))):
            severity, separator, every = (piece.strip() for piece in pair.partition("="))
            found = _REMINDER_SEVERITY.match(severity.lower())
            if not separator or found is None:
                raise ValueError(f"write sevN=duration pairs separated by commas, such as "
                                 f"sev1=30m,sev2=1h,sev3=4h,sev4=off (not {pair!r})")
            try:
                cadence[int(found.group(1))] = durations.parse(every)
            except durations.BadDuration as bad:
                raise ValueError(f"{severity}: {bad}") from None
        return cadence

    @field_validator("digest_at", mode="before")
    @classmethod
    def _digest_time(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        written = value.strip().lower()
        if written == durations.OFF:
            return None
        found = _CLOCK_TIME.match(written)
        if found is None:
            raise ValueError(f"write a time of day as HH:MM, such as 09:00, or off "
                             f"(not {value!r})")
        return time(int(found.group(1)), int(found.group(2)))

    @field_validator("stale_after", "handover_after", mode="before")
    @classmethod
    def _duration_or_off(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        try:
            return durations.parse(value)
        except durations.BadDuration as bad:
            raise ValueError(str(bad)) from None

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

    @field_validator("review_within", mode="before")
    @classmethod
    def _review_within(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        rules = dict(DEFAULT_REVIEW_WITHIN)
        for pair in filter(None, (part.strip().lower() for part in value.split(","))):
            found = _REVIEW_RULE.match(pair)
            if found is None or (found.group(2) is not None and int(found.group(2)) < 1):
                raise ValueError(f"write severity=deadline pairs such as sev1=3d,sev2=5wd,"
                                 f"sev3=off (d: calendar days, wd: working days; not {pair!r})")
            severity = int(found.group(1))
            if found.group(4):
                rules.pop(severity, None)
            else:
                rules[severity] = ReviewDeadline(int(found.group(2)),
                                                 working=found.group(3) == "wd")
        return rules

    @field_validator("action_items_dm", mode="before")
    @classmethod
    def _weekly_at(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        written = value.strip().lower()
        if written in {"off", "none"}:
            return None
        found = _WEEKLY.match(written)
        hour, minute = (int(found.group(2)), int(found.group(3))) if found else (99, 99)
        day = found.group(1) if found else ""
        weekday = (WEEKDAYS.index(day) if day in WEEKDAYS
                   else _WEEKDAY_NAMES.index(day) if day in _WEEKDAY_NAMES else None)
        if weekday is None or hour > 23 or minute > 59:
            raise ValueError(f"write a weekday and a time such as mon 09:00, or off "
                             f"(not {value!r})")
        return WeeklyAt(weekday, time(hour, minute))
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

    @field_validator("slack_api_url", "pagerduty_api_url")
    @classmethod
    def _api_url_ends_with_slash(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"write an http:// or https:// address (not {value!r})")
        # slack-sdk joins method names onto the base URL; without the slash the last path
        # segment would be replaced.
        return value if value.endswith("/") else value + "/"

    @field_validator("channel_prefix", mode="before")
    @classmethod
    def _channel_prefix(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        written = value.strip().lower().rstrip("-")
        if not _CHANNEL_PREFIX.match(written):
            raise ValueError("write a short word of lowercase letters, digits, - or _ that "
                             f"Slack allows in a channel name, such as inc (not {value!r})")
        return written

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

    @property
    def dashboard(self) -> bool:
        return self.slack_client_id is not None

    @property
    def slack_origin(self) -> str:
        """Slack's web address, where Sign in with Slack's pages and keys are: the origin
        of SLACK_API_URL (https://slack.com in production, the emulator in tests)."""
        parts = urlsplit(self.slack_api_url)
        return f"{parts.scheme}://{parts.netloc}"

    def check_dashboard(self) -> None:
        """With SLACK_CLIENT_ID set, the dashboard needs the rest of its settings right."""
        if not self.dashboard:
            return
        if self.slack_client_secret is None:
            raise ConfigError(
                "SLACK_CLIENT_SECRET is not set: copy the Client Secret from the Slack app's "
                "Basic Information page (the dashboard is on because SLACK_CLIENT_ID is set).")
        if self.session_secret is None or len(self.session_secret) < MIN_SESSION_SECRET:
            said = "not set" if self.session_secret is None else "too short"
            raise ConfigError(
                f"SITREP_SESSION_SECRET is {said}: the dashboard signs its session cookies "
                f"with it; set it to at least "
                f"{MIN_SESSION_SECRET} random characters (e.g. the output of "
                "`openssl rand -hex 32`).")
        url = urlsplit(self.public_url or "")
        if url.scheme not in {"http", "https"} or not url.hostname:
            raise ConfigError(
                "SITREP_PUBLIC_URL is not set to an address: set it to where people open the "
                "dashboard, such as https://sitrep.example.com (Slack sends people back to "
                "its /login/callback).")
        if url.scheme == "http" and url.hostname not in LOCAL_HOSTS:
            raise ConfigError(
                f"SITREP_PUBLIC_URL is plain http on {url.hostname}: session cookies would "
                "travel unencrypted; use https (plain http is only for localhost).")

    @property
    def cookies_secure(self) -> bool:
        """Secure cookies everywhere but a plain-HTTP dashboard on this machine."""
        return urlsplit(self.public_url or "").scheme != "http"

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
        self.check_dashboard()
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
