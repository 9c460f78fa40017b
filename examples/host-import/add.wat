;; add.wat -- a plain module (no WASI) that calls back into its host.
;;
;; Imports  env.log (i32 ptr, i32 len) -> ()   the host prints the UTF-8 string there
;;          env.square (i32) -> i32            the host squares a number
;; Exports  sum_squares (i32 n) -> i32         1^2 + 2^2 + ... + n^2, via env.square
;;          hello () -> ()                     env.log("hello from wasm")
;;          memory
(module
  (import "env" "log" (func $log (param i32 i32)))
  (import "env" "square" (func $square (param i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wasm")
  (func (export "hello")
    (call $log (i32.const 16) (i32.const 15)))
  (func (export "sum_squares") (param $n i32) (result i32)
    (local $acc i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $acc (i32.add (local.get $acc) (call $square (local.get $n))))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next)))
    (local.get $acc)))
