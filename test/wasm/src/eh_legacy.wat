;; Legacy (phase 3) exception handling: every instruction and their nesting.
;; Built with: wat2wasm --enable-exceptions eh_legacy.wat -o ../eh_legacy.wasm
;; Expected results: test/clj_wasi/legacy_eh_test.clj (checked against node 20 with
;; test/wasm/tools/eh_expect.mjs).
(module
  (type $pp (func (param i32 i32) (result i32 i32)))
  (tag $e0)
  (tag $e1 (param i32))
  (tag $e2 (param i32 i64))
  (tag $e3 (param i32))
  (global $log (mut i32) (i32.const 0))
  (func $log (param i32) (global.set $log (i32.add (i32.mul (global.get $log) (i32.const 31)) (local.get 0))))

  (func $throw-if (param i32)
    (if (i32.eq (local.get 0) (i32.const 1)) (then (throw $e0)))
    (if (i32.eq (local.get 0) (i32.const 2)) (then (throw $e1 (i32.const 42))))
    (if (i32.eq (local.get 0) (i32.const 3)) (then (throw $e2 (i32.const 7) (i64.const 100000000000))))
    (if (i32.eq (local.get 0) (i32.const 4)) (then (throw $e3 (i32.const 9)))))

  ;; catch with payloads, first matching clause, catch_all fallback
  (func (export "catch-payload") (param i32) (result i32)
    (try (result i32)
      (do (call $throw-if (local.get 0)) (i32.const 1000))
      (catch $e0 (i32.const 1))
      (catch $e1 (i32.add (i32.const 200)))
      (catch $e2
        i64.const 1000000000
        i64.div_u
        i32.wrap_i64
        i32.add
        i32.const 300
        i32.add)
      (catch_all (i32.const 4))))

  ;; catch without catch_all: unmatched tags go to the outer try
  (func (export "nested-unmatched") (param i32) (result i32)
    (try (result i32)
      (do
        (try (result i32)
          (do (call $throw-if (local.get 0)) (i32.const 10))
          (catch $e1 (drop) (i32.const 11))))
      (catch $e3 (drop) (i32.const 30))
      (catch_all (i32.const 40))))

  ;; rethrow 0 and rethrow from a nested block (depth 1, 2)
  (func (export "rethrow") (param i32) (result i32)
    (try (result i32)
      (do
        (try
          (do (call $throw-if (local.get 0)))
          (catch $e1
            (drop)
            (block $b (br_if $b (i32.eqz (i32.const 1))) (rethrow 1))
            (unreachable))
          (catch_all (block (block (rethrow 2)))))
        (i32.const -1))
      (catch $e1 (i32.const 100) (i32.add))
      (catch_all (i32.const 5))))

  ;; rethrow of the outer handler's exception from inside a nested try's handler
  (func (export "rethrow-outer") (param i32) (result i32)
    (try (result i32)
      (do
        (try
          (do (call $throw-if (local.get 0)))
          (catch $e1
            (drop)
            (try
              (do (throw $e3 (i32.const 77)))
              (catch $e3
                (call $log)
                (rethrow 1)))))   ;; rethrows $e1 42, not $e3
        (i32.const -1))
      (catch $e1 (call $log) (global.get $log))
      (catch $e3 (drop) (i32.const -3))))

  ;; delegate to an outer try
  (func (export "delegate-outer") (param i32) (result i32)
    (try $t (result i32)
      (do
        (try
          (do (call $throw-if (local.get 0)))
          (delegate $t))
        (i32.const 1))
      (catch $e1 (i32.const 2) (i32.add))
      (catch_all (i32.const 3))))

  ;; delegate skips intermediate catches
  (func (export "delegate-skip") (param i32) (result i32)
    (try $t (result i32)
      (do
        (try (result i32)
          (do
            (try (do (call $throw-if (local.get 0))) (delegate $t))
            (i32.const 1))
          (catch_all (i32.const 99))))
      (catch_all (i32.const 3))))

  ;; delegate to a block label: caught by the try enclosing the block
  (func (export "delegate-block") (param i32) (result i32)
    (try (result i32)
      (do
        (block $b
          (try
            (do
              (try (do (call $throw-if (local.get 0))) (delegate $b)))
            (catch_all (call $log (i32.const 5)))))   ;; skipped
        (i32.const 1))
      (catch_all (i32.const 6))))

  ;; delegate from inside a catch handler to its own try: goes further out
  (func (export "delegate-to-catch") (result i32)
    (try (result i32)
      (do
        (try
          (do (throw $e0))
          (catch $e0
            (try (do (rethrow 1)) (delegate 0))))
        (i32.const 0))
      (catch_all (i32.const 1))))

  ;; delegate to the caller (label = the function's)
  (func $delegate-fn (param i32) (result i32)
    (try (result i32)
      (do
        (try (do (call $throw-if (local.get 0))) (delegate 1))
        (i32.const 10))
      (catch_all (i32.const 99))))
  (func (export "delegate-caller") (param i32) (result i32)
    (try (result i32)
      (do (call $delegate-fn (local.get 0)))
      (catch $e1 (i32.const 1000) (i32.add))
      (catch_all (i32.const 7))))

  ;; chained delegates: inner -> middle (a delegate try) -> outer
  (func (export "delegate-chain") (param i32) (result i32)
    (try $outer (result i32)
      (do
        (try $mid
          (do
            (try (do (call $throw-if (local.get 0))) (delegate $mid)))
          (delegate $outer))
        (i32.const 1))
      (catch $e3 (i32.const 3) (i32.add))
      (catch_all (i32.const 8))))

  ;; throw across several calls, handler in the middle of the stack
  (func $deep (param i32 i32) (result i32)
    (if (result i32) (i32.eqz (local.get 1))
      (then (call $throw-if (local.get 0)) (i32.const 0))
      (else (i32.add (i32.const 1) (call $deep (local.get 0) (i32.sub (local.get 1) (i32.const 1)))))))
  (func (export "throw-deep") (param i32 i32) (result i32)
    (try (result i32)
      (do (call $deep (local.get 0) (local.get 1)))
      (catch $e1)
      (catch_all (i32.const -1))))

  ;; try with params and multiple results (a type-index block type)
  (func (export "try-params") (param i32) (result i32)
    (local $a i32) (local $b i32)
    (i32.const 3) (i32.const 4)
    (try (type $pp)
      (do
        (local.set $b) (local.set $a)
        (call $throw-if (local.get 0))
        (i32.add (local.get $a) (i32.const 10))
        (i32.add (local.get $b) (i32.const 20)))
      (catch $e1 (i32.const 50))
      (catch_all (i32.const 60) (i32.const 70)))
    (i32.mul (i32.const 100))
    (i32.add))

  ;; branches out of a try body and a handler to outer labels, br 0 in a handler
  (func (export "branches") (param i32) (result i32)
    (local $p i32)
    (block $out (result i32)
      (drop
        (try (result i32)
          (do
            (drop (br_if $out (i32.const 11) (i32.eq (local.get 0) (i32.const 9))))
            (call $throw-if (local.get 0))
            (i32.const 12))
          (catch $e1
            (local.set $p)
            (br_if 0 (i32.const 13) (i32.eq (local.get $p) (i32.const 42)))
            (drop)
            (i32.const 14))
          (catch_all
            (br_table $out 0 (i32.const 15) (i32.const 16) (i32.eq (local.get 0) (i32.const 4))))))
      (i32.const 17)))

  ;; a try inside a loop, counting iterations through handlers
  (func (export "loop") (param i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (try
        (do (throw $e1 (local.get $i)))
        (catch $e1 (local.set $acc (i32.add (local.get $acc)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_u (local.get $i) (local.get 0))))
    (local.get $acc))

  ;; nothing thrown: results and side effects flow through untouched
  (func (export "no-throw") (result i32)
    (global.set $log (i32.const 0))
    (try (do (call $log (i32.const 1))) (catch_all (call $log (i32.const 2))))
    (try (do (try (do (call $log (i32.const 3))) (delegate 0))) (catch_all (call $log (i32.const 4))))
    (global.get $log))

  ;; an exception nobody catches leaves the module
  (func (export "uncaught") (param i32) (result i32)
    (try (result i32)
      (do (call $throw-if (local.get 0)) (i32.const 0))
      (catch $e3 (i32.const 1) (i32.add))))

  (func (export "reset") (global.set $log (i32.const 0)))
)
