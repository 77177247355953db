/* hb-sha256.c: SHA-256 after FIPS 180-4, two ways to compress a block.
 *
 * The portable path is the specification's compression function in plain C. On x86 CPUs with the
 * SHA extensions a second one uses SHA256RNDS2 / SHA256MSG1 / SHA256MSG2; only that function is
 * compiled for those instructions (target attribute), so the build needs no -m flags and the
 * binary still runs on CPUs without them. The choice is made once, from CPUID.
 */
#include "config.h"

#include <string.h>

#include "hb-sha256.h"

#if defined(__x86_64__) || defined(__i386__)
#define HB_SHA256_X86 1
#include <cpuid.h>
#include <immintrin.h>
#endif

typedef void (*HbSha256Blocks) (guint32 state[8], const guint8 *data, gsize n_blocks);

/* First 32 bits of the fractional parts of the cube roots of the first 64 primes (4.2.2). */
static const guint32 hb_k[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

/* First 32 bits of the fractional parts of the square roots of the first 8 primes (5.3.3). */
static const guint32 hb_h0[8] = {
  0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
};

/* ---- portable ------------------------------------------------------------------------------- */

static inline guint32
hb_rotr (guint32 x, unsigned n)
{
  return (x >> n) | (x << (32 - n));
}

static inline guint32
hb_load_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* The functions of 4.1.2; Ch and Maj in equivalent forms with fewer operations. */
#define HB_CH(x, y, z) ((((y) ^ (z)) & (x)) ^ (z))
#define HB_MAJ(x, y, z) (((x) & (y)) | (((x) | (y)) & (z)))
#define HB_BSIG0(x) (hb_rotr ((x), 2) ^ hb_rotr ((x), 13) ^ hb_rotr ((x), 22))
#define HB_BSIG1(x) (hb_rotr ((x), 6) ^ hb_rotr ((x), 11) ^ hb_rotr ((x), 25))
#define HB_SSIG0(x) (hb_rotr ((x), 7) ^ hb_rotr ((x), 18) ^ ((x) >> 3))
#define HB_SSIG1(x) (hb_rotr ((x), 17) ^ hb_rotr ((x), 19) ^ ((x) >> 10))

/* One round of 6.2.2 step 3. Instead of shifting a..h down by one each round, the caller renames
 * them: after a round the old h holds the new a and d the new e, so eight calls with the names
 * rotated bring them back to where they started. */
#define HB_ROUND(a, b, c, d, e, f, g, h, t)                                                    \
  G_STMT_START                                                                                 \
    {                                                                                          \
      guint32 t1 = (h) + HB_BSIG1 (e) + HB_CH ((e), (f), (g)) + hb_k[t] + w[t];                \
                                                                                               \
      (d) += t1;                                                                               \
      (h) = t1 + HB_BSIG0 (a) + HB_MAJ ((a), (b), (c));                                        \
    }                                                                                          \
  G_STMT_END

/* 6.2.2, one block after the other. */
static void
hb_sha256_blocks_portable (guint32 state[8], const guint8 *data, gsize n_blocks)
{
  for (; n_blocks > 0; n_blocks--, data += 64)
    {
      guint32 w[64];
      guint32 a = state[0], b = state[1], c = state[2], d = state[3];
      guint32 e = state[4], f = state[5], g = state[6], h = state[7];

      for (int t = 0; t < 16; t++)
        w[t] = hb_load_be32 (data + 4 * t);
      for (int t = 16; t < 64; t++)
        w[t] = HB_SSIG1 (w[t - 2]) + w[t - 7] + HB_SSIG0 (w[t - 15]) + w[t - 16];

      for (int t = 0; t < 64; t += 8)
        {
          HB_ROUND (a, b, c, d, e, f, g, h, t);
          HB_ROUND (h, a, b, c, d, e, f, g, t + 1);
          HB_ROUND (g, h, a, b, c, d, e, f, t + 2);
          HB_ROUND (f, g, h, a, b, c, d, e, t + 3);
          HB_ROUND (e, f, g, h, a, b, c, d, t + 4);
          HB_ROUND (d, e, f, g, h, a, b, c, t + 5);
          HB_ROUND (c, d, e, f, g, h, a, b, t + 6);
          HB_ROUND (b, c, d, e, f, g, h, a, t + 7);
        }

      state[0] += a;
      state[1] += b;
      state[2] += c;
      state[3] += d;
      state[4] += e;
      state[5] += f;
      state[6] += g;
      state[7] += h;
    }
}

/* ---- SHA extensions ------------------------------------------------------------------------- */

#ifdef HB_SHA256_X86

/* The instructions keep the working variables as two vectors, ABEF and CDGH (A in the highest
 * lane), and each SHA256RNDS2 does two rounds from the low two lanes of its W+K operand, returning
 * the new ABEF; the old ABEF is then the new CDGH. SHA256MSG1 and SHA256MSG2 compute four words
 * of the message schedule: MSG1 the W[t-16] + sigma0(W[t-15]) part, MSG2 the sigma1 part once
 * W[t-7] has been added. */
__attribute__((target ("sha,sse4.1,ssse3")))
static void
hb_sha256_blocks_shani (guint32 state[8], const guint8 *data, gsize n_blocks)
{
  /* Big-endian words: reverse the bytes within each 32-bit lane. */
  const __m128i bswap = _mm_set_epi64x (0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  __m128i abef, cdgh, tmp;

  /* state[] is a..h in lanes 0..7: DCBA -> BADC, HGFE -> EFGH, then pick ABEF and CDGH. */
  tmp = _mm_shuffle_epi32 (_mm_loadu_si128 ((const __m128i *) &state[0]), 0xb1);
  cdgh = _mm_shuffle_epi32 (_mm_loadu_si128 ((const __m128i *) &state[4]), 0x1b);
  abef = _mm_alignr_epi8 (tmp, cdgh, 8);
  cdgh = _mm_blend_epi16 (cdgh, tmp, 0xf0);

  for (; n_blocks > 0; n_blocks--, data += 64)
    {
      const __m128i abef_in = abef, cdgh_in = cdgh;
      /* m[i % 4] holds W[4i..4i+3]. */
      __m128i m[4];

      for (int i = 0; i < 4; i++)
        m[i] = _mm_shuffle_epi8 (_mm_loadu_si128 ((const __m128i *) (data + 16 * i)), bswap);

#pragma GCC unroll 16
      for (int i = 0; i < 16; i++)
        {
          __m128i wk;

          if (i >= 4)
            {
              /* m[i%4] is W[t-16..t-13], m[(i+1)%4] W[t-12..t-9], m[(i+2)%4] W[t-8..t-5],
               * m[(i+3)%4] W[t-4..t-1]; W[t-7..t-4] straddles the last two. */
              __m128i x = _mm_sha256msg1_epu32 (m[i % 4], m[(i + 1) % 4]);

              x = _mm_add_epi32 (x, _mm_alignr_epi8 (m[(i + 3) % 4], m[(i + 2) % 4], 4));
              m[i % 4] = _mm_sha256msg2_epu32 (x, m[(i + 3) % 4]);
            }
          wk = _mm_add_epi32 (m[i % 4], _mm_loadu_si128 ((const __m128i *) &hb_k[4 * i]));
          cdgh = _mm_sha256rnds2_epu32 (cdgh, abef, wk);
          abef = _mm_sha256rnds2_epu32 (abef, cdgh, _mm_shuffle_epi32 (wk, 0x0e));
        }

      abef = _mm_add_epi32 (abef, abef_in);
      cdgh = _mm_add_epi32 (cdgh, cdgh_in);
    }

  /* Back to a..h: ABEF -> FEBA, CDGH -> DCHG, then DCBA and HGFE. */
  tmp = _mm_shuffle_epi32 (abef, 0x1b);
  cdgh = _mm_shuffle_epi32 (cdgh, 0xb1);
  _mm_storeu_si128 ((__m128i *) &state[0], _mm_blend_epi16 (tmp, cdgh, 0xf0));
  _mm_storeu_si128 ((__m128i *) &state[4], _mm_alignr_epi8 (cdgh, tmp, 8));
}

/* CPUID rather than __builtin_cpu_supports ("sha"): clang 14 does not know that feature name. */
static gboolean
hb_cpu_has_sha (void)
{
  unsigned eax, ebx, ecx, edx;
  gboolean ssse3_sse41;

  if (!__get_cpuid (1, &eax, &ebx, &ecx, &edx))
    return FALSE;
  ssse3_sse41 = (ecx & bit_SSSE3) != 0 && (ecx & bit_SSE4_1) != 0;
  if (!__get_cpuid_count (7, 0, &eax, &ebx, &ecx, &edx))
    return FALSE;
  return ssse3_sse41 && (ebx & bit_SHA) != 0;
}

#else

static gboolean
hb_cpu_has_sha (void)
{
  return FALSE;
}

#endif

/* ---- choice --------------------------------------------------------------------------------- */

/* Set only by hb_sha256_force_portable_for_tests(). */
static int hb_force_portable;

/* CPUID is asked once; the answer is kept as 1 (no) or 2 (yes), since g_once_init_leave() wants a
 * non-zero value. */
static gboolean
hb_have_shani (void)
{
  static gsize have = 0;

  if (g_once_init_enter (&have))
    g_once_init_leave (&have, hb_cpu_has_sha () ? 2 : 1);
  return have == 2;
}

gboolean
hb_sha256_using_cpu_extensions (void)
{
  return hb_have_shani () && !g_atomic_int_get (&hb_force_portable);
}

static void
hb_sha256_blocks (guint32 state[8], const guint8 *data, gsize n_blocks)
{
#ifdef HB_SHA256_X86
  if (hb_sha256_using_cpu_extensions ())
    {
      hb_sha256_blocks_shani (state, data, n_blocks);
      return;
    }
#endif
  hb_sha256_blocks_portable (state, data, n_blocks);
}

void
hb_sha256_force_portable_for_tests (gboolean force)
{
  g_atomic_int_set (&hb_force_portable, force ? 1 : 0);
}

/* ---- the hash ------------------------------------------------------------------------------- */

void
hb_sha256_init (HbSha256 *s)
{
  memcpy (s->state, hb_h0, sizeof s->state);
  s->n_bytes = 0;
}

void
hb_sha256_update (HbSha256 *s, const void *data, gsize len)
{
  const guint8 *p = data;
  gsize used = s->n_bytes % 64;

  /* memcpy() wants a valid pointer even for no bytes, and callers may pass NULL, 0. */
  if (len == 0)
    return;
  s->n_bytes += len;
  if (used > 0)
    {
      gsize take = MIN (len, 64 - used);

      memcpy (s->buf + used, p, take);
      p += take;
      len -= take;
      if (used + take < 64)
        return;
      hb_sha256_blocks (s->state, s->buf, 1);
    }
  /* Whole blocks straight from the caller's memory, in one call so that the SHA path keeps its
   * state in registers between them. */
  if (len >= 64)
    {
      hb_sha256_blocks (s->state, p, len / 64);
      p += len - len % 64;
      len %= 64;
    }
  if (len > 0)
    memcpy (s->buf, p, len);
}

/* 5.1.1: a 1 bit, zeros up to 56 bytes modulo 64, the message length in bits, big-endian. */
void
hb_sha256_finish (HbSha256 *s, guint8 digest[HB_SHA256_DIGEST_LEN])
{
  guint64 bits = s->n_bytes * 8;
  gsize used = s->n_bytes % 64;

  s->buf[used++] = 0x80;
  if (used > 56)
    {
      memset (s->buf + used, 0, 64 - used);
      hb_sha256_blocks (s->state, s->buf, 1);
      used = 0;
    }
  memset (s->buf + used, 0, 56 - used);
  for (int i = 0; i < 8; i++)
    s->buf[56 + i] = (guint8) (bits >> (56 - 8 * i));
  hb_sha256_blocks (s->state, s->buf, 1);

  for (int i = 0; i < 8; i++)
    {
      digest[4 * i] = (guint8) (s->state[i] >> 24);
      digest[4 * i + 1] = (guint8) (s->state[i] >> 16);
      digest[4 * i + 2] = (guint8) (s->state[i] >> 8);
      digest[4 * i + 3] = (guint8) s->state[i];
    }
}

char *
hb_sha256_finish_hex (HbSha256 *s)
{
  static const char hex[] = "0123456789abcdef";
  guint8 digest[HB_SHA256_DIGEST_LEN];
  char *out = g_malloc (2 * HB_SHA256_DIGEST_LEN + 1);

  hb_sha256_finish (s, digest);
  for (int i = 0; i < HB_SHA256_DIGEST_LEN; i++)
    {
      out[2 * i] = hex[digest[i] >> 4];
      out[2 * i + 1] = hex[digest[i] & 0xf];
    }
  out[2 * HB_SHA256_DIGEST_LEN] = '\0';
  return out;
}

char *
hb_sha256_hex (const void *data, gssize len)
{
  HbSha256 s;

  /* As GChecksum: a NULL string has no checksum. */
  g_return_val_if_fail (data != NULL || len == 0, NULL);

  if (len < 0)
    len = strlen (data);
  hb_sha256_init (&s);
  hb_sha256_update (&s, data, len);
  return hb_sha256_finish_hex (&s);
}
