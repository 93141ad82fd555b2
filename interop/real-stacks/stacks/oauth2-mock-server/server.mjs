// oauth2-mock-server as an OpenID-only authorization server (it serves
// /.well-known/openid-configuration at its issuer, no RFC 8414 document and no registration
// endpoint: a client must bring a Client ID; any Client ID is accepted) in front of an MCP
// resource server built on @modelcontextprotocol/server + @modelcontextprotocol/express.
//
//   node server.mjs default
//
// Prints `READY <mcp-url>` on stdout; everything else goes to stderr. Consent is automatic:
// oauth2-mock-server's /authorize redirects straight to the callback with a code.
import http from "node:http";
import { OAuth2Server } from "oauth2-mock-server";
import { McpServer, createMcpHandler, OAuthError, OAuthErrorCode } from "@modelcontextprotocol/server";
import { toNodeHandler } from "@modelcontextprotocol/node";
import {
    createMcpExpressApp,
    getOAuthProtectedResourceMetadataUrl,
    requireBearerAuth,
} from "@modelcontextprotocol/express";
import { createRemoteJWKSet, jwtVerify } from "jose";
import * as z from "zod";

const mode = process.argv[2] ?? "default";
if (mode !== "default") {
    console.error("usage: server.mjs default");
    process.exit(2);
}
const log = (...args) => console.error("[oauth2-mock-server]", ...args);

const oauth = new OAuth2Server();
await oauth.issuer.keys.generate("RS256");
await oauth.start(0, "127.0.0.1");
// start() names the issuer http://localhost:PORT; the stack answers on 127.0.0.1 only.
oauth.issuer.url = `http://127.0.0.1:${oauth.address().port}`;
const issuer = oauth.issuer.url; // no path: discovery at /.well-known/openid-configuration

const mcpHttp = http.createServer();
await new Promise((resolve, reject) => {
    mcpHttp.once("error", reject);
    mcpHttp.listen(0, "127.0.0.1", resolve);
});
const mcpUrl = `http://127.0.0.1:${mcpHttp.address().port}/mcp`;

// oauth2-mock-server's access tokens carry no `aud` for the authorization-code grant (it
// ignores RFC 8707 `resource`), so the resource server checks signature, issuer and expiry.
const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));
const verifier = {
    async verifyAccessToken(token) {
        try {
            const { payload } = await jwtVerify(token, jwks, { issuer });
            return {
                token,
                clientId: String(payload.client_id ?? payload.azp ?? ""),
                scopes: typeof payload.scope === "string" ? payload.scope.split(" ") : [],
                expiresAt: payload.exp,
            };
        } catch (error) {
            throw new OAuthError(OAuthErrorCode.InvalidToken, `token rejected: ${error?.code ?? error?.message ?? error}`);
        }
    },
};

const app = createMcpExpressApp({ host: "127.0.0.1" });
// RFC 9728 protected-resource metadata, written by hand: the SDK's mcpAuthMetadataRouter would
// also publish an RFC 8414 document at this origin, which this stack must not have.
app.get("/.well-known/oauth-protected-resource/mcp", (_req, res) => {
    res.json({ resource: mcpUrl, authorization_servers: [issuer], bearer_methods_supported: ["header"] });
});

function createServer() {
    const server = new McpServer({ name: "real-stacks-oauth2-mock-server", version: "1.0.0" });
    server.registerTool(
        "greet",
        { description: "Greets someone by name.", inputSchema: z.object({ name: z.string() }) },
        async ({ name }) => ({ content: [{ type: "text", text: `Hello, ${name}!` }] }),
    );
    server.registerTool("ping", { description: "Answers pong." }, async () => ({ content: [{ type: "text", text: "pong" }] }));
    return server;
}
const handler = toNodeHandler(createMcpHandler(createServer));
app.all(
    "/mcp",
    requireBearerAuth({ verifier, resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(new URL(mcpUrl)) }),
    (req, res) => handler(req, res, req.body),
);
mcpHttp.on("request", app);

for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, async () => {
        mcpHttp.close();
        await oauth.stop().catch(() => {});
        process.exit(0);
    });
}
log(`authorization server ${issuer}, MCP server ${mcpUrl}`);
process.stdout.write(`READY ${mcpUrl}\n`);
