/* fuzz-instructions: HEARTBEAT.md bytes -> snapshot -> parsed sections.
 *
 * Any bytes give a snapshot whose content is valid UTF-8 within the cap, and a parse whose items
 * are non-empty single lines filed under the section they claim. */
#include "config.h"

#include <string.h>

#include "hb-error.h"
#include "hb-fuzz.h"
#include "hb-instructions.h"

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  hb_fuzz_init ();
  return 0;
}

static void
check_items (GPtrArray *items, HbSection section)
{
  for (guint i = 0; i < items->len; i++)
    {
      HbInstructionItem *item = g_ptr_array_index (items, i);

      hb_fuzz_check (item->section == section, "item filed under the wrong section");
      hb_fuzz_check (item->text != NULL && *item->text != '\0', "empty item");
      hb_fuzz_check (strchr (item->text, '\n') == NULL, "item spans lines");
      hb_fuzz_check (g_utf8_validate (item->text, -1, NULL), "item not UTF-8");
      hb_fuzz_check (!item->checked || item->is_checkbox, "checked item that is no checkbox");
    }
}

static void
check_parsed (const HbInstructionsParsed *p, const char *text)
{
  guint items = p->checklist->len + p->rules->len + p->proactive->len;

  check_items (p->checklist, HB_SECTION_CHECKLIST);
  check_items (p->rules, HB_SECTION_RULES);
  check_items (p->proactive, HB_SECTION_PROACTIVE);
  hb_fuzz_check (!p->effectively_empty || items == 0, "effectively empty, yet %u items", items);
  hb_fuzz_check (p->effectively_empty == hb_instructions_text_is_effectively_empty (text),
                 "effectively_empty differs between parse and the shortcut");
}

/* A file over the cap: one long line of padding, then the input, so that the cut lands in the
 * middle of the input (in a UTF-8 sequence too) without the fuzzer having to grow 64 KiB inputs.
 * Padding rather than repetition keeps the parse cheap. */
static void
check_oversized (const uint8_t *data, size_t size)
{
  gsize pad = HB_INSTRUCTIONS_MAX_BYTES - size / 2;
  g_autofree char *big = g_malloc (pad + size);
  g_autoptr(HbInstructionsSnapshot) s = NULL;

  memset (big, 'x', pad);
  memcpy (big + pad, data, size);
  s = hb_instructions_snapshot_new_from_data ("HEARTBEAT.md", big, pad + size, 0);
  hb_fuzz_check (s->truncated && s->problem != NULL, "oversized file not reported as truncated");
  hb_fuzz_check (strlen (s->content) <= HB_INSTRUCTIONS_MAX_BYTES, "cut content over the cap");
  /* A cut drops at most the bytes of the one UTF-8 sequence it would split (3). */
  hb_fuzz_check (strlen (s->content) >= HB_INSTRUCTIONS_MAX_BYTES - 3,
                 "cut to %zu bytes, more than one UTF-8 sequence dropped", strlen (s->content));
  hb_fuzz_check (g_utf8_validate (s->content, -1, NULL), "cut content not valid UTF-8");
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(HbInstructionsSnapshot) s =
    hb_instructions_snapshot_new_from_data ("HEARTBEAT.md", (const char *) data, size, 0);
  g_autofree char *raw = hb_fuzz_strndup (data, size);
  g_autoptr(GError) error = NULL;
  gsize len;

  hb_fuzz_check (s != NULL && s->content != NULL && s->parsed != NULL, "incomplete snapshot");
  len = strlen (s->content);
  hb_fuzz_check (len <= HB_INSTRUCTIONS_MAX_BYTES, "content of %zu bytes over the cap", len);
  hb_fuzz_check (g_utf8_validate (s->content, -1, NULL), "content not valid UTF-8");
  hb_fuzz_check (s->truncated == (size > HB_INSTRUCTIONS_MAX_BYTES), "truncated flag wrong");
  hb_fuzz_check ((s->problem == NULL) == (!s->truncated && len == size
                                          && memcmp (s->content, data, size) == 0),
                 "problem set for good content or missing for altered content");
  hb_fuzz_check (s->sha256 != NULL && strlen (s->sha256) == 64, "bad checksum");
  check_parsed (s->parsed, s->content);

  /* The content a snapshot holds is always content that a replace would accept. */
  hb_fuzz_check (hb_instructions_check_content (s->content, &error), "snapshot content refused: %s",
                 error->message);

  /* The early check on the raw text: refuses with the named error or accepts, never anything
   * else; what it accepts parses. */
  if (hb_instructions_check_content (raw, &error))
    {
      g_autoptr(HbInstructionsParsed) p = hb_instructions_parse (raw);

      check_parsed (p, raw);
    }
  else
    hb_fuzz_check (g_error_matches (error, HB_ERROR, HB_ERROR_INVALID_INSTRUCTIONS),
                   "check_content failed with another error: %s", error->message);

  /* Inputs that start with 0xff also run as an oversized file. */
  if (size >= 2 && data[0] == 0xff)
    check_oversized (data + 1, size - 1);
  return 0;
}
