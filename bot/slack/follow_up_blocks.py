"""Block Kit for follow-ups: the action items list with its Done buttons and owner selects,
the owners' weekly message, and the review prompt's button. Pure functions, words from
`follow_up_wording`."""

from __future__ import annotations

from typing import Final

from bot.domain.action_items import ItemState, ListedItem, OwnedItem
from bot.slack import follow_up_wording as words
from bot.slack.blocks import Block, button, section

# action_id values the handlers listen for. The item's id travels as the button's value,
# or (for the select, which has no value of its own) in its block_id.
ITEM_DONE: Final = "action_item_done"
ITEM_REASSIGN: Final = "action_item_reassign"
OWNED_ITEM_DONE: Final = "owned_action_item_done"
REVIEW_HELD: Final = "retro_review_held"
ITEM_BLOCK_PREFIX: Final = "action_item:"

# Slack shows at most 50 blocks in a message; two per item, and room for the heading.
MAX_LISTED: Final = 23


def action_items(number: int, items: list[ListedItem]) -> list[Block]:
    """`/incident actions`: each item with its state; an open one with Done and an owner
    select to hand it on."""
    if not items:
        return [section(words.no_action_items(number))]
    blocks: list[Block] = [section(words.actions_heading(number, items))]
    for item in items[:MAX_LISTED]:
        blocks.append(section(words.listed_item(item)))
        if item.standing.state == ItemState.DONE:
            continue
        select: Block = {"type": "users_select", "action_id": ITEM_REASSIGN,
                         "placeholder": {"type": "plain_text", "text": words.REASSIGN}}
        if item.owner_id:
            select["initial_user"] = item.owner_id
        blocks.append({"type": "actions", "block_id": f"{ITEM_BLOCK_PREFIX}{item.item_id}",
                       "elements": [button(ITEM_DONE, words.DONE, str(item.item_id),
                                           style="primary"), select]})
    if len(items) > MAX_LISTED:
        blocks.append(section(words.more_items(len(items) - MAX_LISTED)))
    return blocks


def owners_message(items: list[OwnedItem]) -> list[Block]:
    """An owner's weekly message: each open item with a Done button beside it."""
    if not items:
        return [section(words.nothing_left_open())]
    blocks: list[Block] = [section(words.owners_intro(items))]
    for item in items[:MAX_LISTED * 2]:
        line = section(words.owned_item(item))
        line["accessory"] = button(OWNED_ITEM_DONE, words.DONE, str(item.item_id))
        blocks.append(line)
    return blocks


def item_given(text: str, item_id: int) -> list[Block]:
    """The direct message to an item's new owner, with the item's Done button."""
    line = section(text)
    line["accessory"] = button(OWNED_ITEM_DONE, words.DONE, str(item_id))
    return [line]


def review_prompt(text: str, number: int) -> list[Block]:
    return [section(text),
            {"type": "actions", "block_id": "retro_review",
             "elements": [button(REVIEW_HELD, words.REVIEW_HELD, str(number))]}]


def item_id_of_block(block_id: str) -> str:
    """The item a select belongs to, from its actions block's id."""
    return block_id.removeprefix(ITEM_BLOCK_PREFIX) if block_id.startswith(
        ITEM_BLOCK_PREFIX) else ""
