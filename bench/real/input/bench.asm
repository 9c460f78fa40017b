; nasm workload for bench/real: macros, %rep/%assign expansion, local labels, forward
; jumps (several optimisation passes), data directives; assembled to an ELF64 object.
bits 64
default rel

%macro block 1
.b%1:
  mov rax, %1
  add rax, rbx
  imul rcx, rax, (%1 * 3) & 0x7fff
  lea rdx, [rax + rcx*8 + %1]
  xor rdx, rcx
  cmp rdx, %1 & 0xff
  jne .b%1_skip
  call helper
.b%1_skip:
  test rdx, rdx
  jz near .done          ; forward jump: resolved in a later pass
%endmacro

%macro table_entry 2
  dq %1, (%2 * 2654435761) & 0xffffffff
  db "entry-", %1 & 0x7f + '0', 0
  align 8
%endmacro

section .text
global _start
helper:
  push rbx
  movzx ebx, byte [table + 5]
  add rbx, [counter]
  mov [counter], rbx
  pop rbx
  ret

_start:
%assign i 0
%rep 2000
  block i
  %assign i i+1
%endrep
.done:
  mov eax, 60
  xor edi, edi
  syscall

section .data
counter: dq 0
table:
%assign j 0
%rep 1000
  table_entry j, j + 17
  %assign j j+1
%endrep

section .bss
scratch: resb 65536
