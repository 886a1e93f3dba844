"""The yardstick: a slack-bolt AsyncApp that only acknowledges `reaction_added`.

Served the way `sitrep serve` serves Bolt (aiohttp, Bolt's own adapter, signatures
checked, the same token path through `auth.test`), so the difference in a burst is what
Sitrep does per event, not the framework.

    python -m bench.bare_bolt --port N   (reads SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET,
                                          SLACK_API_URL; serves until SIGTERM)
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

BOLT_APP: web.AppKey[AsyncApp] = web.AppKey("bolt_app", AsyncApp)


def build_bolt_app(*, token: str, signing_secret: str, api_url: str) -> AsyncApp:
    app = AsyncApp(client=AsyncWebClient(token=token, base_url=api_url),
                   signing_secret=signing_secret)

    @app.event("reaction_added")
    async def acknowledge_only() -> None:
        # Bolt acknowledges events itself; doing nothing more is the point.
        return None

    return app


async def slack_events(request: web.Request) -> web.Response:
    bolt_response = await request.app[BOLT_APP].async_dispatch(await to_bolt_request(request))
    return await to_aiohttp_response(bolt_response)


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


async def serve(port: int) -> None:
    web_app = web.Application()
    web_app[BOLT_APP] = build_bolt_app(token=os.environ["SLACK_BOT_TOKEN"],
                                       signing_secret=os.environ["SLACK_SIGNING_SECRET"],
                                       api_url=os.environ["SLACK_API_URL"])
    web_app.router.add_post("/slack/events", slack_events)
    web_app.router.add_get("/healthz", healthz)
    runner = web.AppRunner(web_app, handle_signals=False)
    await runner.setup()
    await web.TCPSite(runner, host="127.0.0.1", port=port).start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    asyncio.run(serve(parser.parse_args().port))


if __name__ == "__main__":
    main()
