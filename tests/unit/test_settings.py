"""Settings are read as DESIGN.md names them, and a bad one is refused by name.

`sitrep serve` turning that refusal into one line and exit 2: tests/e2e/test_cli_failures.py."""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from bot.core.settings import ConfigError, Settings, load_settings


def test_defaults_match_the_documented_contract() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.slack_api_url == "https://slack.com/api/"
    assert settings.database_url == "sqlite+aiosqlite:///sitrep.db"
    assert settings.port == 3000
    assert settings.host == "0.0.0.0"
    assert settings.database_wait_s == 30
    assert settings.timezone_name == "UTC"
    assert settings.announce_channel is None
    assert not settings.socket_mode


def test_environment_and_dotenv_are_both_read(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-from-dotenv\nPORT=4000\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PORT", "5000")
    monkeypatch.setenv("SITREP_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9/api")
    settings = load_settings()
    assert settings.slack_bot_token == "xoxb-from-dotenv"
    assert settings.port == 5000  # the environment wins over .env
    assert settings.timezone.key == "Europe/Berlin"
    assert settings.slack_api_url == "http://127.0.0.1:9/api/"


@pytest.mark.parametrize(
    ("environment", "variable"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxp-a-user-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "xoxb-oops"},
         "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-2"}, "SLACK_APP_TOKEN"),
    ],
)
def test_serving_needs_usable_credentials(environment: dict[str, str], variable: str) -> None:
    settings = Settings(_env_file=None, **environment)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match=variable):
        settings.check_can_serve()


@pytest.mark.parametrize(("written", "meant"), [
    ("postgres://sitrep:s%40cret@db.internal:5432/sitrep",
     "postgresql+asyncpg://sitrep:s%40cret@db.internal:5432/sitrep"),
    ("postgresql://sitrep@db.internal/sitrep?ssl=require",
     "postgresql+asyncpg://sitrep@db.internal/sitrep?ssl=require"),
    ("postgresql+asyncpg://sitrep@db.internal/sitrep",
     "postgresql+asyncpg://sitrep@db.internal/sitrep"),
    ("sqlite:///data/sitrep.db", "sqlite+aiosqlite:///data/sitrep.db"),
])
def test_database_urls_as_hosting_providers_write_them_mean_the_async_drivers(
        written: str, meant: str) -> None:
    assert load_settings(DATABASE_URL=written).database_url == meant


@pytest.mark.parametrize(("written", "seconds"),
                         [("45s", 45), ("2m", 120), ("1h", 3600), ("1d", 86400), ("off", 0),
                          ("0", 0)])
def test_the_database_wait_is_a_duration(written: str, seconds: float) -> None:
    assert load_settings(SITREP_DATABASE_WAIT=written).database_wait_s == seconds


def test_variables_without_sitrep_s_prefix_are_other_programs_settings(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A LOG_LEVEL or HOST meant for another program in the same environment changes
    nothing here (and cannot stop Sitrep by being something Sitrep refuses)."""
    for variable, value in {"HOST": "10.9.8.7", "LOG_LEVEL": "verbose", "PUBLIC_URL": "x",
                            "ALERTMANAGER_TOKEN": "t", "TIMEZONE_NAME": "Mars/Olympus"}.items():
        monkeypatch.setenv(variable, value)
    settings = load_settings(_env_file=None)
    assert (settings.host, settings.log_level, settings.public_url) == ("0.0.0.0", "INFO", None)
    assert (settings.alertmanager_token, settings.timezone_name) == (None, "UTC")


@pytest.mark.parametrize(("written", "prefix"), [("incident", "incident"), (" Sec-", "sec"),
                                               ("inc_eu", "inc_eu")])
def test_the_channel_prefix_is_read_as_slack_writes_channel_names(written: str,
                                                                  prefix: str) -> None:
    assert load_settings(_env_file=None).channel_prefix == "inc"
    assert load_settings(_env_file=None, SITREP_CHANNEL_PREFIX=written).channel_prefix == prefix


@pytest.mark.parametrize("written", ["", "#inc", "inc 2026", "-inc", "x" * 21, "émoi"])
def test_a_channel_prefix_slack_would_refuse_is_refused_by_name(written: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, SITREP_CHANNEL_PREFIX=written)
    assert str(refused.value).startswith("SITREP_CHANNEL_PREFIX is invalid: write a short "
                                         "word of lowercase letters")


@pytest.mark.parametrize("written", ["foo", "slack.com/api/", "ftp://slack.com/api/",
                                     "https:///api/"])
def test_a_slack_api_url_that_is_no_web_address_is_refused_by_name(written: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, SLACK_API_URL=written)
    assert str(refused.value) == (f"SLACK_API_URL is invalid: write an http:// or https:// "
                                  f"address (not {written!r}).")


def test_socket_mode_needs_no_signing_secret() -> None:
    settings = Settings(_env_file=None, SLACK_BOT_TOKEN="xoxb-1",  # type: ignore[call-arg]
                        SLACK_APP_TOKEN="xapp-1-abc")
    settings.check_can_serve()
    assert settings.socket_mode


def test_who_may_resolve_and_reopen_defaults_to_members_and_commander_or_reporter() -> None:
    settings = load_settings(_env_file=None)
    assert (settings.resolve_by, settings.reopen_by) == (("member",), ("commander", "reporter"))
    chosen = load_settings(_env_file=None, SITREP_RESOLVE_BY=" Commander ",
                           SITREP_REOPEN_BY="reporter,commander")
    assert (chosen.resolve_by, chosen.reopen_by) == (("commander",), ("reporter", "commander"))


@pytest.mark.parametrize("variable", ["SITREP_RESOLVE_BY", "SITREP_REOPEN_BY"])
@pytest.mark.parametrize("value", ["anyone", "member,commander", "", "commander;reporter"])
def test_who_may_resolve_or_reopen_is_refused_by_name_when_wrong(variable: str,
                                                                 value: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, **{variable: value})
    said = str(refused.value)
    assert said.startswith(f"{variable} is invalid: write member")
    assert "commander,reporter" in said and "\n" not in said


def test_logs_are_text_at_info_unless_set_otherwise() -> None:
    settings = load_settings(_env_file=None)
    assert (settings.log_format, settings.log_level) == ("text", "INFO")
    chosen = load_settings(_env_file=None, SITREP_LOG_FORMAT=" JSON ", SITREP_LOG_LEVEL="debug")
    assert (chosen.log_format, chosen.log_level) == ("json", "DEBUG")


@pytest.mark.parametrize(("variable", "value", "advice"), [
    ("SITREP_LOG_FORMAT", "xml", "write text"),
    ("SITREP_LOG_FORMAT", "", "write text"),
    ("SITREP_LOG_LEVEL", "LOUD", "write one of DEBUG, INFO, WARNING, ERROR"),
    ("SITREP_LOG_LEVEL", "10", "write one of DEBUG"),
])
def test_a_wrong_log_setting_is_refused_by_name(variable: str, value: str, advice: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, **{variable: value})
    said = str(refused.value)
    assert said.startswith(f"{variable} is invalid: {advice}")
    assert repr(value) in said and "\n" not in said


@pytest.mark.parametrize(("variable", "value", "advice"), [
    ("SITREP_REVIEW_WITHIN", "sev1=3", "write severity=deadline pairs such as sev1=3d"),
    ("SITREP_REVIEW_WITHIN", "sev5=3d", "write severity=deadline pairs"),
    ("SITREP_REVIEW_WITHIN", "sev1=0d", "write severity=deadline pairs"),
    ("SITREP_ACTION_ITEMS_DM", "monday", "write a weekday and a time such as mon 09:00"),
    ("SITREP_ACTION_ITEMS_DM", "mon 25:00", "write a weekday and a time"),
    ("SITREP_ACTION_ITEMS_DM", "someday 09:00", "write a weekday and a time"),
    ("SITREP_ACTION_ITEMS_DM", "monkey 09:00", "write a weekday and a time"),
])
def test_a_wrong_follow_up_setting_is_refused_by_name(variable: str, value: str,
                                                      advice: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, **{variable: value})
    said = str(refused.value)
    assert said.startswith(f"{variable} is invalid: {advice}")
    assert "\n" not in said


def test_follow_ups_default_to_the_issue_s_deadlines_and_monday_morning() -> None:
    settings = load_settings(_env_file=None)
    assert {severity: (rule.days, rule.working)
            for severity, rule in settings.review_within.items()} == {1: (3, False),
                                                                      2: (5, True)}
    assert settings.action_items_dm is not None
    assert (settings.action_items_dm.weekday, str(settings.action_items_dm.at)) == (
        0, "09:00:00")


def test_reminder_settings_read_as_people_write_them() -> None:
    settings = load_settings(SITREP_UPDATE_REMINDERS="sev1=15m, 4=2h",
                             SITREP_DIGEST_AT="8:30", SITREP_STALE_AFTER="off",
                             SITREP_HANDOVER_AFTER="2h")
    # Severities not named keep their defaults.
    assert settings.update_reminders == {1: timedelta(minutes=15), 2: timedelta(hours=1),
                                         3: timedelta(hours=4), 4: timedelta(hours=2)}
    assert settings.digest_at == time(8, 30)
    assert settings.stale_after is None
    assert settings.handover_after == timedelta(hours=2)
    defaults = Settings(_env_file=None)  # type: ignore[call-arg]
    assert (defaults.digest_at, defaults.stale_after, defaults.handover_after) == (
        time(9, 0), timedelta(days=3), timedelta(hours=3))
    assert defaults.update_reminders[4] is None


@pytest.mark.parametrize(("variable", "written", "said"), [
    ("SITREP_UPDATE_REMINDERS", "sev5=1h", "write sevN=duration pairs"),
    ("SITREP_UPDATE_REMINDERS", "sev1=0m", "sev1: write a duration such as 30m"),
    ("SITREP_DIGEST_AT", "25:00", "write a time of day as HH:MM"),
    ("SITREP_STALE_AFTER", "3 days", "write a duration such as 30m, 2h or 3d or off"),
])
def test_a_wrong_reminder_setting_is_refused_by_name(variable: str, written: str,
                                                     said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(**{variable: written})
    assert str(refused.value).startswith(f"{variable} is invalid: {said}")
_DASHBOARD = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "ab" * 16,
              "SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "c1ient-secret",
              "SITREP_PUBLIC_URL": "https://sitrep.example.com",
              "SITREP_SESSION_SECRET": "x" * 64}


def test_the_dashboard_is_off_until_a_client_id_is_set() -> None:
    assert not Settings(_env_file=None).dashboard  # type: ignore[call-arg]
    settings = Settings(_env_file=None, **_DASHBOARD)  # type: ignore[arg-type]
    settings.check_can_serve()
    assert settings.dashboard
    assert settings.cookies_secure
    assert settings.slack_origin == "https://slack.com"


@pytest.mark.parametrize(("changes", "variable"), [
    ({"SLACK_CLIENT_SECRET": ""}, "SLACK_CLIENT_SECRET"),
    ({"SITREP_SESSION_SECRET": ""}, "SITREP_SESSION_SECRET is not set"),
    ({"SITREP_SESSION_SECRET": "short"}, "SITREP_SESSION_SECRET is too short"),
    ({"SITREP_PUBLIC_URL": ""}, "SITREP_PUBLIC_URL"),
    ({"SITREP_PUBLIC_URL": "sitrep.example.com"}, "SITREP_PUBLIC_URL"),
    ({"SITREP_PUBLIC_URL": "http://sitrep.example.com"}, "SITREP_PUBLIC_URL is plain http"),
])
def test_the_dashboard_refuses_settings_that_cannot_work(changes: dict[str, str],
                                                         variable: str) -> None:
    settings = Settings(_env_file=None, **{**_DASHBOARD, **changes})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=variable):
        settings.check_can_serve()


def test_plain_http_is_for_a_dashboard_on_this_machine_and_its_cookies_are_not_secure() -> None:
    settings = Settings(_env_file=None,  # type: ignore[arg-type]
                        **{**_DASHBOARD, "SITREP_PUBLIC_URL": "http://localhost:3000"})
    settings.check_can_serve()
    assert not settings.cookies_secure
