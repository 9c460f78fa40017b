// Benchmark runner for Node's node:wasi, driven by bench/clj_wasi/bench.clj.
//
//   node bench/node/run.mjs [--reps N] [--stdout capture|null|inherit] [--dir GUEST=HOST]... \
//        prog.wasm [args...]
//
// Each rep compiles, instantiates and runs the module in this process (timed with
// process.hrtime.bigint, excluding Node's own start-up). The guest's stdout goes to a
// temporary file (capture; its text is returned), /dev/null (null), or this process's
// stdout (inherit: nothing else is printed; for timing Node's cold start from outside).
// Otherwise prints one JSON object: {"times":[seconds...],"exit":[codes...],"stdout":[text...]}.
import { readFileSync, openSync, closeSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, basename } from 'node:path';
import { WASI } from 'node:wasi';

let reps = 1, stdoutMode = 'capture';
const preopens = {};
let argv = process.argv.slice(2);
while (argv.length && argv[0].startsWith('--')) {
  const [flag, val] = argv.splice(0, 2);
  if (flag === '--reps') reps = Number(val);
  else if (flag === '--stdout') stdoutMode = val;
  else if (flag === '--dir') { const i = val.indexOf('='); preopens[val.slice(0, i)] = val.slice(i + 1); }
  else throw new Error(`unknown flag ${flag}`);
}
const [file, ...args] = argv;
const bytes = readFileSync(file);
const tmp = mkdtempSync(join(tmpdir(), 'clj-wasi-bench-node-'));
const out = { times: [], exit: [], stdout: [] };
try {
  for (let r = 0; r < reps; r++) {
    const outPath = join(tmp, `out${r}`);
    const fd = stdoutMode === 'inherit' ? 1
      : openSync(stdoutMode === 'null' ? '/dev/null' : outPath, 'w');
    const t0 = process.hrtime.bigint();
    const wasi = new WASI({ version: 'preview1', args: [basename(file), ...args], env: {},
                            preopens, returnOnExit: true, stdout: fd });
    const module = await WebAssembly.compile(bytes);
    const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
    const code = wasi.start(instance) ?? 0;
    const t1 = process.hrtime.bigint();
    if (fd !== 1) closeSync(fd);
    out.times.push(Number(t1 - t0) / 1e9);
    out.exit.push(code);
    out.stdout.push(stdoutMode === 'capture' ? readFileSync(outPath, 'utf8') : '');
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
if (stdoutMode !== 'inherit') process.stdout.write(JSON.stringify(out) + '\n');
