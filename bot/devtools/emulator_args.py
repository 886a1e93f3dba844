"""Reading Web API arguments the way Slack does, whatever encoding the client chose.

slack-sdk sends some methods as JSON and others as form fields, where lists and objects
arrive JSON-encoded and booleans as strings; Slack accepts all of these, so the emulator
normalises them once here.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
from collections.abc import Mapping
from typing import Any

from bot.devtools.emulator_state import SlackError

# Arguments Slack documents as JSON structures; form posts carry them as JSON strings.
JSON_ARGUMENTS = frozenset(
    {
        "blocks",
        "attachments",
        "view",
        "document_content",
        "changes",
        "files",
        "metadata",
        "title_content",
        "criteria",
    }
)


def decode_json_arguments(raw: Mapping[str, Any]) -> dict[str, Any]:
    args = dict(raw)
    for name in JSON_ARGUMENTS & args.keys():
        value = args[name]
        if isinstance(value, str):
            # Left as a string when it is not JSON, so the method answers with its own error.
            with contextlib.suppress(ValueError):
                args[name] = json.loads(value)
    return args


class Args:
    """Typed access to one call's merged arguments."""

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.values = dict(values)

    def __contains__(self, name: str) -> bool:
        return self.present(name)

    def present(self, name: str) -> bool:
        value = self.values.get(name)
        return value is not None and value != ""

    def text(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, str):
            return value
        return json.dumps(value) if isinstance(value, (dict, list)) else str(value)

    def required(self, name: str, error: str = "invalid_arguments") -> str:
        value = self.text(name)
        if value is None:
            raise SlackError(error)
        return value

    def flag(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return value != 0
        return str(value).strip().lower() in {"1", "true", "yes", "on"}

    def integer(self, name: str, default: int, *, error: str = "invalid_arguments") -> int:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise SlackError(error)
        try:
            return int(value)
        except (TypeError, ValueError):
            raise SlackError(error) from None

    def limit(self, default: int, maximum: int) -> int:
        limit = self.integer("limit", default, error="invalid_limit")
        # Slack treats 0 as "use the default" and silently caps large limits.
        if limit <= 0:
            return default
        return min(limit, maximum)

    def raw(self, name: str) -> Any:
        return self.values.get(name)

    def user_list(self, name: str) -> list[str]:
        value = self.values.get(name)
        if value is None:
            return []
        parts = value if isinstance(value, list) else str(value).split(",")
        return [str(part).strip() for part in parts if str(part).strip()]

    def offset_cursor(self) -> int:
        cursor = self.text("cursor")
        if cursor is None:
            return 0
        try:
            decoded = base64.b64decode(cursor.encode(), validate=True).decode()
            kind, _, number = decoded.partition(":")
            if kind != "offset" or not number.isdigit():
                raise ValueError(decoded)
            return int(number)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise SlackError("invalid_cursor") from None


def next_cursor(offset: int, limit: int, total: int) -> str:
    end = offset + limit
    return base64.b64encode(f"offset:{end}".encode()).decode() if end < total else ""
