/* hb-sha256.h: SHA-256 (FIPS 180-4), with the x86 SHA extensions when the CPU has them.
 *
 * GChecksum spends ~47 instructions per byte on SHA-256, and every heartbeat hashes its whole
 * prompt; the SHA instructions do the same work several times faster. The digests are the same
 * as GChecksum's, byte for byte.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint32 state[8];
  guint64 n_bytes;   /* fed so far */
  guint8 buf[64];    /* the partial block: n_bytes % 64 bytes of it are in use */
} HbSha256;

#define HB_SHA256_DIGEST_LEN 32

void hb_sha256_init (HbSha256 *s);
void hb_sha256_update (HbSha256 *s, const void *data, gsize len);
/* Leaves @s unusable until the next hb_sha256_init(). */
void hb_sha256_finish (HbSha256 *s, guint8 digest[HB_SHA256_DIGEST_LEN]);
/* The same, as 64 lowercase hex digits (g_checksum_get_string()'s form). */
char *hb_sha256_finish_hex (HbSha256 *s);

/* @len -1: @data is a NUL-terminated string. Returns 64 lowercase hex digits, the same string as
 * g_compute_checksum_for_string (G_CHECKSUM_SHA256, data, len). */
char *hb_sha256_hex (const void *data, gssize len);

/* For tests only: whether the SHA-instruction path is in use, and a switch that forces the
 * portable C path (TRUE) or restores the choice made from the CPU (FALSE). Not thread-safe
 * against concurrent hashing: flip it only while nothing else hashes. */
gboolean hb_sha256_using_cpu_extensions (void);
void hb_sha256_force_portable_for_tests (gboolean force);

G_END_DECLS
