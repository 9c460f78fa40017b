;; memory.copy, memory.fill and table.fill at any (unsigned) range, for the bounds tests:
;; a range past the end must trap, however large (fuzz-test). One page of memory and a
;; table of four.
(module
  (memory (export "memory") 1 1)
  (table 4 funcref)
  (func (export "copy") (param $dest i32) (param $src i32) (param $size i32)
    (memory.copy (local.get $dest) (local.get $src) (local.get $size)))
  (func (export "fill") (param $dest i32) (param $value i32) (param $size i32)
    (memory.fill (local.get $dest) (local.get $value) (local.get $size)))
  (func (export "table_fill") (param $dest i32) (param $size i32)
    (table.fill 0 (local.get $dest) (ref.null func) (local.get $size))))
