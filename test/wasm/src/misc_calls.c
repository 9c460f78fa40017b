/*
 * misc_calls.c -- success and error paths of the WASI functions outside the file
 * system: args_*, environ_*, clock_*, random_get, sched_yield, proc_raise.
 * Raw WASI calls (<wasi/api.h>), one "ok"/"FAIL" line per check (fs_util.h), then
 * "checks N fails M". Driven by clj-wasi.wasi-misc-test with args ["one" "two"] and
 * env {"A" "1" "BB" "22"}; argv[0] is the module name.
 */
#include "fs_util.h"

/* This wasi-libc no longer declares proc_raise; import it directly. */
int32_t raw_proc_raise(int32_t sig)
    __attribute__((__import_module__("wasi_snapshot_preview1"), __import_name__("proc_raise")));
#define SIGNAL_TERM 15

#define OOB ((uint8_t *)0xFFFFFFF0u)   /* outside any 1..4 GiB memory this test has */
#define OOB_SIZE ((__wasi_size_t *)0xFFFFFFF0u)

int main(void) {
    /* args */
    __wasi_size_t argc = 0, argv_size = 0;
    OK("args_sizes_get", __wasi_args_sizes_get(&argc, &argv_size));
    CHECK("argc is 3", argc == 3);
    CHECK("argv bytes", argv_size == strlen("misc_calls.wasm") + 1 + 4 + 4);
    uint8_t *argv_buf = malloc(argv_size);
    uint8_t **argv = malloc(argc * sizeof(uint8_t *));
    OK("args_get", __wasi_args_get(argv, argv_buf));
    CHECK("argv[1] is one", strcmp((char *)argv[1], "one") == 0);
    CHECK("argv[2] is two", strcmp((char *)argv[2], "two") == 0);
    EXPECT("args_sizes_get out of bounds", __wasi_args_sizes_get(OOB_SIZE, &argv_size), __WASI_ERRNO_FAULT);
    EXPECT("args_get out of bounds", __wasi_args_get(argv, OOB), __WASI_ERRNO_FAULT);

    /* environ */
    __wasi_size_t envc = 0, env_size = 0;
    OK("environ_sizes_get", __wasi_environ_sizes_get(&envc, &env_size));
    CHECK("envc is 2", envc == 2);
    CHECK("environ bytes", env_size == strlen("A=1") + 1 + strlen("BB=22") + 1);
    uint8_t *env_buf = malloc(env_size);
    uint8_t **env = malloc(envc * sizeof(uint8_t *));
    OK("environ_get", __wasi_environ_get(env, env_buf));
    CHECK("env[0] is A=1", strcmp((char *)env[0], "A=1") == 0);
    CHECK("env[1] is BB=22", strcmp((char *)env[1], "BB=22") == 0);
    EXPECT("environ_sizes_get out of bounds", __wasi_environ_sizes_get(&envc, OOB_SIZE), __WASI_ERRNO_FAULT);
    EXPECT("environ_get out of bounds", __wasi_environ_get((uint8_t **)OOB, env_buf), __WASI_ERRNO_FAULT);

    /* clocks */
    __wasi_timestamp_t res = 0, t1 = 0, t2 = 0;
    for (__wasi_clockid_t id = 0; id <= 3; id++) {
        char label[64];
        snprintf(label, sizeof label, "clock_res_get %u", (unsigned)id);
        OK(label, __wasi_clock_res_get(id, &res));
        snprintf(label, sizeof label, "clock %u resolution is positive", (unsigned)id);
        CHECK(label, res > 0 && res <= 1000000000ull);
        snprintf(label, sizeof label, "clock_time_get %u", (unsigned)id);
        OK(label, __wasi_clock_time_get(id, 1, &t1));
    }
    EXPECT("clock_res_get unknown clock", __wasi_clock_res_get(4, &res), __WASI_ERRNO_INVAL);
    EXPECT("clock_time_get unknown clock", __wasi_clock_time_get(99, 1, &t1), __WASI_ERRNO_INVAL);
    EXPECT("clock_time_get out of bounds", __wasi_clock_time_get(0, 1, (__wasi_timestamp_t *)OOB), __WASI_ERRNO_FAULT);
    OK("realtime", __wasi_clock_time_get(__WASI_CLOCKID_REALTIME, 1, &t1));
    CHECK("realtime is after 2020", t1 > 1577836800ull * 1000000000ull);
    OK("monotonic 1", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t1));
    OK("monotonic 2", __wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t2));
    CHECK("monotonic never decreases", t2 >= t1);

    /* random */
    uint8_t a[64] = {0}, b[64] = {0};
    OK("random_get", __wasi_random_get(a, sizeof a));
    OK("random_get again", __wasi_random_get(b, sizeof b));
    CHECK("two draws differ", memcmp(a, b, sizeof a) != 0);
    OK("random_get of 0 bytes", __wasi_random_get(a, 0));
    EXPECT("random_get out of bounds", __wasi_random_get(OOB, 64), __WASI_ERRNO_FAULT);

    /* sched, proc */
    OK("sched_yield", __wasi_sched_yield());
    EXPECT("proc_raise is refused as in wasmtime", raw_proc_raise(SIGNAL_TERM), __WASI_ERRNO_NOTSUP);
    return finish();
}
