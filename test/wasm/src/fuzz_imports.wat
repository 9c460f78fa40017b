;; The fuzzing-support imports binaryen's harness (scripts/fuzz_shell.js) provides beyond
;; logging, as the fuzz harness (test/clj_wasi/fuzz_harness.clj) implements them:
;; throw raises a host exception; call-export N calls export number N (every kind
;; counted, in order) with default arguments; call-export-catch N does the same and
;; returns 1 when that threw an exception (host or Wasm), 0 when it returned; traps
;; pass through both. Export order matters: memory is export 0.
(module
  (import "fuzzing-support" "log-i32" (func $log (param i32)))
  (import "fuzzing-support" "throw" (func $throw))
  (import "fuzzing-support" "call-export" (func $call (param i32)))
  (import "fuzzing-support" "call-export-catch" (func $catch (param i32) (result i32)))
  (memory (export "memory") 1)

  ;; export 1: logs 1, then the host throws (2 is never logged)
  (func (export "thrower")
    (call $log (i32.const 1)) (call $throw) (call $log (i32.const 2)))

  ;; export 2: logs 3, then traps
  (func (export "trapper")
    (call $log (i32.const 3)) unreachable)

  ;; export 3: logs 4, returns 5
  (func (export "fine") (result i32)
    (call $log (i32.const 4)) (i32.const 5))

  ;; export 4: 100 * catch(thrower) + 10 * catch(fine) + catch(memory, not a function) = 101
  (func (export "catches") (result i32)
    (i32.add
      (i32.mul (call $catch (i32.const 1)) (i32.const 100))
      (i32.add
        (i32.mul (call $catch (i32.const 3)) (i32.const 10))
        (call $catch (i32.const 0)))))

  ;; export 5: a trap inside call-export-catch is not caught
  (func (export "catch_trap") (result i32)
    (call $catch (i32.const 2)))

  ;; export 6: calls fine, then thrower, whose exception ends this call too
  (func (export "calls")
    (call $call (i32.const 3)) (call $call (i32.const 1)) (call $log (i32.const 6))))
