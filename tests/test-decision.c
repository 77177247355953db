/* test-decision.c: extraction, validation and sanitising of the model's reply. */
#include "config.h"

#include <string.h>

#include "hb-decision.h"

#define OK (-1)

/* Replies and expected fields may hold "@{N*text}", expanded to N copies of text, so that the
 * length limits can be written as table rows. */
static char *
expand (const char *s)
{
  GString *out = g_string_new (NULL);

  while (*s != '\0')
    {
      const char *close;
      char *star;
      guint64 n;

      if (!g_str_has_prefix (s, "@{"))
        {
          g_string_append_c (out, *s++);
          continue;
        }
      n = g_ascii_strtoull (s + 2, &star, 10);
      g_assert_true (*star == '*');
      close = strchr (star, '}');
      g_assert_nonnull (close);
      for (guint64 i = 0; i < n; i++)
        g_string_append_len (out, star + 1, close - star - 1);
      s = close + 1;
    }
  return g_string_free (out, FALSE);
}

typedef struct {
  const char *name;
  const char *reply;
  int code;                /* OK or an HbDecisionError */
  HbActionKind action;
  const char *title;       /* expected when OK (NULL: the field must be NULL) */
  const char *content;
  gint64 post_id;
  int vote;
  const char *reasoning;
} DecisionCase;

#define POST(t, c) "{\"action\":\"post\",\"title\":" t ",\"content\":" c ",\"reasoning\":\"r\"}"
#define COMMENT(id) "{\"action\":\"comment\",\"post_id\":" id ",\"content\":\"c\",\"reasoning\":\"r\"}"
#define VOTE(dir) "{\"action\":\"vote\",\"post_id\":4,\"vote_direction\":" dir ",\"reasoning\":\"r\"}"

static const DecisionCase decision_cases[] = {
  /* the four actions */
  { "post", POST ("\"Daily summary\"", "\"Three new posts.\""), OK, HB_ACTION_POST,
    "Daily summary", "Three new posts.", -1, 0, "r" },
  { "comment", COMMENT ("7"), OK, HB_ACTION_COMMENT, NULL, "c", 7, 0, "r" },
  { "vote", VOTE ("\"up\""), OK, HB_ACTION_VOTE, NULL, NULL, 4, 1, "r" },
  { "none", "{\"action\":\"none\",\"reasoning\":\"quiet day\"}", OK, HB_ACTION_NONE,
    NULL, NULL, -1, 0, "quiet day" },
  { "none-no-reasoning", "{\"action\":\"none\"}", OK, HB_ACTION_NONE, NULL, NULL, -1, 0, "" },

  /* where the object is */
  { "fence-json", "Here you go:\n```json\n{\"action\":\"none\",\"reasoning\":\"f\"}\n```\nBye",
    OK, HB_ACTION_NONE, NULL, NULL, -1, 0, "f" },
  { "fence-plain", "```\n{\"action\":\"vote\",\"post_id\":2,\"vote_direction\":\"down\"}\n```",
    OK, HB_ACTION_VOTE, NULL, NULL, 2, -1, "" },
  { "fence-unclosed", "```json\n{\"action\":\"none\",\"reasoning\":\"cut\"}",
    OK, HB_ACTION_NONE, NULL, NULL, -1, 0, "cut" },
  { "prose-around", "I think we should wait. {\"action\":\"none\",\"reasoning\":\"p\"} Thanks!",
    OK, HB_ACTION_NONE, NULL, NULL, -1, 0, "p" },
  { "two-objects-first-wins",
    "{\"action\":\"none\",\"reasoning\":\"first\"} {\"action\":\"vote\",\"post_id\":1,\"vote_direction\":\"up\"}",
    OK, HB_ACTION_NONE, NULL, NULL, -1, 0, "first" },
  { "two-objects-in-prose",
    "A: {\"action\":\"none\",\"reasoning\":\"one\"} B: {\"action\":\"none\",\"reasoning\":\"two\"}",
    OK, HB_ACTION_NONE, NULL, NULL, -1, 0, "one" },
  { "braces-in-strings",
    "ok: {\"action\":\"post\",\"title\":\"a {b} c\",\"content\":\"} { ]\",\"reasoning\":\"{\"} end",
    OK, HB_ACTION_POST, "a {b} c", "} { ]", -1, 0, "{" },
  { "escaped-quotes",
    "x {\"action\":\"post\",\"title\":\"say \\\"hi\\\" }\",\"content\":\"back\\\\slash\"} y",
    OK, HB_ACTION_POST, "say &quot;hi&quot; }", "back\\slash", -1, 0, "" },
  { "nested-objects",
    "so {\"action\":\"none\",\"meta\":{\"a\":{\"b\":[1,{\"c\":2}]}},\"reasoning\":\"n\"}",
    OK, HB_ACTION_NONE, NULL, NULL, -1, 0, "n" },
  { "bad-candidate-then-good", "{not json} {\"action\":\"none\",\"reasoning\":\"g\"}",
    OK, HB_ACTION_NONE, NULL, NULL, -1, 0, "g" },
  { "stray-bracket-then-object", "[see below] {\"action\":\"none\"}",
    OK, HB_ACTION_NONE, NULL, NULL, -1, 0, "" },
  { "invalid-utf8-replaced",
    "{\"action\":\"post\",\"title\":\"a\xff" "b\",\"content\":\"c\"}",
    OK, HB_ACTION_POST, "a\xef\xbf\xbd" "b", "c", -1, 0, "" },

  /* no object */
  { "garbage", "I cannot decide right now.", HB_DECISION_ERROR_NO_JSON },
  { "empty", "", HB_DECISION_ERROR_NO_JSON },
  { "blank", " \n\t ", HB_DECISION_ERROR_NO_JSON },
  { "truncated", "{\"action\":\"post\",\"title\":\"Daily", HB_DECISION_ERROR_NO_JSON },
  { "truncated-in-fence", "```json\n{\"action\":\"post\",\"ti", HB_DECISION_ERROR_NO_JSON },
  { "array", "[1,2,3]", HB_DECISION_ERROR_NOT_OBJECT },
  { "array-of-objects", "[{\"action\":\"none\"}]", HB_DECISION_ERROR_NOT_OBJECT },
  { "array-of-objects-in-prose", "Here: [{\"action\":\"none\"}] done",
    HB_DECISION_ERROR_NOT_OBJECT },
  { "array-in-fence", "```json\n[{\"action\":\"none\"}]\n```", HB_DECISION_ERROR_NOT_OBJECT },
  { "scalar", "42", HB_DECISION_ERROR_NOT_OBJECT },

  /* action */
  { "action-missing", "{\"reasoning\":\"r\"}", HB_DECISION_ERROR_BAD_ACTION },
  { "action-number", "{\"action\":5}", HB_DECISION_ERROR_BAD_ACTION },
  { "action-null", "{\"action\":null}", HB_DECISION_ERROR_BAD_ACTION },
  { "action-object", "{\"action\":{\"kind\":\"post\"}}", HB_DECISION_ERROR_BAD_ACTION },
  { "action-unknown", "{\"action\":\"delete\"}", HB_DECISION_ERROR_BAD_ACTION },
  { "action-caps-spaces", "{\"action\":\"  NONE \"}", OK, HB_ACTION_NONE, NULL, NULL, -1, 0, "" },
  { "action-mixed-case", "{\"action\":\"Post\",\"title\":\"t\",\"content\":\"c\"}", OK,
    HB_ACTION_POST, "t", "c", -1, 0, "" },

  /* post fields */
  { "title-missing", "{\"action\":\"post\",\"content\":\"c\"}", HB_DECISION_ERROR_MISSING_FIELD },
  { "title-null", POST ("null", "\"c\""), HB_DECISION_ERROR_MISSING_FIELD },
  { "title-number", POST ("12", "\"c\""), HB_DECISION_ERROR_WRONG_TYPE },
  { "title-bool", POST ("true", "\"c\""), HB_DECISION_ERROR_WRONG_TYPE },
  { "title-blank", POST ("\"   \"", "\"c\""), HB_DECISION_ERROR_EMPTY },
  { "title-only-controls", POST ("\"\\u0001\\u0002\"", "\"c\""), HB_DECISION_ERROR_EMPTY },
  { "content-missing", "{\"action\":\"post\",\"title\":\"t\"}", HB_DECISION_ERROR_MISSING_FIELD },
  { "content-object", POST ("\"t\"", "{\"x\":1}"), HB_DECISION_ERROR_WRONG_TYPE },
  { "content-array", POST ("\"t\"", "[\"a\"]"), HB_DECISION_ERROR_WRONG_TYPE },
  { "content-empty", POST ("\"t\"", "\"\""), HB_DECISION_ERROR_EMPTY },
  { "trimmed", POST ("\"  hi \\n\"", "\"\\t body \""), OK, HB_ACTION_POST, "hi", "body", -1, 0, "r" },

  /* comment fields and post_id */
  { "comment-content-missing", "{\"action\":\"comment\",\"post_id\":3}",
    HB_DECISION_ERROR_MISSING_FIELD },
  { "comment-content-null", "{\"action\":\"comment\",\"post_id\":3,\"content\":null}",
    HB_DECISION_ERROR_MISSING_FIELD },
  { "post-id-string", COMMENT ("\"12\""), OK, HB_ACTION_COMMENT, NULL, "c", 12, 0, "r" },
  { "post-id-padded", COMMENT ("\" 12 \""), OK, HB_ACTION_COMMENT, NULL, "c", 12, 0, "r" },
  { "post-id-leading-zeros", COMMENT ("\"007\""), OK, HB_ACTION_COMMENT, NULL, "c", 7, 0, "r" },
  { "post-id-suffix", COMMENT ("\"12abc\""), HB_DECISION_ERROR_BAD_POST_ID },
  { "post-id-string-negative", COMMENT ("\"-3\""), HB_DECISION_ERROR_BAD_POST_ID },
  { "post-id-string-empty", COMMENT ("\"  \""), HB_DECISION_ERROR_BAD_POST_ID },
  { "post-id-negative", COMMENT ("-3"), HB_DECISION_ERROR_BAD_POST_ID },
  { "post-id-zero", COMMENT ("0"), HB_DECISION_ERROR_BAD_POST_ID },
  { "post-id-fraction", COMMENT ("1.5"), HB_DECISION_ERROR_BAD_POST_ID },
  { "post-id-integral-float", COMMENT ("3.0"), OK, HB_ACTION_COMMENT, NULL, "c", 3, 0, "r" },
  { "post-id-int64-max", COMMENT ("9223372036854775807"), OK, HB_ACTION_COMMENT, NULL, "c",
    G_MAXINT64, 0, "r" },
  { "post-id-huge", COMMENT ("99999999999999999999"), HB_DECISION_ERROR_BAD_POST_ID },
  { "post-id-huge-negative", COMMENT ("-99999999999999999999"), HB_DECISION_ERROR_BAD_POST_ID },
  { "post-id-huge-string", COMMENT ("\"99999999999999999999\""), HB_DECISION_ERROR_BAD_POST_ID },
  { "post-id-exponent", COMMENT ("1e30"), HB_DECISION_ERROR_BAD_POST_ID },
  { "post-id-bool", COMMENT ("true"), HB_DECISION_ERROR_WRONG_TYPE },
  { "post-id-object", COMMENT ("{}"), HB_DECISION_ERROR_WRONG_TYPE },
  { "post-id-null", COMMENT ("null"), HB_DECISION_ERROR_MISSING_FIELD },
  { "post-id-missing", "{\"action\":\"vote\",\"vote_direction\":\"up\"}",
    HB_DECISION_ERROR_MISSING_FIELD },

  /* vote_direction */
  { "vote-caps", VOTE ("\"UP\""), OK, HB_ACTION_VOTE, NULL, NULL, 4, 1, "r" },
  { "vote-padded", VOTE ("\" down \""), OK, HB_ACTION_VOTE, NULL, NULL, 4, -1, "r" },
  { "vote-sideways", VOTE ("\"sideways\""), HB_DECISION_ERROR_BAD_DIRECTION },
  { "vote-number", VOTE ("1"), HB_DECISION_ERROR_WRONG_TYPE },
  { "vote-null", VOTE ("null"), HB_DECISION_ERROR_MISSING_FIELD },
  { "vote-irrelevant-fields-ignored",
    "{\"action\":\"vote\",\"post_id\":4,\"vote_direction\":\"up\",\"title\":5,\"content\":[]}",
    OK, HB_ACTION_VOTE, NULL, NULL, 4, 1, "" },

  /* limits, counted in characters */
  { "title-200", POST ("\"@{200*a}\"", "\"c\""), OK, HB_ACTION_POST, "@{200*a}", "c", -1, 0, "r" },
  { "title-201", POST ("\"@{201*a}\"", "\"c\""), HB_DECISION_ERROR_TOO_LONG },
  { "content-5000", POST ("\"t\"", "\"@{5000*b}\""), OK, HB_ACTION_POST, "t", "@{5000*b}", -1, 0, "r" },
  { "content-5001", POST ("\"t\"", "\"@{5001*b}\""), HB_DECISION_ERROR_TOO_LONG },
  { "title-200-two-byte", POST ("\"@{200*\xc3\xa9}\"", "\"c\""), OK, HB_ACTION_POST,
    "@{200*\xc3\xa9}", "c", -1, 0, "r" },
  { "title-201-two-byte", POST ("\"@{201*\xc3\xa9}\"", "\"c\""), HB_DECISION_ERROR_TOO_LONG },
  { "title-200-four-byte", POST ("\"@{200*\xf0\x9f\x98\x80}\"", "\"c\""), OK, HB_ACTION_POST,
    "@{200*\xf0\x9f\x98\x80}", "c", -1, 0, "r" },
  { "content-5000-escaped-json", POST ("\"t\"", "\"@{5000*\\u00e9}\""), OK, HB_ACTION_POST,
    "t", "@{5000*\xc3\xa9}", -1, 0, "r" },

  /* escaping */
  { "script-payload", POST ("\"<b>hi</b>\"", "\"<script>alert('x')</script> & \\\"q\\\"\""),
    OK, HB_ACTION_POST, "&lt;b&gt;hi&lt;/b&gt;",
    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;", -1, 0, "r" },
  { "escape-past-limit-amp", POST ("\"@{198*a}&\"", "\"c\""), OK, HB_ACTION_POST,
    "@{198*a}", "c", -1, 0, "r" },
  { "escape-past-limit-lt-then-multibyte", POST ("\"@{197*a}<\xc3\xa9\"", "\"c\""), OK,
    HB_ACTION_POST, "@{197*a}", "c", -1, 0, "r" },
  { "escape-fills-limit-exactly", POST ("\"@{195*a}&\xc3\xa9\"", "\"c\""), OK, HB_ACTION_POST,
    "@{195*a}&amp;", "c", -1, 0, "r" },
  { "escape-past-limit-quot", POST ("\"@{196*a}\\\"\"", "\"c\""), OK, HB_ACTION_POST,
    "@{196*a}", "c", -1, 0, "r" },
  { "escape-content-limit", POST ("\"t\"", "\"@{4999*x}'\""), OK, HB_ACTION_POST,
    "t", "@{4999*x}", -1, 0, "r" },
  { "control-chars", POST ("\"t\"", "\"a\\u0001b\\u0007c\\nd\\te\\r\\u001b[0m\\u0085\""), OK,
    HB_ACTION_POST, "t", "abc\nd\te[0m", -1, 0, "r" },

  /* reasoning: a wrong type is treated as no reasoning */
  { "reasoning-number", "{\"action\":\"none\",\"reasoning\":3}", OK, HB_ACTION_NONE,
    NULL, NULL, -1, 0, "" },
  { "reasoning-null", "{\"action\":\"none\",\"reasoning\":null}", OK, HB_ACTION_NONE,
    NULL, NULL, -1, 0, "" },
  { "reasoning-escaped", "{\"action\":\"none\",\"reasoning\":\" <i>why</i> \"}", OK,
    HB_ACTION_NONE, NULL, NULL, -1, 0, "&lt;i&gt;why&lt;/i&gt;" },
};

/* Every sanitised text: valid UTF-8, within the limit, no raw markup characters, and every '&'
 * starts one of the five entities. */
static void
assert_sanitised (const char *s, glong max_chars)
{
  static const char *const entities[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };

  g_assert_true (g_utf8_validate (s, -1, NULL));
  g_assert_cmpint (g_utf8_strlen (s, -1), <=, max_chars);
  g_assert_null (strpbrk (s, "<>\"'\r"));
  for (const char *p = strchr (s, '&'); p != NULL; p = strchr (p + 1, '&'))
    {
      gboolean ok = FALSE;

      for (gsize i = 0; i < G_N_ELEMENTS (entities); i++)
        ok = ok || g_str_has_prefix (p, entities[i]);
      g_assert_true (ok);
    }
}

static void
assert_field (const char *got, const char *expected_pattern)
{
  g_autofree char *expected = NULL;

  if (expected_pattern == NULL)
    {
      g_assert_null (got);
      return;
    }
  expected = expand (expected_pattern);
  g_assert_cmpstr (got, ==, expected);
}

static void
test_decision_table (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (decision_cases); i++)
    {
      const DecisionCase *c = &decision_cases[i];
      g_autofree char *reply = expand (c->reply);
      g_autoptr(GError) error = NULL;
      g_autoptr(HbDecision) d = NULL;

      g_test_message ("case %s", c->name);
      d = hb_decision_from_reply (reply, &error);
      if (c->code != OK)
        {
          g_assert_null (d);
          g_assert_error (error, HB_DECISION_ERROR, c->code);
          g_assert_nonnull (error->message);
          continue;
        }
      g_assert_no_error (error);
      g_assert_nonnull (d);
      g_assert_cmpint (d->action, ==, c->action);
      assert_field (d->title, c->title);
      assert_field (d->content, c->content);
      assert_field (d->reasoning, c->reasoning);
      g_assert_cmpint (d->post_id, ==, c->post_id);
      g_assert_cmpint (d->vote, ==, c->vote);
      if (d->title != NULL)
        assert_sanitised (d->title, HB_TITLE_MAX);
      if (d->content != NULL)
        assert_sanitised (d->content, HB_CONTENT_MAX);
      assert_sanitised (d->reasoning, HB_CONTENT_MAX);
    }
  g_assert_cmpuint (G_N_ELEMENTS (decision_cases), >=, 40);
}

static void
test_decision_validate_null (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_null (hb_decision_validate (NULL, &error));
  g_assert_error (error, HB_DECISION_ERROR, HB_DECISION_ERROR_NOT_OBJECT);
  g_clear_error (&error);
  g_assert_null (hb_decision_from_reply (NULL, &error));
  g_assert_error (error, HB_DECISION_ERROR, HB_DECISION_ERROR_NO_JSON);
}

static void
test_decision_sanitize (void)
{
  static const struct {
    const char *in;
    glong max;
    const char *out;
  } cases[] = {
    { "  plain  ", 100, "plain" },
    { "a&b", 100, "a&amp;b" },
    { "a&b", 2, "a" },        /* the entity does not fit: never "a&am" */
    { "a&b", 6, "a&amp;" },
    { "<<", 7, "&lt;" },
    { "\xc3\xa9\xc3\xa9\xc3\xa9", 2, "\xc3\xa9\xc3\xa9" },
    { "x\x01y\x7fz", 100, "xyz" },
    { "ab \"cd", 4, "ab" },   /* the cut leaves no trailing space */
    { "no limit & more", -1, "no limit &amp; more" },
    { "bad \xff byte", 100, "bad \xef\xbf\xbd byte" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = hb_sanitize_text (cases[i].in, cases[i].max);

      g_assert_cmpstr (s, ==, cases[i].out);
    }
  {
    g_autofree char *s = hb_sanitize_text (NULL, 10);
    g_assert_cmpstr (s, ==, "");
  }
}

static void
test_decision_reasons (void)
{
  static const struct {
    HbDecisionError code;
    const char *reason;
  } cases[] = {
    { HB_DECISION_ERROR_NO_JSON, "no-json" },
    { HB_DECISION_ERROR_NOT_OBJECT, "not-object" },
    { HB_DECISION_ERROR_BAD_ACTION, "bad-action" },
    { HB_DECISION_ERROR_MISSING_FIELD, "missing-field" },
    { HB_DECISION_ERROR_WRONG_TYPE, "wrong-type" },
    { HB_DECISION_ERROR_EMPTY, "empty" },
    { HB_DECISION_ERROR_TOO_LONG, "too-long" },
    { HB_DECISION_ERROR_BAD_DIRECTION, "bad-direction" },
    { HB_DECISION_ERROR_BAD_POST_ID, "bad-post-id" },
    { HB_DECISION_ERROR_UNKNOWN_POST, "unknown-post" },
    { HB_DECISION_ERROR_RATE_LIMITED, "rate-limited" },
    { HB_DECISION_ERROR_DUPLICATE, "duplicate" },
  };
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");
  g_autoptr(GError) out_of_range = g_error_new_literal (HB_DECISION_ERROR, 99, "x");

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) e = g_error_new_literal (HB_DECISION_ERROR, cases[i].code, "x");

      g_assert_cmpstr (hb_decision_error_reason (e), ==, cases[i].reason);
    }
  g_assert_cmpstr (hb_decision_error_reason (other), ==, "invalid");
  g_assert_cmpstr (hb_decision_error_reason (out_of_range), ==, "invalid");
  g_assert_cmpstr (hb_decision_error_reason (NULL), ==, "invalid");
}

static void
test_decision_summary (void)
{
  HbDecision post = { .action = HB_ACTION_POST, .reasoning = (char *) "3+ posts detected" };
  HbDecision none = { .action = HB_ACTION_NONE, .reasoning = (char *) "" };
  HbDecision vote = { .action = HB_ACTION_VOTE, .reasoning = NULL };
  g_autofree char *a = hb_decision_summary (&post);
  g_autofree char *b = hb_decision_summary (&none);
  g_autofree char *c = hb_decision_summary (&vote);

  g_assert_cmpstr (a, ==, "Action: post. 3+ posts detected");
  g_assert_cmpstr (b, ==, "Action: none.");
  g_assert_cmpstr (c, ==, "Action: vote.");
  g_assert_cmpstr (hb_action_kind_to_string (HB_ACTION_COMMENT), ==, "comment");
}

static void
assert_enum (JsonObject *props, const char *name, const char *const *values)
{
  JsonObject *prop = json_object_get_object_member (props, name);
  JsonArray *e = json_object_get_array_member (prop, "enum");

  g_assert_cmpstr (json_object_get_string_member (prop, "type"), ==, "string");
  g_assert_cmpuint (json_array_get_length (e), ==, g_strv_length ((char **) values));
  for (guint i = 0; values[i] != NULL; i++)
    g_assert_cmpstr (json_array_get_string_element (e, i), ==, values[i]);
}

static void
test_decision_schema (void)
{
  static const char *const actions[] = { "post", "comment", "vote", "none", NULL };
  static const char *const directions[] = { "up", "down", NULL };
  g_autoptr(JsonNode) schema = hb_decision_json_schema ();
  g_autofree char *text = json_to_string (schema, FALSE);
  g_autoptr(JsonNode) again = json_from_string (text, NULL);
  JsonObject *root, *props;
  JsonArray *required, *post_id_type;

  g_assert_nonnull (again);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (schema));
  root = json_node_get_object (schema);
  g_assert_cmpstr (json_object_get_string_member (root, "type"), ==, "object");
  props = json_object_get_object_member (root, "properties");
  assert_enum (props, "action", actions);
  assert_enum (props, "vote_direction", directions);
  post_id_type = json_object_get_array_member (json_object_get_object_member (props, "post_id"),
                                               "type");
  g_assert_cmpstr (json_array_get_string_element (post_id_type, 0), ==, "integer");
  g_assert_cmpstr (json_array_get_string_element (post_id_type, 1), ==, "null");
  for (const char *const *f = (const char *const[]) { "title", "content", "reasoning", NULL };
       *f != NULL; f++)
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (props, *f),
                                                    "type"), ==, "string");
  required = json_object_get_array_member (root, "required");
  g_assert_cmpuint (json_array_get_length (required), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (required, 0), ==, "action");
  g_assert_cmpstr (json_array_get_string_element (required, 1), ==, "reasoning");
}

/* Mutations of valid replies (bytes dropped, replaced, truncated) always give a decision or a
 * named decision error, never a crash or a critical. */
static void
test_decision_mutations (void)
{
  static const char *const seeds[] = {
    POST ("\"Title <x>\"", "\"Body & more\""),
    COMMENT ("\" 12 \""),
    VOTE ("\"UP\""),
    "```json\n{\"action\":\"none\",\"reasoning\":\"a \\\"b\\\" {c}\"}\n```",
  };
  static const char noise[] = "{}[]\",:\\ \x80\xff" "0-9eE.nul";
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261204);

  for (guint round = 0; round < 4000; round++)
    {
      const char *seed = seeds[round % G_N_ELEMENTS (seeds)];
      g_autofree char *s = g_strdup (seed);
      gsize len = strlen (s);
      guint edits = g_rand_int_range (rand, 1, 4);
      g_autoptr(GError) error = NULL;
      g_autoptr(HbDecision) d = NULL;

      for (guint e = 0; e < edits && len > 0; e++)
        {
          gsize at = g_rand_int_range (rand, 0, (gint32) len);

          switch (g_rand_int_range (rand, 0, 3))
            {
            case 0:
              s[at] = noise[g_rand_int_range (rand, 0, sizeof noise - 1)];
              break;
            case 1:
              memmove (s + at, s + at + 1, len - at);
              len--;
              break;
            default:
              s[at] = '\0';
              len = at;
              break;
            }
        }
      d = hb_decision_from_reply (s, &error);
      if (d == NULL)
        g_assert_true (error != NULL && error->domain == HB_DECISION_ERROR);
      else
        {
          g_assert_no_error (error);
          assert_sanitised (d->reasoning, HB_CONTENT_MAX);
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/decision/table", test_decision_table);
  g_test_add_func ("/decision/validate-null", test_decision_validate_null);
  g_test_add_func ("/decision/sanitize", test_decision_sanitize);
  g_test_add_func ("/decision/reasons", test_decision_reasons);
  g_test_add_func ("/decision/summary", test_decision_summary);
  g_test_add_func ("/decision/schema", test_decision_schema);
  g_test_add_func ("/decision/mutations", test_decision_mutations);
  return g_test_run ();
}
