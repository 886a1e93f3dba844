"""Action items after the incident: the list, Done, handing one on, and the owners' weekly
direct message.

Done and hand-on come from the list in the incident channel and from an owner's weekly
message alike, so they are found by the item, not by the channel the button was in. Slack
says whether the person is in the incident's channel before the item's row is locked; the
change lands on the timeline, and the incident's channel is told."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.db.engine import transaction
from bot.db.models import ActionItem, Incident
from bot.deps import Deps
from bot.domain import action_items, incidents, permissions
from bot.domain.action_items import ListedItem, OwnedItem
from bot.domain.errors import Gone
from bot.domain.vocabulary import label
from bot.slack import follow_up_blocks, follow_up_wording
from bot.slack.failures import SlackFailure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ItemsListed:
    number: int
    items: list[ListedItem]

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return follow_up_blocks.action_items(self.number, self.items)

    @property
    def text(self) -> str:
        return follow_up_wording.actions_fallback(self.number)


@dataclass(frozen=True)
class ItemChanged:
    """An item closed or handed on: what the person is told, and the list they pressed it in,
    redrawn (their incident's list, or their own open items)."""

    incident_id: int
    team_id: str
    number: int
    reply: str


@dataclass(frozen=True)
class OwnersMessage:
    owner_id: str
    items: list[OwnedItem]


@dataclass(frozen=True)
class OwnersSent:
    """The weekly messages sent, by owner; the owners Slack refused, with its error."""

    sent: dict[str, int]
    failed: dict[str, str]


class FollowUps:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _now(self) -> datetime:
        return self.deps.clock.now()

    @property
    def _zone(self) -> ZoneInfo:
        return self.deps.settings.timezone

    def _today(self) -> date:
        return action_items.today(self._now(), self._zone)

    async def listed(self, channel_id: str) -> ItemsListed:
        async with self.deps.sessions() as session:
            incident = await incidents.in_channel(session, channel_id)
            items = await action_items.listing(session, incident, on=self._today(),
                                               zone=self._zone)
        return ItemsListed(number=incident.number, items=items)

    async def listed_by_id(self, incident_id: int) -> ItemsListed:
        async with self.deps.sessions() as session:
            incident = await session.get(Incident, incident_id)
            if incident is None:
                raise Gone("That incident no longer exists.")
            items = await action_items.listing(session, incident, on=self._today(),
                                               zone=self._zone)
        return ItemsListed(number=incident.number, items=items)

    async def mark_done(self, *, user_id: str, item_value: str) -> ItemChanged:
        item_id = action_items.parse_item_id(item_value)
        is_member = await self._is_member(user_id, item_id)
        async with transaction(self.deps.sessions) as session:
            item, incident = await action_items.find(session, item_id, for_change=True)
            _check(user_id, is_member, item, incident)
            await action_items.mark_done(session, item, incident, by=user_id, now=self._now())
            text, channel_id = item.text, incident.channel_id
        await self._tell_channel(channel_id, follow_up_wording.item_done(text, by=user_id))
        return ItemChanged(incident_id=incident.id or 0, team_id=incident.team_id,
                           number=incident.number,
                           reply=follow_up_wording.done_reply(text))

    async def reassign(self, *, user_id: str, item_value: str, owner_id: str) -> ItemChanged:
        item_id = action_items.parse_item_id(item_value)
        is_member = await self._is_member(user_id, item_id)
        async with transaction(self.deps.sessions) as session:
            item, incident = await action_items.find(session, item_id, for_change=True)
            _check(user_id, is_member, item, incident)
            previous = await action_items.reassign(session, item, incident, owner_id=owner_id,
                                                   by=user_id, now=self._now())
            text, channel_id, due_on = item.text, incident.channel_id, item.due_on
        await self._tell_channel(channel_id, follow_up_wording.item_handed_on(
            text, owner_id=owner_id, previous_id=previous, by=user_id))
        await tell_the_new_owner(self.deps, NewOwner(
            item_id=item_id, owner_id=owner_id, by=user_id, text=text,
            number=incident.number, channel_id=channel_id, due_on=due_on))
        return ItemChanged(incident_id=incident.id or 0, team_id=incident.team_id,
                           number=incident.number,
                           reply=follow_up_wording.handed_on_reply(text, owner_id))

    async def _is_member(self, user_id: str, item_id: int) -> bool:
        """Whether the person is in the item's incident channel, asked before any lock. Its
        owner needs no asking (the rule lets them anyway), so an owner acting from their
        weekly message is not refused because Slack could not be asked."""
        async with self.deps.sessions() as session:
            item, incident = await action_items.find(session, item_id)
        if item.owner_id == user_id or incident.channel_id is None:
            return False
        return await self.deps.slack.is_member(incident.channel_id, user_id)

    async def _tell_channel(self, channel_id: str | None, text: str) -> None:
        """The change stands whatever Slack says: a channel archived since is no reason to
        refuse closing its follow-ups."""
        if channel_id is None:
            return
        try:
            await self.deps.slack.post(channel_id, text)
        except SlackFailure as failure:
            log.warning("could not tell %s about an action item (%s)", channel_id,
                        failure.error)

    # --- the owners' weekly message --------------------------------------------------------

    async def owners_open_items(self, owner_id: str, team_id: str) -> OwnersMessage:
        async with self.deps.sessions() as session:
            owners = await action_items.open_items_by_owner(
                session, team_id=team_id, on=self._today())
        return OwnersMessage(owner_id=owner_id, items=owners.get(owner_id, []))

    async def send_owners_messages(self) -> OwnersSent:
        """Each owner with something open, in every workspace, gets one direct message
        listing their open and overdue items across incidents; nobody with nothing open
        hears from Sitrep. Called when the weekly moment is due
        (`action_items.next_owners_message`)."""
        today = self._today()
        async with self.deps.sessions() as session:
            by_owner: dict[str, list[OwnedItem]] = {}
            for team_id in await action_items.teams_with_open_items(session):
                owners = await action_items.open_items_by_owner(session, team_id=team_id,
                                                                on=today)
                # One message per person, even one who owns items in several workspaces.
                for owner_id, items in owners.items():
                    by_owner.setdefault(owner_id, []).extend(items)
        sent: dict[str, int] = {}
        failed: dict[str, str] = {}
        for owner_id, items in sorted(by_owner.items()):
            try:
                await self.deps.slack.direct_message(
                    owner_id, follow_up_wording.owners_fallback(items),
                    blocks=follow_up_blocks.owners_message(items))
            except SlackFailure as failure:
                # One person Slack refuses (deactivated, say) must not cost the others theirs.
                log.warning("could not send %s their open action items (%s)", owner_id,
                            failure.error)
                failed[owner_id] = failure.error
            else:
                sent[owner_id] = len(items)
        return OwnersSent(sent=sent, failed=failed)


@dataclass(frozen=True)
class NewOwner:
    """An action item just given to someone: who, by whom, and the item."""

    item_id: int
    owner_id: str | None
    by: str
    text: str
    number: int
    channel_id: str | None
    due_on: date | None


async def tell_the_new_owner(deps: Deps, given: NewOwner) -> None:
    """A direct message to the new owner when they are not in the incident's channel: Slack
    notifies nobody of a mention in a channel they are not in, and an item's owner is often
    on another team. Those in the channel saw the mention; nobody is told of their own
    choice. Whatever Slack says, the item is theirs: a failure is only logged."""
    if given.owner_id is None or given.owner_id == given.by:
        return
    try:
        if given.channel_id is not None and await deps.slack.is_member(
                given.channel_id, given.owner_id, recheck_no=False):
            return
        said = follow_up_wording.item_given(given.text, number=given.number,
                                            channel_id=given.channel_id, by=given.by,
                                            due_on=given.due_on)
        await deps.slack.direct_message(given.owner_id, said,
                                        blocks=follow_up_blocks.item_given(said, given.item_id))
    except SlackFailure as failure:
        log.warning("could not tell %s they own an action item of %s (%s)", given.owner_id,
                    label(given.number), failure.error)


def _check(user_id: str, is_member: bool, item: ActionItem, incident: Incident) -> None:
    # Under the lock, against the owner as the row has it now.
    who = permissions.Actor(user_id=user_id, is_member=is_member, is_commander=False,
                            is_reporter=incident.reporter_id == user_id)
    permissions.check_follow_up(who, incident, owner_id=item.owner_id)
