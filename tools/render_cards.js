#!/usr/bin/env node
// Render named Adaptive Cards to PNG screenshots with Microsoft's `adaptivecards` renderer in headless Chromium.
//
//   node tools/render_cards.js cards.json out/ [--width 480] [--chromium /usr/bin/chromium]
//
// cards.json: {"name": card, ...} or [{"name": "...", "card": {...}}, ...]. Writes out/<name>.png per card and
// prints one line per file. The page is offline: every network request is aborted (remote images show as broken).
// Uses Debian's Chromium (apt-get install chromium) through playwright-core, with a fresh profile per run.
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const { chromium } = require('playwright-core');

const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--lang=sv-SE',
];

// Teams' people picker (Input.ChoiceSet with choices.data = Data.Query on graph.microsoft.com/users) is Teams'
// own extension to 1.5; the JS parser files choices.data under 1.6 and warns. That warning is expected there,
// as in the suite's validator (tests/harness/cards.py); any other parse event still fails the run.
function isPeoplePicker(node) {
  const data = node && node['choices.data'];
  return node.type === 'Input.ChoiceSet' && data && typeof data === 'object' && data.type === 'Data.Query' &&
    String(data.dataset || '').split('?')[0] === 'graph.microsoft.com/users' &&
    Object.keys(data).every((k) => k === 'type' || k === 'dataset');
}

function hasPeoplePicker(node) {
  if (Array.isArray(node)) return node.some(hasPeoplePicker);
  if (!node || typeof node !== 'object') return false;
  return isPeoplePicker(node) || Object.values(node).some(hasPeoplePicker);
}

function unexpectedEvents(card, messages) {
  const picker = hasPeoplePicker(card);
  return messages.filter((m) => !(picker && m.includes('choices.data')));
}

const FONT = "'Segoe UI', 'Segoe UI Web (West European)', -apple-system, BlinkMacSystemFont, Roboto, " +
  "'Helvetica Neue', 'Noto Sans', 'DejaVu Sans', sans-serif";

// Close to Teams' light theme (Fluent UI colours, Teams' font sizes and spacing).
const HOST_CONFIG = {
  fontFamily: FONT,
  supportsInteractivity: true,
  spacing: { small: 4, default: 8, medium: 16, large: 20, extraLarge: 24, padding: 16 },
  separator: { lineThickness: 1, lineColor: '#E0E0E0' },
  fontSizes: { small: 12, default: 14, medium: 14, large: 18, extraLarge: 24 },
  fontWeights: { lighter: 200, default: 400, bolder: 600 },
  imageSizes: { small: 32, medium: 52, large: 100 },
  containerStyles: {
    default: {
      backgroundColor: '#FFFFFF',
      foregroundColors: {
        default: { default: '#242424', subtle: '#616161' },
        dark: { default: '#252423', subtle: '#484644' },
        light: { default: '#FFFFFF', subtle: '#F3F2F1' },
        accent: { default: '#5B5FC7', subtle: '#4F52B2' },
        good: { default: '#237B4B', subtle: '#0E700E' },
        warning: { default: '#835C00', subtle: '#835C00' },
        attention: { default: '#C4314B', subtle: '#A4262C' },
      },
    },
    emphasis: {
      backgroundColor: '#F5F5F5',
      foregroundColors: {
        default: { default: '#242424', subtle: '#616161' },
        dark: { default: '#252423', subtle: '#484644' },
        light: { default: '#FFFFFF', subtle: '#F3F2F1' },
        accent: { default: '#5B5FC7', subtle: '#4F52B2' },
        good: { default: '#237B4B', subtle: '#0E700E' },
        warning: { default: '#835C00', subtle: '#835C00' },
        attention: { default: '#C4314B', subtle: '#A4262C' },
      },
    },
    accent: { backgroundColor: '#E8EBFA', foregroundColors: { default: { default: '#242424', subtle: '#616161' } } },
    good: { backgroundColor: '#E7F2DA', foregroundColors: { default: { default: '#242424', subtle: '#616161' } } },
    attention: { backgroundColor: '#FCF4F6', foregroundColors: { default: { default: '#242424', subtle: '#616161' } } },
    warning: { backgroundColor: '#FBF6D9', foregroundColors: { default: { default: '#242424', subtle: '#616161' } } },
  },
  actions: {
    maxActions: 6, spacing: 'default', buttonSpacing: 8, showCard: { actionMode: 'inline', inlineTopMargin: 16 },
    actionsOrientation: 'horizontal', actionAlignment: 'stretch', iconPlacement: 'leftOfTitle',
  },
  adaptiveCard: { allowCustomStyle: true },
  inputs: { label: { requiredInputs: { suffix: ' *', suffixColor: 'attention' }, optionalInputs: {} },
    errorMessage: { size: 'default', spacing: 'small' } },
  factSet: {
    title: { color: 'default', size: 'default', isSubtle: false, weight: 'bolder', wrap: true, maxWidth: 150 },
    value: { color: 'default', size: 'default', isSubtle: false, weight: 'default', wrap: true },
    spacing: 8,
  },
  textStyles: { heading: { size: 'large', weight: 'bolder', color: 'default', fontType: 'default' } },
};

const PAGE_CSS = `
  html, body { margin: 0; background: #F5F5F5; font-family: ${FONT}; }
  #card { margin: 16px; border: 1px solid #E0E0E0; border-radius: 6px; background: #FFFFFF; overflow: hidden;
          box-shadow: 0 1px 2px rgba(0,0,0,.08); }
  .ac-pushButton { font-family: inherit; font-size: 14px; font-weight: 600; min-height: 32px; padding: 4px 12px;
                   border: 1px solid #D1D1D1; border-radius: 4px; background: #FFFFFF; color: #242424;
                   cursor: pointer; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
  .ac-pushButton.style-positive, .ac-pushButton.primary { background: #5B5FC7; border-color: #5B5FC7; color: #FFF; }
  .ac-pushButton.style-destructive { color: #C4314B; border-color: #C4314B; }
  .ac-input, .ac-textInput, .ac-multichoiceInput, .ac-dateInput, .ac-timeInput, .ac-numberInput {
    font-family: inherit; font-size: 14px; }
  .ac-input input, .ac-input select, .ac-input textarea, input.ac-input, select.ac-input, textarea.ac-input {
    font-family: inherit; font-size: 14px; padding: 5px 8px; border: 1px solid #D1D1D1; border-radius: 4px;
    background: #FFFFFF; color: #242424; box-sizing: border-box; }
  .ac-input-validation-failed { border-color: #C4314B !important; }
`;

function parseArgs(argv) {
  const args = { width: 480, chromium: '/usr/bin/chromium', positional: [] };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--width') args.width = Number(argv[++i]);
    else if (argv[i] === '--chromium') args.chromium = argv[++i];
    else args.positional.push(argv[i]);
  }
  if (args.positional.length !== 2) {
    process.stderr.write('usage: node tools/render_cards.js cards.json out_dir [--width 480] [--chromium PATH]\n');
    process.exit(2);
  }
  return args;
}

function loadCards(file) {
  const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
  const list = Array.isArray(doc) ? doc.map((x) => [x.name, x.card]) : Object.entries(doc);
  for (const [name] of list) {
    if (typeof name !== 'string' || !/^[\w.-]+$/.test(name)) throw new Error(`bad card name ${JSON.stringify(name)}`);
  }
  return list;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const [cardsFile, outDir] = args.positional;
  const cards = loadCards(cardsFile);
  fs.mkdirSync(outDir, { recursive: true });
  if (!fs.existsSync(args.chromium)) {
    process.stderr.write(`render_cards: ${args.chromium} not found (apt-get install chromium)\n`);
    process.exit(3);
  }
  const acJs = require.resolve('adaptivecards/dist/adaptivecards.js');
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'sspf-render-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: args.chromium, headless: true, args: CHROMIUM_ARGS,
    viewport: { width: args.width + 32, height: 800 }, deviceScaleFactor: 1, locale: 'sv-SE',
    timezoneId: 'Europe/Stockholm', offline: true,
  });
  let failed = 0;
  try {
    const page = context.pages()[0] || (await context.newPage());
    await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
    await page.setContent(`<!doctype html><html lang="sv"><head><meta charset="utf-8"><style>${PAGE_CSS}</style>` +
      `</head><body><div id="card" style="width:${args.width}px"></div></body></html>`);
    await page.addScriptTag({ path: acJs });
    for (const [name, card] of cards) {
      const errors = await page.evaluate(({ card, hostConfig }) => {
        const AC = window.AdaptiveCards;
        const ac = new AC.AdaptiveCard();
        ac.hostConfig = new AC.HostConfig(hostConfig);
        const ctx = new AC.SerializationContext(new AC.Version(1, 5));
        ac.parse(card, ctx);
        const msgs = [];
        for (let i = 0; i < ctx.eventCount; i++) msgs.push(ctx.getEventAt(i).message);
        const host = document.getElementById('card');
        host.innerHTML = '';
        const el = ac.render();
        if (el) host.appendChild(el);
        else msgs.push('render() returned nothing');
        return msgs;
      }, { card, hostConfig: HOST_CONFIG });
      const file = path.join(outDir, `${name}.png`);
      await page.locator('#card').screenshot({ path: file });
      const unexpected = unexpectedEvents(card, errors);
      process.stdout.write(`${file}${unexpected.length ? '  (parse events: ' + unexpected.join('; ') + ')' : ''}\n`);
      if (unexpected.length) failed++;
    }
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  process.stderr.write(`render_cards: ${err && err.stack ? err.stack : err}\n`);
  process.exit(2);
});
