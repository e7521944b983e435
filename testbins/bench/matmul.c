/* Benchmark: integer matrix multiplication C = A * B, repeated.
   Usage: matmul [repetitions] */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>

#define N 64

static int32_t A[N][N], B[N][N], C[N][N];

static void multiply(void)
{
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            int32_t s = 0;
            for (int k = 0; k < N; k++)
                s += A[i][k] * B[k][j];
            C[i][j] = s;
        }
}

int main(int argc, char **argv)
{
    long reps = argc > 1 ? atol(argv[1]) : 2400;
    uint32_t seed = 42;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            seed = seed * 1664525u + 1013904223u;
            A[i][j] = (int32_t)(seed >> 20) - 2048;
            seed = seed * 1664525u + 1013904223u;
            B[i][j] = (int32_t)(seed >> 20) - 2048;
        }
    uint32_t check = 0;
    for (long r = 0; r < reps; r++) {
        multiply();
        /* feed the result back so each repetition differs */
        for (int i = 0; i < N; i++) {
            check = check * 33 + (uint32_t)C[i][(i + r) % N];
            A[i][r % N] = C[i][i] & 0xfff;
        }
    }
    printf("matmul %dx%d reps=%ld C[1][2]=%d checksum=%08x\n", N, N, reps, C[1][2], check);
    return 0;
}
