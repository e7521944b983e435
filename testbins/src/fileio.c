/* file I/O on a temporary file: stdio and raw fds */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>

int main(void)
{
    char path[] = "/tmp/dbt-test-fileio-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        printf("mkstemp failed\n");
        return 1;
    }
    FILE *f = fdopen(fd, "w+");
    for (int i = 0; i < 20; i++)
        fprintf(f, "line %d value %d %s\n", i, i * i, i % 2 ? "odd" : "even");
    long end = ftell(f);
    printf("ftell after write: %ld\n", end);
    fflush(f);

    struct stat st;
    if (stat(path, &st) == 0)
        printf("stat size: %lld regular=%d mode=%o\n", (long long)st.st_size, S_ISREG(st.st_mode),
               (unsigned)(st.st_mode & 0777));

    rewind(f);
    int n, sq, count = 0, sum = 0;
    char word[16];
    while (fscanf(f, "line %d value %d %15s\n", &n, &sq, word) == 3) {
        sum += sq;
        if (n == 7)
            printf("read back line 7: %d %s\n", sq, word);
        count++;
    }
    printf("fscanf count=%d sum=%d\n", count, sum);

    fseek(f, 5, SEEK_SET);
    char buf[32];
    if (fgets(buf, sizeof buf, f))
        printf("fgets after fseek(5): %s", buf);
    fseek(f, -9, SEEK_END);
    if (fgets(buf, sizeof buf, f))
        printf("fgets at end-9: %s", buf);
    fclose(f);

    /* raw fd I/O */
    fd = open(path, O_RDWR);
    off_t off = lseek(fd, 0, SEEK_END);
    printf("lseek end: %ld\n", (long)off);
    off = lseek(fd, 10, SEEK_SET);
    ssize_t r = read(fd, buf, 8);
    buf[r > 0 ? r : 0] = '\0';
    printf("read %ld at 10: [%s]\n", (long)r, buf);
    lseek(fd, 0, SEEK_SET);
    r = write(fd, "LINE", 4);
    printf("write returned %ld\n", (long)r);
    off = lseek(fd, 0, SEEK_CUR);
    printf("lseek cur: %ld\n", (long)off);
    if (ftruncate(fd, 30) == 0) {
        struct stat st2;
        fstat(fd, &st2);
        printf("after ftruncate: %lld\n", (long long)st2.st_size);
    }
    lseek(fd, 0, SEEK_SET);
    r = read(fd, buf, sizeof buf - 1);
    buf[r > 0 ? r : 0] = '\0';
    for (char *p = buf; *p; p++)
        if (*p == '\n')
            *p = '|';
    printf("content: %s\n", buf);
    close(fd);

    /* append mode */
    f = fopen(path, "a");
    fputs("appended\n", f);
    fclose(f);
    f = fopen(path, "r");
    int lines = 0, ch;
    long bytes = 0;
    while ((ch = fgetc(f)) != EOF) {
        bytes++;
        lines += ch == '\n';
    }
    fclose(f);
    printf("after append: %ld bytes %d lines\n", bytes, lines);

    /* rename and unlink */
    char path2[64];
    snprintf(path2, sizeof path2, "%s.renamed", path);
    printf("rename: %d\n", rename(path, path2));
    printf("access old: %d new: %d\n", access(path, F_OK), access(path2, F_OK));
    printf("unlink: %d\n", unlink(path2));
    printf("stat after unlink: %d\n", stat(path2, &st));
    f = fopen("/nonexistent-dir-dbt/x", "r");
    printf("fopen missing: %s\n", f ? "opened?" : "NULL");
    return 0;
}
