/*
 * A progress line on a terminal for long scans: "akhound: 61,652 blobs (48%), 340.2 MiB,
 * 210.5 MiB/s, ETA 2 s". The sources count what they scan (ak_progress_add, from any thread:
 * two relaxed atomic additions, nothing else, when no line is shown); the command that runs the
 * scan starts and stops the line. The line appears only after a second (a short scan prints
 * nothing), is redrawn in place on stderr every half second and erased when the scan ends, so
 * the report and the summary that follow are undisturbed. Where the number of items is known in
 * advance (ak_progress_expect) it shows a percentage and an ETA.
 */
#ifndef AK_UTIL_PROGRESS_H
#define AK_UTIL_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

/* One more item (a file or blob) of `bytes` bytes was scanned. */
void ak_progress_add(uint64_t items, uint64_t bytes);
/* `items` more items are known to be coming: the total the percentage and ETA use. */
void ak_progress_expect(uint64_t items);

/* Starts drawing on `tty` (the caller has checked it is a terminal); `unit` names the items
 * ("files", "blobs"). AKHOUND_PROGRESS_DELAY_MS replaces the one-second delay (tests). */
void ak_progress_start(FILE *tty, const char *unit);
/* Erases the line until the next redraw, so a message can be printed on a line of its own
 * (util/log does it before every message). */
void ak_progress_erase(void);
/* Stops and erases the line; harmless when nothing was started. */
void ak_progress_stop(void);

#endif
