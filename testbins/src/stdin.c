/* read stdin line by line: count lines/words/bytes, echo uppercased */
#include <stdio.h>
#include <ctype.h>
#include <string.h>

int main(void)
{
    char line[512];
    int lines = 0, words = 0;
    long bytes = 0;
    while (fgets(line, sizeof line, stdin)) {
        size_t len = strlen(line);
        bytes += (long)len;
        lines++;
        int inword = 0;
        for (size_t i = 0; i < len; i++) {
            if (isspace((unsigned char)line[i]))
                inword = 0;
            else if (!inword) {
                inword = 1;
                words++;
            }
            line[i] = (char)toupper((unsigned char)line[i]);
        }
        printf("%3d: %s", lines, line);
        if (len && line[len - 1] != '\n')
            printf("\n");
    }
    printf("lines=%d words=%d bytes=%ld eof=%d\n", lines, words, bytes, feof(stdin) != 0);
    return 0;
}
