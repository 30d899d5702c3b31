/* test_cli_auth.c -- saved logins: faas-cli's config.yml format, mode
 * 0600, one entry per gateway, faas-cli's own file as a fallback. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../cli/auth.h"

static char dir[] = "/tmp/test_cli_authXXXXXX";
static char ours[256], theirs[256];

static int setup(void **state)
{
    (void)state;
    if (!mkdtemp(dir))
        return -1;
    snprintf(ours, sizeof ours, "%s/ours", dir);
    snprintf(theirs, sizeof theirs, "%s/theirs", dir);
    setenv("FAASBUS_CONFIG", ours, 1);
    setenv("OPENFAAS_CONFIG", theirs, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void expect_login(const char *gw, const char *user, const char *password)
{
    char *u = NULL, *p = NULL;
    assert_int_equal(auth_lookup(gw, &u, &p), 0);
    assert_string_equal(u, user);
    assert_string_equal(p, password);
    free(u);
    free(p);
}

static void test_save_lookup_replace_remove(void **state)
{
    (void)state;
    char err[256], *u, *p;
    assert_int_equal(auth_lookup("http://a:8080", &u, &p), -1);
    assert_int_equal(auth_save("http://a:8080", "admin", "p:w\"\\", err, sizeof err), 0);
    assert_int_equal(auth_save("http://b:8080/", "bob", "two", err, sizeof err), 0);
    char *path = auth_path();
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    expect_login("http://a:8080/", "admin", "p:w\"\\"); /* a trailing '/' is the same */
    expect_login("http://b:8080", "bob", "two");
    assert_int_equal(auth_save("http://a:8080", "admin", "new", err, sizeof err), 0);
    expect_login("http://a:8080", "admin", "new");
    expect_login("http://b:8080", "bob", "two");
    assert_int_equal(auth_remove("http://a:8080", err, sizeof err), 0);
    assert_int_equal(auth_lookup("http://a:8080", &u, &p), -1);
    expect_login("http://b:8080", "bob", "two");
    assert_int_equal(auth_remove("http://a:8080", err, sizeof err), 1);
    free(path);
}

static void test_faas_cli_file_is_read_and_garbage_is_no_login(void **state)
{
    (void)state;
    char path[300];
    mkdir(theirs, 0700);
    snprintf(path, sizeof path, "%s/config.yml", theirs);
    FILE *f = fopen(path, "w");
    /* YWxpY2U6c2VjcmV0 is alice:secret; a token that is not base64 and a
     * non-basic entry are skipped. */
    fputs("authconfigs:\n- gateway: http://c:8080\n  token: '!!'\n"
          "- gateway: http://c:8080\n  auth: oauth2\n  token: YWxpY2U6c2VjcmV0\n"
          "- gateway: http://c:8080\n  auth: basic\n  token: YWxpY2U6c2VjcmV0\n",
          f);
    fclose(f);
    expect_login("http://c:8080", "alice", "secret");
    f = fopen(path, "w");
    fputs("authconfigs: [unclosed\n", f);
    fclose(f);
    char *u, *p;
    assert_int_equal(auth_lookup("http://c:8080", &u, &p), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_save_lookup_replace_remove),
        cmocka_unit_test(test_faas_cli_file_is_read_and_garbage_is_no_login),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
