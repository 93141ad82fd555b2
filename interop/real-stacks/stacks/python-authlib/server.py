"""python-authlib stack: an Authlib authorization server and an MCP resource server
(the `mcp` package's MCPServer with its bearer-auth middleware), each on its own free
loopback port. Prints `READY <mcp-url>` on stdout once both accept connections.

The dpop-bearer-only stack runs the same two servers through `main`, with its own
authorization-server hooks, token verifier and ASGI wrapper."""

from __future__ import annotations

import argparse
import asyncio
import logging
import secrets
import socket
import sys
import threading

import httpx2
import uvicorn
from mcp.server.auth.provider import AccessToken, TokenVerifier
from mcp.server.auth.settings import AuthSettings
from mcp.server.mcpserver import MCPServer
from werkzeug.serving import make_server

from authserver import RESOURCE_SERVER_CLIENT_ID, SCOPES, Hooks, create_app

log = logging.getLogger("stack")


def bound_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


class IntrospectionVerifier(TokenVerifier):
    """RFC 7662 introspection at the authorization server, as the resource server's client."""

    def __init__(self, endpoint: str, client_secret: str, resource: str):
        self.endpoint = endpoint
        self.auth = (RESOURCE_SERVER_CLIENT_ID, client_secret)
        self.resource = resource

    async def verify_token(self, token: str) -> AccessToken | None:
        async with httpx2.AsyncClient(timeout=10) as http:
            try:
                response = await http.post(self.endpoint, data={"token": token}, auth=self.auth)
            except httpx2.HTTPError as error:
                log.warning("introspection failed: %s", error)
                return None
        if response.status_code != 200:
            log.warning("introspection answered %s", response.status_code)
            return None
        info = response.json()
        if not info.get("active") or not self.accepts(info):
            return None
        return AccessToken(
            token=token,
            client_id=info.get("client_id", ""),
            scopes=(info.get("scope") or "").split(),
            expires_at=info.get("exp"),
            resource=info.get("aud"),
            subject=info.get("sub"),
            claims={"iss": info.get("iss")},
        )

    def accepts(self, info: dict) -> bool:
        """Whether an active token, as introspected, is one this server takes as a bearer token."""
        return True


def build_mcp(server_name: str, issuer: str, mcp_url: str, rs_secret: str, verifier: type[IntrospectionVerifier]) -> MCPServer:
    mcp = MCPServer(
        name=server_name,
        token_verifier=verifier(f"{issuer}/introspect", rs_secret, mcp_url),
        auth=AuthSettings(
            issuer_url=issuer,
            resource_server_url=mcp_url,
            required_scopes=SCOPES,
            validate_token_resource=True,
        ),
    )

    @mcp.tool()
    def greet(name: str) -> str:
        """Greets someone by name."""
        return f"Hello, {name}!"

    @mcp.tool()
    def whoami() -> str:
        """Names the test user the token belongs to."""
        return "test-user"

    return mcp


async def serve(mode: str, server_name: str, hooks: Hooks | None, verifier: type[IntrospectionVerifier], wrap_app) -> None:
    as_sock = bound_socket()
    rs_sock = bound_socket()
    issuer = f"http://127.0.0.1:{as_sock.getsockname()[1]}"
    mcp_url = f"http://127.0.0.1:{rs_sock.getsockname()[1]}/mcp"
    rs_secret = secrets.token_urlsafe(24)

    app = create_app(issuer, mcp_url, rs_secret, hooks)
    as_server = make_server("127.0.0.1", 0, app, threaded=True, fd=as_sock.fileno())
    threading.Thread(target=as_server.serve_forever, name="authserver", daemon=True).start()

    mcp = build_mcp(server_name, issuer, mcp_url, rs_secret, verifier)
    config = uvicorn.Config(
        wrap_app(mcp.streamable_http_app(host="127.0.0.1")),
        log_level="info",
        timeout_graceful_shutdown=2,
    )
    rs_server = uvicorn.Server(config)

    async def announce():
        while not rs_server.started:
            await asyncio.sleep(0.05)
        log.warning("authorization server %s, MCP server %s (mode %s)", issuer, mcp_url, mode)
        print(f"READY {mcp_url}", flush=True)

    asyncio.get_running_loop().create_task(announce())
    await rs_server.serve(sockets=[rs_sock])
    as_server.shutdown()


def main(server_name: str, hooks: Hooks | None = None, verifier: type[IntrospectionVerifier] = IntrospectionVerifier, wrap_app=lambda app: app) -> None:
    """Runs both servers until SIGTERM: `start MODE`'s entry point, for either stack."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", nargs="?", default="default", choices=["default"])
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(serve(args.mode, server_name, hooks, verifier, wrap_app))


if __name__ == "__main__":
    main("python-authlib-stack")
