"""A retrospective Slack would not take is a WARNING naming the incident and why, for
whoever runs Sitrep (the person who resolved is told in Slack too).

The other incident lines, from a real `sitrep serve`: tests/e2e/test_operator_logs.py."""

from __future__ import annotations

import logging

import pytest

from tests.support.app_under_test import AppUnderTest
from tests.support.incident_steps import command, start_incident


async def test_a_retrospective_slack_refused_is_a_warning_naming_the_incident(
        bot: AppUnderTest, caplog: pytest.LogCaptureFixture) -> None:
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    bot.slack.fail("conversations.canvases.create", "not_in_channel")
    with caplog.at_level(logging.INFO, logger="sitrep.incidents"):
        await command(bot, "resolve Rolled back", channel=opened.channel_id)
    (line,) = [record for record in caplog.records
               if getattr(record, "incident_event", None) == "retrospective_not_posted"]
    assert line.levelno == logging.WARNING
    assert line.getMessage() == (
        f"INC-{opened.number} retrospective stored but not posted: Slack "
        f"conversations.canvases.create said not_in_channel (`sitrep retro {opened.number}` "
        "prints it)")
    assert (getattr(line, "incident", None), getattr(line, "team", None)) == (opened.number,
                                                                               "T0001")
    assert not [record for record in caplog.records
                if getattr(record, "incident_event", None) == "retrospective_posted"]
