"""Telling the person who asked: what came of it, or why it was refused.

Every handler answers the same way. `answer` runs the work and says either the reply made
from its result or the refusal: a rule's (`IncidentError`, whose message is written for
the person) or Slack's (`SlackFailure`, in wording's plain words). Anything else is a bug:
logged once, and the person gets an apology. It never raises, because it runs after the
ack: a listener that raised after acking would be taken by Bolt for one that never acked,
and Slack would be answered 404. The functions below turn the use cases' results into
those replies, in wording's words."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from slack_bolt.async_app import AsyncRespond

from bot.domain.errors import IncidentError
from bot.slack import slowness, wording
from bot.slack.failures import SlackFailure
from bot.slack.gateway import SlackGateway
from bot.usecases.lifecycle import Changed, Recorded, Resolved, RoleAssigned, Started

log = logging.getLogger(__name__)

T = TypeVar("T")

Tell = Callable[[str], Awaitable[None]]
# Work after the ack that takes longer than this is Slack being slow (the bot's own part
# takes milliseconds): the person hears so rather than wonder.
SLOW_AFTER_S = 5.0
Refusal = IncidentError | SlackFailure


def nothing(_: object) -> None:
    """For work whose result the channel already shows (the card, a message there)."""
    return None


def as_is(reply: str | None) -> str | None:
    """For work that comes back with its reply already worded."""
    return reply


async def answer(tell: Tell, work: Awaitable[T], reply: Callable[[T], str | None] = nothing,
                 *, refused: Callable[[Refusal], str] = wording.refusal) -> None:
    """Do the work and tell the person its reply, if it has one, or why it was refused.
    If Slack makes the work wait, they hear that it is slow meanwhile."""
    try:
        with slowness.telling(lambda: tell(wording.SLACK_IS_SLOW), after_s=SLOW_AFTER_S):
            said = await _outcome(work, reply, refused)
    except Exception:
        log.exception("a Slack request failed after its acknowledgement")
        said = wording.APOLOGY
    if not said:
        return
    try:
        await tell(said)
    except Exception as failure:
        # The work is done (or logged above); only the reply to the person is lost.
        log.warning("could not tell the person what came of their request (%s)",
                    type(failure).__name__)


async def _outcome(work: Awaitable[T], reply: Callable[[T], str | None],
                   refused: Callable[[Refusal], str]) -> str | None:
    try:
        result = await work
    except (IncidentError, SlackFailure) as refusal:
        return refused(refusal)
    return reply(result)


# --- where the person is told -----------------------------------------------------------------

def via_response_url(respond: AsyncRespond) -> Tell:
    """Only to them, where they clicked or typed (needs the request's response_url)."""
    async def tell(text: str) -> None:
        await respond(text=text, response_type="ephemeral", replace_original=False)

    return tell


# Slack refuses an ephemeral message to someone who is not (or no longer) in the channel.
_NOT_THERE = frozenset({"user_not_in_channel", "channel_not_found"})


def in_channel(slack: SlackGateway, channel_id: str, user_id: str) -> Tell:
    """Only to them, in the channel (modal submissions carry no response_url); by direct
    message when they are not in it, which may be the very reason for a refusal."""
    async def tell(text: str) -> None:
        try:
            await slack.post_ephemeral(channel_id, user_id, text)
        except SlackFailure as failure:
            if failure.error not in _NOT_THERE:
                raise
            await slack.tell_user(user_id, text)

    return tell


def by_direct_message(slack: SlackGateway, user_id: str) -> Tell:
    """A direct message: reaches them wherever they started from."""
    async def tell(text: str) -> None:
        await slack.tell_user(user_id, text)

    return tell


# --- results as replies -----------------------------------------------------------------------

def started(result: Started, *, via_form: bool = False) -> str:
    said = wording.incident_opened(result.number, result.channel_id, via_form=via_form,
                                   private=result.private)
    problem = result.announce_problem
    if problem is not None:
        said += "\n" + wording.not_announced(problem.channel_id, problem.failure)
    return said


def started_via_form(result: Started) -> str:
    return started(result, via_form=True)


def role_assigned(result: RoleAssigned) -> str | None:
    if result.invite_problem is None:
        return None
    return wording.invite_failed(result.change, result.invite_problem)


def note_added(result: Recorded) -> str:
    return wording.added_to_timeline(result.number)


def resolved(result: Resolved) -> str | None:
    if result.retro_problem is None:
        return None
    return wording.retro_not_posted(result.number, result.channel_id, result.retro_problem)


def status_changed(result: Changed | Resolved) -> str | None:
    # Choosing `resolved` resolves, with all that follows.
    return resolved(result) if isinstance(result, Resolved) else None
