;; host_imports.wat -- calls back into host functions, for testing host
;; function imports. No WASI.
;;
;; Imports (the host must provide all three):
;;   env.add   (i32 i32)->i32
;;   env.log   (i32 i32)->()      (ptr, len) of a UTF-8 string in "memory"
;;   math.scale (f64)->f64
;; Exports:
;;   call_add (i32 i32)->i32   returns env.add(a, b)
;;   call_log ()->()           env.log(ptr, 12) on the string "hi from wasm"
;;                             (stored at offset 16 by a data segment)
;;   call_scale (f64)->f64     returns math.scale(x)
;;   memory "memory"           1 page
(module
  (import "env" "add" (func $add (param i32 i32) (result i32)))
  (import "env" "log" (func $log (param i32 i32)))
  (import "math" "scale" (func $scale (param f64) (result f64)))

  (memory (export "memory") 1)
  (data (i32.const 16) "hi from wasm")

  (func (export "call_add") (param i32 i32) (result i32)
    (call $add (local.get 0) (local.get 1)))

  (func (export "call_log")
    (call $log (i32.const 16) (i32.const 12)))

  (func (export "call_scale") (param f64) (result f64)
    (call $scale (local.get 0)))
)
