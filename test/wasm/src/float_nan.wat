;; The float instructions whose NaN results Chicory 1.7.5 gets wrong (docs/TESTING.md),
;; on raw bits: each export takes its operands' bit patterns and returns the result's, so
;; that a signalling NaN goes in and comes out untouched by any host conversion.
(module
  (func (export "f32_min") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.min (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 1)))))
  (func (export "f32_max") (param i32 i32) (result i32)
    (i32.reinterpret_f32 (f32.max (f32.reinterpret_i32 (local.get 0)) (f32.reinterpret_i32 (local.get 1)))))
  (func (export "f64_min") (param i64 i64) (result i64)
    (i64.reinterpret_f64 (f64.min (f64.reinterpret_i64 (local.get 0)) (f64.reinterpret_i64 (local.get 1)))))
  (func (export "f64_max") (param i64 i64) (result i64)
    (i64.reinterpret_f64 (f64.max (f64.reinterpret_i64 (local.get 0)) (f64.reinterpret_i64 (local.get 1)))))
  (func (export "f64_floor") (param i64) (result i64)
    (i64.reinterpret_f64 (f64.floor (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f64_ceil") (param i64) (result i64)
    (i64.reinterpret_f64 (f64.ceil (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f64_trunc") (param i64) (result i64)
    (i64.reinterpret_f64 (f64.trunc (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f64_nearest") (param i64) (result i64)
    (i64.reinterpret_f64 (f64.nearest (f64.reinterpret_i64 (local.get 0)))))
  (func (export "f32_abs") (param i32) (result i32)
    (i32.reinterpret_f32 (f32.abs (f32.reinterpret_i32 (local.get 0)))))
  (func (export "f64_abs") (param i64) (result i64)
    (i64.reinterpret_f64 (f64.abs (f64.reinterpret_i64 (local.get 0))))))
