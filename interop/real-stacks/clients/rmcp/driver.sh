#!/usr/bin/env sh
# rmcp's OAuth client (interop/rmcp-client, the official Rust SDK's `auth` feature) as a client
# under test: `driver.sh RMCP_OAUTH_CLIENT MCP_URL`. The binary does the whole flow itself:
# discovery, registration (or the Client ID from MCP_CONFORMANCE_CONTEXT), headless consent
# (the authorization URL's redirect is read, not followed), the callback with RFC 9207 `iss`
# validation, then tools/list and two `echo` calls.
set -eu
binary="$1"
shift
exec "$binary" --calls 2 "$@"
