/*
 * The walk's seen-sets (ak_oidset): a flat table where an all-zero id marks an empty slot, so the
 * null id (which a damaged tree can name) must still be a member like any other, and growth,
 * reservation and updates must keep every id and its value.
 */
#include "testutil.h"

#include "sources/git_int.h"

/* Ids spread like real ones in their first bytes (the set's hash), some sharing them (so probes
 * run on past taken slots), with the number itself further on. */
static git_oid id_of(uint32_t i)
{
    git_oid id;
    uint32_t h = (i / 2) * 2654435761u;
    memset(&id, 0, sizeof id);
    memcpy(id.id, &h, sizeof h);
    memcpy(id.id + 8, &i, sizeof i);
    return id;
}

static void test_many_ids(void **state)
{
    (void)state;
    ak_oidset s = {0};
    for (uint32_t i = 1; i <= 50000; i++) {
        git_oid id = id_of(i);
        assert_int_equal(ak_oidset_add(&s, &id, i), 1);
        assert_int_equal(ak_oidset_add(&s, &id, 0), 0); /* present: value kept */
    }
    assert_int_equal(s.len, 50000);
    for (uint32_t i = 1; i <= 50000; i++) {
        git_oid id = id_of(i);
        uint32_t v = 0;
        assert_int_equal(ak_oidset_get(&s, &id, &v), 1);
        assert_int_equal(v, i);
    }
    git_oid absent = id_of(50001);
    assert_int_equal(ak_oidset_get(&s, &absent, NULL), 0);
    ak_oidset_free(&s);
}

static void test_null_id(void **state)
{
    (void)state;
    ak_oidset s = {0};
    git_oid zero, one = id_of(1);
    memset(&zero, 0, sizeof zero);
    uint32_t v = 0;
    assert_int_equal(ak_oidset_get(&s, &zero, &v), 0);
    ak_oidset_reserve(&s, 10);
    assert_int_equal(ak_oidset_get(&s, &zero, &v), 0);
    assert_int_equal(ak_oidset_add(&s, &one, 1), 1);
    assert_int_equal(ak_oidset_get(&s, &zero, &v), 0);
    assert_int_equal(ak_oidset_add(&s, &zero, 7), 1);
    assert_int_equal(ak_oidset_add(&s, &zero, 8), 0);
    assert_int_equal(ak_oidset_get(&s, &zero, &v), 1);
    assert_int_equal(v, 7);
    ak_oidset_set(&s, &zero, 9);
    ak_oidset_set(&s, &one, 3);
    assert_int_equal(ak_oidset_get(&s, &zero, &v), 1);
    assert_int_equal(v, 9);
    assert_int_equal(ak_oidset_get(&s, &one, &v), 1);
    assert_int_equal(v, 3);
    ak_oidset_free(&s);
}

static void test_reserve_keeps_ids(void **state)
{
    (void)state;
    ak_oidset s = {0};
    for (uint32_t i = 1; i <= 100; i++) {
        git_oid id = id_of(i);
        ak_oidset_add(&s, &id, i);
    }
    size_t cap = s.cap;
    ak_oidset_reserve(&s, 100000);
    assert_true(s.cap >= 200000 && s.cap > cap);
    cap = s.cap;
    for (uint32_t i = 101; i <= 100000; i++) {
        git_oid id = id_of(i);
        ak_oidset_add(&s, &id, i);
    }
    assert_int_equal(s.cap, cap); /* sized up front: no growth */
    for (uint32_t i = 1; i <= 100000; i += 999) {
        git_oid id = id_of(i);
        uint32_t v;
        assert_int_equal(ak_oidset_get(&s, &id, &v), 1);
        assert_int_equal(v, i);
    }
    ak_oidset_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many_ids),
        cmocka_unit_test(test_null_id),
        cmocka_unit_test(test_reserve_keeps_ids),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
