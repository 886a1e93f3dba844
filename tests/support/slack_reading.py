"""What people see in Slack, read back from the emulator."""

from __future__ import annotations

from typing import Any

from bot.devtools.slack_emulator import SlackEmulator


def posted_texts(slack: SlackEmulator, channel_id: str) -> list[str]:
    return [str(call.args.get("text", "")) for call in slack.calls_to("chat.postMessage")
            if call.ok and call.args.get("channel") == channel_id]


def direct_messages(slack: SlackEmulator, user_id: str) -> list[str]:
    """What the bot told a person by direct message (posted to their user id)."""
    return posted_texts(slack, user_id)


def cards(slack: SlackEmulator, channel_id: str) -> list[dict[str, Any]]:
    """Every incident card in the channel: there should only ever be one."""
    return [message for message in slack.messages(channel_id)
            if message.get("user") == slack.bot_user_id and message.get("blocks")]


def card(slack: SlackEmulator, channel_id: str) -> dict[str, Any]:
    """The incident card as it is in the channel now (first bot message with blocks)."""
    for message in slack.messages(channel_id):
        if message.get("user") == slack.bot_user_id and message.get("blocks"):
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
