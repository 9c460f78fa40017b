;; traps.wat -- functions that trap (or never finish), for testing how the
;; host surfaces wasm failures. No imports, no WASI.
;;
;; Exports:
;;   unreachable ()->()        executes `unreachable`
;;   div_by_zero (i32)->i32    1 / arg (i32.div_s): traps when arg = 0
;;                             (and returns 1/arg otherwise)
;;   oob_load (i32)->i32       i32.load at address arg: traps when arg+4 > memory size
;;   recurse (i32)->i32        unbounded non-tail recursion -> call stack exhaustion
;;   loop_forever ()->()       infinite loop (for timeout / interruption tests)
;;   grow (i32)->i32           memory.grow by arg pages; returns old size in
;;                             pages, or -1 on failure
;;   memory "memory"           1 page, no maximum
(module
  (memory (export "memory") 1)

  (func (export "unreachable") unreachable)

  (func (export "div_by_zero") (param i32) (result i32)
    (i32.div_s (i32.const 1) (local.get 0)))

  (func (export "oob_load") (param i32) (result i32)
    (i32.load (local.get 0)))

  (func $recurse (export "recurse") (param i32) (result i32)
    ;; result depends on the recursive call, so it cannot become a tail call
    (i32.add
      (call $recurse (i32.add (local.get 0) (i32.const 1)))
      (i32.const 1)))

  (func (export "loop_forever")
    (loop $l (br $l)))

  (func (export "grow") (param i32) (result i32)
    (memory.grow (local.get 0)))
)
