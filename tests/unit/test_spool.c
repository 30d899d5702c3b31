/* test_spool.c -- unit tests for lib/spool.c (memory, then O_TMPFILE). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

static char tmpdir[64];

/* Every test runs with TMPDIR set to a fresh, private directory, so the
 * temporary file lands there and nothing else is touched. */
static int setup_tmpdir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_spool.XXXXXX");
    if (!mkdtemp(tmpdir))
        return -1;
    return setenv("TMPDIR", tmpdir, 1);
}

/* The directory must be empty again: O_TMPFILE files have no name. */
static int teardown_tmpdir(void **state)
{
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    int entries = 0;

    (void)state;
    if (!d)
        return -1;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            entries++;
    closedir(d);
    unsetenv("TMPDIR");
    if (rmdir(tmpdir) < 0 || entries)
        return -1;
    return 0;
}

static uint32_t rnd(uint32_t *s)
{
    *s = *s * 1103515245u + 12345u;
    return *s >> 8;
}

/* Reads until it has `n` bytes or the spool is empty. */
static size_t read_all(struct spool *s, unsigned char *out, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = spool_read(s, out + got, n - got);
        assert_true(r >= 0);
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return got;
}

static void memory_only(void **state)
{
    struct spool s;
    char out[32];

    (void)state;
    spool_init(&s, 64, 1000);
    assert_int_equal(spool_len(&s), 0);
    assert_int_equal(spool_space(&s), 1000);
    assert_int_equal(spool_write(&s, "hello ", 6), 0);
    assert_int_equal(spool_write(&s, "world", 5), 0);
    assert_int_equal(spool_len(&s), 11);
    assert_int_equal(spool_space(&s), 989);
    assert_int_equal(s.fd, -1); /* fits in memory: no file */

    memset(out, 0, sizeof out);
    assert_int_equal(spool_read(&s, out, 5), 5);
    assert_memory_equal(out, "hello", 5);
    assert_int_equal(spool_len(&s), 6);
    assert_int_equal(read_all(&s, (unsigned char *)out, sizeof out), 6);
    assert_memory_equal(out, " world", 6);
    assert_int_equal(spool_len(&s), 0);
    assert_int_equal(spool_space(&s), 1000);
    assert_int_equal(spool_read(&s, out, sizeof out), 0);
    spool_cleanup(&s);
}

static void spills_to_file_in_order(void **state)
{
    struct spool s;
    unsigned char ref[300], out[300];

    (void)state;
    for (int i = 0; i < 300; i++)
        ref[i] = (unsigned char)i;
    spool_init(&s, 100, 10000);
    assert_int_equal(spool_write(&s, ref, 80), 0);
    assert_int_equal(s.fd, -1);
    /* 80 + 50 > 100: this chunk goes to the file, whole. */
    assert_int_equal(spool_write(&s, ref + 80, 50), 0);
    assert_true(s.fd >= 0);
    assert_int_equal(spool_len(&s), 130);
    /* Room in memory again after a read, but the file holds unread
     * bytes: new data must still come out after them. */
    assert_int_equal(spool_read(&s, out, 30), 30);
    assert_memory_equal(out, ref, 30);
    assert_int_equal(spool_write(&s, ref + 130, 10), 0);
    assert_int_equal(spool_write(&s, ref + 140, 160), 0);
    assert_int_equal(spool_len(&s), 270);
    assert_int_equal(read_all(&s, out + 30, 270), 270);
    assert_memory_equal(out, ref, 300);
    assert_int_equal(spool_len(&s), 0);

    /* Drained: the spool is usable again, memory first. */
    assert_int_equal(spool_write(&s, "again", 5), 0);
    assert_int_equal(spool_len(&s), 5);
    assert_int_equal(read_all(&s, out, sizeof out), 5);
    assert_memory_equal(out, "again", 5);
    spool_cleanup(&s);
    assert_int_equal(s.fd, -1);
}

static void write_beyond_max_fails(void **state)
{
    struct spool s;
    unsigned char ref[200], out[200];

    (void)state;
    for (int i = 0; i < 200; i++)
        ref[i] = (unsigned char)(i * 7);
    spool_init(&s, 16, 100);

    /* Too big for max while empty. */
    assert_int_equal(spool_write(&s, ref, 101), -1);
    assert_int_equal(spool_len(&s), 0);
    assert_int_equal(spool_space(&s), 100);

    assert_int_equal(spool_write(&s, ref, 10), 0);      /* memory */
    assert_int_equal(spool_write(&s, ref + 10, 60), 0); /* file */
    assert_int_equal(spool_len(&s), 70);
    assert_int_equal(spool_space(&s), 30);

    /* 70 + 31 > 100: refused, nothing appended. */
    assert_int_equal(spool_write(&s, ref + 70, 31), -1);
    assert_int_equal(spool_len(&s), 70);
    assert_int_equal(spool_space(&s), 30);

    /* Exactly the remaining space fits. */
    assert_int_equal(spool_write(&s, ref + 70, 30), 0);
    assert_int_equal(spool_len(&s), 100);
    assert_int_equal(spool_space(&s), 0);
    assert_int_equal(spool_write(&s, ref + 100, 1), -1);
    assert_int_equal(spool_len(&s), 100);

    /* Reading frees space for writing again. */
    assert_int_equal(read_all(&s, out, 40), 40);
    assert_int_equal(spool_space(&s), 40);
    assert_int_equal(spool_write(&s, ref + 100, 40), 0);
    assert_int_equal(spool_write(&s, ref + 140, 1), -1);
    assert_int_equal(read_all(&s, out + 40, 200), 100);
    assert_memory_equal(out, ref, 140);
    assert_int_equal(spool_len(&s), 0);
    spool_cleanup(&s);
}

/* Several MB through a small memory part, writes and reads of random
 * sizes interleaved, checked against the reference stream byte for byte.
 * The file is drained and refilled many times on the way. */
static void random_interleaving_matches_reference(void **state)
{
    enum { TOTAL = 6 * 1024 * 1024, MEM = 4096, MAX = 256 * 1024 };
    unsigned char *ref = malloc(TOTAL);
    unsigned char *out = malloc(TOTAL);
    size_t written = 0, readpos = 0;
    uint32_t seed = 4242;
    int file_used = 0, refused = 0, drained = 0;
    unsigned iter = 0;
    struct spool s;

    (void)state;
    assert_non_null(ref);
    assert_non_null(out);
    for (size_t i = 0; i < TOTAL; i++)
        ref[i] = (unsigned char)(rnd(&seed) + (i >> 12));

    spool_init(&s, MEM, MAX);
    while (readpos < TOTAL) {
        /* Mostly small writes, sometimes large ones. */
        size_t n = (rnd(&seed) % 8 == 0) ? rnd(&seed) % 60000 : rnd(&seed) % 3000;
        if (n > TOTAL - written)
            n = TOTAL - written;
        int64_t before = spool_len(&s);
        if ((int64_t)n <= spool_space(&s)) {
            assert_int_equal(spool_write(&s, ref + written, n), 0);
            written += n;
        } else {
            assert_int_equal(spool_write(&s, ref + written, n), -1);
            assert_int_equal(spool_len(&s), before);
            refused++;
        }
        if (s.fd >= 0 && s.wpos > s.rpos)
            file_used = 1;
        assert_int_equal(spool_len(&s), (int64_t)(written - readpos));
        assert_int_equal(spool_space(&s), MAX - (int64_t)(written - readpos));

        /* Phases: reads smaller than writes, so the spool fills up to
         * max, then larger, so it drains (and the file is reset). */
        size_t want = (iter++ / 100) % 2 ? rnd(&seed) % 20000 : rnd(&seed) % 1000;
        if (written == TOTAL)
            want = 50000;
        size_t got = 0;
        while (got < want) {
            ssize_t r = spool_read(&s, out + readpos + got, want - got);
            assert_true(r >= 0);
            if (r == 0)
                break;
            got += (size_t)r;
        }
        if (got)
            assert_memory_equal(out + readpos, ref + readpos, got);
        readpos += got;
        assert_int_equal(spool_len(&s), (int64_t)(written - readpos));
        if (file_used && s.wpos == 0 && spool_len(&s) == 0)
            drained++;
    }
    assert_int_equal(written, TOTAL);
    assert_int_equal(readpos, TOTAL);
    assert_memory_equal(out, ref, TOTAL);
    assert_true(file_used);
    assert_true(refused > 10);
    assert_true(drained > 2);
    /* The memory part never grew past its maximum. */
    assert_true(s.mem.cap <= MEM + 1);
    spool_cleanup(&s);
    free(ref);
    free(out);
}

/* The file lives in $TMPDIR: with TMPDIR pointing at a missing
 * directory, spilling fails with -1 and appends nothing. */
static void file_error_appends_nothing(void **state)
{
    char missing[96];
    struct spool s;
    char out[16];

    (void)state;
    snprintf(missing, sizeof missing, "%s/does-not-exist", tmpdir);
    assert_int_equal(setenv("TMPDIR", missing, 1), 0);
    spool_init(&s, 8, 1000);
    assert_int_equal(spool_write(&s, "12345678", 8), 0);
    assert_int_equal(spool_write(&s, "9", 1), -1);
    assert_int_equal(spool_len(&s), 8);
    assert_int_equal(spool_read(&s, out, sizeof out), 8);
    assert_memory_equal(out, "12345678", 8);
    assert_int_equal(spool_len(&s), 0);
    spool_cleanup(&s);
    assert_int_equal(setenv("TMPDIR", tmpdir, 1), 0);
}

/* The temporary file is created in $TMPDIR (and is unnamed there). */
static void file_is_in_tmpdir(void **state)
{
    struct spool s;
    struct stat st_fd, st_dir;
    char link[64], target[512];
    ssize_t n;

    (void)state;
    spool_init(&s, 4, 100);
    assert_int_equal(spool_write(&s, "abcdefgh", 8), 0);
    assert_true(s.fd >= 0);
    assert_int_equal(fstat(s.fd, &st_fd), 0);
    assert_int_equal(stat(tmpdir, &st_dir), 0);
    assert_int_equal(st_fd.st_dev, st_dir.st_dev);
    snprintf(link, sizeof link, "/proc/self/fd/%d", s.fd);
    n = readlink(link, target, sizeof target - 1);
    assert_true(n > 0);
    target[n] = '\0';
    if (strncmp(target, tmpdir, strlen(tmpdir)) != 0)
        fail_msg("spool file %s is not in TMPDIR %s", target, tmpdir);
    /* O_CLOEXEC: a spawned function must not inherit it. */
    assert_true(fcntl(s.fd, F_GETFD) & FD_CLOEXEC);
    spool_cleanup(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(memory_only, setup_tmpdir, teardown_tmpdir),
        cmocka_unit_test_setup_teardown(spills_to_file_in_order, setup_tmpdir, teardown_tmpdir),
        cmocka_unit_test_setup_teardown(write_beyond_max_fails, setup_tmpdir, teardown_tmpdir),
        cmocka_unit_test_setup_teardown(random_interleaving_matches_reference, setup_tmpdir,
                                        teardown_tmpdir),
        cmocka_unit_test_setup_teardown(file_error_appends_nothing, setup_tmpdir, teardown_tmpdir),
        cmocka_unit_test_setup_teardown(file_is_in_tmpdir, setup_tmpdir, teardown_tmpdir),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
