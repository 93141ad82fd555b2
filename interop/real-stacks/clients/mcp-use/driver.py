#!/usr/bin/env python3
"""mcp-use (PyPI `mcp-use`) as a client under test: `driver.py MCP_URL`.

It connects the way an application built on mcp-use does: an `MCPClient` whose server entry
has an `auth` dictionary, which turns on mcp-use's own OAuth support (discovery, dynamic
registration or the Client ID and secret that MCP_CONFORMANCE_CONTEXT carries, PKCE, its
loopback callback listener, the code exchange). It lists the tools and calls the first one
twice (the catalog's server-side triggers fire after the first successful call, so the second
one meets their effect). Exits 0 when both calls succeeded, 1 with mcp-use's error otherwise,
2 on bad usage.

The person at the consent screen is played headlessly: mcp-use opens the authorization URL
with the standard `webbrowser` module, and the browser registered here, instead of a real one,
GETs that URL without following redirects and delivers the `Location` (the callback) to
mcp-use's loopback listener, as a browser would. When the authorization server shows a page
instead of redirecting, the "person" closes the window: the driver stops with that answer
instead of waiting for mcp-use's five-minute callback timeout.
"""

import asyncio
import fcntl
import json
import os
import socket
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
import webbrowser
from pathlib import Path

# The callback the catalog's pre-registered apps allow (bring-your-own scenarios): mcp-use
# builds http://localhost:PORT/callback from the port it is given.
PREREGISTERED_CALLBACK_PORT = 33418
CALLS = 2


def log(message: str) -> None:
    print(f"mcp-use-driver: {message}", file=sys.stderr, flush=True)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HeadlessBrowser(webbrowser.BaseBrowser):
    """A `webbrowser` browser that plays the person who clicks Approve."""

    def __init__(self, on_failure):
        super().__init__("headless-consent")
        self.on_failure = on_failure

    def open(self, url, new=0, autoraise=True):
        threading.Thread(target=self._consent, args=(url,), daemon=True).start()
        return True

    def _consent(self, url: str) -> None:
        opener = urllib.request.build_opener(_NoRedirect)
        try:
            try:
                with opener.open(url, timeout=10) as response:
                    status, location = response.status, response.headers.get("Location")
            except urllib.error.HTTPError as answer:
                status, location = answer.code, answer.headers.get("Location")
            if not (300 <= status < 400 and location):
                self.on_failure(f"the authorization endpoint answered {status} without a redirect")
                return
            callback = urllib.parse.urljoin(url, location)
            host = urllib.parse.urlsplit(callback).hostname
            if host not in ("localhost", "127.0.0.1", "::1"):
                self.on_failure(f"the authorization endpoint redirected to {host}, not to the loopback callback")
                return
            # The browser follows the redirect to mcp-use's listener.
            with urllib.request.urlopen(callback, timeout=10) as delivered:
                delivered.read()
        except urllib.error.HTTPError as delivered:
            # mcp-use's listener answers an error page to an error callback; it has read it.
            if delivered.code >= 500:
                self.on_failure(f"the callback listener answered {delivered.code}")
        except Exception as error:  # noqa: BLE001 - any failure of the "browser" ends the run
            self.on_failure(f"the headless consent failed: {error}")


def conformance_context() -> dict:
    text = os.environ.get("MCP_CONFORMANCE_CONTEXT", "").strip()
    if not text:
        return {}
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise SystemExit(f"MCP_CONFORMANCE_CONTEXT is not JSON: {error}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def arguments_for(schema: dict | None, call: int) -> dict:
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


async def run(url: str) -> None:
    from mcp_use import MCPClient

    context = conformance_context()
    auth: dict = {}
    lock = None
    if context.get("client_id"):
        auth["client_id"] = context["client_id"]
        if context.get("client_secret"):
            auth["client_secret"] = context["client_secret"]
        # The pre-registered app allows one callback port; runs in parallel take turns on it.
        auth["callback_port"] = PREREGISTERED_CALLBACK_PORT
        lock = open(Path(tempfile.gettempdir()) / f"mcp-use-driver-{PREREGISTERED_CALLBACK_PORT}.lock", "w")
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
    else:
        auth["callback_port"] = free_port()

    main_task = asyncio.current_task()
    loop = asyncio.get_running_loop()
    failure: list[str] = []

    def on_failure(reason: str) -> None:
        failure.append(reason)
        loop.call_soon_threadsafe(main_task.cancel)

    webbrowser.register("headless-consent", None, HeadlessBrowser(on_failure), preferred=True)

    client = MCPClient.from_dict({"mcpServers": {"target": {"url": url, "auth": auth}}})
    try:
        # The lock is held until the process ends (the OS releases it): mcp-use keeps its
        # callback listener bound until its sessions close, so a driver that let go after
        # connecting left the next one's bind to fail with EADDRINUSE.
        session = await client.create_session("target")
        tools = await session.list_tools()
        if not tools:
            raise RuntimeError("the server offers no tools")
        tool = tools[0]
        for call in range(1, CALLS + 1):
            result = await session.call_tool(tool.name, arguments_for(tool.inputSchema, call))
            if result.isError:
                raise RuntimeError(f"{tool.name} call {call} failed: {result.content}")
        log(f"connected and called {tool.name} {CALLS} times")
    except asyncio.CancelledError:
        raise RuntimeError(failure[0] if failure else "cancelled") from None
    finally:
        try:
            await asyncio.wait_for(client.close_all_sessions(), timeout=5)
        except BaseException:  # noqa: BLE001 - closing is best effort
            pass


def main() -> int:
    if len(sys.argv) < 2 or not sys.argv[-1].startswith(("http://", "https://")):
        log("usage: driver.py MCP_URL")
        return 2
    # Tokens and registrations go to ~/.mcp_use: a fresh home per run, so that no run inherits
    # another's client or tokens.
    home = tempfile.mkdtemp(prefix="mcp-use-driver-")
    os.environ["HOME"] = home
    os.environ.setdefault("MCP_USE_ANONYMIZED_TELEMETRY", "false")
    try:
        asyncio.run(run(sys.argv[-1]))
        return 0
    except BaseException as error:  # noqa: BLE001 - report whatever mcp-use raised
        if isinstance(error, BaseExceptionGroup):
            error = error.exceptions[0]
        log(f"{type(error).__name__}: {error}")
        return 1
    finally:
        import shutil

        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
