/* Benchmark: a switch-dispatched bytecode interpreter (register VM)
   running a nested-loop program.  Usage: interp [outer-iterations] */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

enum {
    OP_HALT, OP_LOADI, OP_MOV, OP_ADD, OP_SUB, OP_MUL, OP_XOR, OP_SHL, OP_SHR,
    OP_AND, OP_ADDI, OP_JMP, OP_JNZ, OP_JLT, OP_LOAD, OP_STORE, OP_MOD,
};

struct insn {
    uint8_t op, a, b, c;
    int32_t imm;
};

static int32_t mem[256];

static uint32_t run(const struct insn *code, int32_t *reg)
{
    const struct insn *pc = code;
    for (;;) {
        const struct insn *i = pc++;
        switch (i->op) {
        case OP_HALT: return (uint32_t)reg[0];
        case OP_LOADI: reg[i->a] = i->imm; break;
        case OP_MOV: reg[i->a] = reg[i->b]; break;
        case OP_ADD: reg[i->a] = reg[i->b] + reg[i->c]; break;
        case OP_SUB: reg[i->a] = reg[i->b] - reg[i->c]; break;
        case OP_MUL: reg[i->a] = reg[i->b] * reg[i->c]; break;
        case OP_XOR: reg[i->a] = reg[i->b] ^ reg[i->c]; break;
        case OP_SHL: reg[i->a] = (int32_t)((uint32_t)reg[i->b] << (reg[i->c] & 31)); break;
        case OP_SHR: reg[i->a] = (int32_t)((uint32_t)reg[i->b] >> (reg[i->c] & 31)); break;
        case OP_AND: reg[i->a] = reg[i->b] & reg[i->c]; break;
        case OP_ADDI: reg[i->a] = reg[i->b] + i->imm; break;
        case OP_JMP: pc = code + i->imm; break;
        case OP_JNZ: if (reg[i->a]) pc = code + i->imm; break;
        case OP_JLT: if (reg[i->a] < reg[i->b]) pc = code + i->imm; break;
        case OP_LOAD: reg[i->a] = mem[(reg[i->b] + i->imm) & 255]; break;
        case OP_STORE: mem[(reg[i->b] + i->imm) & 255] = reg[i->a]; break;
        case OP_MOD: reg[i->a] = reg[i->c] ? (int32_t)((uint32_t)reg[i->b] % (uint32_t)reg[i->c]) : 0; break;
        default: return 0xdeadu;
        }
    }
}

int main(int argc, char **argv)
{
    long outer = argc > 1 ? atol(argv[1]) : 120000;
    /* r0 = acc, r1 = i (outer), r2 = n_outer, r3 = j (inner), r4 = n_inner,
       r5..r9 temporaries */
    const struct insn prog[] = {
        /* 0 */ {OP_LOADI, 0, 0, 0, 1},
        /* 1 */ {OP_LOADI, 1, 0, 0, 0},
        /* 2 */ {OP_LOADI, 4, 0, 0, 100},
        /* 3 */ {OP_LOADI, 6, 0, 0, 5},
        /* 4 */ {OP_LOADI, 7, 0, 0, 1000003},
        /* outer loop: */
        /* 5 */ {OP_LOADI, 3, 0, 0, 0},
        /* inner loop: */
        /* 6 */ {OP_MUL, 5, 1, 3},
        /* 7 */ {OP_ADD, 0, 0, 5},
        /* 8 */ {OP_SHL, 8, 0, 6},
        /* 9 */ {OP_XOR, 0, 0, 8},
        /* 10 */ {OP_SHR, 8, 0, 6},
        /* 11 */ {OP_ADD, 0, 0, 8},
        /* 12 */ {OP_STORE, 0, 3, 0, 0},
        /* 13 */ {OP_LOAD, 9, 3, 0, 37},
        /* 14 */ {OP_ADD, 0, 0, 9},
        /* 15 */ {OP_ADDI, 3, 3, 0, 1},
        /* 16 */ {OP_JLT, 3, 4, 0, 6},
        /* 17 */ {OP_MOD, 0, 0, 7},
        /* 18 */ {OP_ADDI, 1, 1, 0, 1},
        /* 19 */ {OP_JLT, 1, 2, 0, 5},
        /* 20 */ {OP_HALT},
    };
    int32_t reg[16] = {0};
    reg[2] = (int32_t)outer;
    uint32_t r = run(prog, reg);
    uint32_t memsum = 0;
    for (int i = 0; i < 256; i++)
        memsum = memsum * 7 + (uint32_t)mem[i];
    printf("interp outer=%ld result=%u mem=%08x\n", outer, r, memsum);
    return 0;
}
