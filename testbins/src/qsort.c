/* qsort and bsearch with several comparators */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_int_desc(const void *a, const void *b)
{
    return cmp_int(b, a);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct rec {
    int key;
    char name[8];
};

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return strcmp(x->name, y->name);
}

int main(void)
{
    int arr[2000];
    unsigned seed = 12345;
    for (int i = 0; i < 2000; i++) {
        seed = seed * 1103515245u + 12345u;
        arr[i] = (int)(seed >> 8) % 100000 - 50000;
    }
    qsort(arr, 2000, sizeof arr[0], cmp_int);
    int sorted = 1;
    for (int i = 1; i < 2000; i++)
        sorted &= arr[i - 1] <= arr[i];
    printf("sorted=%d min=%d max=%d median=%d\n", sorted, arr[0], arr[1999], arr[1000]);
    int key = arr[777];
    int *found = bsearch(&key, arr, 2000, sizeof arr[0], cmp_int);
    printf("bsearch %d -> %s\n", key, found && *found == key ? "found" : "missing");
    key = 50001;
    printf("bsearch %d -> %s\n", key, bsearch(&key, arr, 2000, sizeof arr[0], cmp_int) ? "found" : "missing");

    qsort(arr, 2000, sizeof arr[0], cmp_int_desc);
    printf("desc first=%d last=%d\n", arr[0], arr[1999]);

    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "kiwi", "grape"};
    qsort(words, 8, sizeof words[0], cmp_str);
    for (int i = 0; i < 8; i++)
        printf("%s%c", words[i], i == 7 ? '\n' : ' ');

    struct rec recs[6] = {{3, "c"}, {1, "z"}, {3, "a"}, {2, "m"}, {1, "b"}, {2, "a"}};
    qsort(recs, 6, sizeof recs[0], cmp_rec);
    for (int i = 0; i < 6; i++)
        printf("(%d,%s)%c", recs[i].key, recs[i].name, i == 5 ? '\n' : ' ');
    return 0;
}
