;; SIMD inside a function with legacy exception handling: Chicory's engines do not run
;; SIMD, so this module is only translated and validated (the walker must decode every
;; 0xFD immediate: memargs, v128.const, shuffles, lanes, lane loads/stores).
;; Built with: wat2wasm --enable-exceptions eh_simd.wat -o ../eh_simd.wasm
(module
  (tag $e (param i32))
  (memory 1)
  (func (export "simd") (param i32) (result i32)
    (local $v v128)
    (try (result i32)
      (do
        (local.set $v (v128.const i32x4 1 2 3 4))
        (local.set $v (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $v) (local.get $v)))
        (local.set $v (i32x4.replace_lane 3 (local.get $v) (i32.const 40)))
        (local.set $v (i8x16.replace_lane 15 (local.get $v) (i32.const 1)))
        (v128.store offset=128 (i32.const 0) (local.get $v))
        (local.set $v (v128.load32_lane 1 (i32.const 32) (local.get $v)))
        (v128.store64_lane align=4 1 (i32.const 64) (local.get $v))
        (local.set $v (v128.load32_zero offset=4 (i32.const 0)))
        (local.set $v (v128.load8x8_s (i32.const 8)))
        (local.set $v (i32x4.add (local.get $v) (i32x4.splat (local.get 0))))
        (if (i32x4.all_true (local.get $v)) (then (throw $e (i32.const 1))))
        (i32.add (i32x4.extract_lane 0 (local.get $v)) (i8x16.extract_lane_u 3 (local.get $v))))
      (catch $e)))
)
