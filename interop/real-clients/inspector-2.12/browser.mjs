#!/usr/bin/env node
// The person at the consent screen, for the Inspector CLI under test: `browser.mjs URL`.
//
// The Inspector opens the authorization URL with the `open` package, whose bundled xdg-open
// (node_modules/open/xdg-open, generic desktop) runs the program named by $BROWSER with the
// URL. driver.mjs points $BROWSER here. This "browser" GETs the authorization URL without
// following redirects, takes `Location` (the redirect back to the client) and GETs it from the
// CLI's own loopback callback listener, which completes the flow itself. What happened goes as
// one JSON line to $INSPECTOR_DRIVER_BROWSER_REPORT, which the driver watches: a consent page
// that does not redirect ends the CLI run at once instead of leaving it waiting for a callback.

import { appendFileSync } from 'node:fs';

const TIMEOUT_MS = 10_000;

function report(entry) {
    const file = process.env.INSPECTOR_DRIVER_BROWSER_REPORT;
    const line = `${JSON.stringify({ at: Date.now(), ...entry })}\n`;
    if (file) appendFileSync(file, line);
    else process.stderr.write(line);
}

function isLoopback(url) {
    return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

async function main() {
    const target = process.argv[2];
    if (!target) {
        report({ ok: false, reason: 'no URL given to the browser' });
        return 2;
    }
    const authorization = await fetch(target, { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    const page = await authorization.text().catch(() => '');
    const location = authorization.headers.get('location');
    if (authorization.status < 300 || authorization.status > 399 || !location) {
        report({
            ok: false,
            url: target,
            reason: `the authorization endpoint answered ${authorization.status} without a redirect: ${page.slice(0, 200)}`
        });
        return 1;
    }
    const callback = new URL(location, target);
    if (callback.protocol !== 'http:' || !isLoopback(callback)) {
        report({ ok: false, url: target, reason: `the authorization endpoint redirected away from the loopback callback: ${callback.href}` });
        return 1;
    }
    report({ ok: true, url: target, callback: callback.href });
    const delivered = await fetch(callback, { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS) });
    const body = await delivered.text().catch(() => '');
    report({ ok: true, delivered: delivered.status, page: body.replace(/\s+/g, ' ').slice(0, 200) });
    return 0;
}

main().then(
    code => process.exit(code),
    error => {
        report({ ok: false, reason: `browser: ${error?.message ?? error}` });
        process.exit(1);
    }
);
