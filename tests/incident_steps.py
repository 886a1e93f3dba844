"""Steps a person takes in Slack, played through signed HTTP, and what to read back."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Incident, RoleAssignment, TimelineEntry
from bot.devtools.signed_client import BotResponse

from .conftest import Bot


@dataclass(frozen=True)
class Opened:
    number: int
    channel_id: str
    reply: str


async def start_incident(bot: Bot, text: str = "sev2 Checkout returns 500s", *,
                         user: str = "U0ALICE", channel: str = "C0GENERAL") -> Opened:
    key = uuid.uuid4().hex
    response = await bot.client.slash_command(f"start {text}", user_id=user,
                                              channel_id=channel, response_key=key)
    assert response.status == 200, response.text
    reply = str((await bot.slack.wait_for_response(key)).body["text"])
    found = re.search(r"\*INC-(\d+)\*.*<#(C\w+)>", reply)
    assert found, f"no incident in the reply: {reply}"
    return Opened(number=int(found.group(1)), channel_id=found.group(2), reply=reply)


async def command(bot: Bot, text: str, *, channel: str, user: str = "U0ALICE",
                  wait_for: str | None = "conversations.setTopic") -> BotResponse:
    """Run `/incident <text>` and wait for the Slack call that ends its work (by default
    the topic refresh that follows every state change)."""
    before = len(bot.slack.calls_to(wait_for)) if wait_for else 0
    response = await bot.client.slash_command(text, user_id=user, channel_id=channel)
    assert response.status == 200, response.text
    if wait_for:
        await bot.slack.wait_for_call(wait_for, count=before + 1)
        # A change that landed meanwhile may still be redrawing the card.
        await bot.slack.wait_until_quiet()
    return response


async def refusal(bot: Bot, text: str, *, channel: str, user: str = "U0ALICE",
                  after_ack: bool = False, timeout: float = 5.0) -> str:  # noqa: ASYNC109
    """Run a command that must be refused; return what the person was told, in the ack
    itself or, with `after_ack` or an empty ack, in the reply that follows it."""
    key = uuid.uuid4().hex
    response = await bot.client.slash_command(text, user_id=user, channel_id=channel,
                                              response_key=key)
    assert response.status == 200, response.text
    if response.message and not after_ack:
        return response.message
    body = (await bot.slack.wait_for_response(key, timeout=timeout)).body
    assert body.get("response_type") == "ephemeral", body
    return str(body["text"])


def posted_texts(bot: Bot, channel_id: str) -> list[str]:
    return [str(call.args.get("text", "")) for call in bot.slack.calls_to("chat.postMessage")
            if call.ok and call.args.get("channel") == channel_id]


def card(bot: Bot, channel_id: str) -> dict[str, Any]:
    """The incident card as it is in the channel now (first bot message with blocks)."""
    for message in bot.slack.messages(channel_id):
        if message.get("user") == bot.slack.bot_user_id and message.get("blocks"):
            return message
    raise AssertionError(f"no card in {channel_id}")


def _text_objects(node: Any, kind: str | None = None) -> list[str]:
    """Every `text` string under a Block Kit node, or only those of text objects of `kind`."""
    if isinstance(node, list):
        return [text for item in node for text in _text_objects(item, kind)]
    if not isinstance(node, dict):
        return []
    found = []
    if isinstance(node.get("text"), str) and (kind is None or node.get("type") == kind):
        found.append(node["text"])
    return found + [text for value in node.values() for text in _text_objects(value, kind)]


def card_text(message: dict[str, Any]) -> str:
    """Everything a person reads on the card, flattened."""
    return "\n".join(_text_objects(message.get("blocks", [])))


def card_mrkdwn(message: dict[str, Any]) -> list[str]:
    """The card's mrkdwn texts: the ones Slack parses for mentions and markup (plain_text
    is shown as typed, so it cannot ping or break anything)."""
    return _text_objects(message.get("blocks", []), "mrkdwn")


def card_action_ids(message: dict[str, Any]) -> list[str]:
    return [element["action_id"] for block in message["blocks"] if block["type"] == "actions"
            for element in block["elements"]]


async def incident(bot: Bot, number: int) -> Incident:
    async with AsyncSession(bot.running.engine) as session:
        found = (await session.exec(select(Incident).where(
            col(Incident.number) == number))).first()
    assert found is not None, f"INC-{number} is not in the database"
    return found


async def incidents(bot: Bot) -> Sequence[Incident]:
    async with AsyncSession(bot.running.engine) as session:
        return (await session.exec(select(Incident).order_by(col(Incident.number)))).all()


async def roles(bot: Bot, number: int) -> Sequence[RoleAssignment]:
    found = await incident(bot, number)
    async with AsyncSession(bot.running.engine) as session:
        return (await session.exec(select(RoleAssignment).where(
            col(RoleAssignment.incident_id) == found.id).order_by(
            col(RoleAssignment.id)))).all()


async def timeline(bot: Bot, number: int) -> Sequence[TimelineEntry]:
    found = await incident(bot, number)
    async with AsyncSession(bot.running.engine) as session:
        return (await session.exec(select(TimelineEntry).where(
            col(TimelineEntry.incident_id) == found.id).order_by(
            col(TimelineEntry.occurred_at), col(TimelineEntry.id)))).all()
