;; atomics.wat -- every atomic memory instruction of the threads proposal, one export
;; each, on a NON-shared memory (2 pages, so that addresses span a page boundary of
;; Chicory's paged memory). The atomics property test (test/clj_wasi/atomics_test.clj)
;; calls them in random order and checks each result and the memory against a model: on a
;; non-shared memory an atomic instruction does what the plain one does, traps when its
;; address is not aligned to its width, and memory.atomic.wait traps (nothing may wait
;; there) while memory.atomic.notify wakes no one.
;;
;; Export names are the instruction names. Parameters:
;;   loads           (addr) -> value
;;   stores          (addr value) -> ()
;;   rmw add/sub/and/or/xor/xchg  (addr operand) -> old value (zero-extended)
;;   rmw cmpxchg     (addr expected replacement) -> old value (zero-extended)
;;   memory.atomic.notify (addr count) -> woken; memory.atomic.wait32/64 (addr expected timeout)
(module
  (memory 2 2)

  ;; loads
  (func (export "i32.atomic.load") (param i32) (result i32) (i32.atomic.load (local.get 0)))
  (func (export "i64.atomic.load") (param i32) (result i64) (i64.atomic.load (local.get 0)))
  (func (export "i32.atomic.load8_u") (param i32) (result i32) (i32.atomic.load8_u (local.get 0)))
  (func (export "i32.atomic.load16_u") (param i32) (result i32) (i32.atomic.load16_u (local.get 0)))
  (func (export "i64.atomic.load8_u") (param i32) (result i64) (i64.atomic.load8_u (local.get 0)))
  (func (export "i64.atomic.load16_u") (param i32) (result i64) (i64.atomic.load16_u (local.get 0)))
  (func (export "i64.atomic.load32_u") (param i32) (result i64) (i64.atomic.load32_u (local.get 0)))
  ;; stores
  (func (export "i32.atomic.store") (param i32 i32) (i32.atomic.store (local.get 0) (local.get 1)))
  (func (export "i64.atomic.store") (param i32 i64) (i64.atomic.store (local.get 0) (local.get 1)))
  (func (export "i32.atomic.store8") (param i32 i32) (i32.atomic.store8 (local.get 0) (local.get 1)))
  (func (export "i32.atomic.store16") (param i32 i32) (i32.atomic.store16 (local.get 0) (local.get 1)))
  (func (export "i64.atomic.store8") (param i32 i64) (i64.atomic.store8 (local.get 0) (local.get 1)))
  (func (export "i64.atomic.store16") (param i32 i64) (i64.atomic.store16 (local.get 0) (local.get 1)))
  (func (export "i64.atomic.store32") (param i32 i64) (i64.atomic.store32 (local.get 0) (local.get 1)))
  ;; read-modify-write: add
  (func (export "i32.atomic.rmw.add") (param i32 i32) (result i32) (i32.atomic.rmw.add (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw.add") (param i32 i64) (result i64) (i64.atomic.rmw.add (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw8.add_u") (param i32 i32) (result i32) (i32.atomic.rmw8.add_u (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw16.add_u") (param i32 i32) (result i32) (i32.atomic.rmw16.add_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw8.add_u") (param i32 i64) (result i64) (i64.atomic.rmw8.add_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw16.add_u") (param i32 i64) (result i64) (i64.atomic.rmw16.add_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw32.add_u") (param i32 i64) (result i64) (i64.atomic.rmw32.add_u (local.get 0) (local.get 1)))
  ;; read-modify-write: sub
  (func (export "i32.atomic.rmw.sub") (param i32 i32) (result i32) (i32.atomic.rmw.sub (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw.sub") (param i32 i64) (result i64) (i64.atomic.rmw.sub (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw8.sub_u") (param i32 i32) (result i32) (i32.atomic.rmw8.sub_u (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw16.sub_u") (param i32 i32) (result i32) (i32.atomic.rmw16.sub_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw8.sub_u") (param i32 i64) (result i64) (i64.atomic.rmw8.sub_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw16.sub_u") (param i32 i64) (result i64) (i64.atomic.rmw16.sub_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw32.sub_u") (param i32 i64) (result i64) (i64.atomic.rmw32.sub_u (local.get 0) (local.get 1)))
  ;; read-modify-write: and
  (func (export "i32.atomic.rmw.and") (param i32 i32) (result i32) (i32.atomic.rmw.and (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw.and") (param i32 i64) (result i64) (i64.atomic.rmw.and (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw8.and_u") (param i32 i32) (result i32) (i32.atomic.rmw8.and_u (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw16.and_u") (param i32 i32) (result i32) (i32.atomic.rmw16.and_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw8.and_u") (param i32 i64) (result i64) (i64.atomic.rmw8.and_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw16.and_u") (param i32 i64) (result i64) (i64.atomic.rmw16.and_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw32.and_u") (param i32 i64) (result i64) (i64.atomic.rmw32.and_u (local.get 0) (local.get 1)))
  ;; read-modify-write: or
  (func (export "i32.atomic.rmw.or") (param i32 i32) (result i32) (i32.atomic.rmw.or (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw.or") (param i32 i64) (result i64) (i64.atomic.rmw.or (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw8.or_u") (param i32 i32) (result i32) (i32.atomic.rmw8.or_u (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw16.or_u") (param i32 i32) (result i32) (i32.atomic.rmw16.or_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw8.or_u") (param i32 i64) (result i64) (i64.atomic.rmw8.or_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw16.or_u") (param i32 i64) (result i64) (i64.atomic.rmw16.or_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw32.or_u") (param i32 i64) (result i64) (i64.atomic.rmw32.or_u (local.get 0) (local.get 1)))
  ;; read-modify-write: xor
  (func (export "i32.atomic.rmw.xor") (param i32 i32) (result i32) (i32.atomic.rmw.xor (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw.xor") (param i32 i64) (result i64) (i64.atomic.rmw.xor (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw8.xor_u") (param i32 i32) (result i32) (i32.atomic.rmw8.xor_u (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw16.xor_u") (param i32 i32) (result i32) (i32.atomic.rmw16.xor_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw8.xor_u") (param i32 i64) (result i64) (i64.atomic.rmw8.xor_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw16.xor_u") (param i32 i64) (result i64) (i64.atomic.rmw16.xor_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw32.xor_u") (param i32 i64) (result i64) (i64.atomic.rmw32.xor_u (local.get 0) (local.get 1)))
  ;; read-modify-write: xchg
  (func (export "i32.atomic.rmw.xchg") (param i32 i32) (result i32) (i32.atomic.rmw.xchg (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw.xchg") (param i32 i64) (result i64) (i64.atomic.rmw.xchg (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw8.xchg_u") (param i32 i32) (result i32) (i32.atomic.rmw8.xchg_u (local.get 0) (local.get 1)))
  (func (export "i32.atomic.rmw16.xchg_u") (param i32 i32) (result i32) (i32.atomic.rmw16.xchg_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw8.xchg_u") (param i32 i64) (result i64) (i64.atomic.rmw8.xchg_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw16.xchg_u") (param i32 i64) (result i64) (i64.atomic.rmw16.xchg_u (local.get 0) (local.get 1)))
  (func (export "i64.atomic.rmw32.xchg_u") (param i32 i64) (result i64) (i64.atomic.rmw32.xchg_u (local.get 0) (local.get 1)))
  ;; compare-exchange
  (func (export "i32.atomic.rmw.cmpxchg") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i64.atomic.rmw.cmpxchg") (param i32 i64 i64) (result i64)
    (i64.atomic.rmw.cmpxchg (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i32.atomic.rmw8.cmpxchg_u") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw8.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i32.atomic.rmw16.cmpxchg_u") (param i32 i32 i32) (result i32)
    (i32.atomic.rmw16.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i64.atomic.rmw8.cmpxchg_u") (param i32 i64 i64) (result i64)
    (i64.atomic.rmw8.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i64.atomic.rmw16.cmpxchg_u") (param i32 i64 i64) (result i64)
    (i64.atomic.rmw16.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  (func (export "i64.atomic.rmw32.cmpxchg_u") (param i32 i64 i64) (result i64)
    (i64.atomic.rmw32.cmpxchg_u (local.get 0) (local.get 1) (local.get 2)))
  ;; wait and notify
  (func (export "memory.atomic.notify") (param i32 i32) (result i32)
    (memory.atomic.notify (local.get 0) (local.get 1)))
  (func (export "memory.atomic.wait32") (param i32 i32 i64) (result i32)
    (memory.atomic.wait32 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "memory.atomic.wait64") (param i32 i64 i64) (result i32)
    (memory.atomic.wait64 (local.get 0) (local.get 1) (local.get 2)))
)
