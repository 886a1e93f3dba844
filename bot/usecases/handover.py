"""The handover brief: what the next commander needs to know, in one message.

On a slow burn the person taking over was asleep for the first ten hours; the brief
gives them the state, the people, the latest word and what happened last."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.durations import humanize
from bot.db.models import Incident
from bot.domain import incidents
from bot.domain.vocabulary import Kind, label, severity_label
from bot.slack.blocks import clip, slack_time
from bot.slack.mrkdwn import escape, mention, to_mrkdwn

RECENT_ENTRIES = 5


async def handover_brief(session: AsyncSession, incident: Incident, *, now: datetime) -> str:
    roles = await incidents.current_roles(session, incident)
    entries = await incidents.timeline(session, incident)
    items = await incidents.action_items(session, incident)
    lines = [
        f"*Handover brief for {label(incident.number)}*: {escape(incident.title)}",
        f"{severity_label(incident.severity)}, {incident.status}, open for "
        f"{humanize(now - incident.created_at)}.",
        "*Roles:* " + ", ".join(f"{role} {mention(user)}" for role, user in roles.items()),
    ]
    updates = [entry for entry in entries if entry.kind == Kind.UPDATE]
    if updates:
        latest = updates[-1]
        lines.append(f"*Latest update* ({slack_time(latest.occurred_at, with_date=False)}, "
                     f"{humanize(now - latest.occurred_at)} ago): {to_mrkdwn(latest.text)}")
    else:
        lines.append("*No status update yet*: post one with `/incident update <text>`.")
    open_items = [item for item in items if item.done_at is None]
    if open_items:
        lines.append("*Open action items:*")
        lines += [f"• {to_mrkdwn(item.text)}"
                  + (f" ({mention(item.owner_id)})" if item.owner_id else "")
                  for item in open_items]
    lines.append("*Most recent on the timeline:*")
    lines += [f"• {slack_time(entry.occurred_at, with_date=False)} {to_mrkdwn(entry.text)}"
              for entry in entries[-RECENT_ENTRIES:]]
    return clip("\n".join(lines))
