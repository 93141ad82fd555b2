#!/usr/bin/env python3
"""The official MCP Python SDK (PyPI `mcp` 2.3.0) as a client under test: `driver.py MCP_URL`.

It connects the way the SDK's documentation ("OAuth clients", docs/client/oauth-clients.md and
docs_src/oauth_clients/tutorial001.py) tells an application to: an `OAuthClientProvider` (an
`httpx2.Auth`) with an in-memory `TokenStorage`, `OAuthClientMetadata` and the two handlers, put
on an `httpx2.AsyncClient` that is handed to `streamable_http_client`, and that transport to
`Client`. The provider does everything else (discovery, dynamic registration or the stored
client, PKCE, `state` and `iss` checks, the code exchange, refresh, re-authorization). Then it
lists the tools and calls the first one twice (the catalog's server-side triggers fire after the
first successful call, so the second one meets their effect). Exits 0 when both calls succeeded,
1 with the SDK's error on stderr otherwise, 2 on bad usage.

The application's documented duties, and nothing more:
- A pre-registered client (MCP_CONFORMANCE_CONTEXT's `client_id` / `client_secret`) is given as
  the `OAuthClientInformationFull` that `TokenStorage.get_client_info` returns: the provider
  registers only when storage holds no client information. Its `token_endpoint_auth_method` is
  the application's to state (the SDK does not choose one from the server's metadata):
  `client_secret_basic` when there is a secret (RFC 6749 section 2.3.1: every authorization
  server supports it), else `none`; PYSDK_DRIVER_TOKEN_AUTH_METHOD overrides it.
- `redirect_handler` is the browser: it GETs the authorization URL without following redirects
  and keeps `Location` (the callback). Nothing listens on the redirect URI, so no port is held.
- `callback_handler` hands back the callback's `code`, `state` and `iss` exactly as they
  arrived, as an `AuthorizationCodeResult`; the provider compares `state` and `iss` itself
  (the docs: "Pass state and iss through exactly as they arrived"). A callback without a code
  (an `error` redirect) ends the authorization with that error.
At most 10 authorizations (a safety net; the SDK itself bounds them at one per MCP request) and
25 seconds in all. The SDK reports an HTTP error of the MCP endpoint as a JSON-RPC error without
the status, so the driver notes the last such status (an httpx2 response hook) for its message.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from urllib.parse import parse_qs, urljoin, urlsplit

import anyio
import httpx2
from pydantic import AnyUrl

from mcp import Client
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import MCPError
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

# The loopback callback the catalog's pre-registered apps allow; nothing listens on it.
REDIRECT_URI = "http://127.0.0.1:33418/callback"
# A safety net only: the provider runs at most one authorization per MCP request, and the driver
# sends a handful of requests, so this is never the reason a run stops on its own.
MAX_AUTHORIZATIONS = 10
CALLS = 2
DEADLINE_SECONDS = 25


def log(message: str) -> None:
    print(f"python-sdk-driver: {message}", file=sys.stderr, flush=True)


def conformance_context() -> dict:
    text = os.environ.get("MCP_CONFORMANCE_CONTEXT", "").strip()
    if not text:
        return {}
    try:
        context = json.loads(text)
    except json.JSONDecodeError as error:
        raise SystemExit(f"MCP_CONFORMANCE_CONTEXT is not JSON: {error}")
    return context if isinstance(context, dict) else {}


class InMemoryTokenStorage:
    """The docs' in-memory `TokenStorage`, seeded with a pre-registered client when there is one."""

    def __init__(self, client_info: OAuthClientInformationFull | None) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info = client_info

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


def preregistered_client(context: dict) -> OAuthClientInformationFull | None:
    client_id = context.get("client_id")
    if not client_id:
        return None
    secret = context.get("client_secret") or None
    method = os.environ.get("PYSDK_DRIVER_TOKEN_AUTH_METHOD") or ("client_secret_basic" if secret else "none")
    return OAuthClientInformationFull(
        client_id=client_id,
        client_secret=secret,
        redirect_uris=[AnyUrl(REDIRECT_URI)],
        token_endpoint_auth_method=method,
    )


class HeadlessConsent:
    """The person at the consent screen: the redirect and callback handlers."""

    def __init__(self) -> None:
        self.callback: str | None = None
        self.authorizations = 0

    async def redirect_handler(self, authorization_url: str) -> None:
        self.authorizations += 1
        if self.authorizations > MAX_AUTHORIZATIONS:
            raise RuntimeError(f"giving up after {MAX_AUTHORIZATIONS} authorizations")
        self.callback = None
        async with httpx2.AsyncClient(follow_redirects=False, timeout=10) as browser:
            response = await browser.get(authorization_url)
        location = response.headers.get("location")
        if not (300 <= response.status_code < 400 and location):
            raise RuntimeError(f"the authorization endpoint answered {response.status_code} without a redirect")
        self.callback = urljoin(authorization_url, location)
        log(f"authorization {self.authorizations}: redirected to the callback")

    async def callback_handler(self) -> AuthorizationCodeResult:
        callback, self.callback = self.callback, None
        if callback is None:
            raise RuntimeError("no callback arrived")
        params = parse_qs(urlsplit(callback).query)

        def first(name: str) -> str | None:
            values = params.get(name)
            return values[0] if values else None

        code = first("code")
        if not code:
            error = first("error")
            if error:
                description = first("error_description")
                raise RuntimeError(f"authorization failed: {error}" + (f" ({description})" if description else ""))
            raise RuntimeError("the callback carries no code")
        return AuthorizationCodeResult(code=code, state=first("state"), iss=first("iss"))


def arguments_for(schema: dict | None, call: int) -> dict:
    """Arguments that satisfy a (simple) JSON Schema object: every required property, typed."""
    schema = schema or {}
    properties = schema.get("properties") or {}
    required = schema.get("required") or list(properties)
    return {name: value_for(properties.get(name) or {}, call) for name in required}


def value_for(schema: dict, call: int):
    if schema.get("enum"):
        return schema["enum"][0]
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = kind[0] if kind else None
    if kind in ("number", "integer"):
        return call
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return arguments_for(schema, call)
    return f"call {call}"


class McpStatus:
    """The last error status the MCP endpoint answered (for the message; it changes nothing)."""

    def __init__(self, url: str) -> None:
        self.url = httpx2.URL(url)
        self.last: str | None = None

    async def hook(self, response: httpx2.Response) -> None:
        request = response.request
        if request.url.copy_with(query=None) == self.url and response.status_code >= 400:
            challenge = response.headers.get("www-authenticate")
            self.last = f"{request.method} {response.status_code}" + (f" ({challenge})" if challenge else "")


async def run(url: str, status: McpStatus) -> None:
    context = conformance_context()
    consent = HeadlessConsent()
    oauth = OAuthClientProvider(
        server_url=url,
        client_metadata=OAuthClientMetadata(
            client_name="python-sdk-driver",
            redirect_uris=[AnyUrl(REDIRECT_URI)],
        ),
        storage=InMemoryTokenStorage(preregistered_client(context)),
        redirect_handler=consent.redirect_handler,
        callback_handler=consent.callback_handler,
    )
    async with httpx2.AsyncClient(
        auth=oauth, follow_redirects=True, event_hooks={"response": [status.hook]}
    ) as http_client:
        transport = streamable_http_client(url, http_client=http_client)
        async with Client(transport) as client:
            tools = (await client.list_tools()).tools
            if not tools:
                raise RuntimeError("the server offers no tools")
            tool = tools[0]
            for call in range(1, CALLS + 1):
                result = await client.call_tool(tool.name, arguments_for(tool.input_schema, call))
                if result.is_error:
                    content = [block.model_dump(mode="json") for block in result.content]
                    raise RuntimeError(f"{tool.name} call {call} failed: {json.dumps(content)}")
            log(f"connected and called {tool.name} {CALLS} times")


def describe(error: BaseException) -> str:
    """The error and, for exception groups and chained errors, what is inside."""
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(describe(inner) for inner in error.exceptions)
    text = f"{type(error).__name__}: {error}"
    if isinstance(error, MCPError):
        text = f"{type(error).__name__} {error.code}: {error}"
    cause = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    if cause is not None and cause is not error:
        inner = describe(cause)
        if inner != text:
            text += f" (from {inner})"
    return text


async def main() -> int:
    if len(sys.argv) < 2 or not sys.argv[-1].startswith(("http://", "https://")):
        log("usage: driver.py MCP_URL")
        return 2
    url = sys.argv[-1]
    status = McpStatus(url)
    try:
        with anyio.fail_after(DEADLINE_SECONDS):
            await run(url, status)
    except TimeoutError:
        log(f"no result within {DEADLINE_SECONDS} s")
        return 1
    except Exception as error:  # noqa: BLE001 - any failure of the client under test is its verdict
        if os.environ.get("PYSDK_DRIVER_TRACEBACK"):
            traceback.print_exception(error)
        log(describe(error))
        if status.last:
            log(f"the MCP endpoint last answered {status.last}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(anyio.run(main))
