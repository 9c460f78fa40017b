// Dev aid only (tests do not need node): run exports of a legacy-EH module in node
// (V8 implements legacy exception handling natively), to get reference results.
//
//   node test/wasm/tools/eh_expect.mjs module.wasm 'name arg...' ...
//
// Each call runs on a fresh instance and prints one line: `name args => result`, where an
// uncaught Wasm exception prints as `exception`, and a trap as `trap: message`.
import { readFileSync } from 'node:fs';

const [file, ...calls] = process.argv.slice(2);
const module = new WebAssembly.Module(readFileSync(file));
for (const call of calls) {
  const [name, ...args] = call.trim().split(/\s+/);
  const { exports } = new WebAssembly.Instance(module, {});
  let result;
  try {
    const r = exports[name](...args.map(Number));
    result = Array.isArray(r) ? `[${r.join(' ')}]` : String(r);
  } catch (e) {
    result = e instanceof WebAssembly.Exception ? 'exception' : `trap: ${e.message}`;
  }
  console.log(`${name} ${args.join(' ')} => ${result}`);
}
