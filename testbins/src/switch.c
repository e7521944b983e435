/* switch statements: dense (jump tables), sparse, fallthrough, strings of opcodes */
#include <stdio.h>

__attribute__((noinline)) static int dense(int x)
{
    switch (x) {
    case 0: return 11;
    case 1: return 23;
    case 2: return 5;
    case 3: return 78;
    case 4: return 1;
    case 5: return 99;
    case 6: return 42;
    case 7: return 17;
    case 8: return 64;
    case 9: return 3;
    case 10: return 1000;
    case 11: return -5;
    default: return -1;
    }
}

__attribute__((noinline)) static int sparse(unsigned x)
{
    switch (x) {
    case 1: return 1;
    case 100: return 2;
    case 1000: return 3;
    case 5000: return 4;
    case 65536: return 5;
    case 0x80000000u: return 6;
    case 0xffffffffu: return 7;
    default: return 0;
    }
}

__attribute__((noinline)) static int fall(int x)
{
    int r = 0;
    switch (x) {
    case 0:
        r += 1;
        /* fallthrough */
    case 1:
        r += 10;
        /* fallthrough */
    case 2:
        r += 100;
        break;
    case 3:
        r = -1;
        /* fallthrough */
    default:
        r *= 2;
    }
    return r;
}

__attribute__((noinline)) static const char *name(char c)
{
    switch (c) {
    case 'a': case 'e': case 'i': case 'o': case 'u': return "vowel";
    case '0' ... '9': return "digit";
    case ' ': return "space";
    default: return "other";
    }
}

/* tiny stack machine */
static int run(const unsigned char *code)
{
    int stack[16], sp = 0, pc = 0, acc = 0;
    for (;;) {
        switch (code[pc++]) {
        case 0: return stack[sp - 1];
        case 1: stack[sp++] = code[pc++]; break;
        case 2: sp--; stack[sp - 1] += stack[sp]; break;
        case 3: sp--; stack[sp - 1] -= stack[sp]; break;
        case 4: sp--; stack[sp - 1] *= stack[sp]; break;
        case 5: stack[sp] = stack[sp - 1]; sp++; break;
        case 6: if (stack[--sp]) pc += (signed char)code[pc]; else pc++; break;
        case 7: { int t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; } break;
        case 10: acc += stack[sp - 1]; break;
        case 11: stack[sp++] = acc; break;
        case 12: pc += (signed char)code[pc]; break;
        default: return -999;
        }
    }
}

int main(void)
{
    int s = 0;
    for (int i = -2; i < 14; i++) {
        printf("%d%c", dense(i), i == 13 ? '\n' : ' ');
        s += dense(i);
    }
    printf("dense sum %d\n", s);
    unsigned vals[] = {0, 1, 2, 100, 1000, 4999, 5000, 65536, 0x80000000u, 0xffffffffu};
    for (int i = 0; i < 10; i++)
        printf("%d%c", sparse(vals[i]), i == 9 ? '\n' : ' ');
    for (int i = 0; i < 5; i++)
        printf("fall(%d)=%d\n", i, fall(i));
    const char *t = "a1 z";
    for (const char *p = t; *p; p++)
        printf("'%c' %s\n", *p, name(*p));
    /* sum 1..10 with a loop: push 10; L: dup; jnz body; pushacc; halt;
       body: acc+=top; push 1; sub; jmp L */
    static const unsigned char loop[] = {1, 10, 5, 6, 3, 11, 0, 10, 1, 1, 3, 12, 0xf6};
    printf("vm loop: %d\n", run(loop));
    /* simpler program: (3+4)*(10-2) */
    static const unsigned char prog2[] = {1, 3, 1, 4, 2, 1, 10, 1, 2, 3, 4, 0};
    printf("vm: %d\n", run(prog2));
    static const unsigned char prog3[] = {1, 6, 5, 4, 5, 4, 0}; /* (6*6)^2 */
    printf("vm: %d\n", run(prog3));
    static const unsigned char prog4[] = {9};
    printf("vm bad opcode: %d\n", run(prog4));
    return 0;
}
