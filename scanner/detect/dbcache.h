/*
 * A cache of compiled Vectorscan databases on disk. Compiling the fast-pass database is the largest
 * part of akhound's start-up (about 2 ms), and a pre-commit hook starts a process per commit, so a
 * database compiled once is serialised to ~/.cache/akhound (or $XDG_CACHE_HOME/akhound, or
 * $AKHOUND_CACHE_DIR) under a key derived from the exact literal list and the library version, and
 * deserialised on later runs. Any failure (no home, read-only disk, a damaged or foreign file)
 * falls back to compiling: the cache can only make start-up faster, never change a result.
 * AKHOUND_NO_CACHE=1 turns it off.
 *
 * Trust: the directory is used only when it is this user's and no one else can write it (created
 * 0700; not a symlink); a file is read only when it is a regular file of ours, and written as a new
 * file (O_EXCL|O_NOFOLLOW) renamed into place. A loaded database must still find every rule's
 * examples before the engine uses it (engine.c), so even a file that passes these checks cannot
 * blind the scan.
 */
#ifndef AK_DETECT_DBCACHE_H
#define AK_DETECT_DBCACHE_H

#include <hs/hs.h>
#include <stddef.h>
#include <stdint.h>

/* FNV-1a over the literals, their flags and ids, and the Vectorscan version. */
uint64_t ak_dbcache_key(char *const *lits, const size_t *lens, const unsigned *flags,
                        const unsigned *ids, size_t n);
/* The cached database for key, or NULL. */
hs_database_t *ak_dbcache_load(uint64_t key);
/* Stores db under key (atomically, mode 0600); errors are ignored. */
void ak_dbcache_store(uint64_t key, const hs_database_t *db);

#endif
