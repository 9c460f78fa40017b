;; table_grow.wat -- f grows table 0 by one and returns its size; g bumps a counter in
;; memory. Tests make several instances of one module: each must start with its own
;; table (size 1) and memory.
(module (table 1 funcref) (memory 1)
  (func (export "f") (result i32) (drop (table.grow 0 (ref.null func) (i32.const 1))) (table.size 0))
  (func (export "g") (result i32) (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1))) (i32.load (i32.const 0))))
