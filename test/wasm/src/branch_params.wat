;; Branches to labels with parameters (clj-wasi.branch-unwind-test). Chicory 1.7.5's
;; interpreter kept the label's parameters and results together on such a branch, so
;; values the branch drops stayed above the results (fixed in the project's interpreter,
;; cljwasi.engine.interp.BackEdges).
(module
  (type $i_i (func (param i32) (result i32)))
  (type $ii_ii (func (param i32 i32) (result i32 i32)))

  ;; br_if out of a block with a parameter: 0 (the lead's reproduction; 29 when wrong)
  (func (export "block_br_if") (param i32 i32) (result i32)
    i32.const 0
    i32.const 29
    block (param i32) (result i32)
      local.get 0
      local.get 1
      br_if 0
      drop
    end
    br_if 0
    drop
    i32.const 7)

  ;; br to the outer of two blocks with parameters, junk in between: a*10+b's value
  (func (export "nested_br") (param i32 i32) (result i32)
    i32.const 1000
    local.get 0
    block (param i32) (result i32)
      i32.const 55
      block (param i32) (result i32)
        i32.const 66
        local.get 1
        br 1
      end
      drop
    end
    i32.sub)

  ;; br_table out of a block with two parameters, choosing among its own label and an
  ;; outer one (both with two results): 1000 - (b - a), junk 77 above dropped
  (func (export "table") (param i32 i32 i32) (result i32)
    i32.const 1000
    block (result i32 i32)
      local.get 0
      local.get 1
      block (type $ii_ii)
        i32.const 77
        local.get 1
        local.get 0
        local.get 2
        br_table 0 1 0
      end
    end
    i32.sub
    i32.sub)

  ;; a loop with a parameter and a result, counting its parameter down to 0 by br_if to
  ;; the loop; the sum of the values it saw; junk pushed before each back-edge
  (func (export "loop_sum") (param i32) (result i32)
    (local $sum i32)
    i32.const 500
    local.get 0
    loop (type $i_i)
      local.tee 0
      local.get $sum
      i32.add
      local.set $sum
      i32.const 99
      local.get 0
      i32.const 1
      i32.sub
      local.get 0
      br_if 0
      drop
      drop
      local.get $sum
    end
    i32.add))
