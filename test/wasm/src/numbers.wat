;; numbers.wat -- value-passing tests for the host<->wasm call boundary.
;; No imports, no WASI. Tests instantiate it and call exports directly.
;;
;; Exports:
;;   id_i32 (i32)->i32, id_i64 (i64)->i64, id_f32 (f32)->f32, id_f64 (f64)->f64
;;   add (i32 i32)->i32, add_i64 (i64 i64)->i64       (wrapping add)
;;   swap (i32 f64)->(f64 i32)                         (multi-value result)
;;   nothing ()->()
;;   f32_bits (f32)->i32  f64_bits (f64)->i64          (reinterpret: raw bits)
;;   bits_f32 (i32)->f32  bits_f64 (i64)->f64          (so NaN payloads can be checked)
;;   inc ()->i32     increments the mutable global "counter" and returns the new value
;;   memory "memory" (1 page, max 4)
;;   global "counter" (mut i32), starts at 0
(module
  (memory (export "memory") 1 4)
  (global $counter (export "counter") (mut i32) (i32.const 0))

  (func (export "id_i32") (param i32) (result i32) (local.get 0))
  (func (export "id_i64") (param i64) (result i64) (local.get 0))
  (func (export "id_f32") (param f32) (result f32) (local.get 0))
  (func (export "id_f64") (param f64) (result f64) (local.get 0))

  (func (export "add") (param i32 i32) (result i32)
    (i32.add (local.get 0) (local.get 1)))
  (func (export "add_i64") (param i64 i64) (result i64)
    (i64.add (local.get 0) (local.get 1)))

  (func (export "swap") (param i32 f64) (result f64 i32)
    (local.get 1) (local.get 0))

  (func (export "nothing"))

  (func (export "f32_bits") (param f32) (result i32) (i32.reinterpret_f32 (local.get 0)))
  (func (export "f64_bits") (param f64) (result i64) (i64.reinterpret_f64 (local.get 0)))
  (func (export "bits_f32") (param i32) (result f32) (f32.reinterpret_i32 (local.get 0)))
  (func (export "bits_f64") (param i64) (result f64) (f64.reinterpret_i64 (local.get 0)))

  (func (export "inc") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter))
)
