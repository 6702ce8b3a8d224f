/*
 * A reader of git's index file (.git/index, or $GIT_INDEX_FILE) for `scan --staged`: the entries
 * (path, mode, object id, flags) and the cache-tree ("TREE" extension), the tree id git recorded
 * for every directory whose entries have not changed since it was last written as a tree.
 *
 * Why a hand-written reader: libgit2 1.5 reads the index into a hash map with an allocation per
 * entry (about 9 ms for 20,000 entries, more than twice what `git diff --cached` takes in all) and
 * does not expose the cache-tree, which is what lets git compare the index with HEAD by looking
 * only at the directories a change touched. The format is small and documented (git's
 * Documentation/gitformat-index.txt): a header, sorted entries, extensions, a trailing checksum.
 * The file is mapped, never copied: paths point into the map (version 4, whose paths are
 * prefix-compressed, rebuilds them in one arena).
 *
 * Strict by design: every read is bounds-checked, and anything this reader does not handle
 * exactly as libgit2 would fails with a reason, so the caller falls back to libgit2 (which gives
 * the canonical error, if any): a version other than 2, 3 or 4; unmerged entries (stage > 0);
 * intent-to-add entries (`git add -N`: how they enter the tree is libgit2's business); unknown
 * entry flags or modes; sparse-index directory entries and the "sdir" extension; a split index
 * ("link"); any other required extension (a lowercase first letter; uppercase ones are optional
 * and skipped, as git skips them); entries out of order or duplicated; path components that
 * libgit2 refuses to write into a tree (".", "..", ".git" and its NTFS aliases); a cache-tree
 * that does not parse. Skip-worktree entries are read like any other: git commits their staged
 * ids. Only SHA-1 indexes are read: libgit2 1.5 refuses to open SHA-256 repositories at all.
 *
 * The trailing SHA-1 of the file is not verified. git writes the index through a lock file and a
 * rename, so a torn index is never seen; what a damaged disk could change and the checks above do
 * not catch is an object id, which then names a missing object (reported by the blob read) or, in
 * the cache-tree, makes a directory look changed (it is then compared entry by entry). Hashing a
 * 2 MB index costs about 1 ms, a sixth of the whole pre-commit check. (git >= 2.40 may write no
 * checksum at all: index.skipHash.)
 *
 * Not thread-safe; an ak_gindex is read-only once opened and owned by its caller.
 */
#ifndef AK_SOURCES_GIT_INDEX_H
#define AK_SOURCES_GIT_INDEX_H

#include "util/buf.h"

#include <stddef.h>
#include <stdint.h>

#define AK_GINDEX_IDLEN 20

/* Extended entry flags (index version 3 and later). */
#define AK_GINDEX_SKIP_WORKTREE 0x4000
#define AK_GINDEX_INTENT_TO_ADD 0x2000

typedef struct ak_gindex_entry {
    const char *path;  /* NUL-terminated, relative to the work tree, '/'-separated */
    uint32_t len;      /* strlen(path) */
    uint32_t mode;     /* 0100644, 0100755, 0120000 or 0160000 */
    const uint8_t *id; /* AK_GINDEX_IDLEN bytes */
    uint16_t flags;    /* the on-disk flags (stage is always 0 here) */
    uint16_t xflags;   /* extended flags: AK_GINDEX_SKIP_WORKTREE */
} ak_gindex_entry;

/* A cache-tree node. Nodes are stored in the file's pre-order: a node's children follow it, each
 * followed by its own descendants; `next` is the index of the node after this node's subtree. */
typedef struct ak_gindex_tree {
    const char *name; /* the directory's name (not NUL-terminated); "" for the root */
    uint32_t name_len;
    int32_t entries; /* index entries under this directory; -1: invalidated since written */
    uint32_t n_sub;  /* children */
    uint32_t next;
    const uint8_t *id; /* the directory's tree id; NULL when invalidated */
} ak_gindex_tree;

typedef struct ak_gindex {
    unsigned version;
    ak_gindex_entry *entries; /* sorted by path */
    size_t n_entries;
    ak_gindex_tree *trees; /* trees[0] is the root; n_trees == 0: no cache-tree */
    size_t n_trees, cap_trees;
    void *map; /* the mapped file */
    size_t map_len;
    char *arena; /* version 4: the rebuilt paths, end to end */
    size_t arena_cap;
} ak_gindex;

/* Maps and reads the index at `path`. 0 on success; -1 with a reason in `why` when the file
 * cannot be read or holds anything this reader does not handle (the caller falls back to
 * libgit2). Free with ak_gindex_free in either case. */
int ak_gindex_open(ak_gindex *ix, const char *path, ak_buf *why);
void ak_gindex_free(ak_gindex *ix);

/* The children of one cache-tree node, sorted by name for lookups (the file orders them by
 * length first). */
typedef struct ak_gindex_kid {
    const char *name;
    uint32_t len;
    uint32_t node;
} ak_gindex_kid;

typedef struct ak_gindex_kids {
    ak_gindex_kid *items;
    size_t n;
} ak_gindex_kids;

/* Collects the children of node `node` (none when node is -1). Free with ak_gindex_kids_free. */
void ak_gindex_kids_of(const ak_gindex *ix, long node, ak_gindex_kids *k);
void ak_gindex_kids_free(ak_gindex_kids *k);
/* The child named name[0..len), or -1. */
long ak_gindex_kid_find(const ak_gindex_kids *k, const char *name, size_t len);

#endif
