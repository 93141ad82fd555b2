#!/usr/bin/env node
// The Vercel AI SDK's MCP client (@ai-sdk/mcp 2.0.99) as an OAuth MCP client under test:
// `node driver.mjs MCP_URL`.
//
// It connects the way an application built on the AI SDK does: createMCPClient with the
// `http` transport and an `authProvider` (an in-memory OAuthClientProvider: dynamic
// registration, or the Client ID and secret that MCP_CONFORMANCE_CONTEXT carries as
// clientInformation), lists the tools and calls the first one twice (the catalog's
// server-side triggers fire after the first successful call, so the second one meets their
// effect). Exits 0 when both calls succeeded, 1 with the SDK's error otherwise, 2 on bad usage.
//
// The SDK's own OAuth code (node_modules/@ai-sdk/mcp/dist/index.js: auth, authInternal and
// the functions they call) does discovery, registration, PKCE, the code exchange and the
// refresh; the transport calls it on a 401. The driver plays the person at the consent screen
// and does what the AI SDK's documentation leaves to the application:
//
// - redirectToAuthorization GETs the authorization URL without following redirects and keeps
//   the `Location` header, which is the callback (nothing listens on the redirect URI);
// - the provider implements state()/saveState()/storedState(), so that the SDK compares the
//   callback's state with the one it sent (authInternal: "OAuth state parameter mismatch");
// - the callback is completed as the docs' "OAuth Callback Issuer Validation" section shows:
//   auth(provider, { serverUrl, authorizationCode, callbackState, callbackIssuer }), after
//   which the interrupted step is run again (a new client when createMCPClient itself failed);
//   an `error` callback or one without a code stops the run (the docs' examples reject it);
// - a confidential pre-registered client must be bound to its authorization server's issuer
//   (the JSDoc of OAuthClientProvider.clientInformation). An operator configures the issuer
//   of the authorization server at which the app was registered; MCP_CONFORMANCE_CONTEXT does
//   not carry it, so the driver takes, once, the authorization server that the SDK selects
//   first (the validateAuthorizationServerURL hook, called before the metadata is fetched) and
//   keeps it as that configured issuer for the rest of the run;
// - isClientInformationDynamicallyRegistered() answers true only for a registration the SDK
//   saved, as its JSDoc asks, and invalidateCredentials forgets what the SDK says to forget
//   (never the pre-registered Client ID).
//
// At most MAX_AUTHORIZATIONS authorizations; everything is bounded by DEADLINE_MS.

import { randomBytes } from 'node:crypto';
import { auth, createMCPClient, UnauthorizedError } from '@ai-sdk/mcp';

import { argumentsFor } from './tool-arguments.mjs';

/** The loopback callback the catalog's pre-registered apps allow; nothing listens on it. */
const REDIRECT_URI = 'http://127.0.0.1:33418/callback';
const MAX_AUTHORIZATIONS = 3;
const CALLS = 2;
const DEADLINE_MS = 25_000;
const REQUEST_TIMEOUT_MS = 10_000;

function log(message) {
    process.stderr.write(`ai-sdk-mcp-driver: ${message}\n`);
}

function conformanceContext() {
    const text = process.env.MCP_CONFORMANCE_CONTEXT;
    if (!text || !text.trim()) return {};
    try {
        return JSON.parse(text);
    } catch (e) {
        throw new Error(`MCP_CONFORMANCE_CONTEXT is not JSON: ${e.message}`);
    }
}

/** An in-memory OAuthClientProvider whose "browser" reads the redirect instead of following it. */
class HeadlessProvider {
    constructor(context) {
        this.context = context;
        this.preRegistered = Boolean(context.client_id);
        this._clientInformation = undefined;
        this._dynamicallyRegistered = false;
        this._authorizationServerInformation = undefined;
        this._tokens = undefined;
        this._codeVerifier = undefined;
        this._state = undefined;
        this.configuredIssuer = undefined;
        this.callback = undefined;
        this.authorizations = 0;
    }

    get redirectUrl() {
        return REDIRECT_URI;
    }

    get clientMetadata() {
        return {
            client_name: 'ai-sdk-mcp-driver',
            redirect_uris: [REDIRECT_URI],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none'
        };
    }

    /** The Client ID/secret of the context: configuration, bound to the configured issuer. */
    preRegisteredInformation() {
        const info = { client_id: this.context.client_id };
        if (this.context.client_secret) info.client_secret = this.context.client_secret;
        if (this.context.client_secret && this.configuredIssuer) info.issuer = this.configuredIssuer;
        return info;
    }

    clientInformation() {
        if (this._clientInformation) return this._clientInformation;
        if (this.preRegistered) return this.preRegisteredInformation();
        return undefined;
    }

    saveClientInformation(info) {
        // The SDK calls this after a dynamic registration (authInternal → registerClient);
        // authorization-server pins go to saveAuthorizationServerInformation below.
        this._clientInformation = info;
        this._dynamicallyRegistered = true;
    }

    isClientInformationDynamicallyRegistered() {
        return this._dynamicallyRegistered;
    }

    authorizationServerInformation() {
        return this._authorizationServerInformation;
    }

    saveAuthorizationServerInformation(info) {
        this._authorizationServerInformation = info;
    }

    validateAuthorizationServerURL(_serverUrl, authorizationServerUrl) {
        // Stands for the operator's configuration of a confidential app's issuer (see above).
        if (this.preRegistered && this.context.client_secret && !this.configuredIssuer) {
            this.configuredIssuer = String(authorizationServerUrl);
            log(`pre-registered confidential client bound to issuer ${this.configuredIssuer}`);
        }
    }

    tokens() {
        return this._tokens;
    }

    saveTokens(tokens) {
        this._tokens = tokens;
    }

    saveCodeVerifier(verifier) {
        this._codeVerifier = verifier;
    }

    codeVerifier() {
        if (!this._codeVerifier) throw new Error('no code verifier saved');
        return this._codeVerifier;
    }

    state() {
        return randomBytes(24).toString('base64url');
    }

    saveState(state) {
        this._state = state;
    }

    storedState() {
        return this._state;
    }

    invalidateCredentials(scope) {
        if (scope === 'all' || scope === 'client') {
            // A pre-registered Client ID is configuration, not something to forget.
            this._clientInformation = undefined;
            this._dynamicallyRegistered = false;
            this._authorizationServerInformation = undefined;
        }
        if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
        if (scope === 'all' || scope === 'verifier') this._codeVerifier = undefined;
    }

    async redirectToAuthorization(authorizationUrl) {
        this.authorizations += 1;
        if (this.authorizations > MAX_AUTHORIZATIONS) {
            throw new Error(`giving up after ${MAX_AUTHORIZATIONS} authorizations`);
        }
        const response = await fetch(authorizationUrl, {
            redirect: 'manual',
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
        });
        await response.text().catch(() => {});
        const location = response.headers.get('location');
        if (response.status < 300 || response.status > 399 || !location) {
            throw new Error(`the authorization endpoint answered ${response.status} without a redirect`);
        }
        this.callback = new URL(location, authorizationUrl);
    }

    /** The pending callback's parameters; an error response or a missing code stops the run. */
    takeCallback() {
        const callback = this.callback;
        this.callback = undefined;
        if (!callback) return undefined;
        const params = callback.searchParams;
        if (params.has('error')) {
            const description = params.get('error_description');
            throw new Error(`authorization failed: ${params.get('error')}${description ? ` (${description})` : ''}`);
        }
        if (!params.get('code')) throw new Error('the callback carries no code');
        return params;
    }
}

/**
 * Runs `step`; when the SDK stopped at a redirect (UnauthorizedError, or auth() answering
 * REDIRECT), completes the authorization with auth(…, { authorizationCode, callbackState,
 * callbackIssuer }) as the AI SDK's docs show, then runs the step again.
 */
async function authorized(provider, serverUrl, step) {
    for (;;) {
        try {
            return await step();
        } catch (error) {
            if (!isUnauthorized(error) || provider.callback === undefined) throw error;
            const params = provider.takeCallback();
            const result = await auth(provider, {
                serverUrl,
                authorizationCode: params.get('code'),
                callbackState: params.get('state') ?? undefined,
                callbackIssuer: params.get('iss') ?? undefined
            });
            log(`authorization ${provider.authorizations}: ${result}`);
        }
    }
}

function isUnauthorized(error) {
    return error instanceof UnauthorizedError || error?.name === 'UnauthorizedError';
}

async function main() {
    const url = process.argv[process.argv.length - 1];
    if (process.argv.length < 3 || !/^https?:\/\//.test(url)) {
        log('usage: driver.mjs MCP_URL');
        return 2;
    }
    const provider = new HeadlessProvider(conformanceContext());
    const options = { timeout: REQUEST_TIMEOUT_MS };
    let client;
    await authorized(provider, url, async () => {
        client = await createMCPClient({
            transport: { type: 'http', url, authProvider: provider },
            clientName: 'ai-sdk-mcp-driver',
            initializationOptions: options,
            // The transport reports each failure here before it throws it: one line is enough.
            onUncaughtError: error => log(`transport: ${String(error?.message ?? error).split('\n')[0]}`)
        });
    });
    const { tools } = await authorized(provider, url, () => client.listTools({ options }));
    if (!tools.length) throw new Error('the server offers no tools');
    const tool = tools[0];
    for (let call = 1; call <= CALLS; call++) {
        const args = argumentsFor(tool.inputSchema, call);
        const result = await authorized(provider, url, () => client.callTool({ name: tool.name, arguments: args, options }));
        if (result.isError) throw new Error(`${tool.name} call ${call} failed: ${JSON.stringify(result.content)}`);
    }
    log(`connected and called ${tool.name} ${CALLS} times`);
    await client.close().catch(() => {});
    return 0;
}

setTimeout(() => {
    log(`no result within ${DEADLINE_MS / 1000} s; giving up`);
    process.exit(1);
}, DEADLINE_MS).unref();

main().then(
    code => process.exit(code),
    error => {
        log(error?.stack ?? String(error));
        if (error?.cause) log(`cause: ${error.cause?.stack ?? error.cause}`);
        process.exit(1);
    }
);
