/* file_atomic.c — see file_atomic.h. */
#include "common/file_atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void hg_file_abandon(int fd, char *tmp_path)
{
    if (fd >= 0)
        close(fd);
    if (tmp_path)
        unlink(tmp_path);
    free(tmp_path);
}

int hg_file_tmp_beside(const char *path, char **tmp_path, char *errstr, size_t errstr_size)
{
    static const char suffix[] = ".tmp-XXXXXX";
    struct stat st;
    *tmp_path = NULL;
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
        snprintf(errstr, errstr_size, "%s is not a regular file (it is written beside it and "
                 "renamed over it)", path);
        return -1;
    }
    size_t n = strlen(path) + sizeof suffix;
    char *tmp = malloc(n);
    if (!tmp) {
        snprintf(errstr, errstr_size, "out of memory");
        return -1;
    }
    snprintf(tmp, n, "%s%s", path, suffix);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        snprintf(errstr, errstr_size, "cannot create %s: %s", tmp, strerror(errno));
        free(tmp);
        return -1;
    }
    mode_t um = umask(0);
    umask(um);
    if (fchmod(fd, 0644 & ~um) != 0) {
        snprintf(errstr, errstr_size, "cannot create %s: %s", tmp, strerror(errno));
        hg_file_abandon(fd, tmp);
        return -1;
    }
    *tmp_path = tmp;
    return fd;
}

int hg_file_commit(int fd, char *tmp_path, const char *path, char *errstr, size_t errstr_size)
{
    if (fsync(fd) != 0) {
        snprintf(errstr, errstr_size, "cannot write %s: %s", tmp_path, strerror(errno));
        hg_file_abandon(fd, tmp_path);
        return -1;
    }
    if (close(fd) != 0) {
        snprintf(errstr, errstr_size, "cannot write %s: %s", tmp_path, strerror(errno));
        hg_file_abandon(-1, tmp_path);
        return -1;
    }
    if (rename(tmp_path, path) != 0) {
        snprintf(errstr, errstr_size, "cannot rename %s to %s: %s", tmp_path, path, strerror(errno));
        hg_file_abandon(-1, tmp_path);
        return -1;
    }
    free(tmp_path);
    return 0;
}

int hg_file_write_atomic(const char *path, const void *data, size_t len,
                         char *errstr, size_t errstr_size)
{
    char *tmp;
    int fd = hg_file_tmp_beside(path, &tmp, errstr, errstr_size);
    if (fd < 0)
        return -1;
    for (const char *p = data; len > 0;) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            snprintf(errstr, errstr_size, "cannot write %s: %s", tmp, strerror(errno));
            hg_file_abandon(fd, tmp);
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return hg_file_commit(fd, tmp, path, errstr, errstr_size);
}
