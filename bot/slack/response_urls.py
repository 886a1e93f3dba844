"""Where a `response_url` may point before Sitrep posts to it.

Slack's response URLs are on https://hooks.slack.com/. The only other place Sitrep will
answer is the Slack it is configured to talk to (`SLACK_API_URL`), which is Slack itself in
production and the emulator in tests and the demo. A request that names anywhere else would
make the bot post wherever a forger likes."""

from __future__ import annotations

from urllib.parse import urlsplit

SLACK_HOOKS = "https://hooks.slack.com"


def may_answer(response_url: object, slack_api_url: str) -> bool:
    if not isinstance(response_url, str):
        return False
    return _origin(response_url) in {SLACK_HOOKS, _origin(slack_api_url)} - {None}


def _origin(url: str) -> str | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.hostname or parts.username \
            or parts.password:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    return f"{parts.scheme}://{host}" + (f":{port}" if port not in {None, default} else "")
