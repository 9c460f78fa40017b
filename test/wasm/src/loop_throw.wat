;; loop_throw.wat -- a loop that throws a Wasm exception, caught by its caller
;; (test/clj_wasi/loop_entry_test.clj: the exception leaves a function whose loop entered
;; compiled code as it leaves the interpreted one).
;; Legacy exception handling (wabt 1.0.32 writes no try_table; clj-wasi translates it at
;; load). Built by test/wasm/build.sh.
;; Exports:
;;   run (i32 n, i32 at)->i32   spin(n, at) + 1000, or 2000 + the value thrown when spin's
;;                              loop throws $e in iteration `at` (none when at >= n)
(module
  (tag $e (param i32))
  (func $spin (param $n i32) (param $at i32) (result i32)
    (local $i i32)
    (loop $l
      (if (i32.eq (local.get $i) (local.get $at))
        (then (throw $e (i32.mul (local.get $i) (i32.const 3)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get $n))))
    (local.get $i))
  (func (export "run") (param $n i32) (param $at i32) (result i32)
    (try (result i32)
      (do (i32.add (i32.const 1000) (call $spin (local.get $n) (local.get $at))))
      (catch $e (i32.add (i32.const 2000))))))
