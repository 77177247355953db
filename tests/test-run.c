/* test-run.c: a run's actions as stored JSON and as the LastActions D-Bus value agree; the
 * HeartbeatCompleted result carries every key the API promises. */
#include "config.h"

#include "hb-run.h"

typedef struct {
  const char *name;
  HbRunStatus status;
  const char *action, *title, *content, *vote;
  gint64 post_id, ledger_id;
  gboolean dry_run;
} ActionRow;

static const ActionRow action_rows[] = {
  { "nothing-decided", HB_RUN_STATUS_FAILED, "", "", "", "", -1, -1, FALSE },
  { "post", HB_RUN_STATUS_ACTED, "post", "Title \"quoted\"", "Body\nwith <b>markup</b> \\ and ü",
    "", 17, 17, FALSE },
  { "comment", HB_RUN_STATUS_ACTED, "comment", "", "a comment", "", 3, 9, FALSE },
  { "vote", HB_RUN_STATUS_ACTED, "vote", "", "", "down", 4, 2, FALSE },
  { "dry-run", HB_RUN_STATUS_DRY_RUN, "post", "t", "c", "", -1, -1, TRUE },
  { "none", HB_RUN_STATUS_NO_ACTION, "none", "", "", "", -1, -1, FALSE },
  { "refused", HB_RUN_STATUS_INVALID, "comment", "", "x", "", 999, -1, FALSE },
  { "control-chars", HB_RUN_STATUS_ACTED, "post", "\x01\x1f\t", "\xe2\x80\xa8 line sep", "",
    1, 1, FALSE },
};

static HbRunResult *
result_for (const ActionRow *row)
{
  HbRunResult *r = hb_run_result_new ("run-1", "thread-1");

  r->status = row->status;
  hb_run_result_set_string (&r->action, row->action);
  hb_run_result_set_string (&r->title, row->title);
  hb_run_result_set_string (&r->content, row->content);
  hb_run_result_set_string (&r->vote_direction, row->vote);
  r->post_id = row->post_id;
  r->ledger_id = row->ledger_id;
  r->dry_run = row->dry_run;
  return r;
}

/* The variant equals the stored JSON read back with json-glib's own JSON -> GVariant mapping. */
static void
test_actions_variant_matches_json (gconstpointer data)
{
  const ActionRow *row = data;
  g_autoptr(HbRunResult) r = result_for (row);
  g_autofree char *json = hb_run_result_actions_json (r);
  g_autoptr(GVariant) direct = g_variant_ref_sink (hb_run_result_actions_variant (r));
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) parsed = json_gvariant_deserialize_data (json, -1, "aa{sv}", &error);
  g_autofree char *direct_text = g_variant_print (direct, TRUE);
  g_autofree char *parsed_text = NULL;

  g_assert_no_error (error);
  parsed_text = g_variant_print (parsed, TRUE);
  g_test_message ("%s -> %s", json, direct_text);
  g_assert_cmpstr (direct_text, ==, parsed_text);
  g_assert_true (g_variant_equal (direct, parsed));

  /* The text is json-glib's own rendering of it, but for U+001F, which json-glib 1.6 leaves raw
   * (RFC 8259 wants it escaped). */
  {
    g_autoptr(JsonNode) node = json_from_string (json, &error);
    g_autofree char *again = NULL;
    g_auto(GStrv) parts = NULL;
    g_autofree char *expected = NULL;

    g_assert_no_error (error);
    again = json_to_string (node, FALSE);
    parts = g_strsplit (again, "\x1f", -1);
    expected = g_strjoinv ("\\u001f", parts);
    g_assert_cmpstr (json, ==, expected);
  }
  g_assert_cmpuint (g_variant_n_children (direct), ==, row->action[0] != '\0' ? 1 : 0);
}

static void
test_result_variant_keys (void)
{
  static const char *const keys[] = {
    "run_id", "status", "action", "summary", "reasoning", "title", "post_id", "vote_direction",
    "ledger_id", "dry_run", "error", "started_at", "finished_at", "model", "notify",
  };
  g_autoptr(HbRunResult) r = result_for (&action_rows[1]);
  g_autoptr(GVariant) v = NULL;
  gint64 ledger_id = 0;
  const char *status = NULL;

  r->started_at = 5;
  r->finished_at = -3;   /* never negative on the bus */
  v = g_variant_ref_sink (hb_run_result_to_variant (r));
  g_assert_true (g_variant_is_of_type (v, G_VARIANT_TYPE_VARDICT));
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      g_autoptr(GVariant) value = g_variant_lookup_value (v, keys[i], NULL);

      g_assert_nonnull (value);
    }
  g_assert_true (g_variant_lookup (v, "status", "&s", &status));
  g_assert_cmpstr (status, ==, "acted");
  g_assert_true (g_variant_lookup (v, "ledger_id", "x", &ledger_id));
  g_assert_cmpint (ledger_id, ==, 17);
  {
    guint64 started = 0, finished = 1;

    g_assert_true (g_variant_lookup (v, "started_at", "t", &started));
    g_assert_true (g_variant_lookup (v, "finished_at", "t", &finished));
    g_assert_cmpuint (started, ==, 5);
    g_assert_cmpuint (finished, ==, 0);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  for (guint i = 0; i < G_N_ELEMENTS (action_rows); i++)
    {
      g_autofree char *path = g_strdup_printf ("/run/actions-variant/%s", action_rows[i].name);

      g_test_add_data_func (path, &action_rows[i], test_actions_variant_matches_json);
    }
  g_test_add_func ("/run/result-variant", test_result_variant_keys);
  return g_test_run ();
}
