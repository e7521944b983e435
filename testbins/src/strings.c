/* string.h functions */
#include <stdio.h>
#include <string.h>

int main(void)
{
    char buf[128];
    char buf2[64];
    const char *s = "The quick brown fox jumps over the lazy dog";

    printf("strlen=%zu strlen(\"\")=%zu\n", strlen(s), strlen(""));
    strcpy(buf, "hello");
    strcat(buf, ", ");
    strcat(buf, "world");
    printf("strcpy/strcat: %s (%zu)\n", buf, strlen(buf));
    strncpy(buf2, "abcdefgh", 4);
    buf2[4] = '\0';
    printf("strncpy: %s\n", buf2);
    printf("strcmp: %d %d %d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0,
           strcmp("same", "same"));
    printf("strncmp: %d %d\n", strncmp("abcdef", "abcxyz", 3), strncmp("abcdef", "abcxyz", 4) < 0);
    printf("strchr: %s\n", strchr(s, 'q'));
    printf("strrchr: %s\n", strrchr(s, 'o'));
    printf("strstr: %s\n", strstr(s, "fox"));
    printf("strstr miss: %s\n", strstr(s, "cat") ? "found" : "null");
    printf("strspn=%zu strcspn=%zu\n", strspn("aaabbbccc", "ab"), strcspn(s, "xyz"));
    printf("strpbrk: %s\n", strpbrk(s, "jz"));

    memset(buf, 'x', 10);
    buf[10] = '\0';
    printf("memset: %s\n", buf);
    memcpy(buf, "0123456789", 11);
    memmove(buf + 2, buf, 8);
    buf[10] = '\0';
    printf("memmove fwd: %s\n", buf);
    memcpy(buf, "0123456789", 11);
    memmove(buf, buf + 3, 7);
    printf("memmove back: %s\n", buf);
    printf("memcmp: %d %d\n", memcmp("abc", "abc", 3), memcmp("abc", "abd", 3) < 0);
    const char *p = memchr(s, 'z', strlen(s));
    printf("memchr: offset %d\n", (int)(p - s));

    /* strtok */
    char text[] = "alpha,beta;;gamma, delta";
    int count = 0;
    for (char *tok = strtok(text, ",; "); tok; tok = strtok(NULL, ",; "))
        printf("tok[%d]=%s\n", count++, tok);

    /* larger memcpy with unaligned offsets */
    static unsigned char big[4096], big2[4096];
    for (int i = 0; i < 4096; i++)
        big[i] = (unsigned char)(i * 7 + 3);
    unsigned sum = 0;
    for (int off = 0; off < 8; off++) {
        memcpy(big2 + off, big + (7 - off), 4000);
        for (int i = 0; i < 4000; i += 13)
            sum = sum * 31 + big2[off + i];
    }
    printf("memcpy checksum: %08x\n", sum);
    char dup[32];
    snprintf(dup, sizeof dup, "%s", "duplicated");
    char *d = strdup(dup);
    printf("strdup: %s %d\n", d, d != dup);
    return 0;
}
