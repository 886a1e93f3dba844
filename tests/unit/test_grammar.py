"""The `/incident` grammar: what a person typed, read without Slack or a database."""

from __future__ import annotations

from datetime import timedelta

import pytest

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
