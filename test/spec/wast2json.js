#!/usr/bin/env node
// Converts a spec test .wast script into wast2json's layout (NAME.json and NAME.N.wasm)
// with libwabt.js, the WebAssembly build of a newer wabt (the npm package "wabt", version
// pinned in build.sh). That package ships wat2wasm but no wast2json, so this splits the
// script into its top-level commands itself and has wabt parse each module (and each
// constant: wabt reads every literal syntax, so no number parsing is repeated here).
// build.sh uses it for the files Debian's wast2json 1.0.32 cannot read (newer text syntax:
// try_table, exnref, (ref null $t)...).
//
// Only the commands the converted files use: module (text, binary, quote; named or not),
// register, action, assert_return, assert_trap, assert_exhaustion, assert_exception,
// assert_invalid, assert_malformed, assert_unlinkable, assert_uninstantiable (assert_trap of a
// module); values i32/i64/f32/f64 (nan:canonical, nan:arithmetic), v128, ref.null,
// ref.extern N, ref.func. A command it cannot convert (another command, or a module wabt
// cannot parse) is left out and written to OUT_DIR/dropped.txt as "LINE<TAB>why", as
// salvage.py does. Text modules of assert_malformed/assert_invalid are written as NAME.N.wat
// (module_type "text"), which build.sh drops as for wast2json.
//
//   node wast2json.js WABT_INDEX_JS FILE.wast OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');

// ---------------------------------------------------------------------------------------
// s-expressions: {list: [...], start, end, line} | {atom: 'text', ...} | {str: Buffer, ...}

function parseSexprs(text) {
  let i = 0, line = 1;
  const n = text.length;
  function skipSpace() {
    for (;;) {
      if (i >= n) return;
      const c = text[i];
      if (c === '\n') { line++; i++; }
      else if (c === ' ' || c === '\t' || c === '\r') i++;
      else if (text.startsWith(';;', i)) { while (i < n && text[i] !== '\n') i++; }
      else if (text.startsWith('(;', i)) {
        let nest = 1; i += 2;
        while (i < n && nest) {
          if (text.startsWith('(;', i)) { nest++; i += 2; }
          else if (text.startsWith(';)', i)) { nest--; i += 2; }
          else { if (text[i] === '\n') line++; i++; }
        }
      } else return;
    }
  }
  function readString() {
    const bytes = [];
    i++; // opening quote
    while (text[i] !== '"') {
      if (i >= n) throw new Error('unterminated string at line ' + line);
      const c = text[i];
      if (c === '\\') {
        const e = text[i + 1];
        const simple = { n: 10, t: 9, r: 13, '"': 34, "'": 39, '\\': 92 };
        if (e in simple) { bytes.push(simple[e]); i += 2; }
        else if (e === 'u') {
          const close = text.indexOf('}', i);
          const cp = parseInt(text.slice(i + 3, close).replace(/_/g, ''), 16);
          bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
          i = close + 1;
        } else { bytes.push(parseInt(text.substr(i + 1, 2), 16)); i += 3; }
      } else {
        const cp = text.codePointAt(i);
        const s = String.fromCodePoint(cp);
        if (s === '\n') line++;
        bytes.push(...Buffer.from(s, 'utf8'));
        i += s.length;
      }
    }
    i++;
    return Buffer.from(bytes);
  }
  function readOne() {
    skipSpace();
    const start = i, startLine = line;
    if (text[i] === '(') {
      i++;
      const list = [];
      for (;;) {
        skipSpace();
        if (i >= n) throw new Error('unclosed ( of line ' + startLine);
        if (text[i] === ')') { i++; break; }
        list.push(readOne());
      }
      return { list, start, end: i, line: startLine };
    }
    if (text[i] === '"') {
      const str = readString();
      return { str, start, end: i, line: startLine };
    }
    while (i < n && !/[\s()";]/.test(text[i])) i++;
    if (i === start) throw new Error('unexpected ' + JSON.stringify(text[i]) + ' at line ' + line);
    return { atom: text.slice(start, i), start, end: i, line: startLine };
  }
  const out = [];
  for (;;) {
    skipSpace();
    if (i >= n) return out;
    out.push(readOne());
  }
}

const head = (s) => (s.list && s.list[0] && s.list[0].atom) || null;
const isId = (s) => s && s.atom && s.atom.startsWith('$');

// ---------------------------------------------------------------------------------------
// modules

const FEATURES = {
  exceptions: true, mutable_globals: true, sat_float_to_int: true, sign_extension: true,
  simd: true, threads: true, function_references: true, multi_value: true, tail_call: true,
  bulk_memory: true, reference_types: true, annotations: true, code_metadata: true,
  gc: true, memory64: true, multi_memory: true, extended_const: true, relaxed_simd: true,
};

// wast2json's binary for wat text `src`; `check`: validate it (a module that must load).
function watToBinary(wabt, src, check) {
  // as UTF-8 bytes in an array of their own: libwabt.js copies a JS string's UTF-16 units
  // one byte each, and a Uint8Array's whole ArrayBuffer (a small Buffer's is a shared pool)
  const m = wabt.parseWat('module.wat', new Uint8Array(Buffer.from(src, 'utf8')), FEATURES);
  try {
    m.resolveNames();
    if (check) m.validate(FEATURES);
    return Buffer.from(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}


// A module s-expression (module $id? [binary|quote] ...): {name, bytes} or {name, quote}
function moduleOf(wabt, src, s, check) {
  const items = s.list.slice(1);
  let name = null;
  if (isId(items[0])) name = items.shift().atom;
  if (items[0] && items[0].atom === 'definition') throw new Error('module definitions are not supported');
  const kind = items[0] && items[0].atom;
  if (kind === 'binary') return { name, bytes: Buffer.concat(items.slice(1).map((x) => x.str)) };
  if (kind === 'quote') {
    const text = Buffer.concat(items.slice(1).map((x) => x.str)).toString('utf8');
    return { name, quote: '(module ' + text + ')' };
  }
  // text: the module as written, placed at its line and column so that wabt's errors
  // name the .wast's line
  const lineStart = src.lastIndexOf('\n', s.start) + 1;
  const placed = '\n'.repeat(s.line - 1) + ' '.repeat(s.start - lineStart) + src.slice(s.start, s.end);
  return { name, bytes: watToBinary(wabt, placed, check) };
}

// ---------------------------------------------------------------------------------------
// values: wast2json writes each number as the unsigned decimal of its bits

const LANES = { i8x16: ['i8', 16, 1], i16x8: ['i16', 8, 2], i32x4: ['i32', 4, 4], i64x2: ['i64', 2, 8],
                f32x4: ['f32', 4, 4], f64x2: ['f64', 2, 8] };

// The bytes wabt encodes for the constant instruction `instr` (e.g. "i32.const -1"): the
// immediate of the only instruction of a function body.
function constBytes(wabt, instr) {
  const bin = watToBinary(wabt, '(module (func ' + instr + ' drop))', false);
  let at = 8; // after magic and version
  const leb = () => { let v = 0, shift = 0, b; do { b = bin[at++]; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80); return v; };
  for (;;) {
    const id = bin[at++], size = leb(), end = at + size;
    if (id === 10) {
      leb(); leb(); leb(); // count 1, body size, 0 local groups
      at += bin[at] === 0xfd ? 2 : 1; // opcode (v128.const: 0xfd 0x0c)
      return bin.subarray(at, end - 2); // up to `drop end`
    }
    at = end;
  }
}

function sleb(bytes) {
  let result = 0n, shift = 0n, b;
  let k = 0;
  do { b = bytes[k++]; result |= BigInt(b & 0x7f) << shift; shift += 7n; } while (b & 0x80);
  if (b & 0x40) result -= 1n << shift;
  return result;
}

function unsigned(bytes) { // little-endian
  let v = 0n;
  for (let k = bytes.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(bytes[k]);
  return v;
}

function scalar(wabt, type, lit) {
  if (lit.startsWith('nan:canonical') || lit.startsWith('nan:arithmetic')) return lit;
  const b = constBytes(wabt, type + '.const ' + lit);
  if (type === 'i32') return BigInt.asUintN(32, sleb(b)).toString();
  if (type === 'i64') return BigInt.asUintN(64, sleb(b)).toString();
  return unsigned(b).toString();
}

const REF_TYPES = { func: 'funcref', extern: 'externref', exn: 'exnref', any: 'anyref',
                    funcref: 'funcref', externref: 'externref', exnref: 'exnref' };

function value(wabt, s) {
  const h = head(s);
  const args = s.list.slice(1).map((x) => x.atom);
  if (/^[if](32|64)\.const$/.test(h)) {
    const type = h.slice(0, 3);
    return { type, value: scalar(wabt, type, args[0]) };
  }
  if (h === 'v128.const') {
    const [laneType, count, width] = LANES[args[0]];
    const lanes = args.slice(1);
    if (lanes.length !== count) throw new Error('v128.const: ' + lanes.length + ' lanes');
    // NaN patterns per lane: encode 0 there, write the pattern
    const b = constBytes(wabt, 'v128.const ' + args[0] + ' ' + lanes.map((l) => (l.startsWith('nan:') && !l.startsWith('nan:0x') ? '0' : l)).join(' '));
    return { type: 'v128', lane_type: laneType,
             value: lanes.map((l, k) => (l.startsWith('nan:') && !l.startsWith('nan:0x') ? l : unsigned(b.subarray(k * width, (k + 1) * width)).toString())) };
  }
  if (h === 'ref.null') {
    const t = REF_TYPES[args[0]];
    if (!t) throw new Error('ref.null ' + args[0]);
    return { type: t, value: 'null' };
  }
  if (h === 'ref.extern' || h === 'ref.host') return args.length ? { type: 'externref', value: args[0] } : { type: 'externref' };
  if (h === 'ref.func') return { type: 'funcref' };
  throw new Error('value ' + (h || '?') + ' is not supported');
}

function action(wabt, s) {
  const h = head(s);
  const items = s.list.slice(1);
  const out = { type: h };
  if (isId(items[0])) out.module = items.shift().atom;
  out.field = items.shift().str.toString('utf8');
  if (h === 'invoke') out.args = items.map((x) => value(wabt, x));
  else if (h !== 'get') throw new Error('action ' + h + ' is not supported');
  return out;
}

// ---------------------------------------------------------------------------------------
// the script

function convert(wabt, wastPath, outDir) {
  const src = fs.readFileSync(wastPath, 'utf8');
  const name = path.basename(wastPath, '.wast');
  const commands = [], dropped = [];
  let next = 0, blockedBy = null;
  const write = (bytes) => {
    const f = name + '.' + next++ + '.wasm';
    fs.writeFileSync(path.join(outDir, f), bytes);
    return f;
  };
  const writeText = (text) => {
    const f = name + '.' + next++ + '.wat';
    fs.writeFileSync(path.join(outDir, f), text);
    return f;
  };
  // an asserted module (it need not be valid, nor even parse when it is quoted text)
  const assertedModule = (cmd, s) => {
    cmd.line = s.line; // wast2json names the module's line
    const m = moduleOf(wabt, src, s, false);
    if (m.quote !== undefined) {
      // as wast2json: quoted text stays text (a test of the text format)
      return { filename: writeText(m.quote), module_type: 'text' };
    }
    return { filename: write(m.bytes), module_type: 'binary' };
  };
  for (const s of parseSexprs(src)) {
    const h = head(s);
    const items = s.list.slice(1);
    const cmd = { type: h, line: s.line };
    if (h === 'module') blockedBy = null;
    else if (blockedBy !== null && RUNS_ON_MODULE.has(h) && !(h === 'assert_trap' && head(items[0]) === 'module')) {
      // it would run against the module before the one left out
      dropped.push(s.line + '\tuses the module of line ' + blockedBy + ', left out');
      continue;
    }
    try {
      switch (h) {
        case 'module': {
          const m = moduleOf(wabt, src, s, true);
          if (m.name) cmd.name = m.name;
          cmd.filename = write(m.quote !== undefined ? watToBinary(wabt, m.quote, true) : m.bytes);
          break;
        }
        case 'register':
          cmd.as = items[0].str.toString('utf8');
          if (isId(items[1])) cmd.name = items[1].atom;
          break;
        case 'invoke': case 'get':
          cmd.type = 'action';
          cmd.action = action(wabt, s);
          cmd.expected = [];
          break;
        case 'assert_return': {
          cmd.line = items[0].line; // wast2json names the action's line
          cmd.action = action(wabt, items[0]);
          cmd.expected = items.slice(1).map((x) => value(wabt, x));
          break;
        }
        case 'assert_trap':
          if (head(items[0]) === 'module') {
            cmd.type = 'assert_uninstantiable';
            Object.assign(cmd, assertedModule(cmd, items[0]));
          } else {
            cmd.line = items[0].line;
            cmd.action = action(wabt, items[0]);
          }
          cmd.text = items[1].str.toString('utf8');
          break;
        case 'assert_exhaustion':
          cmd.line = items[0].line;
          cmd.action = action(wabt, items[0]);
          cmd.text = items[1].str.toString('utf8');
          break;
        case 'assert_exception':
          cmd.line = items[0].line;
          cmd.action = action(wabt, items[0]);
          cmd.expected = [];
          break;
        case 'assert_invalid': case 'assert_malformed': case 'assert_unlinkable': case 'assert_uninstantiable':
          Object.assign(cmd, assertedModule(cmd, items[0]));
          cmd.text = items[1].str.toString('utf8');
          break;
        default:
          throw new Error('command ' + (h || '?') + ' is not supported');
      }
      commands.push(cmd);
    } catch (e) {
      const lines = String(e.message || e).split('\n').filter((l) => l.trim() && !/^\w+ failed:$/.test(l));
      // libwabt.js can garble the file name it prints: name the .wast
      const why = (lines[0] || String(e)).replace(/^.*?:(\d+:\d+: )/, name + '.wast:$1');
      dropped.push(s.line + '\twabt ' + version + ' (libwabt.js): ' + why);
      if (h === 'module') blockedBy = s.line;
    }
  }
  const json = '{"source_filename": ' + JSON.stringify(name + '.wast') + ',\n "commands": [\n  ' +
    commands.map((c) => JSON.stringify(c)).join(', \n  ') + '\n ]}\n';
  fs.writeFileSync(path.join(outDir, name + '.json'), json);
  if (dropped.length) fs.writeFileSync(path.join(outDir, 'dropped.txt'), dropped.join('\n') + '\n');
  return { commands: commands.length, dropped: dropped.length };
}

const RUNS_ON_MODULE = new Set(['register', 'invoke', 'get', 'assert_return', 'assert_trap',
                                 'assert_exhaustion', 'assert_exception']);
let version = '?';

async function main() {
  const [wabtIndex, wastPath, outDir] = process.argv.slice(2);
  if (!outDir) {
    console.error('usage: wast2json.js WABT_INDEX_JS FILE.wast OUT_DIR');
    process.exit(2);
  }
  const wabt = await require(path.resolve(wabtIndex))();
  version = require(path.join(path.dirname(path.resolve(wabtIndex)), 'package.json')).version;
  fs.mkdirSync(outDir, { recursive: true });
  const r = convert(wabt, wastPath, outDir);
  if (r.commands === 0) {
    console.error(wastPath + ': nothing converted');
    process.exit(1);
  }
}

main().catch((e) => { console.error(e.stack || String(e)); process.exit(1); });
