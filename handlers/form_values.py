"""What a person typed or chose in a Slack form or select, read without trusting its shape:
"" when nothing is there, so the rule that checks the value says what to do."""

from __future__ import annotations

from typing import Any


def typed(values: dict[str, Any], block_id: str, action_id: str) -> str:
    """A text input's value in a submitted view's `state.values`, stripped."""
    return str(values.get(block_id, {}).get(action_id, {}).get("value") or "").strip()


def chosen(values: dict[str, Any], block_id: str, action_id: str) -> str:
    """A select's chosen value in a submitted view's `state.values`."""
    return option_value(values.get(block_id, {}).get(action_id, {}).get("selected_option"))


def option_value(option: Any) -> str:
    """The value of a select's `selected_option` (a form's, or a block action's)."""
    return str(option.get("value") or "") if isinstance(option, dict) else ""
