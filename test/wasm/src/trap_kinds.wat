;; trap_kinds.wat -- one export per trap whose kind clj-wasi reads from Chicory's
;; message text (cljwasi.engine.ChicoryInternals/TRAP_MESSAGES), for the test that
;; names the message that changed when Chicory changes. No imports, no WASI.
;;
;; Exports (all () -> () or () -> i32, each traps; a call_indirect past the table's
;; end is an "undefined element", as in the spec tests, so oob_table uses table.get):
;;   unreachable, divide_by_zero, integer_overflow, invalid_conversion,
;;   oob_memory, oob_table, indirect_call_mismatch, undefined_element, stack_overflow
(module
  (type $v (func))
  (type $i (func (result i32)))
  (memory 1)
  (table 2 funcref)
  (elem (i32.const 0) func $unreachable) ;; slot 1 stays empty

  (func $unreachable (export "unreachable") unreachable)
  (func (export "divide_by_zero") (result i32)
    (i32.div_s (i32.const 1) (i32.const 0)))
  (func (export "integer_overflow") (result i32)
    (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "invalid_conversion") (result i32)
    (i32.trunc_f32_s (f32.const nan)))
  (func (export "oob_memory") (result i32)
    (i32.load (i32.const 65536)))
  (func (export "oob_table")
    (drop (table.get 0 (i32.const 5))))
  (func (export "indirect_call_mismatch") (result i32)
    (call_indirect (type $i) (i32.const 0)))
  (func (export "undefined_element")
    (call_indirect (type $v) (i32.const 1)))
  (func $stack_overflow (export "stack_overflow")
    (call $stack_overflow))
)
