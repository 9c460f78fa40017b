;; v128 across the own compiler's boundaries, for clj-wasi.compiler-simd-test: v128
;; parameters and results through the boxed entry, multi-value results with a v128 among
;; them, direct calls and call_indirect with v128 signatures (compiled or interpreted
;; callee), v128 locals (zeroed at entry), globals, select, and blocks and branches that
;; carry a v128 past other values.
(module
  (type $vv (func (param v128 i32) (result v128)))
  (table 2 funcref)
  (elem (i32.const 0) $mix $swap_halves)
  (global $g (mut v128) (v128.const i64x2 7 9))

  ;; a v128 and an i32 in, a v128 out
  (func $mix (export "mix") (param $a v128) (param $n i32) (result v128)
    (i32x4.add (local.get $a) (i32x4.splat (local.get $n))))
  (func $swap_halves (export "swap_halves") (param $a v128) (param $n i32) (result v128)
    (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))

  ;; several results, a v128 between scalars
  (func $split (export "split") (param $a v128) (param $b v128) (result i64 v128 f64)
    (i64x2.extract_lane 0 (local.get $a))
    (v128.xor (local.get $a) (local.get $b))
    (f64x2.extract_lane 1 (local.get $b)))

  ;; calls: direct (multi-value back), indirect by table slot
  (func (export "call_split") (param $a v128) (param $b v128) (result v128)
    (local $l i64) (local $d f64) (local $v v128)
    (call $split (local.get $a) (local.get $b))
    (local.set $d)
    (local.set $v)
    (local.set $l)
    (i64x2.replace_lane 1 (local.get $v) (i64.add (local.get $l) (i64.trunc_sat_f64_s (local.get $d)))))
  (func (export "indirect") (param $a v128) (param $n i32) (param $slot i32) (result v128)
    (call_indirect (type $vv) (local.get $a) (local.get $n) (local.get $slot)))

  ;; a local never set reads zero; the global round-trips
  (func (export "fresh_local") (param $x i32) (result v128)
    (local $z v128)
    (i32x4.replace_lane 2 (local.get $z) (local.get $x)))
  (func (export "global_swap") (param $a v128) (result v128)
    (global.get $g)
    (global.set $g (local.get $a)))

  ;; select and branches carrying a v128 over an i32 left below it
  (func (export "pick") (param $a v128) (param $b v128) (param $c i32) (result v128)
    (select (local.get $a) (local.get $b) (local.get $c)))
  (func (export "branchy") (param $a v128) (param $n i32) (result v128)
    (local $acc v128)
    (local.set $acc (local.get $a))
    (block $out (result v128)
      (loop $again
        (i32.const 99) ;; left below the carried value when br_if leaves
        (local.get $acc)
        (br_if $out (i32.eqz (local.get $n)))
        (local.set $acc (i16x8.add_sat_s (local.get $a)))
        (drop)
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $again))
      (unreachable)))

  ;; return_call of the function itself: the v128 arguments become the parameters again
  ;; (compiled code keeps v128 locals, parameters included, as two longs)
  (func $tail_sum (export "tail_sum") (param $a v128) (param $b v128) (param $n i32) (result v128)
    (if (result v128) (i32.eqz (local.get $n))
      (then (local.get $a))
      (else (return_call $tail_sum (i32x4.add (local.get $a) (local.get $b))
                                   (i8x16.shuffle 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 0
                                                  (local.get $b) (local.get $b))
                                   (i32.sub (local.get $n) (i32.const 1)))))))
