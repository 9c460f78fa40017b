;; Tail calls (return_call, return_call_indirect): a loop made of them must stay
;; interruptible, and on the interpreter deep tail recursion runs in constant stack.
(module
  (type $i64_i64_to_i64 (func (param i64 i64) (result i64)))
  (table 1 funcref)
  (elem (i32.const 0) $sum_indirect)

  ;; sum_to(n) = n + (n-1) + ... + 1, by tail recursion on an accumulator
  (func $sum (param $n i64) (param $acc i64) (result i64)
    (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
    (return_call $sum (i64.sub (local.get $n) (i64.const 1))
                      (i64.add (local.get $acc) (local.get $n))))
  (func (export "sum_to") (param $n i64) (result i64)
    (return_call $sum (local.get $n) (i64.const 0)))

  ;; the same through the table
  (func $sum_indirect (param $n i64) (param $acc i64) (result i64)
    (if (i64.eqz (local.get $n)) (then (return (local.get $acc))))
    (return_call_indirect (type $i64_i64_to_i64)
      (i64.sub (local.get $n) (i64.const 1))
      (i64.add (local.get $acc) (local.get $n))
      (i32.const 0)))
  (func (export "sum_to_indirect") (param $n i64) (result i64)
    (return_call $sum_indirect (local.get $n) (i64.const 0)))

  ;; never ends: only tail calls, no branch and no ordinary call
  (func $spin (export "spin")
    (return_call $spin)))
