;; Stores whose effective address (unsigned base + offset) is past 2^32 - 1 must trap.
;; Chicory 1.7.5's interpreter adds the offset in 32 bits for three of them, i32.store8,
;; i64.store8 and i64.store32 (the other stores and every load check), so it writes at the
;; wrapped address instead: store8(-7) writes byte 15 (found by the differential fuzzer;
;; docs/TESTING.md).
(module
  (memory (export "memory") 1)
  (func (export "store8") (param $base i32)
    (i32.store8 offset=22 (local.get $base) (i32.const 0x5a)))
  (func (export "i64_store8") (param $base i32)
    (i64.store8 offset=22 (local.get $base) (i64.const 0x5a)))
  (func (export "i64_store32") (param $base i32)
    (i64.store32 offset=22 (local.get $base) (i64.const 0x5a5a5a5a)))
  (func (export "store16") (param $base i32)
    (i32.store16 offset=22 (local.get $base) (i32.const 0x5a5a)))
  (func (export "word") (param $addr i32) (result i32)
    (i32.load (local.get $addr))))
