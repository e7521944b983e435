/* ctype classification and conversion */
#include <stdio.h>
#include <ctype.h>

int main(void)
{
    int alpha = 0, digit = 0, space = 0, upper = 0, lower = 0, punct = 0, xdig = 0, alnum = 0,
        print = 0, cntrl = 0;
    for (int c = 0; c < 128; c++) {
        alpha += !!isalpha(c);
        digit += !!isdigit(c);
        space += !!isspace(c);
        upper += !!isupper(c);
        lower += !!islower(c);
        punct += !!ispunct(c);
        xdig += !!isxdigit(c);
        alnum += !!isalnum(c);
        print += !!isprint(c);
        cntrl += !!iscntrl(c);
    }
    printf("alpha=%d digit=%d space=%d upper=%d lower=%d\n", alpha, digit, space, upper, lower);
    printf("punct=%d xdigit=%d alnum=%d print=%d cntrl=%d\n", punct, xdig, alnum, print, cntrl);
    const char *s = "Mixed Case 123 String!";
    char up[64], lo[64];
    int i;
    for (i = 0; s[i]; i++) {
        up[i] = (char)toupper((unsigned char)s[i]);
        lo[i] = (char)tolower((unsigned char)s[i]);
    }
    up[i] = lo[i] = '\0';
    printf("upper: %s\nlower: %s\n", up, lo);
    printf("toupper('z')=%c tolower('Q')=%c toupper('5')=%c\n", toupper('z'), tolower('Q'),
           toupper('5'));
    printf("isspace: %d%d%d%d%d%d\n", !!isspace(' '), !!isspace('\t'), !!isspace('\n'),
           !!isspace('\v'), !!isspace('\f'), !!isspace('x'));
    return 0;
}
