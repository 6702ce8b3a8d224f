/* libFuzzer target: the detection engine over arbitrary bytes (all decoders reachable). */
#include "detect/detect.h"

#include <stdint.h>
#include <stdlib.h>

static ak_rules *rules;
static ak_engine *engine;
static ak_scratch *scratch;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ak_buf err = AK_BUF_INIT;
    if (!engine) {
        if (ak_rules_load_builtin(&rules, &err) || ak_engine_new(&engine, rules, NULL, &err) ||
            ak_scratch_new(&scratch, engine, &err))
            abort();
    }
    ak_findings out = {0};
    ak_chunk c = {data, size, "fuzz", NULL, 1, NULL};
    if (ak_engine_scan(engine, scratch, &c, &out, &err)) abort();
    ak_findings_free(&out);
    ak_buf_free(&err);
    return 0;
}
