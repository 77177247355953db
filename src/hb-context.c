/* hb-context.c: the thread context handed from the store to the prompt. */
#include "config.h"

#include "hb-context.h"
#include "hb-sha256.h"

void
hb_message_free (HbMessage *m)
{
  if (m == NULL)
    return;
  g_free (m->query);
  g_free (m->response);
  g_free (m);
}

void
hb_contradiction_free (HbContradiction *c)
{
  if (c == NULL)
    return;
  g_free (c->ledger_id);
  g_free (c->summary);
  g_free (c->query);
  g_free (c->affects_slots);
  g_free (c->contradiction_type);
  g_free (c);
}

void
hb_feed_post_free (HbFeedPost *p)
{
  if (p == NULL)
    return;
  g_free (p->submolt);
  g_free (p->author);
  g_free (p->title);
  g_free (p);
}

void
hb_memory_fact_free (HbMemoryFact *m)
{
  if (m == NULL)
    return;
  g_free (m->memory_id);
  g_free (m->slot);
  g_free (m->value);
  g_free (m->text);
  g_free (m->source);
  g_free (m);
}

void
hb_past_action_free (HbPastAction *a)
{
  if (a == NULL)
    return;
  g_free (a->status);
  g_free (a->action);
  g_free (a->summary);
  g_free (a->title);
  g_free (a);
}

HbContext *
hb_context_new (const char *thread_id)
{
  HbContext *ctx = g_new0 (HbContext, 1);

  ctx->thread_id = g_strdup (thread_id != NULL ? thread_id : "");
  ctx->user_name = g_strdup ("");
  ctx->style = g_strdup ("");
  ctx->messages = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_message_free);
  ctx->contradictions = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_contradiction_free);
  ctx->feed = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_feed_post_free);
  ctx->memories = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_memory_fact_free);
  ctx->own_actions = g_ptr_array_new_with_free_func ((GDestroyNotify) hb_past_action_free);
  return ctx;
}

void
hb_context_free (HbContext *ctx)
{
  if (ctx == NULL)
    return;
  g_free (ctx->thread_id);
  g_free (ctx->user_name);
  g_free (ctx->style);
  g_ptr_array_unref (ctx->messages);
  g_ptr_array_unref (ctx->contradictions);
  g_ptr_array_unref (ctx->feed);
  g_ptr_array_unref (ctx->memories);
  g_ptr_array_unref (ctx->own_actions);
  g_free (ctx);
}

/* Timestamps are written with a fixed precision and the C locale so the same marks always give
 * the same string, whatever the process's locale. */
static void
append_time (GString *s, const char *key, double t)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (s, "%s=%s;", key, g_ascii_formatd (buf, sizeof buf, "%.6f", t));
}

char *
hb_context_fingerprint (const HbContext *ctx)
{
  g_autoptr(GString) s = g_string_new ("v1;");
  g_autofree char *sum = NULL;

  g_string_append_printf (s, "m=%" G_GINT64_FORMAT ";p=%" G_GINT64_FORMAT ";c=%" G_GINT64_FORMAT
                          ";v=%" G_GINT64_FORMAT ";nc=%" G_GINT64_FORMAT ";nm=%" G_GINT64_FORMAT ";",
                          ctx->max_message_id, ctx->max_post_id, ctx->max_comment_id,
                          ctx->max_vote_id, ctx->n_contradictions, ctx->n_memories);
  append_time (s, "tc", ctx->max_contradiction_ts);
  append_time (s, "tm", ctx->max_memory_ts);
  sum = hb_sha256_hex (s->str, s->len);
  /* 64 bits are plenty to tell "changed" from "unchanged" and keep the record short. */
  return g_strndup (sum, 16);
}

char *
hb_context_cut_text (const char *text, glong max_chars)
{
  g_autofree char *valid = NULL;
  const char *end;

  if (text == NULL)
    return g_strdup ("");
  valid = g_utf8_make_valid (text, -1);
  if (max_chars < 0 || g_utf8_strlen (valid, -1) <= max_chars)
    return g_steal_pointer (&valid);
  end = g_utf8_offset_to_pointer (valid, max_chars);
  return g_strndup (valid, end - valid);
}
