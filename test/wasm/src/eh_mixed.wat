;; Legacy exception handling mixed with instructions of many immediate kinds (memargs,
;; bulk memory, reference types, atomics, br_table, select t, wide constants), so the
;; translator's instruction walker is exercised on what it copies verbatim. (SIMD, which
;; Chicory's engines do not run, is in eh_simd.wat, only translated and validated.)
;; Built with: wat2wasm --enable-exceptions --enable-threads eh_mixed.wat -o ../eh_mixed.wasm
(module
  (tag $e (param i32))
  (memory 1 1)
  (table $t 4 funcref)
  (elem declare func $seven)
  (data $d "\01\02\03\04\05\06\07\08")
  (func $seven (result i32) (i32.const 7))
  (func (export "mixed") (param i32) (result i32)
    (local $r funcref) (local $x i64)
    (try (result i32)
      (do
        ;; bulk memory, memargs with offsets and alignment
        (memory.init $d (i32.const 16) (i32.const 0) (i32.const 8))
        (memory.copy (i32.const 32) (i32.const 16) (i32.const 8))
        (memory.fill (i32.const 40) (i32.const 9) (i32.const 4))
        (i64.store offset=64 align=4 (i32.const 0) (i64.const 0x123456789abcdef0))
        (local.set $x (i64.load offset=64 (i32.const 0)))
        ;; reference types and tables
        (local.set $r (ref.func $seven))
        (table.set $t (i32.const 1) (local.get $r))
        (drop (table.grow $t (ref.null func) (i32.const 1)))
        ;; atomics
        (drop (i32.atomic.rmw.add (i32.const 200) (i32.const 5)))
        (atomic.fence)
        (if (i32.eq (local.get 0) (i32.const 1))
          (then (throw $e (i32.atomic.load (i32.const 200)))))
        (block $b2 (block $b1 (block $b0
          (br_table $b0 $b1 $b2 (local.get 0)))
          (throw $e (i32.const 100)))
          (throw $e (i32.const 200)))
        ;; a result from all of it
        (i32.add
          (i32.add (i32.load16_s offset=2 align=1 (i32.const 16)) (i32.load (i32.const 40)))
          (i32.add
            (i32.add (i32.load8_u offset=7 (i32.const 32)) (i32.load8_u (i32.const 43)))
            (i32.add
              (i32.wrap_i64 (i64.shr_u (local.get $x) (i64.const 60)))
              (i32.add (call_indirect $t (result i32) (i32.const 1))
                       (select (result i32) (i32.add (i32.const 3) (i32.mul (i32.const 0) (table.size $t))) (i32.trunc_f64_s (f64.const 2.5))
                               (f32.gt (f32.const 1.5) (f32.const 0.5))))))))
      (catch $e (i32.add (i32.const 1000)))))
)
