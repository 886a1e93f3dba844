"""What every handler is given: built once at start-up, passed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from bot.db import SessionFactory
from bot.retro import Renderer
from bot.settings import Settings
from bot.slack_gateway import SlackGateway
from bot.timeutil import Clock


@dataclass(frozen=True)
class Deps:
    settings: Settings
    sessions: SessionFactory
    clock: Clock
    slack: SlackGateway
    retro: Renderer
