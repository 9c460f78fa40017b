;; globals.wat -- exported globals and a table, for wasm/global, wasm/set-global!,
;; the types `exports` reports, and snapshots (which carry globals and tables).
;;
;; Exports:
;;   g_i32 (mut i32) = 7, g_i64 (mut i64) = -1, g_f32 (mut f32) = 1.5,
;;   g_f64 (mut f64) = 2.25, k (const i32) = 42
;;   table "tbl" (funcref, 2..10), memory "mem" (1..2 pages)
;;   get_i32 () -> i32            g_i32 as the guest sees it
;;   set_slot (i32) -> ()         puts $forty_two (i=0) or $seven (i=1) into tbl[1]
;;   call_slot () -> i32          calls tbl[1] (traps while it is null)
;;   grow_tbl () -> i32           grows tbl by one (null); returns its new size
(module
  (global (export "g_i32") (mut i32) (i32.const 7))
  (global (export "g_i64") (mut i64) (i64.const -1))
  (global (export "g_f32") (mut f32) (f32.const 1.5))
  (global (export "g_f64") (mut f64) (f64.const 2.25))
  (global (export "k") i32 (i32.const 42))
  (table $t (export "tbl") 2 10 funcref)
  (memory (export "mem") 1 2)
  (type $ret_i32 (func (result i32)))
  (func $forty_two (result i32) (i32.const 42))
  (func $seven (result i32) (i32.const 7))
  (elem declare func $forty_two $seven)
  (func (export "get_i32") (result i32) (global.get 0))
  (func (export "set_slot") (param i32)
    (table.set $t (i32.const 1)
      (if (result funcref) (local.get 0) (then (ref.func $seven)) (else (ref.func $forty_two)))))
  (func (export "call_slot") (result i32) (call_indirect $t (type $ret_i32) (i32.const 1)))
  (func (export "grow_tbl") (result i32)
    (drop (table.grow $t (ref.null func) (i32.const 1))) (table.size $t)))
