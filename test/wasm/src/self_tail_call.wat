;; A self tail call (return_call to the running function) in a function that declares
;; locals. Chicory 1.7.5's interpreter reuses the frame for it and StackFrame.reset reads
;; an argument for every local, parameters and declared locals alike, so it fails with
;; ArrayIndexOutOfBoundsException (found by the differential fuzzer; docs/TESTING.md).
;; The project's interpreter replaces such calls (ReplacedInstructions).
;; count_down(n) = 0 after n self tail calls; count_down_no_locals is the same without
;; declared locals, which Chicory runs. stale_locals(n) makes n self tail calls and sums
;; what its declared locals hold on entry to each call: every call must see them zero
;; (an i64, an f64 and an i32 after two i64 parameters), so it returns 0.
(module
  (func $count_down (export "count_down") (param $n i32) (result i32)
    (local $unused i64)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (return_call $count_down (i32.sub (local.get $n) (i32.const 1))))
  (func $count_down_no_locals (export "count_down_no_locals") (param $n i32) (result i32)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (return_call $count_down_no_locals (i32.sub (local.get $n) (i32.const 1))))
  (func $stale (param $n i64) (param $acc i64) (result i64)
    (local $a i64) (local $b f64) (local $c i32)
    (local.set $acc
      (i64.add (local.get $acc)
        (i64.add (local.get $a)
          (i64.add (i64.reinterpret_f64 (local.get $b)) (i64.extend_i32_u (local.get $c))))))
    (local.set $a (i64.const 1))
    (local.set $b (f64.const 2))
    (local.set $c (i32.const 3))
    (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
    (return_call $stale (i64.sub (local.get $n) (i64.const 1)) (local.get $acc)))
  (func (export "stale_locals") (param $n i64) (result i64)
    (call $stale (local.get $n) (i64.const 0))))
