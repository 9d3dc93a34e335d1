/* test_file_atomic.c — common/file_atomic.c: a file replaced all at once
 * through a fresh temporary name beside it; what is no regular file is
 * refused, a link planted at a guessable name is not followed, nothing is
 * left beside the file. */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file_atomic.h"
#include "test.h"

static char dir[] = "/tmp/hg-file-atomic-XXXXXX";

static void path_of(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

static void read_file(const char *path, char *out, size_t n)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t r = fread(out, 1, n - 1, f);
    out[r] = '\0';
    fclose(f);
}

/* Entries in dir, counted. */
static int entries(void)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

int main(void)
{
    char p[256], link_path[300], victim[256], got[64], err[512];
    struct stat st;
    if (!mkdtemp(dir))
        return 2;
    mode_t um = umask(022);

    /* written, then replaced; nothing left beside it */
    path_of(p, sizeof p, "port");
    CHECK_INT(hg_file_write_atomic(p, "1234\n", 5, err, sizeof err), 0);
    read_file(p, got, sizeof got);
    CHECK_STR(got, "1234\n");
    CHECK_INT(hg_file_write_atomic(p, "56\n", 3, err, sizeof err), 0);
    read_file(p, got, sizeof got);
    CHECK_STR(got, "56\n");
    CHECK(stat(p, &st) == 0 && (st.st_mode & 0777) == 0644);
    CHECK_INT(entries(), 1);

    /* a FIFO (a device such as /dev/null alike) is refused, and stays what it is */
    char fifo[256];
    path_of(fifo, sizeof fifo, "fifo");
    CHECK_INT(mkfifo(fifo, 0600), 0);
    CHECK_INT(hg_file_write_atomic(fifo, "x\n", 2, err, sizeof err), -1);
    CHECK(strstr(err, "is not a regular file") != NULL);
    CHECK(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
    CHECK_INT(entries(), 2);

    /* a link planted at the old fixed name is left alone */
    path_of(victim, sizeof victim, "victim");
    FILE *f = fopen(victim, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("keep\n", f);
        fclose(f);
    }
    path_of(p, sizeof p, "boot");
    snprintf(link_path, sizeof link_path, "%s.tmp", p);
    CHECK_INT(symlink(victim, link_path), 0);
    CHECK_INT(hg_file_write_atomic(p, "127.0.0.1:9\n", 12, err, sizeof err), 0);
    read_file(victim, got, sizeof got);
    CHECK_STR(got, "keep\n");
    CHECK(lstat(p, &st) == 0 && S_ISREG(st.st_mode));
    CHECK(lstat(link_path, &st) == 0 && S_ISLNK(st.st_mode));

    /* a directory that does not exist: an error naming the path */
    CHECK_INT(hg_file_write_atomic("/nonexistent-dir/x", "x", 1, err, sizeof err), -1);
    CHECK(strstr(err, "/nonexistent-dir/x.tmp-") != NULL);

    /* the streaming pair: a temporary file dropped on failure */
    char *tmp = NULL;
    path_of(p, sizeof p, "out.csv");
    int fd = hg_file_tmp_beside(p, &tmp, err, sizeof err);
    CHECK(fd >= 0 && tmp != NULL);
    CHECK_INT(write(fd, "a\n", 2), 2);
    CHECK_INT(hg_file_commit(fd, tmp, p, err, sizeof err), 0);
    read_file(p, got, sizeof got);
    CHECK_STR(got, "a\n");

    umask(um);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK_INT(system(cmd), 0);
    return TEST_DONE();
}
