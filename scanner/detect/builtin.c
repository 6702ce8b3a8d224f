/*
 * The built-in rules, patterns/alibaba.yml, compiled into the binary: akhound then works from
 * any directory and a pre-commit run reads no rule file from disk. `.incbin` keeps the YAML file
 * the single source (no generated C array to keep in sync); the Makefile makes this object depend
 * on the YAML file.
 */
__asm__(".section .rodata\n"
        ".global ak_builtin_rules\n"
        ".type ak_builtin_rules, @object\n"
        "ak_builtin_rules:\n"
        ".incbin \"patterns/alibaba.yml\"\n"
        ".byte 0\n"
        ".size ak_builtin_rules, . - ak_builtin_rules\n"
        ".previous\n");
