"""The `/incident` grammar: what a person typed, read without Slack or a database."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.errors import InvalidInput
from handlers import grammar as commands


def test_help_and_an_empty_command_both_mean_help() -> None:
    assert commands.parse("help").name == "help"
    assert commands.parse("   ").name == "help"
    assert commands.parse("HELP").name == "help"


def test_unknown_subcommand_names_what_was_typed() -> None:
    with pytest.raises(commands.UnknownSubcommand) as raised:
        commands.parse("strat sev2 Checkout down")
    assert raised.value.word == "strat"
    reply = commands.unknown_subcommand_reply(raised.value.word)
    assert reply.startswith("I don't know `/incident strat`.")
    assert "`/incident help`" in reply


def test_usage_lists_only_what_works() -> None:
    listed = [line for line in commands.usage().splitlines() if line.startswith("•")]
    assert len(listed) == len(commands.SUBCOMMANDS)


@pytest.mark.parametrize(("typed", "severity", "title", "private"), [
    ("sev1 Checkout down", 1, "Checkout down", False),
    ("--private sev1 Leaked key", 1, "Leaked key", True),
    ("sev1 --private Leaked key", 1, "Leaked key", True),
    ("--PRIVATE Leaked key", None, "Leaked key", True),
    # macOS and iOS turn a typed `--` into a dash.
    ("\u2014private sev2 Leaked key", 2, "Leaked key", True),
    ("\u2013private Leaked key", None, "Leaked key", True),
    ("--private", None, "", True),
    # Only leading options count: the title keeps what follows.
    ("Leaked key --private", None, "Leaked key --private", False),
    ("--privateer sailed", None, "--privateer sailed", False),
])
def test_start_reads_private_and_severity_in_either_order(
        typed: str, severity: int | None, title: str, private: bool) -> None:
    assert commands.parse_start(typed) == commands.StartRequest(
        severity=severity, title=title, private=private)


def test_help_shows_how_to_start_a_private_incident() -> None:
    (start,) = [line for line in commands.usage().splitlines() if "/incident start" in line]
    assert "`/incident start [--private] [sev1-4] <title>`" in start


# --- action items -----------------------------------------------------------------------------

@pytest.mark.parametrize(("typed", "text", "owner", "due"), [
    ("Add a canary stage", "Add a canary stage", None, None),
    ("Add a canary stage <@U0BOB|bob>", "Add a canary stage", "U0BOB", None),
    ("Add a canary stage <@U0BOB|bob> due 2026-12-04", "Add a canary stage", "U0BOB",
     date(2026, 12, 4)),
    # Either order, and `due` in any case.
    ("Add a canary stage DUE 2026-12-04 <@U0BOB|bob>", "Add a canary stage", "U0BOB",
     date(2026, 12, 4)),
    ("Add a canary stage due 2026-12-04", "Add a canary stage", None, date(2026, 12, 4)),
    # "due" as a word of the text, not followed by a day, stays text.
    ("Renew what was due yesterday", "Renew what was due yesterday", None, None),
    ("Find out what is due", "Find out what is due", None, None),
    # A mention inside the text is not the owner.
    ("Ask <@U0CAROL|carol> about the due 2026-12-04 runbook",
     "Ask <@U0CAROL> about the due 2026-12-04 runbook", None, None),
])
def test_an_action_item_names_its_owner_and_due_day_at_the_end(
        typed: str, text: str, owner: str | None, due: date | None) -> None:
    assert commands.parse_action(typed) == commands.ActionRequest(text=text, owner_id=owner,
                                                                  due_on=due)


@pytest.mark.parametrize(("typed", "told"), [
    ("Canary due 04/12/2026", "`04/12/2026` is not a date: write the due day as YYYY-MM-DD"),
    ("Canary due 2026-13-01", "`2026-13-01` is not a day of the calendar"),
    ("Canary due 2026-02-30 <@U0BOB|bob>", "`2026-02-30` is not a day of the calendar"),
    ("Canary due 12th", "`12th` is not a date"),
])
def test_a_due_day_that_is_not_a_day_is_refused_with_the_format(typed: str,
                                                                 told: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        commands.parse_action(typed)
    assert str(raised.value).startswith(told)


def test_actions_and_reviewed_are_subcommands_in_help() -> None:
    assert commands.parse("actions").name == "actions"
    assert commands.parse("reviewed").name == "reviewed"
    usage = commands.usage()
    assert "`/incident action <text> [@owner] [due YYYY-MM-DD]`" in usage
    assert "`/incident actions`" in usage and "`/incident reviewed`" in usage
@pytest.mark.parametrize(("typed", "meant"), [("30m", timedelta(minutes=30)),
                                              (" 2H ", timedelta(hours=2)),
                                              ("1d", timedelta(days=1)),
                                              ("off", None)])
def test_snooze_takes_a_duration_or_off(typed: str, meant: timedelta | None) -> None:
    assert commands.parse_snooze(typed) == meant


@pytest.mark.parametrize("typed", ["", "soon", "0m", "2 hours", "-1h"])
def test_a_snooze_without_a_duration_shows_how(typed: str) -> None:
    with pytest.raises(commands.UsageError) as refused:
        commands.parse_snooze(typed)
    assert "`/incident snooze 30m`" in str(refused.value)
