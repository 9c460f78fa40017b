;; Tail calls (return_call, return_call_indirect): a loop made of them must stay
;; interruptible, and deep tail recursion (to itself or through other functions) runs in
;; constant stack on the interpreter and the own compiler.
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
    (return_call $spin))

  ;; mutual recursion: even(n) and odd(n) through each other, one tail call per step
  (func $even (export "even") (param $n i64) (result i32)
    (if (i64.eqz (local.get $n)) (then (return (i32.const 1))))
    (return_call $odd (i64.sub (local.get $n) (i64.const 1))))
  (func $odd (export "odd") (param $n i64) (result i32)
    (if (i64.eqz (local.get $n)) (then (return (i32.const 0))))
    (return_call $even (i64.sub (local.get $n) (i64.const 1))))

  ;; never ends either, through two functions: only the tail calls can see an interrupt
  (func $ping (export "ping")
    (return_call $pong))
  (func $pong
    (return_call $ping)))
