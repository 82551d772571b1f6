#!/usr/bin/env node
// Keep the Agents Playground's web UI open in headless Chromium and take screenshots of what it shows.
//
//   node tools/playground_ui.js http://127.0.0.1:56150 [--chromium /usr/bin/chromium]
//
// Driven line by line over stdin (one JSON command per line), one JSON answer per line on stdout:
//   {"cmd": "open", "name": "SSPF Björkskolan"}                  click a chat or channel in the sidebar
//   {"cmd": "card", "text": "Dagordning", "file": "out/a.png"}   screenshot the last card showing that text
//   {"cmd": "page", "file": "out/page.png"}                      screenshot the whole window
//   {"cmd": "quit"}
// The first line printed is {"ready": true} once the UI is loaded. The UI only shows messages that arrive
// while it is open, so open it before the scenario runs. Offline: only the Playground's own origin loads.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { chromium } = require('playwright-core');

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--lang=sv-SE',
];

function say(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

async function main() {
  const argv = process.argv.slice(2);
  const url = argv[0];
  const chromiumAt = argv.includes('--chromium') ? argv[argv.indexOf('--chromium') + 1] : '/usr/bin/chromium';
  if (!url) {
    process.stderr.write('usage: node tools/playground_ui.js PLAYGROUND_URL [--chromium PATH]\n');
    process.exit(2);
  }
  if (!fs.existsSync(chromiumAt)) {
    process.stderr.write(`playground_ui: ${chromiumAt} not found (apt-get install chromium)\n`);
    process.exit(3);
  }
  const origin = new URL(url).origin;
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sspf-playground-ui-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumAt, headless: true, args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 2400 }, deviceScaleFactor: 1, locale: 'sv-SE', timezoneId: 'Europe/Stockholm',
  });
  try {
    const page = context.pages()[0] || (await context.newPage());
    await page.route('**/*', (route) => {
      const u = route.request().url();
      return u.startsWith(origin) || u.startsWith('data:') ? route.continue() : route.abort();
    });
    await page.goto(url, { waitUntil: 'networkidle', timeout: 30000 });
    await page.getByText('Personal Chat').first().waitFor({ timeout: 30000 });
    say({ ready: true });

    const rl = readline.createInterface({ input: process.stdin });
    for await (const line of rl) {
      if (!line.trim()) continue;
      let cmd;
      try {
        cmd = JSON.parse(line);
        if (cmd.cmd === 'quit') {
          say({ ok: true });
          break;
        } else if (cmd.cmd === 'open') {
          await page.getByText(cmd.name, { exact: true }).first().click({ timeout: 10000 });
          await page.waitForTimeout(500);
          say({ ok: true });
        } else if (cmd.cmd === 'card') {
          const cards = page.locator('.ac-adaptiveCard').filter({ hasText: cmd.text });
          await cards.last().waitFor({ timeout: (cmd.timeout || 10) * 1000 });
          const card = cards.last();
          await card.scrollIntoViewIfNeeded();
          await page.waitForTimeout(300); // layout settles (images, fonts)
          fs.mkdirSync(path.dirname(cmd.file), { recursive: true });
          await card.screenshot({ path: cmd.file });
          say({ ok: true, file: cmd.file, count: await cards.count() });
        } else if (cmd.cmd === 'page') {
          fs.mkdirSync(path.dirname(cmd.file), { recursive: true });
          await page.screenshot({ path: cmd.file });
          say({ ok: true, file: cmd.file });
        } else {
          say({ ok: false, error: `unknown command ${JSON.stringify(cmd.cmd)}` });
        }
      } catch (err) {
        say({ ok: false, error: String(err && err.message ? err.message : err).slice(0, 2000) });
      }
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`playground_ui: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
