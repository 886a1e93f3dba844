"""Answers of the dashboard's API checked against the OpenAPI document it serves."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from aiohttp import ClientResponse
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from bot.web.api import openapi_document


class ApiContract:
    def __init__(self) -> None:
        self.openapi = OpenAPI.from_dict(openapi_document())

    async def check(self, response: ClientResponse) -> None:
        """Raises when the answer is not what the document describes (nor, for an answer
        that accepted it, the request)."""
        url = urlsplit(str(response.url))
        request = MockRequest(f"{url.scheme}://{url.netloc}", response.method.lower(),
                              url.path, args=dict(parse_qsl(url.query)),
                              cookies={"sitrep_session": "present"})
        body = await response.read()
        answer = MockResponse(body, status_code=response.status,
                              content_type=response.content_type)
        if response.status < 400:
            self.openapi.validate_request(request)
        self.openapi.validate_response(request, answer)
