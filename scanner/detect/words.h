/*
 * Word-likeness: how much of a value is spelled from English words, so that documentation values
 * ("NotARealSecretForDocs", "Dem0Acc3ssKey", "IntegrationTestSuite") are not taken for keys. The
 * dictionary is Debian's wamerican word list, embedded at build time (build/gen/words.txt).
 */
#ifndef AK_DETECT_WORDS_H
#define AK_DETECT_WORDS_H

#include <stddef.h>

/* 1 when words cover at least `share` (0..1) of s: runs of 4+ letters that are dictionary words
 * written in one case style (lower, UPPER or Capitalized), and 2-3 letter words that are a whole
 * Capitalized camel-case segment ("Is", "My"). Leet digits count as letters (0=o, 1=i/l, 3=e,
 * 4=a, 5=s, 7=t, 8=b, 9=g). Values longer than 64 characters give 0. Thread-safe: the first call
 * sets up a small index once (pthread_once). */
int ak_spelled_from_words(const char *s, size_t n, double share);

#endif
