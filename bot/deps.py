"""What every handler is given: built once at start-up, passed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.clock import Clock
from bot.core.settings import Settings
from bot.db.engine import SessionFactory
from bot.retro.render import Renderer
from bot.slack.gateway import SlackGateway


@dataclass(frozen=True)
class Deps:
    settings: Settings
    sessions: SessionFactory
    clock: Clock
    slack: SlackGateway
    retro: Renderer
