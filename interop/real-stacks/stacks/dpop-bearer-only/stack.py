"""dpop-bearer-only stack: python-authlib's two servers (its authserver.py and server.py), with
DPoP (RFC 9449) added to the authorization server by dpop.py, which then advertises and issues
DPoP tokens, in front of the same MCP resource server (the `mcp` package's MCPServer with its
bearer-auth middleware), which accepts only the `Bearer` scheme: `Authorization: DPoP ...` is
refused with 401, and so is a DPoP-bound token presented as Bearer, since this server cannot
check a proof of possession (RFC 9449 §7.2). Each server has its own free loopback port.
Prints `READY <mcp-url>` on stdout once both accept connections. `start` puts python-authlib
on PYTHONPATH."""

from __future__ import annotations

import logging

from dpop import DPoPHooks
from server import IntrospectionVerifier, main

log = logging.getLogger("stack")


class BearerOnlyVerifier(IntrospectionVerifier):
    def accepts(self, info):
        if info.get("cnf"):
            # A sender-constrained token: without a proof this server could check, it is
            # not a bearer token (RFC 9449 §7.2, RFC 7800).
            log.warning("refused a DPoP-bound token presented as Bearer")
            return False
        return True


def log_dpop_scheme(app):
    """Logs requests that present the DPoP scheme, which the bearer middleware refuses."""

    async def wrapped(scope, receive, send):
        if scope["type"] == "http":
            for name, value in scope["headers"]:
                if name == b"authorization" and value[:5].lower() == b"dpop ":
                    log.warning("%s %s with Authorization: DPoP: refused, this server accepts Bearer only", scope["method"], scope["path"])
        await app(scope, receive, send)

    return wrapped


if __name__ == "__main__":
    main("dpop-bearer-only-stack", hooks=DPoPHooks(), verifier=BearerOnlyVerifier, wrap_app=log_dpop_scheme)
