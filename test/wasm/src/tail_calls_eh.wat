;; A tail call leaves the try it is written in: what the callee throws is not its to catch
;; ($throws_later tail-calls on, so compiled code leaves the call to a trampoline; $throws
;; does not). Legacy exception handling (wabt 1.0.32 writes no try_table): clj-wasi
;; translates it at load (the spec suite's try_table.wast has the new form).
(module
  (table 1 funcref)
  (elem (i32.const 0) $throws_later)
  (tag $boom)
  (func $throws (result i32)
    (throw $boom))
  (func $throws_later (result i32)
    (return_call $throws))
  (func (export "escapes") (result i32)
    (try (do (return_call $throws_later)) (catch_all))
    (i32.const 1))
  (func (export "escapes_direct") (result i32) ;; to a function that makes no tail call
    (try (do (return_call $throws)) (catch_all))
    (i32.const 1))
  (func (export "escapes_indirect") (result i32)
    (try (do (return_call_indirect (result i32) (i32.const 0))) (catch_all))
    (i32.const 1))
  ;; the same call, not a tail call: caught
  (func (export "caught") (result i32)
    (try (do (return (call $throws_later))) (catch_all))
    (i32.const 1)))
