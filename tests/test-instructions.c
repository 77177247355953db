/* test-instructions.c: HEARTBEAT.md parsing, snapshots, the watched cache and atomic replace. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "hb-error.h"
#include "hb-instructions.h"

#define SHA256_EMPTY "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define WAIT_SECONDS 10

/* ---- helpers ---- */

static char *
make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("hb-instr-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);

  if (dir != NULL)
    {
      const char *name;

      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          rm_rf (child);
        }
      g_dir_close (dir);
    }
  g_remove (path);
}

static void
write_file (const char *path, const char *data, gssize len)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, len, &error);
  g_assert_no_error (error);
}

/* Sections and items as one line: "C[ ]open|C[x]done|R-plain|P-text". */
static char *
render_parsed (const HbInstructionsParsed *p)
{
  const GPtrArray *sections[] = { p->checklist, p->rules, p->proactive };
  const char letters[] = "CRP";
  GString *out = g_string_new (NULL);

  for (gsize s = 0; s < G_N_ELEMENTS (sections); s++)
    for (guint i = 0; i < sections[s]->len; i++)
      {
        const HbInstructionItem *item = g_ptr_array_index (sections[s], i);

        g_assert_cmpint (item->section, ==, (int) s);
        if (out->len > 0)
          g_string_append_c (out, '|');
        g_string_append_printf (out, "%c%s%s", letters[s],
                                !item->is_checkbox ? "-" : item->checked ? "[x]" : "[ ]",
                                item->text);
      }
  return g_string_free (out, FALSE);
}

typedef struct {
  gboolean (*cond) (gpointer);
  gpointer data;
  gboolean timed_out;
} Wait;

static gboolean
wait_timeout_cb (gpointer user_data)
{
  ((Wait *) user_data)->timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Run the main loop until @cond holds; FALSE if the deadline passed first. */
static gboolean
wait_until (gboolean (*cond) (gpointer), gpointer data)
{
  Wait w = { cond, data, FALSE };
  guint id = g_timeout_add_seconds (WAIT_SECONDS, wait_timeout_cb, &w);

  while (!cond (data) && !w.timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!w.timed_out)
    g_source_remove (id);
  return cond (data);
}

/* ---- parsing ---- */

static void
test_parse_table (void)
{
  static const struct {
    const char *name;
    const char *text;
    const char *items;
    gboolean empty;
  } cases[] = {
    { "crt-example", "## Rules\nIf 3+ new posts \xe2\x86\x92 summarize\nIf contradiction exists \xe2\x86\x92 alert\n",
      "R-If 3+ new posts \xe2\x86\x92 summarize|R-If contradiction exists \xe2\x86\x92 alert", FALSE },
    { "bullets", "## Checklist\n- dash\n* star\n+ plus\n1. one\n2) two\n10. ten\n\t-  indented\n",
      "C-dash|C-star|C-plus|C-one|C-two|C-ten|C-indented", FALSE },
    { "checkboxes", "## Checklist\n- [ ] open\n- [x] done\n- [X] Done too\n* [ ] star box\n1. [x] numbered\n",
      "C[ ]open|C[x]done|C[x]Done too|C[ ]star box|C[x]numbered", FALSE },
    { "not-a-checkbox", "## Checklist\n- [x]done\n- [y] other\n",
      "C-[x]done|C-[y] other", FALSE },
    { "section-names", "## Daily Checklist\n- a\n## Rules of engagement\n- b\n## Proactive Behaviors\n- c\n"
      "## BEHAVIOR\n- d\n## Behaviour\n- e\n## RULE\n- f\n",
      "C-a|R-b|R-f|P-c|P-d|P-e", FALSE },
    { "other-headings", "## Notes\n- ignored\n## Rules\n- kept\n# Title\n- after h1\n",
      "R-kept", FALSE },
    { "sub-heading-keeps-section", "## Rules\n### Posting\n- short posts\n", "R-short posts", FALSE },
    { "comments", "## Rules\n<!-- hidden -->\n- a <!-- inline --> b\n<!--\n- hidden too\n-->\n- c\n"
      "- d <!-- open\nstill hidden --> e\n",
      "R-a  b|R-c|R-d|R-e", FALSE },
    { "crlf", "## Checklist\r\n- [x] done\r\n- item\r\n\r\n## Rules\r\nplain\r\n",
      "C[x]done|C-item|R-plain", FALSE },
    { "empty-checkboxes", "## Checklist\n- [ ]\n- [ ]   \n- \n", "", TRUE },
    { "headings-and-comments", "# HEARTBEAT\n\n## Checklist\n<!-- add items -->\n\n## Rules\n", "", TRUE },
    { "text-outside-sections", "Just be nice.\n", "", FALSE },
    { "thematic-break", "## Rules\n---\n- a\n* * *\n", "R-a", FALSE },
    { "not-numbered", "## Rules\n1.5 liters of water\n-no space\n##Rules\n",
      "R-1.5 liters of water|R--no space|R-##Rules", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(HbInstructionsParsed) p = hb_instructions_parse (cases[i].text);
      g_autofree char *items = render_parsed (p);

      g_test_message ("case %s", cases[i].name);
      g_assert_cmpstr (items, ==, cases[i].items);
      g_assert_cmpint (p->effectively_empty, ==, cases[i].empty);
    }
}

static void
test_emptiness_table (void)
{
  static const struct {
    const char *text;
    gboolean empty;
  } cases[] = {
    { "", TRUE },
    { "\n\n  \n", TRUE },
    { "# H\n## Checklist\n### Sub\n", TRUE },
    { "<!-- x -->", TRUE },
    { "<!--\nmulti\nline\n-->\n", TRUE },
    { "## Checklist\n- [ ]\n* [ ]\n", TRUE },
    { "- [x]\n", TRUE },
    { "---\n", TRUE },
    { "## Rules\r\n\r\n", TRUE },
    { "- \n1. \n", TRUE },
    { "## Checklist\n- [ ] x", FALSE },
    { "hello", FALSE },
    { "<!-- a --> b", FALSE },
    { "<!-- unclosed\n- hidden\n", TRUE },
    { "## Notes\nsome text\n", FALSE },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_test_message ("case %" G_GSIZE_FORMAT, i);
      g_assert_cmpint (hb_instructions_text_is_effectively_empty (cases[i].text), ==,
                       cases[i].empty);
    }
  g_assert_true (hb_instructions_text_is_effectively_empty (NULL));
}

/* ---- snapshots ---- */

static void
test_snapshot_truncated (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "HEARTBEAT.md", NULL);
  g_autoptr(GString) data = g_string_new (NULL);
  g_autoptr(HbInstructionsSnapshot) s = NULL;
  g_autoptr(HbInstructionsSnapshot) exact = NULL;
  g_autoptr(HbInstructionsSnapshot) four = NULL;

  /* "é" takes bytes 65535 and 65536: the cut must fall before it. */
  for (gsize i = 0; i < HB_INSTRUCTIONS_MAX_BYTES - 1; i++)
    g_string_append_c (data, 'a');
  g_string_append (data, "\xc3\xa9 tail");
  write_file (path, data->str, (gssize) data->len);

  s = hb_instructions_snapshot_load (path);
  g_assert_true (s->exists);
  g_assert_true (s->truncated);
  g_assert_cmpstr (s->problem, ==, "truncated to 65536 bytes");
  g_assert_cmpuint (strlen (s->content), ==, HB_INSTRUCTIONS_MAX_BYTES - 1);
  g_assert_true (g_utf8_validate (s->content, -1, NULL));

  /* Exactly the cap is not truncated. */
  exact = hb_instructions_snapshot_new_from_data (path, data->str, HB_INSTRUCTIONS_MAX_BYTES + 1,
                                                   0);
  g_assert_true (exact->truncated);
  g_string_truncate (data, HB_INSTRUCTIONS_MAX_BYTES - 1);
  g_string_append_c (data, 'b');
  g_clear_pointer (&exact, hb_instructions_snapshot_unref);
  exact = hb_instructions_snapshot_new_from_data (path, data->str, data->len, 0);
  g_assert_false (exact->truncated);
  g_assert_null (exact->problem);
  g_assert_cmpuint (strlen (exact->content), ==, HB_INSTRUCTIONS_MAX_BYTES);

  /* A four-byte character straddling the cap. */
  g_string_truncate (data, HB_INSTRUCTIONS_MAX_BYTES - 2);
  g_string_append (data, "\xf0\x9f\x98\x80");
  four = hb_instructions_snapshot_new_from_data (path, data->str, data->len, 0);
  g_assert_true (four->truncated);
  g_assert_cmpuint (strlen (four->content), ==, HB_INSTRUCTIONS_MAX_BYTES - 2);
  g_assert_true (g_utf8_validate (four->content, -1, NULL));

  /* Both problems at once; the replacement characters (3 bytes for 1) must not break the cap. */
  {
    g_autofree char *junk = g_strnfill (HB_INSTRUCTIONS_MAX_BYTES + 1, '\xff');
    g_autoptr(HbInstructionsSnapshot) both =
      hb_instructions_snapshot_new_from_data (path, junk, HB_INSTRUCTIONS_MAX_BYTES + 1, 0);
    g_autoptr(HbInstructionsSnapshot) none = hb_instructions_snapshot_new_from_data (path, NULL, 0, 0);

    g_assert_cmpstr (both->problem, ==, "truncated to 65536 bytes; invalid UTF-8 replaced");
    g_assert_cmpuint (strlen (both->content), <=, HB_INSTRUCTIONS_MAX_BYTES);
    g_assert_cmpuint (strlen (both->content), >, HB_INSTRUCTIONS_MAX_BYTES - 4);
    g_assert_true (g_utf8_validate (both->content, -1, NULL));
    g_assert_cmpstr (none->content, ==, "");
    g_assert_true (none->exists);
    g_assert_true (none->parsed->effectively_empty);
  }

  rm_rf (dir);
}

static void
test_snapshot_invalid_utf8 (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "HEARTBEAT.md", NULL);
  static const char bad[] = "## Rules\n- be \xff nice\n- nul \0 byte\n";
  g_autoptr(HbInstructionsSnapshot) s = NULL;
  g_autofree char *items = NULL;
  g_autofree char *sha = NULL;

  write_file (path, bad, sizeof bad - 1);
  s = hb_instructions_snapshot_load (path);
  g_assert_true (s->exists);
  g_assert_false (s->truncated);
  g_assert_cmpstr (s->problem, ==, "invalid UTF-8 replaced");
  g_assert_true (g_utf8_validate (s->content, -1, NULL));
  g_assert_null (strchr (s->content, '\xff'));
  items = render_parsed (s->parsed);
  g_assert_cmpstr (items, ==, "R-be \xef\xbf\xbd nice|R-nul \xef\xbf\xbd byte");
  sha = g_compute_checksum_for_string (G_CHECKSUM_SHA256, s->content, -1);
  g_assert_cmpstr (s->sha256, ==, sha);
  rm_rf (dir);
}

static void
test_snapshot_missing (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "HEARTBEAT.md", NULL);
  g_autoptr(HbInstructionsSnapshot) missing = hb_instructions_snapshot_load (path);
  g_autoptr(HbInstructionsSnapshot) unreadable = hb_instructions_snapshot_load (dir);
  g_autoptr(HbInstructionsSnapshot) found = NULL;
  GStatBuf st;

  g_assert_false (missing->exists);
  g_assert_cmpstr (missing->content, ==, "");
  g_assert_cmpstr (missing->path, ==, path);
  g_assert_null (missing->problem);
  g_assert_cmpint (missing->modified, ==, 0);
  g_assert_cmpstr (missing->sha256, ==, SHA256_EMPTY);
  g_assert_false (missing->parsed->effectively_empty);

  /* A directory where the file should be: not readable, and said so. */
  g_assert_false (unreadable->exists);
  g_assert_nonnull (unreadable->problem);
  g_assert_true (g_str_has_prefix (unreadable->problem, "unreadable: "));

  write_file (path, "## Rules\n- x\n", -1);
  found = hb_instructions_snapshot_load (path);
  g_assert_cmpint (g_stat (path, &st), ==, 0);
  g_assert_true (found->exists);
  g_assert_cmpint (found->modified / G_USEC_PER_SEC, ==, st.st_mtime);
  g_assert_true (hb_instructions_snapshot_ref (found) == found);
  hb_instructions_snapshot_unref (found);
  rm_rf (dir);
}

/* ---- the watched cache ---- */

typedef struct {
  HbInstructions *instructions;
  guint changed;
  const char *want;      /* content to wait for; NULL: wait for the file to be gone */
  gboolean done;
  GError *error;
  char *content_in_callback;
} Fixture;

static void
on_changed (HbInstructions *instructions, gpointer user_data)
{
  ((Fixture *) user_data)->changed++;
}

static gboolean
snapshot_matches (gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(HbInstructionsSnapshot) s = hb_instructions_get_snapshot (f->instructions);

  if (f->want == NULL)
    return !s->exists;
  return s->exists && g_str_equal (s->content, f->want);
}

static void
test_cache_and_reload (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "HEARTBEAT.md", NULL);
  g_autoptr(HbInstructions) instr = NULL;
  g_autoptr(HbInstructionsSnapshot) a = NULL;
  g_autoptr(HbInstructionsSnapshot) again = NULL;
  g_autoptr(HbInstructionsSnapshot) b = NULL;
  Fixture f = { 0 };

  write_file (path, "## Rules\n- A\n", -1);
  instr = hb_instructions_new (dir);
  f.instructions = instr;
  g_signal_connect (instr, "changed", G_CALLBACK (on_changed), &f);
  g_assert_cmpstr (hb_instructions_get_path (instr), ==, path);

  a = hb_instructions_get_snapshot (instr);
  g_assert_cmpstr (a->content, ==, "## Rules\n- A\n");

  /* Not re-read per call: without the main loop running, the cache keeps the old text. */
  write_file (path, "## Rules\n- B\n", -1);
  again = hb_instructions_get_snapshot (instr);
  g_assert_true (again == a);
  g_assert_cmpuint (f.changed, ==, 0);

  hb_instructions_reload (instr);
  b = hb_instructions_get_snapshot (instr);
  g_assert_cmpstr (b->content, ==, "## Rules\n- B\n");
  g_assert_cmpuint (f.changed, ==, 1);
  /* The old snapshot stays valid for whoever holds it. */
  g_assert_cmpstr (a->content, ==, "## Rules\n- A\n");

  g_clear_object (&instr);
  rm_rf (dir);
}

static void
test_monitor_reload (void)
{
  g_autofree char *dir = make_tmp_dir ();
  g_autofree char *path = g_build_filename (dir, "HEARTBEAT.md", NULL);
  g_autoptr(HbInstructions) instr = NULL;
  Fixture f = { 0 };
  FILE *fp;

  write_file (path, "## Rules\n- first\n", -1);
  instr = hb_instructions_new (dir);
  f.instructions = instr;
  g_signal_connect (instr, "changed", G_CALLBACK (on_changed), &f);

  /* An atomic replacement (temporary file renamed over the old one). */
  f.want = "## Rules\n- second\n";
  write_file (path, f.want, -1);
  g_assert_true (wait_until (snapshot_matches, &f));
  g_assert_cmpuint (f.changed, >=, 1);

  /* An in-place rewrite. */
  f.changed = 0;
  f.want = "## Rules\n- third, written in place\n";
  fp = fopen (path, "w");
  g_assert_nonnull (fp);
  g_assert_cmpint (fputs (f.want, fp), >=, 0);
  g_assert_cmpint (fclose (fp), ==, 0);
  g_assert_true (wait_until (snapshot_matches, &f));
  g_assert_cmpuint (f.changed, >=, 1);

  /* Deletion. */
  f.want = NULL;
  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_true (wait_until (snapshot_matches, &f));

  g_clear_object (&instr);
  rm_rf (dir);
}

static void
replace_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  Fixture *f = user_data;
  g_autoptr(HbInstructionsSnapshot) s = NULL;

  hb_instructions_replace_finish (HB_INSTRUCTIONS (source), result, &f->error);
  s = hb_instructions_get_snapshot (HB_INSTRUCTIONS (source));
  g_free (f->content_in_callback);
  f->content_in_callback = g_strdup (s->content);
  f->done = TRUE;
}

static gboolean
replace_done (gpointer user_data)
{
  return ((Fixture *) user_data)->done;
}

static void
run_replace (Fixture *f, const char *content)
{
  f->done = FALSE;
  g_clear_error (&f->error);
  hb_instructions_replace_async (f->instructions, content, NULL, replace_cb, f);
  g_assert_true (wait_until (replace_done, f));
}

static void
assert_dir_holds_only (const char *dir, const char *name)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *entry;
  guint n = 0;

  g_assert_nonnull (d);
  while ((entry = g_dir_read_name (d)) != NULL)
    {
      g_assert_cmpstr (entry, ==, name);
      n++;
    }
  g_assert_cmpuint (n, ==, 1);
}

static void
test_replace (void)
{
  g_autofree char *base = make_tmp_dir ();
  g_autofree char *dir = g_build_filename (base, "workspace", "nested", NULL);
  g_autofree char *path = g_build_filename (dir, "HEARTBEAT.md", NULL);
  g_autofree char *on_disk = NULL;
  g_autofree char *over = NULL;
  g_autofree char *at_cap = NULL;
  static const char text[] = "## Checklist\n- [x] written atomically\n";
  g_autoptr(HbInstructions) instr = NULL;
  g_autoptr(HbInstructionsSnapshot) s = NULL;
  Fixture f = { 0 };

  /* The workspace does not exist yet: the file is missing, not empty. */
  instr = hb_instructions_new (dir);
  f.instructions = instr;
  g_signal_connect (instr, "changed", G_CALLBACK (on_changed), &f);
  s = hb_instructions_get_snapshot (instr);
  g_assert_false (s->exists);
  g_assert_false (s->parsed->effectively_empty);
  g_clear_pointer (&s, hb_instructions_snapshot_unref);

  run_replace (&f, text);
  g_assert_no_error (f.error);
  g_assert_cmpstr (f.content_in_callback, ==, text);
  g_assert_cmpuint (f.changed, ==, 1);
  g_assert_true (g_file_get_contents (path, &on_disk, NULL, NULL));
  g_assert_cmpstr (on_disk, ==, text);
  assert_dir_holds_only (dir, "HEARTBEAT.md");
  s = hb_instructions_get_snapshot (instr);
  g_assert_true (s->exists);
  g_assert_cmpuint (s->parsed->checklist->len, ==, 1);
  g_clear_pointer (&s, hb_instructions_snapshot_unref);

  /* Over the cap: refused, nothing written. */
  over = g_strnfill (HB_INSTRUCTIONS_MAX_BYTES + 1, 'x');
  run_replace (&f, over);
  g_assert_error (f.error, HB_ERROR, HB_ERROR_INVALID_INSTRUCTIONS);
  g_assert_cmpstr (f.content_in_callback, ==, text);

  run_replace (&f, "## Rules\n- \xc3\x28 broken\n");
  g_assert_error (f.error, HB_ERROR, HB_ERROR_INVALID_INSTRUCTIONS);
  run_replace (&f, NULL);
  g_assert_error (f.error, HB_ERROR, HB_ERROR_INVALID_INSTRUCTIONS);
  g_clear_pointer (&on_disk, g_free);
  g_assert_true (g_file_get_contents (path, &on_disk, NULL, NULL));
  g_assert_cmpstr (on_disk, ==, text);

  /* Exactly the cap is accepted. */
  at_cap = g_strnfill (HB_INSTRUCTIONS_MAX_BYTES, 'y');
  run_replace (&f, at_cap);
  g_assert_no_error (f.error);
  g_assert_cmpstr (f.content_in_callback, ==, at_cap);
  assert_dir_holds_only (dir, "HEARTBEAT.md");

  g_clear_error (&f.error);
  g_free (f.content_in_callback);
  g_clear_object (&instr);
  rm_rf (base);
}

static void
test_replace_io_error (void)
{
  g_autofree char *base = make_tmp_dir ();
  g_autofree char *blocker = g_build_filename (base, "file", NULL);
  g_autofree char *dir = g_build_filename (blocker, "sub", NULL);
  g_autoptr(HbInstructions) instr = NULL;
  Fixture f = { 0 };

  /* The workspace would have to live under a regular file. */
  write_file (blocker, "not a directory", -1);
  instr = hb_instructions_new (dir);
  f.instructions = instr;
  run_replace (&f, "## Rules\n- x\n");
  g_assert_nonnull (f.error);
  g_assert_true (f.error->domain == G_IO_ERROR);
  g_assert_cmpstr (f.content_in_callback, ==, "");

  g_clear_error (&f.error);
  g_free (f.content_in_callback);
  g_clear_object (&instr);
  rm_rf (base);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/instructions/parse", test_parse_table);
  g_test_add_func ("/instructions/emptiness", test_emptiness_table);
  g_test_add_func ("/instructions/snapshot/truncated", test_snapshot_truncated);
  g_test_add_func ("/instructions/snapshot/invalid-utf8", test_snapshot_invalid_utf8);
  g_test_add_func ("/instructions/snapshot/missing", test_snapshot_missing);
  g_test_add_func ("/instructions/cache", test_cache_and_reload);
  g_test_add_func ("/instructions/monitor", test_monitor_reload);
  g_test_add_func ("/instructions/replace", test_replace);
  g_test_add_func ("/instructions/replace-io-error", test_replace_io_error);
  return g_test_run ();
}
