#!/usr/bin/env node
// The official TypeScript MCP client SDK (@modelcontextprotocol/client) as a client under
// test: `node driver.mjs MCP_URL`.
//
// It connects the way an application built on the SDK does: a StreamableHTTPClientTransport
// with an OAuthClientProvider (dynamic registration, or the Client ID and secret that
// MCP_CONFORMANCE_CONTEXT carries), lists the tools and calls the first one twice (the
// catalog's server-side triggers fire after the first successful call, so the second one
// meets their effect). Exits 0 when both calls succeeded, 1 with the SDK's error otherwise,
// 2 on bad usage.
//
// The person at the consent screen is played headlessly: redirectToAuthorization GETs the
// authorization URL without following redirects and keeps the `Location` header, which is
// the callback. The driver then does what the SDK leaves to the application: it compares
// the callback's `state` with the one it sent, stops on an `error` response, and hands the
// callback's parameters to transport.finishAuth (which checks `iss`, RFC 9207, and redeems
// the code). A refused token sends the driver back to authorization at most
// MAX_AUTHORIZATIONS times in all, then it gives up.

import { randomBytes } from 'node:crypto';
import {
    Client,
    SdkErrorCode,
    SdkHttpError,
    StreamableHTTPClientTransport,
    UnauthorizedError
} from '@modelcontextprotocol/client';

/** The loopback callback the catalog's pre-registered apps allow; nothing listens on it. */
const REDIRECT_URI = 'http://127.0.0.1:33418/callback';
const MAX_AUTHORIZATIONS = 3;
const CALLS = 2;

function log(message) {
    process.stderr.write(`ts-sdk-driver: ${message}\n`);
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
        this._clientInformation = undefined;
        this._tokens = undefined;
        this._codeVerifier = undefined;
        this._discoveryState = undefined;
        this.sentState = undefined;
        this.callback = undefined;
        this.authorizations = 0;
        if (context.client_id) {
            this._clientInformation = { client_id: context.client_id };
            if (context.client_secret) this._clientInformation.client_secret = context.client_secret;
        }
    }

    get redirectUrl() {
        return REDIRECT_URI;
    }

    get clientMetadata() {
        return {
            client_name: 'ts-sdk-driver',
            redirect_uris: [REDIRECT_URI],
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
            token_endpoint_auth_method: 'none'
        };
    }

    state() {
        this.sentState = randomBytes(24).toString('base64url');
        return this.sentState;
    }

    clientInformation() {
        return this._clientInformation;
    }

    saveClientInformation(info) {
        this._clientInformation = info;
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

    saveDiscoveryState(state) {
        this._discoveryState = state;
    }

    discoveryState() {
        return this._discoveryState;
    }

    invalidateCredentials(scope) {
        if (scope === 'all' || scope === 'client') {
            // A pre-registered Client ID is configuration, not something to forget.
            if (!this.context.client_id) this._clientInformation = undefined;
        }
        if (scope === 'all' || scope === 'tokens') this._tokens = undefined;
        if (scope === 'all' || scope === 'verifier') this._codeVerifier = undefined;
        if (scope === 'all' || scope === 'discovery') this._discoveryState = undefined;
    }

    async redirectToAuthorization(authorizationUrl) {
        this.authorizations += 1;
        if (this.authorizations > MAX_AUTHORIZATIONS) {
            throw new Error(`giving up after ${MAX_AUTHORIZATIONS} authorizations`);
        }
        const response = await fetch(authorizationUrl, { redirect: 'manual' });
        await response.text().catch(() => {});
        const location = response.headers.get('location');
        if (response.status < 300 || response.status > 399 || !location) {
            throw new Error(`the authorization endpoint answered ${response.status} without a redirect`);
        }
        this.callback = new URL(location, authorizationUrl);
    }

    /** The pending callback's parameters, checked as the application must; clears it. */
    takeCallback() {
        const callback = this.callback;
        this.callback = undefined;
        if (!callback) return undefined;
        const params = callback.searchParams;
        if (params.get('state') !== this.sentState) {
            throw new Error('the callback state does not match the state sent; dropping the code');
        }
        if (params.has('error')) {
            const description = params.get('error_description');
            throw new Error(`authorization failed: ${params.get('error')}${description ? ` (${description})` : ''}`);
        }
        if (!params.get('code')) throw new Error('the callback carries no code');
        return params;
    }
}

/**
 * Runs `step`; on UnauthorizedError after a redirect, completes the authorization and retries.
 * A 401 right after re-authentication is what the SDK leaves to the host (its docs: call
 * invalidateCredentials('discovery') on repeated 401s, so that a changed authorization server
 * is found): the driver forgets the discovery and the tokens and tries the step once more.
 */
async function authorized(provider, transportOf, step) {
    let rediscovered = false;
    for (;;) {
        try {
            return await step();
        } catch (error) {
            if (!rediscovered && error instanceof SdkHttpError && error.code === SdkErrorCode.ClientHttpAuthentication) {
                rediscovered = true;
                log(`${error.message}: discovering again`);
                provider.invalidateCredentials('discovery');
                provider.invalidateCredentials('tokens');
                continue;
            }
            if (!(error instanceof UnauthorizedError) || provider.callback === undefined) throw error;
            const params = provider.takeCallback();
            await transportOf().finishAuth(params);
            log(`authorized (authorization ${provider.authorizations})`);
        }
    }
}

async function main() {
    const url = process.argv[process.argv.length - 1];
    if (process.argv.length < 3 || !/^https?:\/\//.test(url)) {
        log('usage: driver.mjs MCP_URL');
        return 2;
    }
    const provider = new HeadlessProvider(conformanceContext());
    let client;
    let transport;
    await authorized(provider, () => transport, async () => {
        client = new Client({ name: 'ts-sdk-driver', version: '1.0.0' });
        transport = new StreamableHTTPClientTransport(new URL(url), { authProvider: provider });
        await client.connect(transport);
    });
    const { tools } = await authorized(provider, () => transport, () => client.listTools());
    if (!tools.length) throw new Error('the server offers no tools');
    const tool = tools[0];
    for (let call = 1; call <= CALLS; call++) {
        const args = argumentsFor(tool.inputSchema, call);
        const result = await authorized(provider, () => transport, () => client.callTool({ name: tool.name, arguments: args }));
        if (result.isError) throw new Error(`${tool.name} call ${call} failed: ${JSON.stringify(result.content)}`);
    }
    log(`connected and called ${tool.name} ${CALLS} times`);
    await client.close().catch(() => {});
    return 0;
}

/** Arguments that satisfy a (simple) JSON Schema object: every required property, typed. */
function argumentsFor(schema, call) {
    const args = {};
    const properties = schema?.properties ?? {};
    for (const name of schema?.required ?? Object.keys(properties)) {
        args[name] = valueFor(properties[name] ?? {}, call);
    }
    return args;
}

function valueFor(schema, call) {
    if (schema.enum?.length) return schema.enum[0];
    switch (Array.isArray(schema.type) ? schema.type[0] : schema.type) {
        case 'number':
        case 'integer':
            return call;
        case 'boolean':
            return true;
        case 'array':
            return [];
        case 'object':
            return argumentsFor(schema, call);
        default:
            return `call ${call}`;
    }
}

main().then(
    code => process.exit(code),
    error => {
        log(error?.stack ?? String(error));
        process.exit(1);
    }
);
