;; wasi_fault.wat -- WASI calls with pointers outside linear memory. _start calls
;; fd_write(1, iovs=0xFFFFFFF0, 1, nwritten=16), then args_sizes_get with an
;; out-of-bounds result pointer, and exits with (first errno * 100 + second errno)
;; modulo 126... kept small: exit code = first errno if the two agree, else 99.
;; Tests expect EFAULT (21) as the exit code: the host must not trap or crash.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $a i32) (local $b i32)
    (local.set $a (call $fd_write (i32.const 1) (i32.const 0xFFFFFFF0) (i32.const 1) (i32.const 16)))
    (local.set $b (call $args_sizes_get (i32.const 65535) (i32.const 0)))
    (if (i32.eq (local.get $a) (local.get $b))
      (then (call $proc_exit (local.get $a)))
      (else (call $proc_exit (i32.const 99))))))
