;; link_provider.wat -- exports one thing of each kind, for ModuleInstance.exportAs
;; (linking_test): link_user imports them and reads/writes through them.
(module
  (memory (export "mem") 1 4)
  (global (export "counter") (mut i64) (i64.const 0))
  (global (export "seed") i32 (i32.const 42))
  (table (export "tbl") 2 funcref)
  (func $triple (param i32) (result i32) (i32.mul (local.get 0) (i32.const 3)))
  (elem (i32.const 0) $triple)
  (func (export "triple") (param i32) (result i32) (call $triple (local.get 0)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "bump") (param i64) (global.set 0 (i64.add (global.get 0) (local.get 0)))))
