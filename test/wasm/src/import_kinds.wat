;; import_kinds.wat -- imports of every kind, for the types `imports` reports.
;; (Not instantiated: only functions can be given as :imports.)
(module
  (import "env" "f" (func (param i32) (result i64)))
  (import "env" "mem" (memory 1 3))
  (import "env" "tbl" (table 4 funcref))
  (import "env" "g" (global (mut f64)))
  (import "env" "k" (global i32)))
