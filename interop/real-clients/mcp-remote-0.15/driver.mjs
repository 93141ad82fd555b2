#!/usr/bin/env node
// mcp-remote 0.15.1 as the OAuth MCP client under `mcp-oauth-harness test-client`.
//
//   node driver.mjs PROXY_JS MCP_URL
//
// PROXY_JS is the installed node_modules/mcp-remote/dist/proxy.js (the `mcp-remote` bin);
// test-client appends MCP_URL. The driver is the desktop host and the person at the browser:
//
// - It runs `mcp-remote MCP_URL PORT` as a host would (stdio child), with a fresh HOME and
//   MCP_REMOTE_CONFIG_DIR so that no tokens or registrations carry over between runs.
//   Dynamic registration: PORT is a free loopback port and the redirect URI is mcp-remote's
//   default http://localhost:PORT/oauth/callback. Bring-your-own client (MCP_CONFORMANCE_CONTEXT
//   has client_id): the documented --static-oauth-client-info JSON, with `--host 127.0.0.1
//   --callback-path /callback` and PORT 33418, so the redirect URI is the pre-registered
//   http://127.0.0.1:33418/callback; the port is taken in turn (flock on
//   ${TMPDIR:-/tmp}/real-clients-33418.lock, held by a `flock` child until the driver exits).
// - mcp-remote opens the browser with the `open` package, which on Linux runs its bundled
//   xdg-open script; with no desktop session that script runs $BROWSER. The driver sets BROWSER
//   (and puts xdg-open / gio / x-www-browser / sensible-browser / www-browser look-alikes first
//   on PATH, for mcp-remote's own fallbacks) to a script that only appends the URL to a file.
//   The driver reads that file, GETs the authorization URL without following redirects and GETs
//   its Location (the callback on mcp-remote's own listener), as a browser would. A page
//   instead of a redirect ends the run at once with its status.
// - It speaks MCP over mcp-remote's stdin/stdout: initialize, notifications/initialized,
//   tools/list, then the first tool called twice with arguments built from its inputSchema.
//   Exit 0 when both calls succeeded, 1 otherwise. mcp-remote runs with --debug and its stderr
//   is passed through; MCP_REMOTE_DRIVER_TRANSCRIPTS=DIR also keeps the whole run in
//   DIR/<scenario>.log (the harness keeps only the tail of stderr).
//
// Everything is bounded: the driver gives up after DEADLINE_MS and kills mcp-remote.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { appendFileSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { argumentsFor } from './tool-arguments.mjs';

const DEADLINE_MS = 25_000;
const REQUEST_TIMEOUT_MS = 20_000;
const PREREGISTERED_PORT = 33418;
const PREREGISTERED_HOST = '127.0.0.1';
const PREREGISTERED_PATH = '/callback';
const PROTOCOL_VERSION = '2025-11-25';
const CALLS = 2;
const MAX_AUTHORIZATIONS = 3;

/** MCP_REMOTE_DRIVER_TRANSCRIPTS=DIR keeps the whole run (driver and mcp-remote) in DIR/<scenario>.log. */
const transcript = process.env.MCP_REMOTE_DRIVER_TRANSCRIPTS
    ? path.join(process.env.MCP_REMOTE_DRIVER_TRANSCRIPTS, `${process.env.MCP_CONFORMANCE_SCENARIO || 'run'}.log`)
    : undefined;

function log(message) {
    process.stderr.write(`mcp-remote-driver: ${message}\n`);
    if (transcript) appendFileSync(transcript, `mcp-remote-driver: ${message}\n`);
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

/** Takes the exclusive lock on the 33418 lock file; held until the driver exits (stdin closes). */
function lockPreregisteredPort(deadline) {
    const lockFile = path.join(process.env.TMPDIR || '/tmp', `real-clients-${PREREGISTERED_PORT}.lock`);
    const waitSeconds = Math.max(1, Math.floor((deadline - Date.now()) / 1000) - 2);
    const holder = spawn('flock', ['-x', '-w', String(waitSeconds), lockFile, '-c', 'echo locked; exec cat >/dev/null'], {
        stdio: ['pipe', 'pipe', 'inherit']
    });
    return new Promise((resolve, reject) => {
        let out = '';
        holder.stdout.on('data', chunk => {
            out += chunk;
            if (out.includes('locked')) resolve(holder);
        });
        holder.once('error', reject);
        holder.once('exit', code => reject(new Error(`could not lock ${lockFile} (flock exited ${code})`)));
    });
}

/** A home of its own: the fake browser, the PATH look-alikes, the config dir. */
function prepareHome() {
    const home = mkdtempSync(path.join(tmpdir(), 'mcp-remote-driver-'));
    const bin = path.join(home, 'bin');
    mkdirSync(bin);
    const opened = path.join(home, 'opened-urls');
    writeFileSync(opened, '');
    const browser = path.join(bin, 'headless-browser');
    // Appends the last argument (the URL; `gio open URL` passes two) to the file the driver reads.
    writeFileSync(browser, `#!/bin/sh\nfor last in "$@"; do :; done\nprintf '%s\\n' "$last" >> '${opened}'\nexit 0\n`);
    chmodSync(browser, 0o755);
    for (const name of ['xdg-open', 'gio', 'x-www-browser', 'sensible-browser', 'www-browser']) {
        writeFileSync(path.join(bin, name), `#!/bin/sh\nexec '${browser}' "$@"\n`);
        chmodSync(path.join(bin, name), 0o755);
    }
    return { home, bin, opened, browser, configDir: path.join(home, '.mcp-auth') };
}

function childEnvironment(dirs) {
    const env = { ...process.env };
    // No desktop session: the bundled xdg-open then takes its generic path, which runs $BROWSER.
    for (const name of ['DISPLAY', 'WAYLAND_DISPLAY', 'XDG_CURRENT_DESKTOP', 'XDG_SESSION_DESKTOP', 'DESKTOP_SESSION',
        'DBUS_SESSION_BUS_ADDRESS', 'KDE_FULL_SESSION', 'GNOME_DESKTOP_SESSION_ID', 'MATE_DESKTOP_SESSION_ID',
        'LXQT_SESSION_CONFIG', 'DESKTOP']) {
        delete env[name];
    }
    env.HOME = dirs.home;
    env.MCP_REMOTE_CONFIG_DIR = dirs.configDir;
    env.BROWSER = dirs.browser;
    env.PATH = `${dirs.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`;
    return env;
}

/** The person at the browser: GET the authorization URL, then its Location (the callback). */
class HeadlessBrowser {
    constructor(openedFile, onFatal) {
        this.openedFile = openedFile;
        this.onFatal = onFatal;
        this.seen = 0;
        this.authorizations = 0;
        this.timer = setInterval(() => this.poll(), 50);
        this.busy = false;
    }

    stop() {
        clearInterval(this.timer);
    }

    async poll() {
        if (this.busy) return;
        this.busy = true;
        try {
            const urls = readFileSync(this.openedFile, 'utf8').split('\n').filter(Boolean);
            while (this.seen < urls.length) {
                const url = urls[this.seen++];
                await this.visit(url);
            }
        } catch (error) {
            this.onFatal(error);
        } finally {
            this.busy = false;
        }
    }

    async visit(url) {
        this.authorizations += 1;
        if (this.authorizations > MAX_AUTHORIZATIONS) {
            throw new Error(`giving up after ${MAX_AUTHORIZATIONS} authorizations`);
        }
        log(`browser opened ${url}`);
        const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
        await response.text().catch(() => {});
        const location = response.headers.get('location');
        if (response.status < 300 || response.status > 399 || !location) {
            throw new Error(`the authorization endpoint answered ${response.status} without a redirect`);
        }
        const callback = new URL(location, url);
        log(`authorization endpoint redirected to ${callback}`);
        const landing = await getCallback(callback);
        const page = await landing.text().catch(() => '');
        log(`callback answered ${landing.status}${landing.status >= 400 ? `: ${page.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300)}` : ''}`);
    }
}

/** GETs mcp-remote's callback; it listens on 127.0.0.1 even when the redirect URI says localhost. */
async function getCallback(callback) {
    try {
        return await fetch(callback, { redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    } catch (error) {
        if (callback.hostname !== 'localhost') throw error;
        const ipv4 = new URL(callback);
        ipv4.hostname = '127.0.0.1';
        log(`${callback.host} unreachable (${error.cause?.code ?? error.message}); trying ${ipv4.host} as a browser would`);
        return fetch(ipv4, { redirect: 'manual', signal: AbortSignal.timeout(15_000) });
    }
}

/** Newline-delimited JSON-RPC over the child's stdio. */
class StdioRpc {
    constructor(child) {
        this.child = child;
        this.nextId = 1;
        this.pending = new Map();
        this.buffer = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', chunk => this.receive(chunk));
    }

    receive(chunk) {
        this.buffer += chunk;
        let newline;
        while ((newline = this.buffer.indexOf('\n')) >= 0) {
            const line = this.buffer.slice(0, newline).trim();
            this.buffer = this.buffer.slice(newline + 1);
            if (!line) continue;
            let message;
            try {
                message = JSON.parse(line);
            } catch {
                log(`mcp-remote wrote a non-JSON line on stdout: ${line.slice(0, 200)}`);
                continue;
            }
            this.dispatch(message);
        }
    }

    dispatch(message) {
        if (message.method !== undefined && message.id !== undefined) {
            // A request from the server (ping, roots/list, ...): answer as a minimal host.
            const reply = message.method === 'ping'
                ? { jsonrpc: '2.0', id: message.id, result: {} }
                : { jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `${message.method} is not supported` } };
            this.write(reply);
            return;
        }
        if (message.method !== undefined) return; // a notification
        const entry = this.pending.get(message.id);
        if (!entry) return;
        this.pending.delete(message.id);
        clearTimeout(entry.timer);
        if (message.error) {
            entry.reject(new Error(`${entry.method} failed: ${message.error.code} ${message.error.message}${message.error.data ? ` ${JSON.stringify(message.error.data)}` : ''}`));
        } else {
            entry.resolve(message.result);
        }
    }

    write(message) {
        this.child.stdin.write(`${JSON.stringify(message)}\n`);
    }

    request(method, params) {
        const id = this.nextId++;
        return new Promise((resolve, reject) => {
            const timer = setTimeout(() => {
                this.pending.delete(id);
                reject(new Error(`${method}: no answer from mcp-remote within ${REQUEST_TIMEOUT_MS} ms`));
            }, REQUEST_TIMEOUT_MS);
            this.pending.set(id, { method, resolve, reject, timer });
            this.write({ jsonrpc: '2.0', id, method, params });
        });
    }

    notify(method, params) {
        this.write({ jsonrpc: '2.0', method, ...(params ? { params } : {}) });
    }

    failAll(error) {
        for (const [id, entry] of this.pending) {
            clearTimeout(entry.timer);
            entry.reject(error);
            this.pending.delete(id);
        }
    }
}

async function main() {
    const started = Date.now();
    const deadline = started + DEADLINE_MS;
    const [proxyJs] = process.argv.slice(2, -1);
    const url = process.argv[process.argv.length - 1];
    if (!proxyJs || !/^https?:\/\//.test(url)) {
        log('usage: driver.mjs PROXY_JS MCP_URL');
        return 2;
    }
    const context = conformanceContext();
    const dirs = prepareHome();
    const cleanups = [() => rmSync(dirs.home, { recursive: true, force: true })];
    let child;
    let browser;
    let failureMessage;
    if (transcript) writeFileSync(transcript, '');
    try {
        const args = [proxyJs, url];
        if (context.client_id) {
            const holder = await lockPreregisteredPort(deadline);
            cleanups.unshift(() => holder.kill());
            const info = { client_id: context.client_id };
            if (context.client_secret) info.client_secret = context.client_secret;
            args.push(String(PREREGISTERED_PORT), '--host', PREREGISTERED_HOST, '--callback-path', PREREGISTERED_PATH,
                '--static-oauth-client-info', JSON.stringify(info));
        } else {
            args.push(String(await freePort()));
        }
        const remaining = Math.floor((deadline - Date.now()) / 1000);
        args.push('--auth-timeout', String(Math.max(5, remaining - 3)), '--debug');
        log(`running mcp-remote ${args.slice(1).map(a => (a.startsWith('{') ? "'{...}'" : a)).join(' ')}`);
        child = spawn(process.execPath, args, { env: childEnvironment(dirs), stdio: ['pipe', 'pipe', 'pipe'] });
        child.stderr.setEncoding('utf8');
        // mcp-remote's own log (with --debug, its debug log too) is passed through line by line.
        let pendingLine = '';
        child.stderr.on('data', chunk => {
            if (transcript) appendFileSync(transcript, chunk);
            const lines = (pendingLine + chunk).split('\n');
            pendingLine = lines.pop();
            for (const line of lines) process.stderr.write(`mcp-remote: ${line}\n`);
        });
        child.stdin.on('error', () => {});

        const rpc = new StdioRpc(child);
        const failure = new Promise((_, reject) => {
            browser = new HeadlessBrowser(dirs.opened, error => reject(error));
            child.once('exit', (code, signal) => {
                const error = new Error(`mcp-remote exited (${signal ?? code}) before the calls were done`);
                rpc.failAll(error);
                reject(error);
            });
            setTimeout(() => reject(new Error(`deadline of ${DEADLINE_MS} ms reached`)), deadline - Date.now()).unref();
        });
        failure.catch(() => {});

        const session = (async () => {
            const init = await rpc.request('initialize', {
                protocolVersion: PROTOCOL_VERSION,
                capabilities: {},
                clientInfo: { name: 'mcp-remote-driver', version: '1.0.0' }
            });
            log(`initialized: ${init?.serverInfo?.name ?? '?'} (protocol ${init?.protocolVersion})`);
            rpc.notify('notifications/initialized');
            const { tools = [] } = await rpc.request('tools/list', {});
            if (!tools.length) throw new Error('the server offers no tools');
            const tool = tools[0];
            for (let call = 1; call <= CALLS; call++) {
                const result = await rpc.request('tools/call', { name: tool.name, arguments: argumentsFor(tool.inputSchema, call) });
                if (result?.isError) throw new Error(`${tool.name} call ${call} failed: ${JSON.stringify(result.content)}`);
                log(`${tool.name} call ${call} succeeded`);
            }
            return tool.name;
        })();
        const toolName = await Promise.race([session, failure]);
        log(`connected and called ${toolName} ${CALLS} times in ${Date.now() - started} ms`);
        return 0;
    } catch (error) {
        failureMessage = error?.message ?? String(error);
        log(failureMessage);
        return 1;
    } finally {
        browser?.stop();
        if (child && child.exitCode === null && child.signalCode === null) {
            child.stdin.end();
            child.kill('SIGTERM');
            await new Promise(resolve => {
                const t = setTimeout(() => {
                    child.kill('SIGKILL');
                    resolve();
                }, 1000);
                child.once('exit', () => {
                    clearTimeout(t);
                    resolve();
                });
            });
        }
        // The verdict last, so that it ends the stderr tail whatever mcp-remote logged meanwhile.
        if (failureMessage) log(`FAILED: ${failureMessage}`);
        for (const cleanup of cleanups) {
            try {
                cleanup();
            } catch {}
        }
    }
}

main().then(
    code => process.exit(code),
    error => {
        log(error?.stack ?? String(error));
        process.exit(1);
    }
);
