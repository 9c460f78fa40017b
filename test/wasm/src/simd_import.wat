;; A module whose only v128 is in the type of an imported function that nothing calls:
;; Chicory's compiler cannot take it, so :compiler must refuse it as a SIMD module (the
;; plan's scan counts imported function types too).
(module
  (import "env" "take_v128" (func (param v128)))
  (func (export "one") (result i32) (i32.const 1)))
