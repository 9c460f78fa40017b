;; switch.wat -- a module whose code can switch from interpreted to compiled in the middle
;; of a call (test/clj_wasi/background_compile_test.clj): `work` runs a loop that calls
;; the host before each round, so the host can let the background compilation finish
;; there; the functions `work` calls afterwards run compiled while `work` itself finishes
;; interpreted.
;;
;; Imports:
;;   env.tick  (i32)->()     called with the round number before each round of `work`
;;   env.probe (i32)->()     called by `mix` with its first argument
;; Exports:
;;   work (i32 n, i32 seed, i32 trap_at)->i32   n rounds: acc = mix(acc, i) directly or
;;                           through the table (by i's low bit), a store of acc into the
;;                           memory, the global `total` += acc; traps (integer divide by
;;                           zero) in round trap_at (none when trap_at >= n)
;;   mix (i32 i32)->i32      the mixing function (calls env.probe)
;;   total                   mutable i64 global
;;   memory "memory"         1 page
(module
  (import "env" "tick" (func $tick (param i32)))
  (import "env" "probe" (func $probe (param i32)))
  (memory (export "memory") 1)
  (global $total (export "total") (mut i64) (i64.const 0))
  (type $mixer (func (param i32 i32) (result i32)))
  (table 2 funcref)
  (elem (i32.const 0) $mix $mix2)

  (func $mix (export "mix") (param $a i32) (param $b i32) (result i32)
    (call $probe (local.get $a))
    (i32.mul
      (i32.xor (local.get $a)
               (i32.add (i32.add (local.get $b) (i32.const 0x9e3779b9))
                        (i32.add (i32.shl (local.get $a) (i32.const 6))
                                 (i32.shr_u (local.get $a) (i32.const 2)))))
      (i32.const 0x9E3779B1)))

  (func $mix2 (param $a i32) (param $b i32) (result i32)
    (i32.rotl (call $mix (local.get $b) (local.get $a)) (i32.const 7)))

  (func $divide (param $a i32) (param $b i32) (result i32)
    (i32.div_u (local.get $a) (local.get $b)))

  (func (export "work") (param $n i32) (param $seed i32) (param $trap_at i32) (result i32)
    (local $i i32)
    (local $acc i32)
    (local.set $acc (local.get $seed))
    (block $done
      (loop $round
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (call $tick (local.get $i))
        (local.set $acc
          (if (result i32) (i32.and (local.get $i) (i32.const 1))
            (then (call_indirect (type $mixer) (local.get $acc) (local.get $i)
                                 (i32.and (local.get $i) (i32.const 1))))
            (else (call $mix (local.get $acc) (local.get $i)))))
        (local.set $acc
          (call $divide (local.get $acc)
                        (if (result i32) (i32.eq (local.get $i) (local.get $trap_at))
                          (then (i32.const 0)) (else (i32.const 1)))))
        (i32.store (i32.and (i32.shl (local.get $i) (i32.const 2)) (i32.const 0xfffc))
                   (local.get $acc))
        (global.set $total (i64.add (global.get $total) (i64.extend_i32_u (local.get $acc))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $round)))
    (local.get $acc))
)
