"""Errors a person should read: a rule said no, and the message says why and what to do.

One small family, so a handler answers every one of them the same way (privately, to the
person who asked) and anything else is, by elimination, a bug to log and apologise for.
Slack's own failures are not here: they are `bot.slack.failures.SlackFailure`, a family
of their own, because a refusal by Slack is not a rule of the incident."""

from __future__ import annotations


class IncidentError(Exception):
    """A rule said no. The message is written for the person who asked."""


class InvalidInput(IncidentError):
    """What was typed or chosen does not fit: an unknown severity, status, role or kind, a
    missing or over-long text. Nothing was changed."""


class NotAnIncidentChannel(IncidentError):
    """The command was run somewhere that is not an incident's channel."""


class WrongState(IncidentError):
    """The incident is not in a state that allows this: resolving a resolved incident,
    reopening an open one, giving someone the role they already hold."""


class Gone(IncidentError):
    """What the person pointed at no longer exists (a deleted message, an incident taken
    back after a failed start)."""


class NotAllowed(IncidentError):
    """The person may not do this to this incident: they are not in its channel, or the team
    lets only the commander or the reporter resolve or reopen it. The sentence is
    `wording`'s (it names the channel and who may), so the facts travel here."""

    def __init__(self, *, number: int, channel_id: str, deed: str,
                 allowed: tuple[str, ...] = ()) -> None:
        super().__init__(f"INC-{number}: may not {deed} "
                         f"(allowed: {', '.join(allowed) or 'members'})")
        self.number = number
        self.channel_id = channel_id
        self.deed = deed
        # Empty when the person is not in the channel at all; else who may, e.g. commander.
        self.allowed = allowed


class TakenOver(IncidentError):
    """A start took so long that another process claimed it to finish it (after a stall
    longer than the opening's lease); that process tells the reporter."""
