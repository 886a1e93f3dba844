"""What every handler is given: built once at start-up, passed down explicitly."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bot.core.clock import Clock
from bot.core.settings import Settings
from bot.core.wakeup import Wakeup
from bot.core.work_queue import WorkQueue
from bot.db.engine import SessionFactory
from bot.db.group_commit import GroupCommit
from bot.domain.inbox import Arrival
from bot.pagerduty.people import PagerDutyPeople
from bot.retro.render import Renderer
from bot.slack.gateway import SlackGateway

# Workers for the work after Slack's ack. Each holds at most one database connection at a
# time, so this also bounds the connections post-ack work takes from the pool.
AFTER_ACK_WORKERS = 8
# Events waiting for a worker. Beyond this the event stays in the inbox, and the replay
# loop does it a little later; nothing is lost and the ack never waits.
AFTER_ACK_CAPACITY = 20_000


def _after_ack() -> WorkQueue:
    return WorkQueue(workers=AFTER_ACK_WORKERS, capacity=AFTER_ACK_CAPACITY, name="after-ack")


@dataclass(frozen=True)
class Deps:
    settings: Settings
    sessions: SessionFactory
    clock: Clock
    slack: SlackGateway
    retro: Renderer
    # Work done after Slack's ack, on a bounded number of workers.
    after_ack: WorkQueue = field(default_factory=_after_ack)
    # The event inbox's writes, committed together (`bot/db/group_commit.py`); None writes
    # each event in a transaction of its own.
    inbox_writes: GroupCommit[Arrival, bool] | None = None
    # PagerDuty's REST API, for the email of a page's assignee; None when no key is set.
    pagerduty: PagerDutyPeople | None = None
    # Counts of what Slack told us about ourselves (`app_rate_limited` notices…), for
    # whoever reports on the bot's health.
    tallies: Counter[str] = field(default_factory=Counter)
    # Poked after a change that may move a due time, so the scheduler looks at once
    # (`bot/usecases/scheduler.py`).
    schedule_changed: Wakeup = field(default_factory=Wakeup)
