;; wasi_start_exit.wat -- minimal hand-written WASI command.
;;
;; _start writes "exiting\n" to stdout (fd 1) with fd_write, then calls
;; proc_exit(7). Tests check stdout == "exiting\n" and exit code 7, i.e.
;; that proc_exit from _start is reported as an exit code, not an error.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))

  (memory (export "memory") 1)
  ;; iovec { buf = 16, buf_len = 8 } at address 0; nwritten at 8
  (data (i32.const 0) "\10\00\00\00\08\00\00\00")
  (data (i32.const 16) "exiting\n")

  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 7))
    unreachable)
)
