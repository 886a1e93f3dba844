"""What Sitrep says when it speaks up on its own: update reminders, the handover hint, stale
nudges and the daily digest. Beside `wording.py`, in the same voice and with the same
rules: whatever a person typed is made inert, and times are shown in each reader's zone."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Final

from bot.core.durations import humanize
from bot.domain.reminders import DigestLine
from bot.domain.vocabulary import label, severity_label
from bot.slack.mrkdwn import channel_link, clip, escape, mention, slack_time, to_mrkdwn
from bot.slack.wording import SEVERITY_EMOJI, STATUS_EMOJI

SNOOZE_CHOICES: Final = ("30m", "1h", "2h")
# The longest snooze: longer than that, the incident is stale rather than quiet.
LONGEST_SNOOZE: Final = timedelta(days=7)
# A message's text is cut by Slack at 40,000 characters; a digest of a hundred incidents
# stays well under this.
DIGEST_CHARS: Final = 35_000
# Room kept for the line that counts the incidents left out.
_DIGEST_MORE_CHARS: Final = 80
# A digest line quotes the start of the last update.
DIGEST_QUOTE_CHARS: Final = 200


def update_reminder(*, number: int, commander_id: str | None, silent_for: timedelta,
                    every: timedelta, monitoring: bool, times: int) -> str:
    # With nobody in command (a page found no on-call person in Slack) the reminder would
    # otherwise notify nobody at all: it asks whoever is in the room to take command.
    who = f"{mention(commander_id)} " if commander_id else "<!here> "
    pace = f"one every {humanize(every)} at this severity"
    if monitoring:
        pace = f"one every {humanize(every)} while monitoring (twice the usual wait)"
    again = f" (reminder {times})" if times > 1 else ""
    said = (f":alarm_clock: {who}*{label(number)}* has had no update for "
            f"{humanize(silent_for)}{again}: {pace}. What's the latest? Post an update for "
            "the people waiting on it, or snooze these reminders.")
    if commander_id is None:
        said += " Nobody has taken command yet: press *Take command* if it is yours."
    return said


def handover_hint(*, commander_id: str, held_for: timedelta) -> str:
    return (f":hourglass_flowing_sand: {mention(commander_id)}, you have been commander for "
            f"{humanize(held_for)}. Long shifts wear anyone down: consider handing over to "
            "someone fresh (the brief is written for them).")


def reminder_context() -> str:
    return ("Reminders wait again after each update, and twice as long while monitoring. "
            "`/incident snooze <30m|2h|…>` pauses them; resolving stops them.")


def reminder_answered_by_update(*, at: datetime) -> str:
    return f":white_check_mark: Answered: an update was posted {slack_time(at)}. Thanks."


def reminder_snoozed(*, until: datetime, by: str | None) -> str:
    who = f" by {mention(by)}" if by else ""
    return f":zzz: Update reminders snoozed{who} until {slack_time(until)}."


def reminder_resolved(number: int) -> str:
    return f":white_check_mark: *{label(number)}* is resolved: no more reminders."


def reminders_off(number: int, severity: int) -> str:
    return (f":white_check_mark: *{label(number)}* is {severity_label(severity)} now, which "
            "has no update reminders.")


def snoozed_reply(*, number: int, until: datetime) -> str:
    return (f":zzz: Update reminders for *{label(number)}* are snoozed until "
            f"{slack_time(until)}. Posting an update starts the clock again anyway.")


def snooze_resumed_reply(number: int) -> str:
    return f":alarm_clock: Update reminders for *{label(number)}* are on again."


def snooze_too_long() -> str:
    return (f"Snooze for at most {humanize(LONGEST_SNOOZE)}: an incident nobody needs to hear "
            "about for longer is one to resolve.")


SNOOZE_USAGE: Final = ("Say how long: `/incident snooze 30m`, `2h` or `1d` "
                       "(or `/incident snooze off` to turn the reminders back on).")


def stale_nudge(*, number: int, commander_id: str | None, quiet_for: timedelta,
                since: datetime) -> str:
    who = f"{mention(commander_id)} " if commander_id else ""
    return (f":spider_web: {who}*{label(number)}* has been quiet for {humanize(quiet_for)}: "
            f"nothing on its timeline since {slack_time(since)}. If it is over, resolve it; "
            "if not, post an update so people know where it stands.")


def digest(lines: Sequence[DigestLine], *, now: datetime,
           names: Mapping[str, str | None]) -> str:
    """The morning's open incidents, one paragraph each; `names`: commander id → name."""
    said = [f":sunrise: *Open incidents: {len(lines)}*"]
    length = len(said[0])
    for index, line in enumerate(lines):
        shown = _digest_line(line, now=now, names=names)
        # Whole incidents only, and a word for those that did not fit: a cut in the middle
        # of a line would drop the rest without anyone noticing.
        if length + 1 + len(shown) > DIGEST_CHARS - _DIGEST_MORE_CHARS:
            said.append(f"_…and {len(lines) - index} more open incidents not listed here._")
            break
        said.append(shown)
        length += 1 + len(shown)
    return "\n".join(said)


def _digest_line(line: DigestLine, *, now: datetime, names: Mapping[str, str | None]) -> str:
    where = f" · {channel_link(line.channel_id)}" if line.channel_id else ""
    commander = "no commander"
    if line.commander_id:
        # A name, not a mention: the digest would ping every commander every morning.
        commander = f"IC {escape(names.get(line.commander_id) or line.commander_id)}"
    if line.last_update is None or line.last_update_at is None:
        update = "no update yet"
    else:
        quoted = to_mrkdwn(line.last_update.strip())
        if len(quoted) > DIGEST_QUOTE_CHARS:
            quoted = clip(quoted, DIGEST_QUOTE_CHARS)
        update = f"last update {humanize(now - line.last_update_at)} ago: {quoted}"
    return (f"{SEVERITY_EMOJI[line.severity]} *{label(line.number)}* "
            f"{severity_label(line.severity)} · {STATUS_EMOJI.get(line.status, '')} "
            f"{line.status} · {escape(line.title)}{where}\n"
            f"      open {humanize(now - line.started_at)} · {commander} · {update}")


def digest_fallback(count: int) -> str:
    return f"Open incidents: {count}"


WHO_TAKES_OVER: Final = "Choose who takes over as commander."
