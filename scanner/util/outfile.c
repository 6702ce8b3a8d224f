/* Opening output files safely: see outfile.h. */
#include "util/outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int same_file(const struct stat *a, int fd)
{
    struct stat b;
    return fstat(fd, &b) == 0 && a->st_dev == b.st_dev && a->st_ino == b.st_ino;
}

/* Where a symbolic link may lead: a device, a pipe, or our own stdout / stderr. */
static int fine_target(const struct stat *st)
{
    return S_ISCHR(st->st_mode) || S_ISFIFO(st->st_mode) || same_file(st, 1) || same_file(st, 2);
}

static int through_link(const char *path, int mode, ak_buf *err)
{
    /* no O_CREAT, no O_TRUNC: nothing happens to the target before it is known to be fine */
    int fd = open(path, mode | O_NOCTTY);
    struct stat st;
    if (fd >= 0 && (fstat(fd, &st) != 0 || !fine_target(&st))) {
        close(fd);
        ak_buf_printf(err, "%s: is a symbolic link; not written through it", path);
        return -1;
    }
    if (fd < 0) ak_buf_printf(err, "%s: cannot write: %s", path, strerror(errno));
    return fd;
}

int ak_outfile_open(const char *path, unsigned flags, ak_buf *err)
{
    int mode = O_WRONLY | O_CLOEXEC | (flags & AK_OUT_APPEND ? O_APPEND : 0);
    struct stat st;
    if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) return through_link(path, mode, err);
    int fd = open(path, mode | O_CREAT | O_NOFOLLOW | (flags & AK_OUT_APPEND ? 0 : O_TRUNC), 0600);
    if (fd < 0) {
        if (errno == ELOOP) /* a link planted since the lstat */
            ak_buf_printf(err, "%s: is a symbolic link; not written through it", path);
        else
            ak_buf_printf(err, "%s: cannot write: %s", path, strerror(errno));
        return -1;
    }
    if ((flags & AK_OUT_PRIVATE) && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        (st.st_mode & 07777) != 0600 && fchmod(fd, 0600) != 0) {
        ak_buf_printf(err, "%s: cannot make it private (mode 0600): %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}
