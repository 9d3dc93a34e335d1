/* file_atomic.h — replace a file all at once: the new content goes to a
 * temporary file beside it (a fresh name, never a link someone planted)
 * and is renamed over it, so a reader sees the old file or the whole new
 * one. Used for the gateway's --port-file and --bootstrap-file and for
 * `hookgate-consumer validate --output`. */
#ifndef HG_FILE_ATOMIC_H
#define HG_FILE_ATOMIC_H

#include <stddef.h>

/* Create the temporary file for path: path ".tmp-XXXXXX" (mkostemp,
 * O_CLOEXEC), mode 0644 under the umask. Refuses a path that exists and is
 * no regular file (a device, a FIFO, a directory): renamed over, it would
 * be replaced by a plain file. Returns the descriptor with *tmp_path set
 * (malloc'ed, the caller's: unlink and free it, or pass it to
 * hg_file_commit), or -1 with errstr naming path (*tmp_path NULL). */
int hg_file_tmp_beside(const char *path, char **tmp_path, char *errstr, size_t errstr_size);

/* fsync and close fd, then rename tmp_path over path. On failure tmp_path
 * is unlinked. Either way fd is closed and tmp_path freed. Returns 0, or
 * -1 with errstr. */
int hg_file_commit(int fd, char *tmp_path, const char *path, char *errstr, size_t errstr_size);

/* Give the temporary file up: close fd (when >= 0), unlink and free
 * tmp_path (when not NULL). The one failure path of the three above. */
void hg_file_abandon(int fd, char *tmp_path);

/* Replace path with data[0..len) (hg_file_tmp_beside, write,
 * hg_file_commit). Returns 0, or -1 with errstr. */
int hg_file_write_atomic(const char *path, const void *data, size_t len,
                         char *errstr, size_t errstr_size);

#endif
