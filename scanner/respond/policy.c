/*
 * The Deny policy attached to the user of a key that is still in use. The document is embedded
 * byte for byte from scanner/respond/deny-policy.json (a copy of the reference procedure's file)
 * with `.incbin`, so what the responder attaches is exactly what the procedure reviews; a unit
 * test compares the two. The Makefile must make policy.o depend on the JSON file.
 */
#include "respond/respond.h"

__asm__(".section .rodata\n"
        ".global ak_deny_policy_bytes\n"
        ".type ak_deny_policy_bytes, @object\n"
        "ak_deny_policy_bytes:\n"
        ".incbin \"scanner/respond/deny-policy.json\"\n"
        "ak_deny_policy_end:\n"
        ".byte 0\n"
        ".balign 8\n"
        ".global ak_deny_policy_size\n"
        "ak_deny_policy_size:\n"
        ".quad ak_deny_policy_end - ak_deny_policy_bytes\n"
        ".previous\n");

extern const char ak_deny_policy_bytes[];
extern const unsigned long long ak_deny_policy_size;

const char *ak_respond_deny_policy(size_t *len)
{
    if (len) *len = (size_t)ak_deny_policy_size;
    return ak_deny_policy_bytes;
}
