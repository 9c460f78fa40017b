// Dev aid only (not used by the test suite): run a WASI preview1 command
// module with node's built-in node:wasi, for hand-checking test programs.
//
//   node test/wasm/tools/run.mjs [--env K=V]... [--dir GUEST=HOST]... prog.wasm [args...]
//
// stdin/stdout/stderr are inherited; the process exits with the module's
// exit code. argv[0] passed to the module is the wasm file's basename.
import { readFile } from 'node:fs/promises';
import { WASI } from 'node:wasi';
import { basename } from 'node:path';

const env = {}, preopens = {};
let argv = process.argv.slice(2);
while (argv.length && argv[0].startsWith('--')) {
  const [flag, val] = argv.splice(0, 2);
  const i = val.indexOf('=');
  if (flag === '--env') env[val.slice(0, i)] = val.slice(i + 1);
  else if (flag === '--dir') preopens[val.slice(0, i)] = val.slice(i + 1);
  else throw new Error(`unknown flag ${flag}`);
}
const [file, ...args] = argv;
const wasi = new WASI({ version: 'preview1', args: [basename(file), ...args], env, preopens, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(file));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
process.exitCode = wasi.start(instance) ?? 0;
