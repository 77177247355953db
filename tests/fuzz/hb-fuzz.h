/* hb-fuzz.h: what every libFuzzer target shares.
 *
 * A target defines LLVMFuzzerTestOneInput() and calls hb_fuzz_init() from LLVMFuzzerInitialize().
 * A broken invariant calls hb_fuzz_fail(), which aborts so that libFuzzer saves the input. */
#pragma once

#include <glib.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

/* libFuzzer's entry points (declared here because -Wmissing-prototypes wants a prototype). */
int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

/* Criticals and warnings abort (bad input must never raise one); debug output is dropped so the
 * fuzzer's own output stays readable. */
void hb_fuzz_init (void);

/* A NUL-terminated copy of the input (an embedded NUL ends the string, as it would for callers
 * that got the text from a C API). */
char *hb_fuzz_strndup (const uint8_t *data, size_t size);

/* Split the input at the first NUL byte: @first gets what precedes it (NUL-terminated, owned by
 * the caller), the return value what follows it (may be empty, also NUL-terminated). */
char *hb_fuzz_split (const uint8_t *data, size_t size, char **first);

G_GNUC_NORETURN void hb_fuzz_fail (const char *format, ...) G_GNUC_PRINTF (1, 2);

#define hb_fuzz_check(cond, ...) \
  G_STMT_START { if (!(cond)) hb_fuzz_fail (__VA_ARGS__); } G_STMT_END

G_END_DECLS
