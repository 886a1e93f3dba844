"""The incident domain: the rules of an incident's life, and the timeline they leave behind.

Every function takes an open session and plain values (ids, text, times) and raises
`IncidentError` with a sentence fit to show the person when a rule says no. Callers own
the transaction; nothing here knows about Slack requests or Block Kit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlalchemy import delete, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import insert_unless_present
from bot.db.models import ActionItem, Incident, IncidentCounter, RoleAssignment, TimelineEntry
from bot.domain.errors import InvalidInput, NotAnIncidentChannel, WrongState
from bot.domain.vocabulary import (
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    PAGE_SOURCE_NAMES,
    SEVERITIES,
    STATUSES,
    Kind,
    Role,
    Status,
    label,
    severity_label,
)


def parse_severity(text: str) -> int:
    """`1`, `sev1`, `SEV1` and `s1` all mean severity 1."""
    cleaned = text.strip().lower().removeprefix("sev").removeprefix("s")
    if cleaned.isdigit() and int(cleaned) in SEVERITIES:
        return int(cleaned)
    allowed = ", ".join(f"`{s}`" for s in SEVERITIES)
    raise InvalidInput(f"`{text.strip() or '(nothing)'}` is not a severity. "
                       f"Use one of {allowed} (1 is the most severe).")


def parse_status(text: str) -> str:
    cleaned = text.strip().lower()
    if cleaned in STATUSES:
        return cleaned
    allowed = ", ".join(f"`{s}`" for s in STATUSES)
    raise InvalidInput(f"`{text.strip() or '(nothing)'}` is not a status. "
                       f"Use one of {allowed}.")


def check_title(title: str) -> str:
    title = " ".join(_visible(title).split())
    if not title:
        raise InvalidInput("An incident needs a title: `/incident start [sev1-4] <title>`.")
    if len(title) > MAX_TITLE_LENGTH:
        raise InvalidInput(f"That title is {len(title)} characters; Slack shows at most "
                           f"{MAX_TITLE_LENGTH}. Keep the title short and put the detail in "
                           "an update.")
    return title


def check_text(text: str, what: str, usage: str) -> str:
    text = _visible(text).strip()
    if not text:
        raise InvalidInput(f"{what} needs some text: `{usage}`.")
    if len(text) > MAX_TEXT_LENGTH:
        raise InvalidInput(f"That {what.lower()} is {len(text)} characters; the most Slack "
                           f"shows in one block is {MAX_TEXT_LENGTH}.")
    return text


def _visible(text: str) -> str:
    # Storage removes NUL anyway (bot/db/types.py); it goes here too because a text of
    # nothing but NULs is no text, and the length checked should be the one people see.
    return text.replace("\x00", "")


# --- opening ------------------------------------------------------------------------------

async def allocate_number(session: AsyncSession, team_id: str) -> int:
    """The next incident number for a workspace.

    The increment is one UPDATE … RETURNING: the row lock it takes makes concurrent starts,
    on any number of replicas, queue for a moment and each get a distinct number."""
    await insert_unless_present(session, IncidentCounter, key=["team_id"], team_id=team_id,
                                last_number=0)
    result = await session.exec(
        update(IncidentCounter)
        .where(col(IncidentCounter.team_id) == team_id)
        .values(last_number=col(IncidentCounter.last_number) + 1)
        .returning(col(IncidentCounter.last_number)))
    return int(result.scalar_one())


async def open_incident(
    session: AsyncSession,
    *,
    team_id: str,
    reporter_id: str,
    title: str,
    severity: int,
    description: str | None,
    now: datetime,
    private: bool = False,
    commander_id: str | Literal["reporter"] | None = "reporter",
    paged_by: str | None = None,
    page_url: str | None = None,
    detected_at: datetime | None = None,
) -> Incident:
    """A new incident, its commander (the reporter, unless another person or nobody is
    named), and the first timeline entry. A page (`paged_by`) is reported by the bot on the
    paging tool's behalf, and may open with nobody in command yet."""
    title = check_title(title)
    severity = parse_severity(str(severity))
    number = await allocate_number(session, team_id)
    incident = Incident(team_id=team_id, number=number, title=title,
                        description=(description or "").strip() or None, severity=severity,
                        status=Status.INVESTIGATING, reporter_id=reporter_id, created_at=now,
                        detected_at=min(detected_at or now, now), private=private,
                        paged_by=paged_by, page_url=page_url)
    session.add(incident)
    await session.flush()
    commander = reporter_id if commander_id == "reporter" else commander_id
    if commander is not None:
        session.add(RoleAssignment(team_id=team_id, incident_id=_id(incident),
                                   role=Role.COMMANDER, user_id=commander,
                                   assigned_by=reporter_id, started_at=now))
    said = f"Incident declared as {severity_label(severity)}"
    if paged_by:
        said = (f"Incident opened as {severity_label(severity)} by a page from "
                f"{PAGE_SOURCE_NAMES.get(paged_by, paged_by)}")
    _record(session, incident, Kind.STARTED, said, by=reporter_id, now=now)
    if paged_by and commander is not None:
        _record(session, incident, Kind.ROLE, Role.COMMANDER, by=reporter_id, now=now,
                subject_id=commander)
    return incident


async def take_command(session: AsyncSession, incident: Incident, *, user_id: str,
                       now: datetime) -> RoleChange:
    """Someone takes command of an incident nobody commands yet (one a page opened).
    Two people pressing at once: the first has it, the second is told who."""
    check_open(incident, "take command")
    current = (await session.exec(
        select(RoleAssignment).where(RoleAssignment.incident_id == incident.id,
                                     col(RoleAssignment.role) == Role.COMMANDER,
                                     col(RoleAssignment.ended_at).is_(None)))).first()
    if current is not None:
        if current.user_id == user_id:
            raise WrongState(f"You are already the commander of {label(incident.number)}.")
        raise WrongState(f"<@{current.user_id}> has taken command of "
                         f"{label(incident.number)} already. `/incident handover` moves it "
                         "on if you agree between you.")
    session.add(RoleAssignment(team_id=incident.team_id, incident_id=_id(incident),
                               role=Role.COMMANDER, user_id=user_id, assigned_by=user_id,
                               started_at=now))
    _record(session, incident, Kind.ROLE, Role.COMMANDER, by=user_id, now=now,
            subject_id=user_id)
    return RoleChange(role=Role.COMMANDER, user_id=user_id, previous_user_id=None)


async def abandon_incident(session: AsyncSession, *, team_id: str, incident_id: int,
                           number: int, hand_back: bool = True) -> None:
    """Undo an incident whose Slack side could not be made, so no half-made incident stays.

    With `hand_back`, its number is handed back when nobody has taken a later one, so a
    failed start does not leave a gap in the numbering; without it (a Slack channel may
    carry the number already) the gap stays, so no number ever means two incidents. Plain
    values, not the Incident: after a failed transaction the object is expired and cannot
    be read outside a session."""
    await session.exec(delete(Incident).where(col(Incident.id) == incident_id))
    if not hand_back:
        return
    await session.exec(
        update(IncidentCounter)
        .where(col(IncidentCounter.team_id) == team_id,
               col(IncidentCounter.last_number) == number)
        .values(last_number=number - 1))


async def attach_channel(session: AsyncSession, incident: Incident, channel_id: str) -> None:
    incident.channel_id = channel_id
    session.add(incident)


async def mark_private(session: AsyncSession, incident_id: int) -> None:
    """The incident's channel turned out private (made so after the start): from now on
    its details stay out of the announce channel."""
    await session.exec(update(Incident).where(col(Incident.id) == incident_id)
                       .values(private=True))


async def attach_card(session: AsyncSession, incident: Incident, card_ts: str) -> None:
    incident.card_ts = card_ts
    session.add(incident)


# --- finding ------------------------------------------------------------------------------

async def in_channel(session: AsyncSession, channel_id: str, *,
                     for_change: bool = False) -> Incident:
    """The incident whose channel this is, found by the channel's id alone: whoever acts
    there may belong to another team (a vendor in a Slack Connect channel, a colleague
    from another workspace of the organisation). `for_change` locks its row until the
    transaction ends, so two changes at once (on any replica) apply one after the other,
    each seeing the other's result: a status change cannot undo a resolve that just
    landed. (SQLite needs no lock: its write transactions already run one at a time.)"""
    query = select(Incident).where(col(Incident.channel_id) == channel_id)
    if for_change:
        query = query.with_for_update()
    incident = (await session.exec(query)).first()
    if incident is None:
        raise NotAnIncidentChannel(
            "This isn't an incident channel. Run this in the incident's own channel "
            "(the `inc-…` one), or open an incident with `/incident start <title>`.")
    return incident


async def lock(session: AsyncSession, incident: Incident) -> None:
    """Hold the incident's row until the transaction ends, as `in_channel(for_change=True)`
    does, for a caller that has the incident already. SQLite needs no lock: its writers
    already take turns (bot/db/engine.py)."""
    if session.get_bind().dialect.name != "sqlite":
        await session.exec(select(Incident.id).where(col(Incident.id) == incident.id)
                           .with_for_update())


async def by_number(session: AsyncSession, team_id: str, number: int) -> Incident | None:
    return (await session.exec(
        select(Incident).where(Incident.team_id == team_id,
                               col(Incident.number) == number))).first()


async def current_roles(session: AsyncSession, incident: Incident) -> dict[str, str]:
    rows = (await session.exec(
        select(RoleAssignment)
        .where(RoleAssignment.incident_id == incident.id,
               col(RoleAssignment.ended_at).is_(None))
        .order_by(col(RoleAssignment.started_at)))).all()
    # The commander leads wherever roles are listed.
    rows = sorted(rows, key=lambda row: row.role != Role.COMMANDER)
    return {row.role: row.user_id for row in rows}


async def role_history(session: AsyncSession, incident: Incident) -> Sequence[RoleAssignment]:
    return (await session.exec(
        select(RoleAssignment)
        .where(RoleAssignment.incident_id == incident.id)
        .order_by(col(RoleAssignment.started_at), col(RoleAssignment.id)))).all()


async def timeline(session: AsyncSession, incident: Incident) -> Sequence[TimelineEntry]:
    return (await session.exec(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident.id)
        .order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id)))).all()


async def latest_timeline(session: AsyncSession, incident: Incident, *,
                          limit: int) -> tuple[Sequence[TimelineEntry], int]:
    """The newest `limit` entries, oldest first, and how many the timeline holds in all:
    what a reply that shows the end of a long timeline needs, without reading all of it."""
    newest = (await session.exec(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident.id)
        .order_by(col(TimelineEntry.occurred_at).desc(), col(TimelineEntry.id).desc())
        .limit(limit))).all()
    total = (await session.exec(select(func.count()).select_from(TimelineEntry).where(
        TimelineEntry.incident_id == incident.id))).one()
    return list(reversed(newest)), int(total)


async def action_items(session: AsyncSession, incident: Incident) -> Sequence[ActionItem]:
    return (await session.exec(
        select(ActionItem).where(ActionItem.incident_id == incident.id)
        .order_by(col(ActionItem.created_at), col(ActionItem.id)))).all()


# --- changing -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RoleChange:
    role: str
    user_id: str
    previous_user_id: str | None


async def assign_role(session: AsyncSession, incident: Incident, *, role: str, user_id: str,
                      by: str, now: datetime, allowed_roles: Sequence[str]) -> RoleChange:
    """Give `role` to `user_id`. The previous holder's assignment ends at `now`: a handover
    is history, not an overwrite."""
    check_open(incident, "assign roles")
    role = role.strip().lower()
    if role not in allowed_roles:
        allowed = ", ".join(f"`{r}`" for r in allowed_roles)
        raise InvalidInput(f"`{role or '(nothing)'}` is not a role here. The roles are "
                           f"{allowed}.")
    current = (await session.exec(
        select(RoleAssignment).where(RoleAssignment.incident_id == incident.id,
                                     col(RoleAssignment.role) == role,
                                     col(RoleAssignment.ended_at).is_(None))
    )).first()
    if current is not None and current.user_id == user_id:
        raise WrongState(f"<@{user_id}> is already the {role}.")
    if current is not None:
        current.ended_at = now
        session.add(current)
        # The old holder's row must be closed before the new one exists: the partial unique
        # index allows only one open assignment per role.
        await session.flush()
    session.add(RoleAssignment(team_id=incident.team_id, incident_id=_id(incident), role=role,
                               user_id=user_id, assigned_by=by, started_at=now))
    previous = current.user_id if current is not None else None
    _record(session, incident, Kind.ROLE, role, by=by, now=now, subject_id=user_id,
            previous_id=previous)
    return RoleChange(role=role, user_id=user_id, previous_user_id=previous)


@dataclass(frozen=True)
class Change:
    old: str
    new: str


async def change_severity(session: AsyncSession, incident: Incident, *, severity: int, by: str,
                          now: datetime) -> Change:
    check_open(incident, "change its severity")
    severity = parse_severity(str(severity))
    if severity == incident.severity:
        raise WrongState(f"{label(incident.number)} is already "
                         f"{severity_label(severity)}.")
    change = Change(severity_label(incident.severity), severity_label(severity))
    incident.severity = severity
    session.add(incident)
    _record(session, incident, Kind.SEVERITY,
            f"Severity changed from {change.old} to {change.new}", by=by, now=now)
    return change


async def change_status(session: AsyncSession, incident: Incident, *, status: str, by: str,
                        now: datetime) -> Change:
    """Move an open incident between investigating, identified and monitoring.

    `resolved` goes through `resolve`, which also stamps the resolve time."""
    check_open(incident, "change its status")
    if status == Status.RESOLVED:
        raise ValueError("resolve with resolve()")
    if status == incident.status:
        raise WrongState(f"{label(incident.number)} is already {status}.")
    change = Change(incident.status, status)
    incident.status = status
    if status == Status.MONITORING and incident.mitigated_at is None:
        incident.mitigated_at = now
    session.add(incident)
    _record(session, incident, Kind.STATUS, f"Status changed from {change.old} to {change.new}",
            by=by, now=now)
    return change


# What the refusal of an update on a resolved incident says the person wanted to do.
POSTING_AN_UPDATE = "post an update"


async def record_update(session: AsyncSession, incident: Incident, *, text: str, by: str,
                        now: datetime) -> TimelineEntry:
    check_open(incident, POSTING_AN_UPDATE)
    text = check_text(text, "An update", "/incident update <what changed>")
    return _record(session, incident, Kind.UPDATE, text, by=by, now=now)


async def add_note(session: AsyncSession, incident: Incident, *, text: str, by: str,
                   now: datetime) -> TimelineEntry:
    text = check_text(text, "A note", "/incident note <text>")
    return _record(session, incident, Kind.NOTE, text, by=by, now=now)


async def add_action_item(session: AsyncSession, incident: Incident, *, text: str,
                          owner_id: str | None, by: str, now: datetime,
                          due_on: date | None = None) -> ActionItem:
    text = check_text(text, "An action item",
                      "/incident action <text> [@owner] [due YYYY-MM-DD]")
    item = ActionItem(team_id=incident.team_id, incident_id=_id(incident), text=text,
                      owner_id=owner_id, created_by=by, created_at=now, due_on=due_on)
    session.add(item)
    _record(session, incident, Kind.ACTION, f"Action item: {text}", by=by, now=now,
            subject_id=owner_id)
    return item


async def resolve(session: AsyncSession, incident: Incident, *, summary: str | None, by: str,
                  now: datetime, impact: str | None = None) -> None:
    """Resolve once. The conditional UPDATE makes a double click or two people resolving at
    the same moment resolve it exactly once."""
    result = await session.exec(
        update(Incident)
        .where(col(Incident.id) == incident.id, col(Incident.status) != Status.RESOLVED)
        .values(status=Status.RESOLVED, resolved_at=now))
    if _rowcount(result) == 0:
        raise WrongState(f"{label(incident.number)} is already resolved. "
                         "Use `/incident reopen` if it is back.")
    summary = (summary or "").strip() or None
    if summary is not None:
        summary = check_text(summary, "A summary", "/incident resolve [summary]")
    await session.refresh(incident)
    if incident.mitigated_at is None:
        incident.mitigated_at = now
    if summary is not None:
        incident.summary = summary
    impact = (impact or "").strip() or None
    if impact is not None:
        incident.impact = check_text(impact, "The impact", "Impact")
    session.add(incident)
    _record(session, incident, Kind.RESOLVED,
            f"Resolved{': ' + summary if summary else ''}", by=by, now=now)


async def reopen(session: AsyncSession, incident: Incident, *, by: str, now: datetime) -> None:
    result = await session.exec(
        update(Incident)
        .where(col(Incident.id) == incident.id, col(Incident.status) == Status.RESOLVED)
        .values(status=Status.INVESTIGATING, resolved_at=None))
    if _rowcount(result) == 0:
        raise WrongState(f"{label(incident.number)} is not resolved, so there is nothing to "
                         "reopen.")
    await session.refresh(incident)
    _record(session, incident, Kind.REOPENED, "Reopened", by=by, now=now)


def check_open(incident: Incident, doing: str) -> None:
    """Refuse to `doing` a resolved incident (the refusal says how to reopen it)."""
    if incident.status == Status.RESOLVED:
        raise WrongState(f"{label(incident.number)} is resolved. Run `/incident reopen` "
                         f"first to {doing}.")


def _record(session: AsyncSession, incident: Incident, kind: str, text: str, *, by: str,
            now: datetime, subject_id: str | None = None,
            previous_id: str | None = None) -> TimelineEntry:
    entry = TimelineEntry(team_id=incident.team_id, incident_id=_id(incident), kind=kind,
                          text=text, subject_id=subject_id, previous_id=previous_id,
                          author_id=by, occurred_at=now, created_by=by, created_at=now)
    session.add(entry)
    return entry


def _rowcount(result: object) -> int:
    # UPDATE results are CursorResults; the generic Result type hides their rowcount.
    return int(getattr(result, "rowcount", 0))


def _id(incident: Incident) -> int:
    if incident.id is None:
        raise ValueError("incident has not been flushed")
    return incident.id



async def open_by_severity(session: AsyncSession) -> dict[int, int]:
    """How many incidents are open at each severity, in every workspace (1 to 4, zeros too)."""
    rows = (await session.exec(select(Incident.severity, func.count()).where(
        col(Incident.status) != Status.RESOLVED).group_by(col(Incident.severity)))).all()
    counts = dict.fromkeys(range(1, 5), 0)
    counts.update({int(severity): int(count) for severity, count in rows})
    return counts
