"""Cards Slack would not redraw, redrawn once it answers again.

A change is saved before its card is drawn; when Slack fails (an outage, a timeout, a rate
limit) the card is marked stale in the database (`bot.domain.stale_cards`), and this loop
draws it again from the row, at start-up and every little while, until Slack takes it."""

from __future__ import annotations

import asyncio
import logging

from bot.db.engine import transaction
from bot.deps import Deps
from bot.domain import stale_cards
from bot.domain.vocabulary import label
from bot.slack.failures import SlackFailure
from bot.usecases.lifecycle import Lifecycle

log = logging.getLogger(__name__)

REPAIR_INTERVAL_S = 30.0


class CardRepair:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.lifecycle = Lifecycle(deps)

    async def redraw_stale(self) -> int:
        """Redraw every card marked stale; returns how many are right again. While Slack
        is still failing the rest wait for the next round."""
        async with transaction(self.deps.sessions) as session:
            marked = await stale_cards.stale(session)
        redrawn = 0
        for incident in marked:
            try:
                await self.lifecycle.refresh_card(incident, mark_if_failed=False)
            except SlackFailure as failure:
                if failure.passing:
                    log.info("Slack still failing (%s); stale cards wait", failure.error)
                    break
                # Slack refuses this card for good (its channel archived, the card deleted):
                # trying again would never end.
                log.warning("giving up redrawing the card of %s: %s",
                            label(incident.number), failure.error)
                async with transaction(self.deps.sessions) as session:
                    await stale_cards.drawn(session, incident.id or 0,
                                            stale_as_read=incident.card_stale)
                continue
            redrawn += 1
        if redrawn:
            log.info("redrew %d incident cards Slack had not taken", redrawn)
        return redrawn

    async def keep_redrawing(self) -> None:
        """Runs for the life of the process."""
        while True:
            try:
                await self.redraw_stale()
            except Exception:
                log.exception("redrawing stale cards failed; trying again later")
            await asyncio.sleep(REPAIR_INTERVAL_S)
