// A better-auth authorization server (@better-auth/mcp, dynamic client registration, PKCE,
// refresh-token rotation) in front of an MCP resource server built on
// @modelcontextprotocol/server + @modelcontextprotocol/express.
//
//   node server.mjs lenient|strict
//
// Two loopback ports: the authorization server (better-auth under /api/auth) and the MCP
// server (/mcp). Prints `READY <mcp-url>` on stdout; everything else goes to stderr.
//
// Consent is automatic (see authorizeAsTestUser): a fixed test user is signed in and consents
// on the server side, and the authorization endpoint's first answer is the redirect to the
// client's callback. The user agent needs no cookies and follows no redirects.
import http from "node:http";
import express from "express";
import { betterAuth } from "better-auth";
import { jwt } from "better-auth/plugins";
import { toNodeHandler as authNodeHandler } from "better-auth/node";
import { mcp } from "@better-auth/mcp";
import { oauthProviderAuthServerMetadata, oauthProviderOpenIdConfigMetadata } from "@better-auth/oauth-provider";
import { McpServer, createMcpHandler } from "@modelcontextprotocol/server";
import { toNodeHandler as mcpNodeHandler } from "@modelcontextprotocol/node";
import {
    createMcpExpressApp,
    getOAuthProtectedResourceMetadataUrl,
    mcpAuthMetadataRouter,
    requireBearerAuth,
} from "@modelcontextprotocol/express";
import { OAuthError, OAuthErrorCode } from "@modelcontextprotocol/server";
import { createRemoteJWKSet, jwtVerify, decodeJwt } from "jose";
import * as z from "zod";

const mode = process.argv[2];
if (mode !== "lenient" && mode !== "strict") {
    console.error("usage: server.mjs lenient|strict");
    process.exit(2);
}
const log = (...args) => console.error(`[better-auth ${mode}]`, ...args);

// Listens on a free loopback port before anything is configured, so that every URL is known.
function listen(server) {
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => resolve(server.address().port));
    });
}

const asServer = http.createServer();
const mcpServer = http.createServer();
const asPort = await listen(asServer);
const mcpPort = await listen(mcpServer);
const asOrigin = `http://127.0.0.1:${asPort}`;
const issuer = `${asOrigin}/api/auth`;
const mcpUrl = `http://127.0.0.1:${mcpPort}/mcp`;

const TEST_USER = { email: "test-user@example.com", password: "test-user-password-1", name: "Test User" };

const auth = betterAuth({
    baseURL: asOrigin,
    basePath: "/api/auth",
    secret: "real-stacks-better-auth-test-secret-0123456789",
    emailAndPassword: { enabled: true },
    telemetry: { enabled: false },
    logger: { level: "error" },
    plugins: [
        jwt(),
        mcp({
            resource: mcpUrl,
            loginPage: `${asOrigin}/login`,
            consentPage: `${asOrigin}/consent`,
            // RFC 7591 registration open to anyone, as MCP clients need it.
            allowDynamicClientRegistration: true,
            allowUnauthenticatedClientRegistration: true,
            // better-auth refuses `http:` loopback redirect URIs of web clients (the RFC 7591
            // default application_type) unless told otherwise; the clients under test are
            // command-line tools with a loopback callback, whatever application_type they send.
            allowInsecureRedirectUri: (url) => url.hostname === "127.0.0.1" || url.hostname === "localhost",
        }),
    ],
});

// The test user the login route signs in.
await auth.api.signUpEmail({ body: TEST_USER });

// ---- Authorization server ----------------------------------------------------------------

const asApp = express();
asApp.disable("x-powered-by");
// RFC 8414 metadata at the path-inserted well-known URL of the issuer, and OpenID discovery at
// the issuer's own path, as better-auth documents for a base path.
asApp.get("/.well-known/oauth-authorization-server/api/auth", nodeOf(oauthProviderAuthServerMetadata(auth)));
asApp.get("/api/auth/.well-known/openid-configuration", nodeOf(oauthProviderOpenIdConfigMetadata(auth)));

// Automatic consent. A request to the authorization endpoint that carries no session (every
// request of a client under test: the headless user agent keeps no cookies and reads only the
// first redirect) is answered here: the test user is signed in, the same authorization request
// is replayed to better-auth with that session, better-auth's consent step is accepted on the
// user's behalf, and the client gets better-auth's final redirect (to its callback with a code,
// or with an error) as the answer to its own request. Anything that is not a redirect (an error
// page for an unregistered redirect URI, say) is passed back unchanged.
const INTERNAL = "x-real-stacks-internal";
asApp.get("/api/auth/oauth2/authorize", async (req, res, next) => {
    if (req.headers[INTERNAL] || req.headers.cookie) return next();
    const query = new URL(req.originalUrl, asOrigin).searchParams;
    await authorizeAsTestUser(query, res);
});
// The login page better-auth redirects to without a session: the same, for the original
// parameters of the signed query it is given.
asApp.get("/login", async (req, res) => {
    const resumed = new URL(req.originalUrl, asOrigin).searchParams;
    for (const key of [...resumed.keys()]) {
        if (key === "sig" || key === "exp" || key.startsWith("ba_")) resumed.delete(key);
    }
    await authorizeAsTestUser(resumed, res);
});

async function authorizeAsTestUser(query, res) {
    try {
        const signIn = await auth.api.signInEmail({
            body: { email: TEST_USER.email, password: TEST_USER.password },
            asResponse: true,
        });
        if (!signIn.ok) throw new Error(`sign-in answered ${signIn.status}`);
        const cookie = signIn.headers
            .getSetCookie()
            .map((c) => c.split(";")[0])
            .join("; ");
        const authorize = await fetch(`${issuer}/oauth2/authorize?${query}`, {
            headers: { cookie, [INTERNAL]: "1" },
            redirect: "manual",
        });
        let location = await nextLocation(authorize);
        if (!location) return relay(authorize, res);
        const target = new URL(location, asOrigin);
        if (target.origin === asOrigin && target.pathname === "/consent") {
            const consent = await fetch(`${issuer}/oauth2/consent`, {
                method: "POST",
                headers: { cookie, "content-type": "application/json", origin: asOrigin, [INTERNAL]: "1" },
                body: JSON.stringify({ accept: true, oauth_query: target.search.slice(1) }),
            });
            location = await nextLocation(consent);
            if (!location) return relay(consent, res);
        }
        log(`authorize: signed in ${TEST_USER.email} and consented, redirecting to ${new URL(location, asOrigin).origin}`);
        res.redirect(302, location);
    } catch (error) {
        log("automatic sign-in failed:", error);
        res.status(500).type("text/plain").send(`automatic sign-in failed: ${error.message}`);
    }
}

async function relay(response, res) {
    res.status(response.status);
    const type = response.headers.get("content-type");
    if (type) res.setHeader("content-type", type);
    res.send(Buffer.from(await response.clone().arrayBuffer()));
}

asApp.get("/consent", (_req, res) => res.status(400).type("text/plain").send("consent is given by /login"));
asApp.all("/api/auth/*splat", authNodeHandler(auth));
asServer.on("request", asApp);

// better-auth answers a redirect either as a 302 or, to a non-navigation request, as
// `200 {"redirect": true, "url": ...}`; anything else is not a redirect (undefined).
async function nextLocation(response) {
    const location = response.headers.get("location");
    if (location) return location;
    if (!response.ok) return undefined;
    try {
        const body = await response.clone().json();
        return body?.redirect && body.url ? body.url : undefined;
    } catch {
        return undefined;
    }
}

// Wraps a web-standard (Request) => Response handler for express.
function nodeOf(handler) {
    return async (req, res) => {
        const response = await handler(new Request(new URL(req.originalUrl, asOrigin), { method: req.method }));
        res.status(response.status);
        response.headers.forEach((value, name) => res.setHeader(name, value));
        res.send(Buffer.from(await response.arrayBuffer()));
    };
}

// ---- MCP resource server -----------------------------------------------------------------

const jwks = createRemoteJWKSet(new URL(`${issuer}/jwks`));

function invalidToken(message) {
    return new OAuthError(OAuthErrorCode.InvalidToken, message);
}

// Access tokens from better-auth are JWTs (audience = the `resource` requested) when the client
// sent RFC 8707 `resource`, and opaque strings when it did not.
const verifier = {
    async verifyAccessToken(token) {
        let claims = null;
        try {
            decodeJwt(token);
            claims = (await jwtVerify(token, jwks, { issuer })).payload;
        } catch (error) {
            if (error?.code !== "ERR_JWT_INVALID" || token.split(".").length === 3) {
                throw invalidToken(`token rejected: ${error?.code ?? error?.message ?? error}`);
            }
        }
        if (claims) {
            const audiences = Array.isArray(claims.aud) ? claims.aud : claims.aud ? [claims.aud] : [];
            return {
                token,
                clientId: String(claims.azp ?? claims.client_id ?? ""),
                scopes: typeof claims.scope === "string" ? claims.scope.split(" ") : [],
                expiresAt: claims.exp,
                // Strict mode compares this with the MCP URL (expectedResource).
                resource: audiences.includes(mcpUrl) ? new URL(mcpUrl) : audiences[0] ? safeUrl(audiences[0]) : undefined,
            };
        }
        if (mode === "strict") {
            // An opaque token carries no audience, so it cannot be for this server.
            throw invalidToken("opaque access token: no audience bound to this resource");
        }
        // Lenient: an opaque token is checked at the OpenID UserInfo endpoint, the one endpoint
        // of better-auth a separate resource server may present a token it did not issue to.
        const userinfo = await fetch(`${issuer}/oauth2/userinfo`, { headers: { authorization: `Bearer ${token}` } });
        if (!userinfo.ok) throw invalidToken(`userinfo refused the token (${userinfo.status})`);
        return { token, clientId: "", scopes: [], expiresAt: Math.floor(Date.now() / 1000) + 60 };
    },
};

function safeUrl(value) {
    try {
        return new URL(value);
    } catch {
        return undefined;
    }
}

const asMetadata = await (await fetch(`${asOrigin}/.well-known/oauth-authorization-server/api/auth`)).json();

const mcpApp = createMcpExpressApp({ host: "127.0.0.1" });
mcpApp.use(
    mcpAuthMetadataRouter({
        oauthMetadata: asMetadata,
        resourceServerUrl: new URL(mcpUrl),
        scopesSupported: ["openid", "profile", "email", "offline_access"],
        resourceName: "real-stacks better-auth MCP server",
        dangerouslyAllowInsecureIssuerUrl: true,
    }),
);
const bearer = requireBearerAuth({
    verifier,
    resourceMetadataUrl: getOAuthProtectedResourceMetadataUrl(new URL(mcpUrl)),
    expectedResource: mode === "strict" ? new URL(mcpUrl) : undefined,
});

function createServer() {
    const server = new McpServer({ name: "real-stacks-better-auth", version: "1.0.0" });
    server.registerTool(
        "greet",
        { description: "Greets someone by name.", inputSchema: z.object({ name: z.string() }) },
        async ({ name }) => ({ content: [{ type: "text", text: `Hello, ${name}!` }] }),
    );
    server.registerTool("ping", { description: "Answers pong." }, async () => ({ content: [{ type: "text", text: "pong" }] }));
    return server;
}
const mcpHandler = mcpNodeHandler(createMcpHandler(createServer));
mcpApp.all("/mcp", bearer, (req, res) => mcpHandler(req, res, req.body));
mcpServer.on("request", mcpApp);

for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
        asServer.close();
        mcpServer.close();
        process.exit(0);
    });
}
log(`authorization server ${issuer}, MCP server ${mcpUrl}`);
process.stdout.write(`READY ${mcpUrl}\n`);
