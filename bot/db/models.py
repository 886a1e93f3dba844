"""The tables. Every row that belongs to a Slack workspace carries its `team_id`, so one
deployment can later serve several workspaces without a schema change.

Every text column is `NulFreeText` or `NulFreeString`: PostgreSQL refuses text holding a
NUL character, which Slack messages and typed text may carry; removing it here covers
every path that stores text (tests/domain/test_schema.py checks that none is missed)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from bot.db.types import NulFreeString, NulFreeText, UTCDateTime

# Slack ids (T…, C…, U…) and message timestamps are short; a bound keeps indexes small.
SLACK_ID = 32
SLACK_TS = 32
# Another system's incident id (`sitrep import`), and a person as it names them.
SOURCE_ID = 255
PERSON_NAME = 255


def _incident_fk() -> Column[int]:
    # Deleting an incident (e.g. a test import gone wrong) takes its history with it.
    return Column(Integer, ForeignKey("incident.id", ondelete="CASCADE"), nullable=False,
                  index=True)


class Incident(SQLModel, table=True):
    __tablename__ = "incident"
    __table_args__ = (
        UniqueConstraint("team_id", "number", name="uq_incident_team_number"),
        # A channel id is unique across Slack, and it alone names an incident's channel:
        # in Slack Connect and Enterprise Grid people act with other teams' ids.
        UniqueConstraint("channel_id", name="uq_incident_channel"),
        # An incident imported from another system is there once per workspace, however
        # many times (or at the same moment) its file is imported. Sitrep's own incidents
        # have no source id, and NULLs never collide.
        Index("uq_incident_team_source", "team_id", "source_id", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    number: int
    title: str = Field(sa_type=NulFreeText)
    description: str | None = Field(default=None, sa_type=NulFreeText)
    severity: int
    status: str = Field(sa_type=NulFreeString(20))
    reporter_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    channel_id: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    # Started in a private channel: its details stay out of the announce channel.
    private: bool = Field(default=False, sa_column_kwargs={"server_default": text("false")})
    # The incident card's message ts, so later changes edit it in place.
    card_ts: str | None = Field(default=None, sa_type=NulFreeString(SLACK_TS))
    # Counts failures to draw the card and topic since they were last drawn: above zero,
    # the card may disagree with this row, and is redrawn once Slack answers again (kept
    # here rather than in memory, so a restart does not forget it).
    card_stale: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    summary: str | None = Field(default=None, sa_type=NulFreeText)
    impact: str | None = Field(default=None, sa_type=NulFreeText)
    # Opened by a page (`alertmanager`, `pagerduty`) rather than a person, and the page's
    # own link (Alertmanager's group, the PagerDuty incident), shown on the card.
    paged_by: str | None = Field(default=None, sa_type=NulFreeString(20))
    page_url: str | None = Field(default=None, sa_type=NulFreeText)
    # Indexed for windows of the history (`sitrep stats --since`, `/incident stats`).
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)
    detected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    mitigated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The retrospective review: the day it should be held by (a calendar day in the team's
    # time zone, fixed at resolve from SITREP_REVIEW_WITHIN, so the promise made in the
    # channel does not move when the setting does), and when it was marked held, by whom.
    # Reviewed or not is the retrospective's state: draft until then.
    review_due_on: date | None = Field(default=None)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reviewed_by: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    # Set by the one reminder a review not held by its deadline gets, so a second replica,
    # a retry or a restart never says it again.
    review_reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Imported from another system (`sitrep import`): its id there, and the import that
    # added it (`ImportBatch`); undoing that import deletes it. None for Sitrep's own.
    source_id: str | None = Field(default=None, sa_type=NulFreeString(SOURCE_ID))
    # No foreign key: adding one would rebuild the table on SQLite (see migration 0014).
    import_batch_id: int | None = Field(default=None, index=True)


class ImportBatch(SQLModel, table=True):
    """One `sitrep import` that added incidents: listed by `sitrep import --list`, and
    removed with everything it added by `--undo-batch N` or `--undo FILE` (found by the
    file's SHA-256, so a file edited since is never mistaken for the one imported)."""

    __tablename__ = "import_batch"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_type=NulFreeString(SLACK_ID), index=True)
    file_name: str = Field(sa_type=NulFreeText)
    file_sha256: str = Field(sa_type=NulFreeString(64), index=True)
    imported_at: datetime = Field(sa_type=UTCDateTime)
    added: int


class IncidentOpening(SQLModel, table=True):
    """An incident whose start is not finished: how far it got, and who is finishing it.

    A start records each step as it is done, so one cut short (a crash, a stop) is finished
    or abandoned later by whichever replica claims it once its lease has run out; the
    lease is renewed at every step. The row goes when the incident is announced."""

    __tablename__ = "incident_opening"

    incident_id: int = Field(sa_column=Column(Integer, ForeignKey("incident.id",
                                                                  ondelete="CASCADE"),
                                              primary_key=True))
    team_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    # The last step done (`bot.domain.vocabulary.OpeningStep`).
    step: str = Field(sa_type=NulFreeString(20))
    # Whoever works on it (a start, or a recovery) and until when; after that anyone may
    # claim it.
    owner: str = Field(sa_type=NulFreeString(64))
    lease_until: datetime = Field(sa_type=UTCDateTime, index=True)
    # Recoveries tried: one that keeps failing is given up, and the reporter told.
    attempts: int = Field(default=0)


class PageTracking(SQLModel, table=True):
    """An Alertmanager alert group or a PagerDuty incident, and the incident that tracks it.

    Every delivery about it locks this row first, so two deliveries at once (on any
    replica) take turns: at most one opens an incident, and the other finds it. The row
    outlives the incident it points to: an Alertmanager group firing again after its
    incident was resolved opens a new one; a PagerDuty incident never opens a second."""

    __tablename__ = "page_tracking"

    team_id: str = Field(primary_key=True, sa_type=NulFreeString(SLACK_ID))
    source: str = Field(primary_key=True, sa_type=NulFreeString(20))
    # A digest of Alertmanager's groupKey (which can be long), or PagerDuty's incident id.
    page_key: str = Field(primary_key=True, sa_type=NulFreeString(64))
    # The groupKey or incident id as sent, for a person reading the table.
    external_key: str = Field(sa_type=NulFreeText)
    incident_id: int | None = Field(default=None, sa_column=Column(
        Integer, ForeignKey("incident.id", ondelete="SET NULL"), nullable=True, index=True))
    updated_at: datetime = Field(sa_type=UTCDateTime)


class IncidentCounter(SQLModel, table=True):
    """The last incident number per workspace; incremented in the same transaction that
    creates the incident, so concurrent starts on any replica get distinct numbers."""

    __tablename__ = "incident_counter"

    team_id: str = Field(primary_key=True, sa_type=NulFreeString(SLACK_ID))
    last_number: int = 0


class RoleAssignment(SQLModel, table=True):
    """Who held a role and when: a handover ends one row and starts another."""

    __tablename__ = "role_assignment"
    __table_args__ = (
        # At most one current holder of each role, enforced where every replica sees it.
        Index("uq_role_assignment_current", "incident_id", "role", unique=True,
              sqlite_where=text("ended_at IS NULL"),
              postgresql_where=text("ended_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    incident_id: int = Field(sa_column=_incident_fk())
    role: str = Field(sa_type=NulFreeString(40))
    user_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    # A person known only by another system's word for them (an imported incident's
    # commander given as an email or a name): kept as written, with `user_id` empty.
    user_name: str | None = Field(default=None, sa_type=NulFreeString(PERSON_NAME))
    assigned_by: str = Field(sa_type=NulFreeString(SLACK_ID))
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TimelineEntry(SQLModel, table=True):
    """One entry on an incident's timeline: a marked Slack message, a note, or a state change.

    Entries made from a Slack message are unique on (incident, kind, message ts), so a
    redelivered event or a second replica cannot add the same message twice."""

    __tablename__ = "timeline_event"
    __table_args__ = (
        UniqueConstraint("incident_id", "kind", "source_ts", name="uq_timeline_event_source"),
        Index("ix_timeline_event_incident_occurred", "incident_id", "occurred_at"),
        # A reaction finds the entries of its message without scanning the incident's.
        Index("ix_timeline_event_incident_source", "incident_id", "source_ts"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    incident_id: int = Field(sa_column=Column(Integer, ForeignKey("incident.id",
                                                                  ondelete="CASCADE"),
                                              nullable=False))
    kind: str = Field(sa_type=NulFreeString(40))
    # How it got there: "reaction" entries follow the message's reactions (removed with the
    # last one); "shortcut", "command" and "auto" entries stay until deleted in Slack.
    via: str = Field(default="auto", sa_type=NulFreeString(20))
    # What was written: a marked message's text, a note, an update; for a role change the
    # role, for an action item its text (`bot.domain.timeline.sentence` says it in words).
    text: str = Field(sa_type=NulFreeText)
    # The person a role change or an action item is about, and the role's previous holder:
    # ids, so the record never depends on how one chat tool spells a mention.
    subject_id: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    previous_id: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    comment: str | None = Field(default=None, sa_type=NulFreeText)
    author_id: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    author_name: str | None = Field(default=None, sa_type=NulFreeString(255))
    source_channel_id: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    source_ts: str | None = Field(default=None, sa_type=NulFreeString(SLACK_TS))
    permalink: str | None = Field(default=None, sa_type=NulFreeText)
    occurred_at: datetime = Field(sa_type=UTCDateTime)
    created_by: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    created_at: datetime = Field(sa_type=UTCDateTime)


class ActionItem(SQLModel, table=True):
    __tablename__ = "action_item"

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    incident_id: int = Field(sa_column=_incident_fk())
    text: str = Field(sa_type=NulFreeText)
    owner_id: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    created_by: str = Field(sa_type=NulFreeString(SLACK_ID))
    created_at: datetime = Field(sa_type=UTCDateTime)
    # A calendar day in the team's time zone, not an instant: "due 2026-12-04" means by
    # the end of that day where the team works.
    due_on: date | None = Field(default=None)
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))


class Retrospective(SQLModel, table=True):
    """A generated retrospective; resolving again after a reopen adds a version."""

    __tablename__ = "retrospective"
    __table_args__ = (
        UniqueConstraint("incident_id", "version", name="uq_retrospective_version"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    incident_id: int = Field(sa_column=_incident_fk())
    version: int
    markdown: str = Field(sa_type=NulFreeText)
    generated_at: datetime = Field(sa_type=UTCDateTime)
    # Display names of the people in it (JSON, user id → name), so the document can be
    # rebuilt later (`sitrep retro --regenerate`) without asking Slack.
    people: str | None = Field(default=None, sa_type=NulFreeText)
    # Where it was posted in Slack: a canvas or file id and its link.
    slack_file_id: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    permalink: str | None = Field(default=None, sa_type=NulFreeText)


class InboxEvent(SQLModel, table=True):
    """The inbox of Slack events: written before Slack gets its acknowledgement, marked
    processed once the event's effect is saved.

    The primary key makes a redelivery (same event id, any replica) find the row instead
    of adding one; a row still unprocessed after a restart is the work a crash interrupted,
    and is done again from its payload."""

    __tablename__ = "processed_event"

    team_id: str = Field(primary_key=True, sa_type=NulFreeString(SLACK_ID))
    event_id: str = Field(primary_key=True, sa_type=NulFreeString(64))
    payload: str | None = Field(default=None, sa_type=NulFreeText)
    received_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    processed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    # Tries after the first that failed, whatever the cause; the wait before the next one
    # (`next_attempt_at`) doubles with each.
    replays: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    # Failures that were the event's own (not Slack being down or rate-limiting): only
    # those can make the inbox give it up, and only after a day of trying.
    faults: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when the inbox stopped trying; the row stays for a person to look at.
    given_up_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class KeptMessage(SQLModel, table=True):
    """A message of an incident channel as the bot last heard of it, so marking it on the
    timeline needs no Slack read (Slack's history methods allow about 50 calls a minute).

    Slack may deliver news of a message late or out of order; `as_of` is the Slack time of
    the news applied last, and older news arriving later changes nothing."""

    __tablename__ = "kept_message"

    channel_id: str = Field(primary_key=True, sa_type=NulFreeString(SLACK_ID))
    ts: str = Field(primary_key=True, sa_type=NulFreeString(SLACK_TS))
    team_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    thread_ts: str | None = Field(default=None, sa_type=NulFreeString(SLACK_TS))
    author_id: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    bot_name: str | None = Field(default=None, sa_type=NulFreeString(255))
    # As people read it: rich text, attachments and file names included.
    text: str = Field(default="", sa_type=NulFreeText)
    deleted: bool = Field(default=False)
    as_of: str = Field(sa_type=NulFreeString(SLACK_TS))
    # Whether its reactions are known, and since when: reaction news older than this is
    # already in the rows (a snapshot read from Slack). "0" for a message heard of when it
    # was posted (no reaction can be older); None for one first heard of through an edit or
    # a deletion, whose earlier reactions nobody told us about.
    reactions_as_of: str | None = Field(default=None, sa_type=NulFreeString(SLACK_TS))


class KeptReaction(SQLModel, table=True):
    """One person's reaction with one emoji on a kept message, present or taken back; the
    row stays when taken back so a late `reaction_added` cannot bring it back."""

    __tablename__ = "kept_reaction"

    channel_id: str = Field(primary_key=True, sa_type=NulFreeString(SLACK_ID))
    ts: str = Field(primary_key=True, sa_type=NulFreeString(SLACK_TS))
    emoji: str = Field(primary_key=True, sa_type=NulFreeString(100))
    user_id: str = Field(primary_key=True, sa_type=NulFreeString(SLACK_ID))
    present: bool
    as_of: str = Field(sa_type=NulFreeString(SLACK_TS))


class DueJob(SQLModel, table=True):
    """Timed work: what is due (`kind`), about what (`subject`), and when. The scheduler
    (`bot.usecases.scheduler`) claims rows whose time has come under a lease, so one
    replica runs each, and writes the next due time the work computes from the record.

    `version` grows each time a use case asks for the work to be looked at again
    (`bot.domain.schedules.due_now`), so a run that started before the change does not
    overwrite the due time the change asked for."""

    __tablename__ = "due_job"

    kind: str = Field(primary_key=True, sa_type=NulFreeString(40))
    # What the work is about, such as "incident:12"; the kind decides the spelling.
    subject: str = Field(primary_key=True, sa_type=NulFreeString(64))
    # None for work that belongs to no one workspace (the daily digest of a deployment).
    team_id: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    # None: nothing due until a use case asks again; the row stays for its memory.
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    version: int = Field(default=0)
    lease_owner: str | None = Field(default=None, sa_type=NulFreeString(64))
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What the work remembers between runs (JSON): the ts of the reminder waiting in the
    # channel, a snooze, how many nudges so far.
    memo: str = Field(default="{}", sa_type=NulFreeText)
    # Runs that failed in a row; the wait before the next try grows with them.
    failures: int = Field(default=0)


class IncidentReminder(SQLModel, table=True):
    """One reminder or nudge Sitrep said in an incident's channel on its own, and what
    became of it: repeated in place by the next one, or answered (an update, a snooze, the
    resolve, the review held…).

    Written in the same transaction as the scheduler's decision to say it (`Ran.record`),
    which only the run still holding its row commits, so a restart or a second replica
    never records one twice; the unique constraint is the last word on it."""

    __tablename__ = "incident_reminder"
    __table_args__ = (
        UniqueConstraint("incident_id", "kind", "message_ts", "sent_at",
                         name="uq_incident_reminder_said"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    incident_id: int = Field(sa_column=_incident_fk())
    # `bot.domain.reminder_log.ReminderKind`.
    kind: str = Field(sa_type=NulFreeString(40))
    # The update reminder also suggested the commander hand over.
    handover_hint: bool = Field(default=False)
    # Which in a row of update reminders or nudges nobody answered (1 for the first).
    repeat: int = Field(default=1)
    # The last update (or activity) it counted from, when it is about a silence.
    quiet_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    channel_id: str = Field(sa_type=NulFreeString(SLACK_ID))
    message_ts: str = Field(sa_type=NulFreeString(SLACK_TS))
    sent_at: datetime = Field(sa_type=UTCDateTime)
    # When a later reminder was written over this one's message (it asked again).
    edited_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # What answered it (`ReminderAnswer`), when, by whom; a snooze says until when.
    answer: str | None = Field(default=None, sa_type=NulFreeString(20))
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    answered_by: str | None = Field(default=None, sa_type=NulFreeString(SLACK_ID))
    snoozed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
