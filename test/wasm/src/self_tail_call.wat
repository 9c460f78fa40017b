;; A self tail call (return_call to the running function) in a function that declares
;; locals. Chicory 1.7.5's interpreter reuses the frame for it and StackFrame.reset reads
;; an argument for every local, parameters and declared locals alike, so it fails with
;; ArrayIndexOutOfBoundsException (found by the differential fuzzer; docs/TESTING.md).
;; count_down(n) = 0 after n self tail calls; count_down_no_locals is the same without
;; declared locals, which works.
(module
  (func $count_down (export "count_down") (param $n i32) (result i32)
    (local $unused i64)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (return_call $count_down (i32.sub (local.get $n) (i32.const 1))))
  (func $count_down_no_locals (export "count_down_no_locals") (param $n i32) (result i32)
    (if (i32.eqz (local.get $n)) (then (return (i32.const 0))))
    (return_call $count_down_no_locals (i32.sub (local.get $n) (i32.const 1)))))
