#!/usr/bin/env node
// Validate Adaptive Cards the way Teams' renderer family reads them, offline.
//
//   echo '[{card}, {card}, ...]' | node tools/validate_cards.js
//
// stdout: a JSON array, one report per input card, in order:
//   {"ok": bool, "events": [{"phase": "Parse"|"Validation", "event": "<name>", "message": "..."}], "bytes": N}
// `bytes` is the UTF-8 size of the card's compact JSON. `ok` is false when there is any event other than a Hint.
//
// Sources of events:
//   - adaptivecards' own parser, with a SerializationContext targeting 1.5 (what Teams renders): unknown element
//     and action types, elements/properties newer than 1.5, invalid enum values, ...
//   - card.validateProperties(): duplicate ids, required inputs without label/errorMessage, too many actions, ...
//   - checks adaptivecards does not make (it silently ignores them), added here with phase "Parse":
//     UnknownProperty (a key no element/action schema knows), UnsupportedCardVersion (card "version" > 1.5 or
//     missing), MissingCardType (top level is not an AdaptiveCard).
// Exit code 0 when the input was read (whatever the verdicts), 2 on unreadable input.
'use strict';

const { JSDOM } = require('jsdom');

const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>');
for (const k of ['window', 'document', 'navigator', 'HTMLElement', 'Node', 'getComputedStyle']) {
  if (!(k in global)) global[k] = k === 'window' ? dom.window : dom.window[k];
}
const AC = require('adaptivecards/dist/adaptivecards.js');

const TARGET = new AC.Version(1, 5);

// Keys that elements parse by hand (not through their property schema) or that Teams adds; never "unknown".
const STRUCTURAL_KEYS = new Set([
  'type', 'fallback', 'body', 'actions', 'items', 'columns', 'rows', 'cells', 'card', 'images', 'facts',
  'choices', 'inlines', 'msteams', '$schema', '$data', '$when', 'refresh', 'authentication',
]);

// Wrap SerializableObject.internalParse (every element, action and sub-object parses through it via super) to
// report keys that no property definition of that object's schema knows.
const origInternalParse = AC.SerializableObject.prototype.internalParse;
AC.SerializableObject.prototype.internalParse = function (source, context) {
  origInternalParse.call(this, source, context);
  if (!source || typeof source !== 'object' || Array.isArray(source) || !context || !context.logParseEvent) return;
  const known = new Set();
  const schema = this.getSchema();
  for (let i = 0; i < schema.getCount(); i++) known.add(schema.getItemAt(i).name);
  const typeName = typeof this.getJsonTypeName === 'function' ? this.getJsonTypeName() : this.constructor.name;
  for (const key of Object.keys(source)) {
    if (!known.has(key) && !STRUCTURAL_KEYS.has(key)) {
      context.logParseEvent(this, 'UnknownProperty',
        `Unknown property "${key}" on ${typeName || 'object'}: adaptivecards ignores it, Teams will too.`);
    }
  }
};

function eventName(e) {
  return typeof e === 'string' ? e : (AC.ValidationEvent[e] ?? String(e));
}

function phaseName(p) {
  return typeof p === 'string' ? p : (AC.ValidationPhase[p] ?? String(p));
}

function validateOne(card) {
  const bytes = Buffer.byteLength(JSON.stringify(card ?? null), 'utf8');
  const events = [];
  const add = (phase, event, message) => events.push({ phase: phaseName(phase), event: eventName(event), message });
  try {
    if (!card || typeof card !== 'object' || Array.isArray(card) || card.type !== 'AdaptiveCard') {
      add('Parse', 'MissingCardType', 'Top-level object must have "type": "AdaptiveCard".');
      return { ok: false, events, bytes };
    }
    const v = card.version === undefined ? undefined : AC.Version.parse(String(card.version), undefined);
    if (!v || !v.isValid) {
      add('Parse', 'UnsupportedCardVersion', `Card "version" is missing or invalid (${JSON.stringify(card.version)}); use "1.5".`);
    } else if (v.compareTo(TARGET) > 0) {
      add('Parse', 'UnsupportedCardVersion', `Card version ${v.toString()} is newer than ${TARGET.toString()}, the newest Teams renders.`);
    }
    const context = new AC.SerializationContext(TARGET);
    const ac = new AC.AdaptiveCard();
    ac.parse(card, context);
    for (let i = 0; i < context.eventCount; i++) {
      const e = context.getEventAt(i);
      add(e.phase, e.event, e.message);
    }
    const results = ac.validateProperties();
    for (const e of results.validationEvents) add(e.phase, e.event, e.message);
  } catch (err) {
    add('Parse', 'Exception', String(err && err.stack ? err.stack.split('\n')[0] : err));
  }
  return { ok: events.every((e) => e.event === 'Hint'), events, bytes };
}

function main() {
  let input = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk) => { input += chunk; });
  process.stdin.on('end', () => {
    let cards;
    try {
      cards = JSON.parse(input);
    } catch (err) {
      process.stderr.write(`validate_cards: stdin is not JSON: ${err.message}\n`);
      process.exit(2);
    }
    if (!Array.isArray(cards)) {
      process.stderr.write('validate_cards: stdin must be a JSON array of Adaptive Card objects\n');
      process.exit(2);
    }
    process.stdout.write(JSON.stringify(cards.map(validateOne)) + '\n');
  });
}

main();
