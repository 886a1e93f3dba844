"""Who may change an incident: the rule, over facts the caller gathers.

Every change needs the person to be in the incident's channel: the channel is where the
incident is run, and membership is what a team already manages (a non-member changing the
severity, or making himself commander, is the mistake or the mischief this prevents).
Resolving and reopening may be narrowed further by the team (SITREP_RESOLVE_BY,
SITREP_REOPEN_BY). Whether someone is in a channel is Slack's to say; the use case asks
and passes the answer in.

Follow-ups outlive the incident: an action item may be closed or handed on by anyone in the
incident's channel (the team that owns the follow-up), and by its owner wherever they are
(from their weekly direct message, long after they left the channel). Marking the review
held is a change like any other: anyone in the channel."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.settings import MEMBER, REPORTER
from bot.db.models import Incident
from bot.domain import incidents
from bot.domain.errors import NotAllowed
from bot.domain.vocabulary import Role


class Deed(StrEnum):
    CHANGE = "change"
    RESOLVE = "resolve"
    REOPEN = "reopen"
    FOLLOW_UP = "follow up"


@dataclass(frozen=True)
class Actor:
    """What the rule needs to know about the person acting on one incident."""

    user_id: str
    is_member: bool
    is_commander: bool
    is_reporter: bool


async def actor(session: AsyncSession, incident: Incident, user_id: str, *,
                is_member: bool) -> Actor:
    roles = await incidents.current_roles(session, incident)
    return Actor(user_id=user_id, is_member=is_member,
                 is_commander=roles.get(Role.COMMANDER) == user_id,
                 is_reporter=incident.reporter_id == user_id)


def check(deed: Deed, who: Actor, incident: Incident, *,
          allowed: Collection[str] = (MEMBER,)) -> None:
    """Raise `NotAllowed` unless `who` may do `deed` to `incident`. `allowed` is the team's
    setting for the deed: `member`, or some of `commander` and `reporter`."""
    channel_id = incident.channel_id or ""
    if not who.is_member:
        raise NotAllowed(number=incident.number, channel_id=channel_id, deed=deed)
    if deed == Deed.CHANGE or MEMBER in allowed:
        return
    if (Role.COMMANDER in allowed and who.is_commander) or (REPORTER in allowed
                                                            and who.is_reporter):
        return
    raise NotAllowed(number=incident.number, channel_id=channel_id, deed=deed,
                     allowed=tuple(allowed))


def check_follow_up(who: Actor, incident: Incident, *, owner_id: str | None) -> None:
    """Raise `NotAllowed` unless `who` may close or hand on an action item owned by
    `owner_id` (None: nobody yet)."""
    if who.is_member or (owner_id is not None and who.user_id == owner_id):
        return
    raise NotAllowed(number=incident.number, channel_id=incident.channel_id or "",
                     deed=Deed.FOLLOW_UP)
