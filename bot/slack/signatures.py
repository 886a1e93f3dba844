"""Whether a request really comes from Slack: its v0 signature, checked on the raw bytes.

slack-sdk's `SignatureVerifier` does the checking; it raises on a timestamp that is not a
whole number (`not-a-number`, `1796008859.5`) or a body that is not UTF-8, and those are
exactly what a forger sends. Here every such request is simply not verified."""

from __future__ import annotations

import re
from collections.abc import Mapping

from slack_sdk.signature import SignatureVerifier

TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
SIGNATURE_HEADER = "X-Slack-Signature"
# Unix seconds, as Slack sends them; int() would also take " 1", "1_0" or non-ASCII digits.
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


class SlackSignatures:
    def __init__(self, signing_secret: str) -> None:
        self._verifier = SignatureVerifier(signing_secret)

    def verified(self, body: bytes | str, headers: Mapping[str, str]) -> bool:
        """True only for a body Slack signed within the last five minutes; never raises."""
        timestamp = _header(headers, TIMESTAMP_HEADER)
        signature = _header(headers, SIGNATURE_HEADER)
        if timestamp is None or signature is None or not _TIMESTAMP.fullmatch(timestamp):
            return False
        try:
            return self._verifier.is_valid(body, timestamp, signature)
        except ValueError:  # a body that is not UTF-8
            return False


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        value = headers.get(name.lower())
    return value if isinstance(value, str) else None
