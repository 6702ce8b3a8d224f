/*
 * The dictionary for words.c: Debian's wamerican list reduced at build time to lower-case words
 * of 2 to 14 letters, sorted (Makefile: $(BUILD)/gen/words.txt). `.incbin` keeps the list out of
 * the repository; AK_WORDS_FILE is set by the Makefile for this object.
 */
#ifndef AK_WORDS_FILE
#error "AK_WORDS_FILE must name the generated word list"
#endif
__asm__(".section .rodata\n"
        ".global ak_words_text\n"
        ".type ak_words_text, @object\n"
        "ak_words_text:\n"
        ".incbin \"" AK_WORDS_FILE "\"\n"
        ".byte 0\n"
        ".size ak_words_text, . - ak_words_text\n"
        ".previous\n");
