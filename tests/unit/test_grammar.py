"""The `/incident` grammar: what a person typed, read without Slack or a database."""

from __future__ import annotations

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
