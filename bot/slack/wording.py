"""Everything Sitrep says to people in Slack, in one file, so its voice can be read (and
reviewed, and changed) in one sitting.

Small pure functions from plain values — ids, numbers, the domain's results, Slack's
failures — to mrkdwn. Whatever a person typed is made inert on the way through (`escape`,
`to_mrkdwn`), so repeating it can neither ping anybody nor break the markup, and long text
is cut to Slack's limits (`clip`). Block Kit shapes are `blocks.py`'s; the sentences inside
them come from here. Use cases and handlers say things only through these functions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from bot.core.durations import humanize
from bot.db.models import TimelineEntry
from bot.domain.errors import IncidentError, NotAllowed
from bot.domain.handover import HandoverFacts
from bot.domain.incidents import Change, RoleChange
from bot.domain.timeline import sentence
from bot.domain.vocabulary import PAGE_SOURCE_NAMES, kind_label, label, severity_label
from bot.slack import page_wording
from bot.slack.failures import MembershipUnknown, SlackFailure
from bot.slack.mrkdwn import (
    channel_link,
    clip,
    escape,
    link,
    mention,
    slack_time,
    to_mrkdwn,
)

# The slash command, as people type it (and as app.yaml declares it).
COMMAND: Final = "/incident"

SEVERITY_EMOJI: Final = {1: ":red_circle:", 2: ":large_orange_circle:",
                         3: ":large_yellow_circle:", 4: ":white_circle:"}
STATUS_EMOJI: Final = {"investigating": ":mag:", "identified": ":dart:",
                       "monitoring": ":eyes:", "resolved": ":white_check_mark:"}

# Slack's limit on a channel topic.
TOPIC_LIMIT: Final = 250


# --- help -----------------------------------------------------------------------------------

# What each subcommand does. The grammar (handlers/grammar.py) decides which subcommands
# exist, in which order `help` lists them, and how their arguments are spelled.
SUBCOMMAND_SUMMARIES: Final[Mapping[str, str]] = {
    "start": ("open an incident and its channel (`--private`: a private channel, not "
              "announced; no title opens a form)"),
    "commander": "hand the incident commander role over",
    "handover": "hand over to the next commander, with a brief of the incident so far",
    "role": "assign a role, e.g. comms, scribe or ops",
    "sev": "change the severity (1 is the most severe)",
    "status": "change the status",
    "update": "post a status update here and to the announce channel (unless private)",
    "snooze": "pause this incident's update reminders, e.g. `snooze 2h` (`snooze off`: resume)",
    "note": "add a line to the timeline",
    "action": "record a follow-up action item, with its owner and the day it is due",
    "actions": "the incident's action items, to mark done or hand on, only to you",
    "timeline": "show the timeline so far, only to you",
    "resolve": "resolve the incident",
    "reopen": "reopen a resolved incident",
    "reviewed": "mark the retrospective review held (the retrospective is then reviewed)",
    "stats": ("the last 90 days of incidents in numbers, only to you, in any channel "
              "(`chart`: with a weekday-by-hour heat map by direct message)"),
    "help": "show this help",
}


def usage(syntax: Iterable[tuple[str, str]]) -> str:
    """The help text, from the grammar's (subcommand, arguments) pairs in their order."""
    lines = [f"*Sitrep* keeps the books during an incident. Use `{COMMAND}` like this:"]
    for name, arguments in syntax:
        spelled = f"{COMMAND} {name} {arguments}".rstrip()
        lines.append(f"• `{spelled}` — {SUBCOMMAND_SUMMARIES[name]}")
    return "\n".join(lines)


def unknown_subcommand(word: str, syntax: Iterable[tuple[str, str]]) -> str:
    shown = word if len(word) <= 40 else word[:39] + "…"
    return f"I don't know `{COMMAND} {shown}`.\n\n{usage(syntax)}"


def _mention_example(subcommand: str) -> str:
    return f"`{COMMAND} {subcommand} @name`"


def no_such_person(typed: str, subcommand: str) -> str:
    return (f"I can't find a Slack user called `{typed}`. Pick the person from the @ list "
            f"as you type: {_mention_example(subcommand)}.")


def who_should_it_be(subcommand: str) -> str:
    return f"Who should it be? Mention them: {_mention_example(subcommand)}."


def one_person_only(subcommand: str) -> str:
    return f"Mention exactly one person and nothing else: {_mention_example(subcommand)}."


WHICH_ROLE: Final = f"Which role, and who? `{COMMAND} role <role> @name`."


# --- replies to the person who asked ----------------------------------------------------------

OPENING: Final = "Opening the incident…"

SLACK_IS_SLOW: Final = "Slack is slow right now; Sitrep is still working on it."

APOLOGY: Final = ("Sorry, something went wrong on Sitrep's side. It has been logged; please "
                  "try again.")


def incident_opened(number: int, channel_id: str, *, via_form: bool,
                    private: bool = False) -> str:
    # From the form the reply is a direct message, read later and away from the command
    # line, so it skips the command for handing over.
    head = f"*{label(number)}* is open: head to {channel_link(channel_id)}. "
    if via_form:
        said = head + "You are the incident commander."
    else:
        said = head + ("You are the incident commander until you hand over with "
                       f"`{COMMAND} handover @name`.")
    return said + (" " + PRIVATE_INCIDENT if private else "")


PRIVATE_INCIDENT: Final = ("The channel is private: only the people you invite can see it, "
                           "and nothing about it goes to the announce channel.")


def not_announced(channel_id: str, failure: SlackFailure) -> str:
    return f"I couldn't announce it in {channel_link(channel_id)}: {slack_failure(failure)}"


def could_not_open(refused: IncidentError | SlackFailure) -> str:
    return f"I couldn't open the incident: {refusal(refused)}"


# A start cut short (Sitrep restarted mid-way), finished or abandoned later; said by direct
# message, since the person's command is long gone.

def opening_finished(number: int, channel_id: str) -> str:
    return (f"*{label(number)}* is open: head to {channel_link(channel_id)}. Sitrep restarted "
            "while opening it, so setting it up took a little longer. You are the incident "
            "commander.")


def opening_abandoned(title: str) -> str:
    return (f"Sitrep restarted while opening your incident “{escape(title)}”, before its "
            "channel was ready, so it was not opened. If it is still going on, run "
            f"`{COMMAND} start` again.")


def opening_not_finished(number: int, channel_id: str, failure: SlackFailure) -> str:
    return (f"Sitrep restarted while opening *{label(number)}*, and couldn't finish setting "
            f"up {channel_link(channel_id)}: {slack_failure(failure)}")


def invite_failed(change: RoleChange, failure: SlackFailure) -> str:
    return (f"{mention(change.user_id)} is now {change.role}, but I couldn't invite them to "
            f"this channel: {slack_failure(failure)}")


def retro_not_posted(number: int, channel_id: str, failure: SlackFailure) -> str:
    return (f"I wrote the retrospective for {label(number)} but couldn't post it in "
            f"{channel_link(channel_id)}: {slack_failure(failure)} `sitrep retro {number}` "
            "prints it.")


def retro_not_written(number: int, template_line: int | None) -> str:
    where = f" (line {template_line})" if template_line is not None else ""
    return (f":warning: I couldn't write the retrospective for *{label(number)}* because the "
            f"retrospective template fails on this incident{where}; once whoever runs Sitrep "
            f"fixes it, `sitrep retro {number} --regenerate` writes it.")


def added_to_timeline(number: int) -> str:
    return f"Added to {label(number)}'s timeline."


def already_resolved(number: int) -> str:
    return f"{label(number)} is already resolved."


def incident_gone(number: int) -> str:
    return f"{label(number)} no longer exists."


def not_a_timeline_kind(kind: str) -> str:
    return f"`{kind}` is not a timeline kind here."


MESSAGE_GONE: Final = "That message is gone from Slack, so it can't go on the timeline."


def keep_it_under(limit: int) -> str:
    return f"Keep it under {limit} characters."


def refusal(refused: IncidentError | SlackFailure) -> str:
    """Why something was refused: a rule's own message, or Slack's failure in plain words."""
    if isinstance(refused, MembershipUnknown):
        return membership_unknown(refused)
    if isinstance(refused, SlackFailure):
        return slack_failure(refused)
    if isinstance(refused, NotAllowed):
        return not_allowed(refused)
    return str(refused)


# How SITREP_RESOLVE_BY / SITREP_REOPEN_BY's words read in a sentence.
_WHO: Final[Mapping[str, str]] = {"commander": "the commander",
                                  "reporter": "the person who declared the incident"}


def not_allowed(refused: NotAllowed) -> str:
    """One sentence: who may do this, and (to a non-member) where to go first."""
    if refused.deed == "follow up":
        return (f"Only an action item's owner, or people in {channel_link(refused.channel_id)},"
                f" can close or hand on {label(refused.number)}'s action items.")
    if not refused.allowed:
        return (f"Only people in {channel_link(refused.channel_id)} can {refused.deed} "
                f"{label(refused.number)}; join the channel first.")
    who = " or ".join(_WHO.get(word, word) for word in refused.allowed)
    return f"Only {who} can {refused.deed} {label(refused.number)}."


def membership_unknown(failure: MembershipUnknown) -> str:
    return (f"Nothing changed: I couldn't check with Slack that you're in "
            f"{channel_link(failure.channel_id)} ({failure.method}: {failure.error}), "
            "so please try again in a minute.")


# --- in the incident channel, and in the announce channel ------------------------------------

def _said(text: str) -> str:
    # Stored text keeps the people it names as mentions; everything else is made inert.
    return clip(to_mrkdwn(text.strip()))


def declared(*, number: int, severity: int, title: str, reporter_id: str,
             channel_id: str) -> str:
    return (f":rotating_light: *{label(number)}* ({severity_label(severity)}) declared by "
            f"{mention(reporter_id)}: {escape(title)} · join {channel_link(channel_id)}")


def role_assigned(change: RoleChange, *, by: str) -> str:
    was = f" (was {mention(change.previous_user_id)})" if change.previous_user_id else ""
    return (f":busts_in_silhouette: {mention(change.user_id)} is now *{change.role}*{was}, "
            f"assigned by {mention(by)}.")


def severity_changed(change: Change, *, severity: int, by: str) -> str:
    return (f"{SEVERITY_EMOJI[severity]} {mention(by)} changed the severity from {change.old} "
            f"to *{change.new}*.")


def status_changed(change: Change, *, by: str) -> str:
    return (f"{STATUS_EMOJI[change.new]} {mention(by)} changed the status from {change.old} "
            f"to *{change.new}*.")


def update_posted(text: str, *, by: str) -> str:
    return f":loudspeaker: *Update* from {mention(by)}\n{_said(text)}"


def update_announced(text: str, *, number: int, severity: int, status: str, title: str,
                     channel_id: str) -> str:
    return (f":loudspeaker: *{label(number)}* ({severity_label(severity)}, {status}) "
            f"{escape(title)}\n{_said(text)}\n{channel_link(channel_id)}")


def action_item_recorded(text: str, *, owner_id: str | None, by: str,
                         due_on: date | None = None) -> str:
    owner = f", owner {mention(owner_id)}" if owner_id else ", no owner yet"
    due = f", due {due_on.isoformat()}" if due_on else ""
    return f":memo: Action item recorded by {mention(by)}{owner}{due}: {_said(text)}"


def resolved(*, number: int, took: timedelta, summary: str | None, by: str) -> str:
    said = f"\n*Summary:* {clip(to_mrkdwn(summary))}" if summary else ""
    return (f":white_check_mark: {mention(by)} resolved *{label(number)}* after "
            f"{humanize(took)}.{said}\nThank you, everyone. The retrospective draft follows.")


def resolved_announced(*, number: int, took: timedelta, title: str, channel_id: str) -> str:
    return (f":white_check_mark: *{label(number)}* resolved after {humanize(took)}: "
            f"{escape(title)} · {channel_link(channel_id)}")


def reopened(*, number: int, by: str) -> str:
    return (f":arrows_counterclockwise: {mention(by)} reopened *{label(number)}*; it is "
            "investigating again.")


def reopened_announced(*, number: int, title: str, channel_id: str) -> str:
    return (f":arrows_counterclockwise: *{label(number)}* reopened: {escape(title)} · "
            f"{channel_link(channel_id)}")


# --- the handover brief -----------------------------------------------------------------------

def handed_over(user_id: str, facts: HandoverFacts, *, now: datetime) -> str:
    return f"{mention(user_id)}, you have the incident. {handover_brief(facts, now=now)}"


def handover_brief(facts: HandoverFacts, *, now: datetime) -> str:
    """What the next commander needs to know, in one message: on a slow burn the person
    taking over was asleep for the first ten hours."""
    lines = [
        f"*Handover brief for {label(facts.number)}*: {escape(facts.title)}",
        f"{severity_label(facts.severity)}, {facts.status}, open for "
        f"{humanize(now - facts.started_at)}.",
        "*Roles:* " + ", ".join(f"{role} {mention(user)}" for role, user in facts.roles.items()),
    ]
    latest = facts.latest_update
    if latest is not None:
        lines.append(f"*Latest update* ({slack_time(latest.occurred_at, with_date=False)}, "
                     f"{humanize(now - latest.occurred_at)} ago): {to_mrkdwn(latest.text)}")
    else:
        lines.append(f"*No status update yet*: post one with `{COMMAND} update <text>`.")
    if facts.open_action_items:
        lines.append("*Open action items:*")
        lines += [f"• {to_mrkdwn(item.text)}"
                  + (f" ({mention(item.owner_id)})" if item.owner_id else "")
                  for item in facts.open_action_items]
    lines.append("*Most recent on the timeline:*")
    lines += [f"• {slack_time(entry.occurred_at, with_date=False)} "
              f"{to_mrkdwn(sentence(entry, person=mention))}" for entry in facts.recent_entries]
    return clip("\n".join(lines))


# --- the timeline ------------------------------------------------------------------------

# `/incident timeline` shows the newest entries that fit comfortably in one message; a line
# is rarely under 60 characters, so no more entries than this can fit.
TIMELINE_REPLY_CHARS = 12_000
TIMELINE_REPLY_MAX_ENTRIES = 200


def timeline_listing(number: int, entries: Sequence[TimelineEntry], zone: ZoneInfo, *,
                     total: int | None = None) -> str:
    """The timeline so far, oldest first and newest last; the oldest give way when it is
    too long for one message. `entries` may be the newest of `total`."""
    lines = [_timeline_line(entry, zone) for entry in entries]
    total = len(lines) if total is None else total
    shown: list[str] = []
    size = 0
    for line in reversed(lines):
        size += len(line) + 1
        if size > TIMELINE_REPLY_CHARS:
            break
        shown.insert(0, line)
    head = f"*Timeline of {label(number)}* (times in {zone.key})"
    if len(shown) < total:
        head += (f"\n_{total - len(shown)} earlier entries are not shown here; the "
                 "retrospective has them all._")
    return "\n".join([head, *shown])


def _timeline_line(entry: TimelineEntry, zone: ZoneInfo) -> str:
    when = entry.occurred_at.astimezone(zone).strftime("%H:%M")
    who = entry.author_name or (mention(entry.author_id) if entry.author_id else "Sitrep")
    text = clip(to_mrkdwn(sentence(entry, person=mention)).replace("\n", " "), 300)
    view = f" {link(entry.permalink, 'view')}" if entry.permalink else ""
    comment = f" — _{to_mrkdwn(entry.comment)}_" if entry.comment else ""
    return f"• {when} · {kind_label(entry.kind)} · {who}: {text}{comment}{view}"


# --- the retrospective ------------------------------------------------------------------------

def retro_title(number: int, version: int) -> str:
    return f"{label(number)} retrospective" + (f" (version {version})" if version > 1 else "")


def retro_posted_as_canvas(number: int, version: int, link: str) -> str:
    return _retro_posted(number, version, f"<{link}|{retro_title(number, version)}>")


def retro_posted_as_file(number: int, version: int) -> str:
    return _retro_posted(number, version, "the file below")


def _retro_posted(number: int, version: int, where: str) -> str:
    again = f" (version {version})" if version > 1 else ""
    return (f":memo: The retrospective draft for *{label(number)}*{again} is ready: {where}. "
            "Times, people and the timeline are filled in; the prompts at the end are for "
            f"the meeting. `sitrep retro {number}` prints it.")


# --- the incident card and the channel topic --------------------------------------------------

CARD_HINT: Final = f"React with :pushpin: to put a message on the timeline · `{COMMAND} help`"


def card_fallback(*, number: int, severity: int, status: str, title: str) -> str:
    """The card's notification and fallback text: no markup, no mentions."""
    return f"{label(number)} ({severity_label(severity)}, {status}): {escape(title)}"


def topic(*, number: int, severity: int, status: str, title: str,
          commander_name: str | None) -> str:
    """Slack shows topics as plain text (no mentions, no formatting), so the commander is
    named, and the title is cut to fit rather than the whole line."""
    lead = f" · IC {commander_name}" if commander_name else ""
    head = f"{severity_label(severity)} · {status}{lead} · {label(number)}: "
    room = TOPIC_LIMIT - len(head)
    return head + (title if len(title) <= room else title[:room - 1] + "…")


# --- Slack's failures, in plain words ---------------------------------------------------------

PLAIN_WORDS: Final[Mapping[str, str]] = {
    "missing_scope": "Sitrep's Slack app is missing a permission it needs ({needed}). Ask a "
                     "workspace admin to reinstall it from app.yaml.",
    "channel_not_found": "Slack can't find that channel (channel_not_found); it may be "
                         "private or deleted.",
    "not_in_channel": "Sitrep isn't a member of that channel (not_in_channel). Invite it with "
                      "`/invite @Sitrep` and try again.",
    "is_archived": "That channel is archived (is_archived), so Sitrep can't post in it.",
    "ratelimited": "Slack is rate-limiting Sitrep right now (ratelimited). Please try again "
                   "in a minute.",
    "restricted_action": "Your workspace's settings don't let Sitrep do that "
                         "(restricted_action). Ask a workspace admin.",
    # Sitrep meets name_taken only when every channel name it tried for an incident was.
    "name_taken": "Every channel name Sitrep tried is taken (name_taken). Try a different "
                  "title.",
    "invalid_auth": "Sitrep's Slack token was refused (invalid_auth). Check SLACK_BOT_TOKEN.",
    "timeout": "Slack didn't answer in time (timeout). What is saved stays saved, and the "
               "card catches up when Slack answers again; please check, and try again if "
               "something is missing.",
    "connection_lost": "The connection to Slack dropped (connection_lost). What is saved "
                       "stays saved, and the card catches up when Slack answers again; "
                       "please check, and try again if something is missing.",
    "token_revoked": "Sitrep's Slack token was revoked (token_revoked). Reinstall the app.",
    "account_inactive": "Sitrep's Slack token belongs to a deactivated app (account_inactive).",
}


def slack_failure(failure: SlackFailure) -> str:
    """One sentence for the person: what Slack refused, and what they (or an admin) can do."""
    template = PLAIN_WORDS.get(failure.error)
    if template is None:
        return (f"Slack refused {failure.method} ({failure.error}). Please try again; if it "
                "keeps happening, tell whoever runs Sitrep.")
    return template.format(needed=failure.needed or "a scope")


# --- pages (the paging webhooks) --------------------------------------------------------------

# The card's commander field while a page found nobody to command the incident.
NO_COMMANDER_YET: Final = "_nobody yet: press *Take command*_"


def _source_name(source: str) -> str:
    return PAGE_SOURCE_NAMES.get(source, source)


def page_source_line(source: str, url: str | None) -> str:
    name = _source_name(source)
    return f":rotating_light: Paged by {link(url, name)}"


def paged(*, number: int, severity: int, title: str, source: str, channel_id: str) -> str:
    return (f":rotating_light: *{label(number)}* ({severity_label(severity)}) paged by "
            f"{_source_name(source)}: {escape(title)} · join {channel_link(channel_id)}")


def took_command(user_id: str) -> str:
    return f":busts_in_silhouette: {mention(user_id)} took command."


def alerts_joined(lines: Sequence[tuple[str, str | None]], *, truncated: int) -> str:
    """New alerts of a group this incident tracks, each linked to its source."""
    return _alerts_said(":bell: " + ("New alert:" if len(lines) == 1
                                     else f"{len(lines)} new alerts:"), lines, truncated)


def alerts_resolved(lines: Sequence[tuple[str, str | None]], *, truncated: int) -> str:
    """Said, never acted on: whether the incident is over is for people to decide."""
    return _alerts_said(":white_check_mark: Alertmanager says "
                        + ("this alert is" if len(lines) == 1 else f"{len(lines)} alerts are")
                        + " resolved (the incident stays open until someone resolves it):",
                        lines, truncated)


def _alerts_said(head: str, lines: Sequence[tuple[str, str | None]], truncated: int) -> str:
    said = [head, *(alert_line(text, url) for text, url in lines[:ALERTS_SAID])]
    if len(lines) > ALERTS_SAID:
        said.append(f"…and {len(lines) - ALERTS_SAID} more on the timeline")
    if truncated:
        said.append(_truncated(truncated))
    return clip("\n".join(said))


def pagerduty_description(*, number: int | None, service: str | None, urgency: str | None,
                          priority: str | None) -> str | None:
    """The description of an incident a PagerDuty page opened (plain text: the card
    escapes it)."""
    parts = [f"PagerDuty incident #{number}" if number else "",
             f"service {service}" if service else "",
             f"urgency {urgency}" if urgency else "",
             f"priority {priority}" if priority else ""]
    return ", ".join(part for part in parts if part) or None


def pagerduty_news(text: str, url: str | None) -> str:
    return f":pager: {link(url, escape(text))}"


# New alerts named in one channel message; the timeline has them all.
ALERTS_SAID: Final = 5


# An alert's first line as said in Slack is cut here, so that a few alerts with long
# summaries never push Slack's limit into the middle of a link.
ALERT_HEAD_CHARS: Final = 300


def alert_line(text: str, url: str | None) -> str:
    """An alert as the card and the channel show it: its name and summary, linked to its
    source, then its labels (which tell one instance's alert from another's), each line
    inert and cut to `ALERT_HEAD_CHARS`."""
    head, *rest = text.split("\n")
    labels = f"\n   _{clip(escape(rest[0]), ALERT_HEAD_CHARS)}_" if rest else ""
    return f"• {link(url, clip(escape(head), ALERT_HEAD_CHARS))}{labels}"



def _truncated(count: int) -> str:
    return f"_{page_wording.alerts_left_out(count)}._"


def alerts_left_out(count: int) -> str:
    return ":warning: " + _truncated(count)
