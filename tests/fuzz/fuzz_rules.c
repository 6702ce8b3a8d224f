/* libFuzzer target: the rule loader (YAML parsing, validation, regex and database compilation). */
#include "detect/detect.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ak_buf err = AK_BUF_INIT;
    ak_rules *rules = NULL;
    if (ak_rules_load_builtin(&rules, &err)) abort();
    if (ak_rules_add_text(rules, (const char *)data, size, "fuzz.yml", &err) == 0) {
        ak_engine *engine = NULL;
        if (ak_engine_new(&engine, rules, NULL, &err) == 0) ak_engine_free(engine);
    }
    ak_rules_free(rules);
    ak_buf_free(&err);
    return 0;
}
