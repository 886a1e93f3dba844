"""`sitrep demo`: a whole incident, from an Alertmanager page to the retrospective, played
through the real bot against the built-in Slack.

No workspace and no network: the emulator plays Slack on 127.0.0.1, a throwaway SQLite file
holds the data, and every step is a signed HTTP request into the same app `sitrep serve`
runs. What a person in Slack would have seen is printed at the end."""

from __future__ import annotations

import asyncio
import re
import secrets
import signal
import socket
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from bot.core.settings import ConfigError, Settings
from bot.devtools import emulator_openid as openid
from bot.devtools import page_sender, payloads
from bot.devtools.page_sender import PageSender
from bot.devtools.signed_client import SignedSlackClient
from bot.devtools.slack_emulator import SlackEmulator
from bot.server import EVENTS_PATH, RunningBot, start_bot
from bot.slack import reminder_blocks
from bot.slack.mrkdwn import unescape

GENERAL = "C0GENERAL"
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
STEP_TIMEOUT_S = 15.0


class DemoFailed(Exception):
    pass


class DemoClock:
    """The demo's time: an afternoon that moves on only when the script says so, so the
    durations it shows read like a real incident's rather than a second's."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, minutes: int) -> None:
        self.current += timedelta(minutes=minutes)


class Demo:
    def __init__(self, slack: SlackEmulator, client: SignedSlackClient, out: TextIO,
                 clock: DemoClock, pages: PageSender,
                 wake: Callable[[], None] = lambda: None) -> None:
        self.slack = slack
        self.client = client
        self.out = out
        self.clock = clock
        self.pages = pages
        # The scheduler sleeps until something changes; the demo's clock jumps, so the
        # demo tells it when time has moved on.
        self.wake = wake

    def later(self, minutes: int, what: str = "") -> None:
        self.clock.advance(minutes)
        self.out.write(f"{self.clock.now():%H:%M}{' — ' + what if what else ''}\n")

    async def command(self, user: str, text: str, *, channel: str,
                      done_when: str = "conversations.setTopic", times: int = 1) -> str:
        """Type `/incident <text>` as `user`; wait until the bot's work shows in Slack."""
        key = uuid.uuid4().hex
        before = len(self.slack.calls_to(done_when))
        self.out.write(f"  {self._name(user)} types: /incident {text}\n")
        response = await self.client.slash_command(text, user_id=user, channel_id=channel,
                                                   response_key=key)
        if response.status != 200:
            raise DemoFailed(f"the bot answered HTTP {response.status} to /incident {text}")
        await self.slack.wait_for_call(done_when, count=before + times, timeout=STEP_TIMEOUT_S)
        await self.slack.wait_until_quiet()
        return response.message

    async def page(self, payload: dict[str, Any], *, opens: bool = False) -> None:
        """Alertmanager notifies the bot, as its webhook receiver would."""
        alerts = payload["alerts"]
        self.out.write(f"  Alertmanager sends the group {payload['groupLabels']} "
                       f"({payload['status']}, {len(alerts)} alert"
                       f"{'' if len(alerts) == 1 else 's'}) to /hooks/alertmanager\n")
        before = len(self.slack.calls_to("pins.add" if opens else "chat.postMessage"))
        answer = await self.pages.alertmanager(payload)
        if answer.status not in (200, 202):
            raise DemoFailed(f"the bot answered HTTP {answer.status} to Alertmanager")
        await self.slack.wait_for_call("pins.add" if opens else "chat.postMessage",
                                       count=before + 1, timeout=STEP_TIMEOUT_S)
        await self.slack.wait_until_quiet()

    def alert(self, instance: str, fingerprint: str, *, minutes_ago: int = 0,
              resolved: bool = False) -> dict[str, Any]:
        started = self.clock.now() - timedelta(minutes=minutes_ago)
        return page_sender.alert(
            "CheckoutErrorRate", fingerprint=fingerprint, starts_at=started,
            status="resolved" if resolved else "firing",
            ends_at=self.clock.now() if resolved else None,
            labels={"severity": "error", "service": "checkout", "instance": instance},
            annotations={"summary": "Checkout returns 500s for card payments",
                         "runbook_url": "https://runbooks.example.org/checkout/error-rate"})

    async def take_command(self, user: str, channel: str) -> None:
        self.out.write(f"  {self._name(user)} joins #{self.slack.channel(channel).name} and "
                       "presses Take command on the card\n")
        self.slack.join_channel(channel, user)
        card = next(m for m in reversed(self.slack.messages(channel)) if m.get("blocks"))
        before = len(self.slack.calls_to("conversations.setTopic"))
        response = await self.client.interaction(payloads.block_actions(
            user_id=user, channel_id=channel, message=card,
            action_id="incident_take_command", value="1",
            response_url=self.slack.response_url(uuid.uuid4().hex)))
        if response.status != 200:
            raise DemoFailed(f"the bot answered HTTP {response.status} to Take command")
        await self.slack.wait_for_call("conversations.setTopic", count=before + 1,
                                       timeout=STEP_TIMEOUT_S)
        await self.slack.wait_until_quiet()

    async def start(self, user: str, text: str) -> str:
        key = uuid.uuid4().hex
        self.out.write(f"  {self._name(user)} types: /incident start {text}\n")
        await self.client.slash_command(f"start {text}", user_id=user, channel_id=GENERAL,
                                        response_key=key)
        reply = (await self.slack.wait_for_response(key, timeout=STEP_TIMEOUT_S)).body
        await self.slack.wait_until_quiet()
        found = re.search(r"<#(C\w+)>", str(reply.get("text", "")))
        if found is None:
            raise DemoFailed(f"no incident channel in the reply: {reply.get('text')}")
        self.out.write(f"  Sitrep (only to {self._name(user)}): {self.readable(reply['text'])}\n")
        return found.group(1)

    async def reminded(self, channel: str) -> dict[str, Any]:
        """Time has passed without an update: the scheduler posts a reminder."""
        before = len(self.slack.calls_to("chat.postMessage"))
        self.wake()
        await self.slack.wait_for_call("chat.postMessage", count=before + 1,
                                       timeout=STEP_TIMEOUT_S)
        await self.slack.wait_until_quiet()
        reminder: dict[str, Any] = next(
            message for message in reversed(self.slack.messages(channel))
            if message.get("blocks")
            and message["blocks"][0].get("block_id") == reminder_blocks.REMINDER_BLOCK)
        shown = self.readable(self._card_lines(reminder)).replace("\n", "\n    ")
        self.out.write(f"  Sitrep: {shown}\n")
        return reminder

    async def press(self, user: str, channel: str, message: dict[str, Any],
                    action_id: str, value: str, *, done_when: str) -> None:
        """Press a button on one of the bot's messages; wait for what it does in Slack."""
        label = next(element["text"]["text"] for block in message["blocks"]
                     if block["type"] == "actions" for element in block["elements"]
                     if element["action_id"] == action_id)
        self.out.write(f"  {self._name(user)} presses [{label}]\n")
        key = uuid.uuid4().hex
        before = len(self.slack.calls_to(done_when))
        response = await self.client.interaction(payloads.block_actions(
            user_id=user, channel_id=channel, message=message, action_id=action_id,
            value=value, response_url=self.slack.response_url(key),
            block_id=reminder_blocks.REMINDER_ACTIONS_BLOCK))
        if response.status != 200:
            raise DemoFailed(f"the bot answered HTTP {response.status} to [{label}]")
        reply = (await self.slack.wait_for_response(key, timeout=STEP_TIMEOUT_S)).body
        await self.slack.wait_for_call(done_when, count=before + 1, timeout=STEP_TIMEOUT_S)
        await self.slack.wait_until_quiet()
        self.out.write(f"  Sitrep (only to {self._name(user)}): "
                       f"{self.readable(str(reply.get('text', '')))}\n")

    def say(self, channel: str, user: str, text: str, *,
            thread_ts: str | None = None) -> dict[str, Any]:
        where = " (in the thread)" if thread_ts else ""
        self.out.write(f"  {self._name(user)} writes{where}: {text}\n")
        return self.slack.post_human_message(channel, user, text, thread_ts=thread_ts)

    async def pin(self, user: str, channel: str, message: dict[str, Any]) -> None:
        """React with 📌, and deliver the event Slack would send."""
        self.out.write(f"  {self._name(user)} reacts with :pushpin: to "
                       f"\"{message['text'][:40]}\"\n")
        self.slack.add_human_reaction(channel, message["ts"], user, "pushpin")
        before = len(self.slack.calls_to("reactions.add"))
        response = await self.client.event(payloads.reaction_event(
            "reaction_added", user=user, reaction="pushpin", channel=channel,
            ts=message["ts"]))
        if response.status != 200:
            raise DemoFailed(f"the bot answered HTTP {response.status} to a reaction")
        # The bot's own small reaction is its confirmation.
        await self.slack.wait_for_call("reactions.add", count=before + 1,
                                       timeout=STEP_TIMEOUT_S)
        await self.slack.wait_until_quiet()

    def _name(self, user_id: str) -> str:
        user = self.slack.workspace.users.get(user_id)
        return user.real_name.split()[0] if user is not None else user_id

    def readable(self, text: str) -> str:
        """mrkdwn as a Slack client would render it, in plain text."""
        text = re.sub(r"<@(\w+)(?:\|[^>]*)?>", lambda m: "@" + self._name(m.group(1)), text)
        text = re.sub(r"<#(\w+)(?:\|[^>]*)?>",
                      lambda m: "#" + self.slack.channel(m.group(1)).name, text)
        text = re.sub(r"<!date\^\d+\^[^|>]*\|([^>]*)>", r"\1", text)
        return unescape(text.replace("\u2060", ""))

    def transcript(self, channel_id: str) -> list[str]:
        lines = []
        for message in self.slack.messages(channel_id):
            who = "Sitrep" if message.get("user") == self.slack.bot_user_id else self._name(
                str(message.get("user")))
            body = self._card_lines(message) if message.get("blocks") and \
                message.get("user") == self.slack.bot_user_id else str(message.get("text", ""))
            pinned = " [pinned]" if message["ts"] in self.slack.channel(channel_id).pins else ""
            text = self.readable(body).replace("\n", "\n      ")
            threaded = "  ↳ " if message.get("thread_ts") not in (None, message["ts"]) else "  "
            reactions = " ".join(f":{r['name']}: {r.get('count', len(r.get('users', [])))}"
                                 for r in message.get("reactions", []))
            lines.append(f"{threaded}{who}{pinned}: {text}"
                         + (f"   [{reactions}]" if reactions else ""))
        return lines

    def _card_lines(self, message: dict[str, Any]) -> str:
        parts = []
        for block in message["blocks"]:
            if block["type"] == "header":
                parts.append(block["text"]["text"])
            elif block["type"] == "section":
                # A field is a label over its value; a section's text keeps its lines.
                fields = [field["text"].replace("\n", ": ") for field in block.get("fields", [])]
                if fields:
                    parts.append(" | ".join(fields))
                if "text" in block:
                    parts.append(block["text"]["text"])
            elif block["type"] == "actions":
                buttons = [e["text"]["text"] if "text" in e else e["placeholder"]["text"]
                           for e in block["elements"]]
                parts.append("[" + "] [".join(buttons) + "]")
        return "\n".join(parts)


async def whole_incident(demo: Demo) -> str:
    """An afternoon's incident, start to finish; returns its channel id."""
    demo.later(0, "Prometheus sees card payments failing; Alertmanager pages.")
    first = demo.alert("checkout-7d9f:8080", "1a30ba71cca2921f", minutes_ago=2)
    group = {"alertname": "CheckoutErrorRate"}
    await demo.page(page_sender.alert_group([first], group_labels=group), opens=True)
    channel = _incident_channel(demo.slack)
    demo.later(1, "Alice, on call, sees the page in #general.")
    await demo.take_command(ALICE, channel)
    demo.later(2, "a second instance starts failing too.")
    second = demo.alert("checkout-5c2a:8080", "2b41cb82ddb3a30e")
    await demo.page(page_sender.alert_group([first, second], group_labels=group))
    seen = demo.say(channel, BOB, "Seeing 500s on /pay since 14:02, only card payments")
    await demo.pin(CAROL, channel, seen)
    cause = demo.say(channel, ALICE, "Deploy 4512 went out at 13:58, rolling it back")
    demo.later(1)
    confirmed = demo.say(channel, BOB, "Confirmed: 4512 changed the card tokeniser",
                         thread_ts=cause["ts"])
    await demo.pin(ALICE, channel, confirmed)
    await demo.command(ALICE, "role scribe <@U0CAROL|carol>", channel=channel)
    demo.later(4, "a third of card payments are failing.")
    await demo.command(ALICE, "sev 1", channel=channel)
    await demo.command(ALICE, "status identified", channel=channel)
    await demo.command(ALICE, "update Rolling back deploy 4512; card payments failing for "
                              "about 30% of customers", channel=channel,
                       done_when="chat.postMessage")
    demo.later(18)
    recovered = demo.say(channel, BOB, "Rollback done, error rate back under 0.1%")
    await demo.pin(ALICE, channel, recovered)
    demo.later(5, "Alertmanager sees the alerts stop.")
    await demo.page(page_sender.alert_group(
        [demo.alert("checkout-7d9f:8080", "1a30ba71cca2921f", minutes_ago=33, resolved=True),
         demo.alert("checkout-5c2a:8080", "2b41cb82ddb3a30e", minutes_ago=26, resolved=True)],
        group_labels=group))
    await demo.command(ALICE, "status monitoring", channel=channel)
    demo.later(40, "Alice's shift ends; Bob takes over.")
    await demo.command(ALICE, "handover <@U0BOB|bob>", channel=channel,
                       done_when="chat.postMessage", times=2)
    demo.later(20, "no update for over an hour: Sitrep reminds the commander.")
    reminder = await demo.reminded(channel)
    await demo.press(BOB, channel, reminder, reminder_blocks.SNOOZE_BUTTON_PREFIX + "1h", "1h",
                     done_when="chat.update")
    await demo.command(BOB, "action Add a canary stage for payment deploys <@U0ALICE|alice>",
                       channel=channel, done_when="chat.postMessage")
    # Resolving posts the closing message, the announcement and the retrospective's link.
    await demo.command(BOB, "resolve Deploy 4512 broke card payments; rolled back",
                       channel=channel, done_when="chat.postMessage", times=3)
    return channel


def _incident_channel(slack: SlackEmulator) -> str:
    made = [call for call in slack.calls_to("conversations.create")]
    if not made:
        raise DemoFailed("the page opened no incident channel")
    channel = slack.channel_by_name(str(made[-1].args.get("name")))
    if channel is None:
        raise DemoFailed("the incident channel is not there")
    return channel.id


async def run_demo(out: TextIO, *, dashboard: bool = False, port: int = 0) -> int:
    """With `dashboard`, the bot serves its dashboard too (on `port`, 0 for any free one),
    and after the incident keeps serving it, signed in through the built-in Slack, until
    SIGINT or SIGTERM."""
    with tempfile.TemporaryDirectory(prefix="sitrep-demo-") as folder:
        database = Path(folder) / "demo.db"
        clock = DemoClock(datetime.now(UTC).replace(hour=14, minute=2, second=0,
                                                    microsecond=0))
        async with SlackEmulator(clock=clock) as slack:
            listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                listener.bind(("127.0.0.1", port if dashboard else 0))
            except OSError as failure:
                listener.close()
                raise ConfigError(f"--port: cannot listen on 127.0.0.1 port {port} "
                                  f"({failure.strerror or failure}); choose another port, "
                                  "or leave --port out for any free one.") from None
            url = f"http://127.0.0.1:{listener.getsockname()[1]}"
            values = {"SLACK_BOT_TOKEN": slack.bot_token,
                      "SLACK_SIGNING_SECRET": secrets.token_hex(16),
                      "SLACK_API_URL": slack.api_url,
                      "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
                      "SITREP_ANNOUNCE_CHANNEL": GENERAL,
                      "SITREP_ALERTMANAGER_TOKEN": secrets.token_hex(16),
                      **(_dashboard_settings(url) if dashboard else {})}
            settings = Settings(_env_file=None, **values)  # type: ignore[arg-type]
            running: RunningBot = await start_bot(settings, sock=listener, clock=clock)
            client = SignedSlackClient(url + EVENTS_PATH, settings.slack_signing_secret or "",
                                       slack)
            pages = PageSender(url, alertmanager_token=settings.alertmanager_token)
            demo = Demo(slack, client, out, clock, pages,
                        wake=running.deps.schedule_changed.poke)
            try:
                out.write(f"Sitrep is serving on {url} against the built-in Slack at "
                          f"{slack.api_url}\n\n")
                channel = await whole_incident(demo)
                _show(out, slack, demo, channel)
                if dashboard:
                    await _browse_until_stopped(out, url, slack)
            finally:
                await client.close()
                await pages.close()
                await running.stop()
            calls = len(slack.calls)
    out.write(f"\nThe bot made {calls} Web API calls. Nothing left this machine, and the "
              "demo database is gone.\n")
    return 0


def _show(out: TextIO, slack: SlackEmulator, demo: Demo, channel: str) -> None:
    out.write(f"\nWhat #{slack.channel(channel).name} shows:\n")
    out.write("\n".join(demo.transcript(channel)) + "\n")
    out.write("\nWhat #general shows:\n")
    out.write("\n".join(demo.transcript(GENERAL)) + "\n")
    for canvas_id, canvas in slack.canvases.items():
        out.write(f"\nThe retrospective draft is the canvas {canvas_id} in "
                  f"#{slack.channel(canvas.channel_id or channel).name} "
                  f"({canvas.title}); this is what it says:\n\n")
        out.write(canvas.markdown)


def _dashboard_settings(url: str) -> dict[str, str]:
    return {"SLACK_CLIENT_ID": openid.CLIENT_ID, "SLACK_CLIENT_SECRET": openid.CLIENT_SECRET,
            "SITREP_PUBLIC_URL": url, "SITREP_SESSION_SECRET": secrets.token_urlsafe(48)}


async def _browse_until_stopped(out: TextIO, url: str, slack: SlackEmulator) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    person = slack.workspace.user(slack.openid.signed_in_user).real_name
    out.write(f"\nThe dashboard is at {url}/ (you sign in through the built-in Slack as "
              f"{person}). Press Ctrl-C to stop.\n")
    out.flush()
    try:
        await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
