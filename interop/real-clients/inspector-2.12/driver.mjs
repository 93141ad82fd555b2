#!/usr/bin/env node
// The MCP Inspector 2.12.0 CLI (npm @modelcontextprotocol/inspector) as a client under test:
// `node driver.mjs MCP_URL`.
//
// It runs the CLI the way a user scripts it, one invocation per operation, as the CLI works:
//
//   mcp-inspector --cli URL --transport http --method tools/list --format json
//   mcp-inspector --cli URL --transport http --method tools/call --tool-name T --tool-args-json J --format json
//   (the same tools/call once more)
//
// The Inspector's own OAuth code does everything: on a 401 it discovers, registers (or takes
// --client-id/--client-secret, the Client ID and secret of MCP_CONFORMANCE_CONTEXT), opens the
// authorization URL with the `open` package, listens for the redirect on --callback-url,
// redeems the code and stores the tokens, which the next invocation reads back. Tokens persist
// the way the CLI persists them: ~/.mcp-inspector/storage/oauth.json for the state and
// ~/.mcp-inspector/secrets.json for tokens and client secrets, in a fresh HOME per run. Only
// the choice of the secret store is made for it: MCP_INSPECTOR_SECRET_STORE=file, the
// documented setting for a machine without an OS keychain (in a container the CLI would
// otherwise keep secrets in memory and every invocation would authorize again).
//
// Host duties the driver plays, nothing more:
// - the browser: $BROWSER is browser.mjs, which GETs the authorization URL without following
//   redirects and delivers `Location` to the CLI's callback listener; MCP_AUTO_OPEN_ENABLED=true
//   is the CLI's documented switch for opening it without a TTY;
// - the person at the terminal: the CLI asks "Proceed with step-up authorization? [y/N]" on a
//   403 insufficient_scope; the driver answers "y";
// - the callback port: a free loopback port for dynamic registration; 33418 with the path
//   /callback for the catalog's pre-registered apps, under an exclusive flock on
//   ${TMPDIR:-/tmp}/real-clients-33418.lock while the CLI runs.
//
// Exits 0 when both calls succeeded, 1 otherwise (with the CLI's error on stderr), 2 on bad
// usage. Everything is bounded: the whole run ends within DEADLINE_MS.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { argumentsFor } from './tool-arguments.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const LAUNCHER = join(here, 'node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js');
const BROWSER = join(here, 'browser.mjs');
const PREREGISTERED_CALLBACK = 'http://127.0.0.1:33418/callback';
const LOCK_FILE = join(process.env.TMPDIR || '/tmp', 'real-clients-33418.lock');
const DEADLINE_MS = 26_000;
const MAX_AUTHORIZATIONS = 3;
const CALLS = 2;
const started = Date.now();

function log(message) {
    process.stderr.write(`inspector-driver: ${message}\n`);
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

function freePort() {
    return new Promise((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
            const { port } = server.address();
            server.close(() => resolve(port));
        });
    });
}

/** The environment of a CLI run: a fresh HOME, the file secret store, the fake browser. */
function cliEnvironment(home, report) {
    const env = { ...process.env };
    // A generic desktop, so that xdg-open goes straight to $BROWSER.
    for (const name of ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_CURRENT_DESKTOP', 'DESKTOP_SESSION', 'KDE_FULL_SESSION', 'GNOME_DESKTOP_SESSION_ID', 'MCP_OAUTH_CALLBACK_URL', 'MCP_STORAGE_DIR', 'MCP_CLIENT_CONFIG_PATH', 'MCP_CATALOG_PATH', 'MCP_INSPECTOR_OAUTH_STATE_PATH', 'MCP_INSPECTOR_SECRET_FILE', 'MCP_INSPECTOR_PERSIST_TOKENS', 'VITEST']) {
        delete env[name];
    }
    return {
        ...env,
        HOME: home,
        USERPROFILE: home,
        MCP_INSPECTOR_SECRET_STORE: 'file',
        MCP_AUTO_OPEN_ENABLED: 'true',
        BROWSER,
        INSPECTOR_DRIVER_BROWSER_REPORT: report,
        NO_COLOR: '1'
    };
}

class Run {
    constructor(url, context, home, callbackUrl) {
        this.url = url;
        this.context = context;
        this.home = home;
        this.callbackUrl = callbackUrl;
        this.report = join(home, 'browser.jsonl');
        writeFileSync(this.report, '');
        this.seen = 0;
        this.authorizations = 0;
    }

    /** New lines of the browser's report since the last look. */
    browserNews() {
        const lines = readFileSync(this.report, 'utf8').split('\n').filter(Boolean);
        const fresh = lines.slice(this.seen).map(line => JSON.parse(line));
        this.seen = lines.length;
        return fresh;
    }

    /** One CLI invocation; resolves to {code, stdout, stderr, killed}. */
    invoke(methodArgs) {
        const args = [LAUNCHER, '--cli', this.url, '--transport', 'http', ...methodArgs, '--format', 'json', '--callback-url', this.callbackUrl];
        if (this.context.client_id) args.push('--client-id', this.context.client_id);
        if (this.context.client_secret) args.push('--client-secret', this.context.client_secret);
        let command = process.execPath;
        let argv = args;
        if (this.context.client_id) {
            // The pre-registered apps' callback port is shared by every run: take it in turn.
            const wait = Math.max(1, Math.floor((DEADLINE_MS - (Date.now() - started)) / 1000) - 1);
            command = 'flock';
            argv = ['-x', '-w', String(wait), LOCK_FILE, process.execPath, ...args];
        }
        return new Promise(resolve => {
            const child = spawn(command, argv, {
                env: cliEnvironment(this.home, this.report),
                stdio: ['pipe', 'pipe', 'pipe'],
                detached: true
            });
            let stdout = '';
            let stderr = '';
            let killed;
            let answered = false;
            const kill = reason => {
                if (killed) return;
                killed = reason;
                try {
                    process.kill(-child.pid, 'SIGTERM');
                } catch {}
                setTimeout(() => {
                    try {
                        process.kill(-child.pid, 'SIGKILL');
                    } catch {}
                }, 1500).unref();
            };
            child.stdout.on('data', chunk => (stdout += chunk));
            child.stderr.on('data', chunk => {
                const text = chunk.toString();
                stderr += text;
                for (const line of text.split('\n')) if (line.trim()) process.stderr.write(`  cli: ${line}\n`);
                if (!answered && stderr.includes('Proceed with step-up authorization?')) {
                    answered = true;
                    log('answering the step-up prompt: y');
                    child.stdin.write('y\n');
                }
            });
            child.stdin.on('error', () => {});
            const watch = setInterval(() => {
                for (const entry of this.browserNews()) {
                    if (entry.url) {
                        this.authorizations += 1;
                        log(`browser: authorization ${this.authorizations}: ${entry.url}`);
                    }
                    if (entry.callback) log(`browser: redirected to ${entry.callback}`);
                    if (entry.delivered !== undefined) log(`browser: the callback listener answered ${entry.delivered}: ${entry.page}`);
                    if (!entry.ok) {
                        log(`browser: ${entry.reason}`);
                        kill(`the consent step failed: ${entry.reason}`);
                    }
                    if (this.authorizations > MAX_AUTHORIZATIONS) kill(`giving up after ${MAX_AUTHORIZATIONS} authorizations`);
                }
                if (Date.now() - started > DEADLINE_MS) kill(`out of time (${DEADLINE_MS / 1000} s in all)`);
            }, 100);
            child.on('close', code => {
                clearInterval(watch);
                for (const entry of this.browserNews()) if (!entry.ok) killed ??= `the consent step failed: ${entry.reason}`;
                resolve({ code, stdout, stderr, killed });
            });
        });
    }

    /** Runs one CLI invocation and returns its JSON result, or throws with the CLI's error. */
    async method(label, methodArgs) {
        log(`${label}: mcp-inspector --cli ${methodArgs.join(' ')}`);
        const { code, stdout, stderr, killed } = await this.invoke(methodArgs);
        if (killed) throw new Error(`${label}: stopped: ${killed}`);
        if (code !== 0) {
            const error = lastJsonLine(stderr)?.error ?? stderr.trim().split('\n').slice(-3).join(' | ');
            throw new Error(`${label}: the CLI exited with ${code}: ${typeof error === 'string' ? error : JSON.stringify(error)}`);
        }
        const envelope = lastJsonLine(stdout);
        if (!envelope || !('result' in envelope)) throw new Error(`${label}: no JSON result on stdout: ${stdout.slice(0, 300)}`);
        return envelope.result;
    }
}

function lastJsonLine(text) {
    const lines = text.split('\n').filter(line => line.trim().startsWith('{'));
    for (let i = lines.length - 1; i >= 0; i--) {
        try {
            return JSON.parse(lines[i]);
        } catch {}
    }
    return undefined;
}

async function main() {
    const url = process.argv[process.argv.length - 1];
    if (process.argv.length < 3 || !/^https?:\/\//.test(url)) {
        log('usage: driver.mjs MCP_URL');
        return 2;
    }
    if (!existsSync(LAUNCHER)) throw new Error(`no Inspector at ${LAUNCHER}; run install first`);
    const context = conformanceContext();
    const callbackUrl = context.client_id ? PREREGISTERED_CALLBACK : `http://127.0.0.1:${await freePort()}/oauth/callback`;
    const home = mkdtempSync(join(tmpdir(), 'inspector-2.12-home-'));
    try {
        const run = new Run(url, context, home, callbackUrl);
        const listed = await run.method('tools/list', ['--method', 'tools/list']);
        const tools = listed?.tools ?? [];
        if (!tools.length) throw new Error('the server offers no tools');
        const tool = tools[0];
        for (let call = 1; call <= CALLS; call++) {
            const args = argumentsFor(tool.inputSchema, call);
            await run.method(`tools/call ${call}`, ['--method', 'tools/call', '--tool-name', tool.name, '--tool-args-json', JSON.stringify(args)]);
        }
        log(`listed the tools and called ${tool.name} ${CALLS} times (${run.authorizations} authorization(s))`);
        return 0;
    } finally {
        if (!process.env.INSPECTOR_DRIVER_KEEP_HOME) rmSync(home, { recursive: true, force: true });
        else log(`kept HOME ${home}`);
    }
}

main().then(
    code => process.exit(code),
    error => {
        log(error?.message ?? String(error));
        process.exit(1);
    }
);
