/* fuzz-decision: the model's reply -> HbDecision (extract, validate, sanitise).
 *
 * Whatever the reply, the result is either a clear HB_DECISION_ERROR or a decision whose fields
 * hold the documented promises: the right fields for the action, limits on the escaped text,
 * valid UTF-8, no markup character left unescaped. */
#include "config.h"

#include <string.h>

#include "hb-decision.h"
#include "hb-fuzz.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hb_fuzz_init ();
  return 0;
}

static void
check_sanitised (const char *what, const char *text, glong max_chars)
{
  static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };

  hb_fuzz_check (text != NULL, "%s is NULL", what);
  hb_fuzz_check (g_utf8_validate (text, -1, NULL), "%s is not valid UTF-8", what);
  hb_fuzz_check (max_chars < 0 || g_utf8_strlen (text, -1) <= max_chars,
                 "%s has %ld characters, limit %ld", what, g_utf8_strlen (text, -1), max_chars);
  hb_fuzz_check (strpbrk (text, "<>\"'") == NULL, "%s holds an unescaped markup character", what);
  for (const char *amp = strchr (text, '&'); amp != NULL; amp = strchr (amp + 1, '&'))
    {
      gboolean known = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (entities); i++)
        known = known || g_str_has_prefix (amp, entities[i]);
      hb_fuzz_check (known, "%s holds a bare '&' or a cut entity", what);
    }
  for (const char *p = text; *p != '\0'; p++)
    hb_fuzz_check ((guchar) *p >= 0x20 || *p == '\n' || *p == '\t',
                   "%s holds control character 0x%02x", what, (guchar) *p);
}

static void
check_decision (const HbDecision *d)
{
  g_autofree char *summary = NULL;

  check_sanitised ("reasoning", d->reasoning, -1);
  switch (d->action)
    {
    case HB_ACTION_POST:
      check_sanitised ("title", d->title, HB_TITLE_MAX);
      check_sanitised ("content", d->content, HB_CONTENT_MAX);
      hb_fuzz_check (*d->title != '\0' && *d->content != '\0', "post with an empty field");
      hb_fuzz_check (d->post_id == -1 && d->vote == 0, "post with a post_id or a vote");
      break;
    case HB_ACTION_COMMENT:
      check_sanitised ("content", d->content, HB_CONTENT_MAX);
      hb_fuzz_check (*d->content != '\0', "comment with empty content");
      hb_fuzz_check (d->title == NULL && d->vote == 0, "comment with a title or a vote");
      hb_fuzz_check (d->post_id > 0, "comment on post %" G_GINT64_FORMAT, d->post_id);
      break;
    case HB_ACTION_VOTE:
      hb_fuzz_check (d->title == NULL && d->content == NULL, "vote with text");
      hb_fuzz_check (d->post_id > 0, "vote on post %" G_GINT64_FORMAT, d->post_id);
      hb_fuzz_check (d->vote == 1 || d->vote == -1, "vote of %d", d->vote);
      break;
    case HB_ACTION_NONE:
      hb_fuzz_check (d->title == NULL && d->content == NULL && d->post_id == -1 && d->vote == 0,
                     "action none with fields set");
      break;
    default:
      hb_fuzz_fail ("unknown action %d", (int) d->action);
    }
  hb_fuzz_check (hb_action_kind_to_string (d->action) != NULL, "action without a name");
  summary = hb_decision_summary (d);
  hb_fuzz_check (summary != NULL && g_utf8_validate (summary, -1, NULL), "bad summary");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *reply = hb_fuzz_strndup (data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(HbDecision) d = hb_decision_from_reply (reply, &error);

  if (d == NULL)
    {
      hb_fuzz_check (error != NULL, "no decision and no error");
      hb_fuzz_check (error->domain == HB_DECISION_ERROR, "error outside HB_DECISION_ERROR: %s",
                     error->message);
      hb_fuzz_check (hb_decision_error_reason (error) != NULL, "error without a reason code");
      hb_fuzz_check (g_utf8_validate (error->message, -1, NULL), "error message not UTF-8");
    }
  else
    {
      hb_fuzz_check (error == NULL, "a decision and an error");
      check_decision (d);
    }

  /* The sanitiser on its own, with a limit taken from the input: never over it, never a cut
   * entity or character. */
  {
    g_autofree char *clean = hb_sanitize_text (reply, (glong) (size % 64));

    check_sanitised ("sanitised text", clean, (glong) (size % 64));
  }
  return 0;
}
