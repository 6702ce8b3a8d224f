/*
 * Opening the files akhound writes (reports given with -o, baselines, the audit log, the ledger):
 * one helper, so that none of them can be turned against the user who runs akhound (often root in
 * CI, or a responder with a privileged account) by someone who can plant a file in the directory:
 *   - a symbolic link at the path is not written through (ELOOP, said plainly), except one that
 *     leads to a character device or a FIFO (/dev/stdout, /dev/null, a named pipe), or to the
 *     file our own stdout or stderr already is (/dev/stdout when the shell redirected it): writing
 *     there is what the user asked for and reaches nothing new;
 *   - a new file is created mode 0600; with AK_OUT_PRIVATE (it will hold secrets or state) an
 *     existing regular file is set to 0600 as well, before anything is written to it.
 */
#ifndef AK_UTIL_OUTFILE_H
#define AK_UTIL_OUTFILE_H

#include "util/buf.h"

enum {
    AK_OUT_APPEND = 1,  /* append to an existing file instead of truncating it */
    AK_OUT_PRIVATE = 2, /* fix an existing regular file's mode to 0600 */
};

/* Opens path for writing as described above; returns the descriptor, or -1 with a one-line reason
 * naming path in err. */
int ak_outfile_open(const char *path, unsigned flags, ak_buf *err);

#endif
