/* test-sha256.c: SHA-256 against GChecksum and the FIPS 180-4 examples, on both block paths. */
#include "config.h"

#include <string.h>

#include "hb-sha256.h"

#define MAX_LEN 1100

/* Every test runs once with the portable path forced and once with the CPU's choice; on a CPU
 * without the SHA extensions the second run is skipped, because it would test the same code. */
static gboolean
use_path (gconstpointer data)
{
  gboolean portable = GPOINTER_TO_INT (data);

  hb_sha256_force_portable_for_tests (portable);
  if (!portable && !hb_sha256_using_cpu_extensions ())
    {
      g_test_skip ("no SHA extensions on this CPU: the portable path is tested on its own");
      return FALSE;
    }
  return TRUE;
}

/* Fixed pseudo-random bytes, the same on every run so that a failure can be repeated. */
static guint8 *
make_data (gsize len)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261204);
  guint8 *data = g_malloc (len);

  for (gsize i = 0; i < len; i++)
    data[i] = (guint8) g_rand_int (rand);
  return data;
}

static char *
hex_of (const guint8 digest[HB_SHA256_DIGEST_LEN])
{
  GString *s = g_string_sized_new (2 * HB_SHA256_DIGEST_LEN);

  for (int i = 0; i < HB_SHA256_DIGEST_LEN; i++)
    g_string_append_printf (s, "%02x", digest[i]);
  return g_string_free (s, FALSE);
}

static char *
glib_hex (const guint8 *data, gsize len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}

/* hb_sha256_update() in one piece. */
static void
test_lengths (gconstpointer path)
{
  g_autofree guint8 *data = make_data (MAX_LEN);

  if (!use_path (path))
    return;
  for (gsize len = 0; len <= MAX_LEN; len++)
    {
      HbSha256 s;
      guint8 digest[HB_SHA256_DIGEST_LEN];
      g_autofree char *want = glib_hex (data, len);
      g_autofree char *got = NULL;
      g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
      guint8 want_digest[HB_SHA256_DIGEST_LEN];
      gsize want_len = sizeof want_digest;

      hb_sha256_init (&s);
      hb_sha256_update (&s, data, len);
      hb_sha256_finish (&s, digest);
      got = hex_of (digest);
      g_assert_cmpstr (got, ==, want);

      /* The raw digest too, not only its hex form. */
      g_checksum_update (sum, data, len);
      g_checksum_get_digest (sum, want_digest, &want_len);
      g_assert_cmpmem (digest, sizeof digest, want_digest, want_len);
    }
}

/* The same data in random-sized pieces, so that the partial-block buffer gets filled from every
 * offset, and sometimes with nothing. */
static void
test_chunks (gconstpointer path)
{
  g_autofree guint8 *data = make_data (MAX_LEN);
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);

  if (!use_path (path))
    return;
  for (gsize len = 0; len <= MAX_LEN; len++)
    for (int round = 0; round < 3; round++)
      {
        HbSha256 s;
        guint8 digest[HB_SHA256_DIGEST_LEN];
        g_autofree char *want = glib_hex (data, len);
        g_autofree char *got = NULL;
        gsize off = 0;
        /* Small pieces, and pieces of a few blocks. */
        gint32 max_piece = round == 0 ? 9 : round == 1 ? 70 : 300;

        hb_sha256_init (&s);
        while (off < len)
          {
            gsize piece = (gsize) g_rand_int_range (rand, 0, max_piece);

            piece = MIN (piece, len - off);

            hb_sha256_update (&s, data + off, piece);
            off += piece;
          }
        hb_sha256_update (&s, NULL, 0);
        hb_sha256_finish (&s, digest);
        got = hex_of (digest);
        g_assert_cmpstr (got, ==, want);
      }
}

typedef struct {
  const char *message;
  const char *digest;
} Vector;

/* FIPS 180-4 examples (NIST's SHA256.pdf, SHA256ShortMsg): empty, one block, two blocks, and the
 * 896-bit message whose padding spills into a block of its own. */
static const Vector vectors[] = {
  { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
  { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
  { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
  { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
    "lmnopqrsmnopqrstnopqrstu",
    "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
};

#define MILLION_A_DIGEST "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

static void
test_vectors (gconstpointer path)
{
  g_autofree char *million = NULL;
  g_autofree char *got = NULL;
  HbSha256 s;
  guint8 digest[HB_SHA256_DIGEST_LEN];

  if (!use_path (path))
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autofree char *hex = hb_sha256_hex (vectors[i].message, -1);

      g_assert_cmpstr (hex, ==, vectors[i].digest);
    }

  /* One million 'a': in one piece, and in 1000 pieces of 1000. */
  million = g_malloc (1000000 + 1);
  memset (million, 'a', 1000000);
  million[1000000] = '\0';
  got = hb_sha256_hex (million, 1000000);
  g_assert_cmpstr (got, ==, MILLION_A_DIGEST);

  hb_sha256_init (&s);
  for (int i = 0; i < 1000; i++)
    hb_sha256_update (&s, million, 1000);
  hb_sha256_finish (&s, digest);
  g_clear_pointer (&got, g_free);
  got = hex_of (digest);
  g_assert_cmpstr (got, ==, MILLION_A_DIGEST);
}

/* The call sites' form: strings with -1 and with a length, compared with what they used before. */
static void
test_hex (gconstpointer path)
{
  static const char *const strings[] = {
    "",
    "v1;m=0;p=0;c=0;v=0;nc=0;nm=0;tc=0.000000;tm=0.000000;",
    "# Heartbeat\n\n- check the forum\n- \xc3\xa9t\xc3\xa9 \xe2\x9c\x93\n",
  };
  g_autofree guint8 *data = make_data (MAX_LEN);
  g_autofree char *text = NULL;

  if (!use_path (path))
    return;
  for (gsize i = 0; i < G_N_ELEMENTS (strings); i++)
    {
      g_autofree char *want = g_compute_checksum_for_string (G_CHECKSUM_SHA256, strings[i], -1);
      g_autofree char *got = hb_sha256_hex (strings[i], -1);
      g_autofree char *want_n = NULL;
      g_autofree char *got_n = NULL;
      gssize half = strlen (strings[i]) / 2;

      g_assert_cmpstr (got, ==, want);
      want_n = g_compute_checksum_for_string (G_CHECKSUM_SHA256, strings[i], half);
      got_n = hb_sha256_hex (strings[i], half);
      g_assert_cmpstr (got_n, ==, want_n);
    }

  /* Non-zero bytes as a NUL-terminated string of every length. */
  text = g_malloc (MAX_LEN + 1);
  for (gsize i = 0; i < MAX_LEN; i++)
    text[i] = (char) (data[i] % 255 + 1);
  for (gsize len = 0; len <= MAX_LEN; len++)
    {
      char saved = text[len];
      g_autofree char *want = NULL;
      g_autofree char *got = NULL;

      text[len] = '\0';
      want = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
      got = hb_sha256_hex (text, -1);
      text[len] = saved;
      g_assert_cmpstr (got, ==, want);
      g_assert_cmpuint (strlen (got), ==, 64);
    }
}

static void
add_both (const char *name, GTestDataFunc func)
{
  g_autofree char *portable = g_strdup_printf ("/sha256/portable/%s", name);
  g_autofree char *cpu = g_strdup_printf ("/sha256/cpu/%s", name);

  g_test_add_data_func (portable, GINT_TO_POINTER (TRUE), func);
  g_test_add_data_func (cpu, GINT_TO_POINTER (FALSE), func);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);

  add_both ("lengths", test_lengths);
  add_both ("chunks", test_chunks);
  add_both ("vectors", test_vectors);
  add_both ("hex", test_hex);

  return g_test_run ();
}
