"""Errors a person should read: a rule said no, and the message says why and what to do.

Slack's own failures are not here: they are `bot.slack.failures.SlackFailure`, a family of
their own, because a refusal by Slack is not a rule of the incident."""

from __future__ import annotations


class IncidentError(Exception):
    """A rule said no. The message is written for the person who asked."""


class NotAnIncidentChannel(IncidentError):
    """The command was run somewhere that is not an incident's channel."""
