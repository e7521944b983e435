/* environment variables */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(void)
{
    const char *v = getenv("DBT_TEST_VAR");
    const char *u = getenv("DBT_UNSET_VAR");
    printf("DBT_TEST_VAR=%s\n", v ? v : "(null)");
    printf("DBT_UNSET_VAR=%s\n", u ? u : "(null)");
    int n = 0, dbt = 0;
    for (char **e = environ; *e; e++) {
        n++;
        if (strncmp(*e, "DBT_", 4) == 0)
            dbt++;
    }
    printf("DBT_ variables: %d\n", dbt);
    setenv("DBT_NEW", "created", 1);
    printf("after setenv: %s\n", getenv("DBT_NEW"));
    unsetenv("DBT_TEST_VAR");
    v = getenv("DBT_TEST_VAR");
    printf("after unsetenv: %s\n", v ? v : "(null)");
    return 0;
}
