;; Well-formed but invalid: function 1 ("bad") adds an i64 to an i32. Built with
;; wat2wasm --no-check. An eager parse refuses the module; a lazy parse (large modules)
;; loads it, runs "good", and reports "bad" as malformed at its first call.
(module
  (func (export "good") (result i32)
    (i32.const 42))
  (func (export "bad") (result i32)
    (i32.add (i64.const 1) (i32.const 2))))
