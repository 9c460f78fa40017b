;; link_user.wat -- imports link_provider's exports (linking_test): its memory, globals and
;; table are the provider's own, shared; its function calls the provider's.
(module
  (import "p" "mem" (memory 1))
  (import "p" "counter" (global $counter (mut i64)))
  (import "p" "seed" (global $seed i32))
  (import "p" "tbl" (table 2 funcref))
  (import "p" "triple" (func $triple (param i32) (result i32)))
  (type $i2i (func (param i32) (result i32)))
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "counter") (result i64) (global.get $counter))
  (func (export "set-counter") (param i64) (global.set $counter (local.get 0)))
  (func (export "seed") (result i32) (global.get $seed))
  (func (export "call-triple") (param i32) (result i32) (call $triple (local.get 0)))
  (func (export "call-table") (param i32 i32) (result i32)
    (call_indirect (type $i2i) (local.get 1) (local.get 0))))
