/*
 * vm.c -- real-code kernel: a bytecode interpreter (a big switch in a loop).
 *
 *   vm.wasm [N]      (default 300000)
 *
 * A stack machine with 64-bit values, eight registers and 32 opcodes runs a program that
 * sums the Collatz step counts of 1..N (the step is a subroutine: CALL/RET). Prints
 * "vm(N) = TOTAL"; the runner computes TOTAL directly (not by interpreting) on the JVM.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum {
    OP_HALT, OP_PUSH, OP_LOAD, OP_STORE, OP_DUP, OP_POP, OP_SWAP, OP_ADD, OP_SUB, OP_MUL,
    OP_DIV, OP_MOD, OP_AND, OP_OR, OP_XOR, OP_SHL, OP_SHR, OP_NEG, OP_NOT, OP_EQ, OP_NE,
    OP_LT, OP_LE, OP_GT, OP_GE, OP_JMP, OP_JZ, OP_JNZ, OP_INC, OP_DEC, OP_CALL, OP_RET
};

/* Runs `code` (each opcode followed by its operand, if any) and returns register 0. */
static int64_t run(const int32_t *code, int64_t *reg) {
    int64_t stack[256], *sp = stack;
    int32_t rstack[64], *rp = rstack;
    int32_t pc = 0;
    int64_t a, b;
    for (;;) {
        switch (code[pc++]) {
        case OP_HALT: return reg[0];
        case OP_PUSH: *sp++ = code[pc++]; break;
        case OP_LOAD: *sp++ = reg[code[pc++]]; break;
        case OP_STORE: reg[code[pc++]] = *--sp; break;
        case OP_DUP: sp[0] = sp[-1]; sp++; break;
        case OP_POP: sp--; break;
        case OP_SWAP: a = sp[-1]; sp[-1] = sp[-2]; sp[-2] = a; break;
        case OP_ADD: b = *--sp; sp[-1] += b; break;
        case OP_SUB: b = *--sp; sp[-1] -= b; break;
        case OP_MUL: b = *--sp; sp[-1] *= b; break;
        case OP_DIV: b = *--sp; sp[-1] = b ? sp[-1] / b : 0; break;
        case OP_MOD: b = *--sp; sp[-1] = b ? sp[-1] % b : 0; break;
        case OP_AND: b = *--sp; sp[-1] &= b; break;
        case OP_OR: b = *--sp; sp[-1] |= b; break;
        case OP_XOR: b = *--sp; sp[-1] ^= b; break;
        case OP_SHL: b = *--sp; sp[-1] = (int64_t)((uint64_t)sp[-1] << (b & 63)); break;
        case OP_SHR: b = *--sp; sp[-1] = (int64_t)((uint64_t)sp[-1] >> (b & 63)); break;
        case OP_NEG: sp[-1] = -sp[-1]; break;
        case OP_NOT: sp[-1] = !sp[-1]; break;
        case OP_EQ: b = *--sp; sp[-1] = sp[-1] == b; break;
        case OP_NE: b = *--sp; sp[-1] = sp[-1] != b; break;
        case OP_LT: b = *--sp; sp[-1] = sp[-1] < b; break;
        case OP_LE: b = *--sp; sp[-1] = sp[-1] <= b; break;
        case OP_GT: b = *--sp; sp[-1] = sp[-1] > b; break;
        case OP_GE: b = *--sp; sp[-1] = sp[-1] >= b; break;
        case OP_JMP: pc = code[pc]; break;
        case OP_JZ: pc = *--sp ? pc + 1 : code[pc]; break;
        case OP_JNZ: pc = *--sp ? code[pc] : pc + 1; break;
        case OP_INC: reg[code[pc++]]++; break;
        case OP_DEC: reg[code[pc++]]--; break;
        case OP_CALL: *rp++ = pc + 1; pc = code[pc]; break;
        case OP_RET: pc = *--rp; break;
        default: fprintf(stderr, "bad opcode at %d\n", pc - 1); exit(1);
        }
    }
}

/* a tiny assembler: a forward jump's target is patched when its label is placed */
static int32_t prog[256];
static int32_t len;
static void op(int32_t o) { prog[len++] = o; }
static void op1(int32_t o, int32_t arg) { prog[len++] = o; prog[len++] = arg; }
static int32_t jump(int32_t o) { prog[len++] = o; prog[len++] = -1; return len - 1; }
static void place(int32_t hole) { prog[hole] = len; }

int main(int argc, char **argv) {
    int32_t n = argc > 1 ? atoi(argv[1]) : 300000;
    int64_t reg[8] = {0, 1, n, 0, 0, 0, 0, 0};   /* r0 total, r1 i, r2 limit, r3 x */
    int32_t to_main = jump(OP_JMP);

    /* step: x = x odd ? 3x + 1 : x >> 1 */
    int32_t step = len;
    op1(OP_LOAD, 3); op1(OP_PUSH, 1); op(OP_AND);
    int32_t to_even = jump(OP_JZ);
    op1(OP_LOAD, 3); op1(OP_PUSH, 3); op(OP_MUL); op1(OP_PUSH, 1); op(OP_ADD); op1(OP_STORE, 3);
    op(OP_RET);
    place(to_even);
    op1(OP_LOAD, 3); op1(OP_PUSH, 1); op(OP_SHR); op1(OP_STORE, 3);
    op(OP_RET);

    place(to_main);
    int32_t loop_i = len;                 /* while (i <= limit) */
    op1(OP_LOAD, 1); op1(OP_LOAD, 2); op(OP_GT);
    int32_t to_end = jump(OP_JNZ);
    op1(OP_LOAD, 1); op1(OP_STORE, 3);    /* x = i */
    int32_t loop_x = len;                 /* while (x != 1) { step(); total++; } */
    op1(OP_LOAD, 3); op1(OP_PUSH, 1); op(OP_EQ);
    int32_t to_next = jump(OP_JNZ);
    op1(OP_CALL, step);
    op1(OP_INC, 0);
    op1(OP_JMP, loop_x);
    place(to_next);
    op1(OP_INC, 1);
    op1(OP_JMP, loop_i);
    place(to_end);
    op(OP_HALT);

    printf("vm(%d) = %lld\n", n, (long long)run(prog, reg));
    return 0;
}
