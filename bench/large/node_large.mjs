// Node's node:wasi on a large module, timed inside Node like bench/node/run.mjs, plus the
// time of the guest's first fd_write (time to first output).
//   node bench/large/node_large.mjs prog.wasm [args...]
// Prints {"compile":s,"first_write":s,"total":s,"exit":code}; guest stdout goes to /dev/null.
import { readFileSync, openSync, closeSync } from 'node:fs';
import { basename } from 'node:path';
import { WASI } from 'node:wasi';

const [file, ...args] = process.argv.slice(2);
const bytes = readFileSync(file);
const fd = openSync('/dev/null', 'w');
const t0 = process.hrtime.bigint();
const secs = (t) => Number(t - t0) / 1e9;
const wasi = new WASI({ version: 'preview1', args: [basename(file), ...args], env: {},
                        returnOnExit: true, stdout: fd });
const module = await WebAssembly.compile(bytes);
const tc = process.hrtime.bigint();
const imports = wasi.getImportObject();
const w = imports.wasi_snapshot_preview1;
let first = null;
const fdWrite = w.fd_write;
w.fd_write = (...a) => { if (first === null) first = process.hrtime.bigint(); return fdWrite(...a); };
const instance = await WebAssembly.instantiate(module, imports);
const code = wasi.start(instance) ?? 0;
const t1 = process.hrtime.bigint();
closeSync(fd);
process.stdout.write(JSON.stringify({ compile: secs(tc), first_write: first === null ? null : secs(first),
                                      total: secs(t1), exit: code }) + '\n');
