/* hb-instructions-parse.c: HEARTBEAT.md text -> checklist / rules / proactive items. Pure.
 *
 * Sections follow CRT's "## " headings; unlike CRT, checkbox state is kept ("- [x] done" is the
 * item "done", checked) and HTML comments are not instructions.
 */
#include "config.h"

#include <string.h>

#include "hb-instructions.h"

static void
hb_instruction_item_free (gpointer data)
{
  HbInstructionItem *item = data;

  g_free (item->text);
  g_free (item);
}

void
hb_instructions_parsed_free (HbInstructionsParsed *p)
{
  if (p == NULL)
    return;
  g_ptr_array_unref (p->checklist);
  g_ptr_array_unref (p->rules);
  g_ptr_array_unref (p->proactive);
  g_free (p);
}

/* Append the parts of @line outside HTML comments to @out; a comment may span lines, hence the
 * state carried in @in_comment. */
static void
hb_strip_comments (const char *line, gboolean *in_comment, GString *out)
{
  const char *rest = line;

  while (*rest != '\0')
    {
      const char *mark;

      if (*in_comment)
        {
          mark = strstr (rest, "-->");
          if (mark == NULL)
            return;
          rest = mark + 3;
          *in_comment = FALSE;
        }
      else
        {
          mark = strstr (rest, "<!--");
          if (mark == NULL)
            {
              g_string_append (out, rest);
              return;
            }
          g_string_append_len (out, rest, mark - rest);
          rest = mark + 4;
          *in_comment = TRUE;
        }
    }
}

/* The ATX heading level of @s (1..6), or 0 if it is not a heading. */
static int
hb_heading_level (const char *s)
{
  int n = 0;

  while (s[n] == '#')
    n++;
  if (n == 0 || n > 6 || (s[n] != ' ' && s[n] != '\t' && s[n] != '\0'))
    return 0;
  return n;
}

/* -1 when the heading names none of the three sections. */
static int
hb_section_for_heading (const char *heading)
{
  g_autofree char *lower = g_utf8_strdown (heading, -1);

  if (strstr (lower, "checklist") != NULL)
    return HB_SECTION_CHECKLIST;
  if (strstr (lower, "rule") != NULL)
    return HB_SECTION_RULES;
  if (strstr (lower, "proactive") != NULL || strstr (lower, "behavior") != NULL
      || strstr (lower, "behaviour") != NULL)
    return HB_SECTION_PROACTIVE;
  return -1;
}

/* "---", "***", "___" and spaced variants: decoration, not content. */
static gboolean
hb_is_thematic_break (const char *s)
{
  char mark = *s;
  int count = 0;

  if (mark != '-' && mark != '*' && mark != '_')
    return FALSE;
  for (; *s != '\0'; s++)
    {
      if (*s == mark)
        count++;
      else if (*s != ' ' && *s != '\t')
        return FALSE;
    }
  return count >= 3;
}

static const char *
hb_skip_blanks (const char *s)
{
  while (*s == ' ' || *s == '\t')
    s++;
  return s;
}

/* Split a trimmed, non-blank line into its item text (trimmed, maybe "") and checkbox state.
 * A line with no bullet is an item as it stands. */
static char *
hb_parse_item (const char *s, gboolean *is_checkbox, gboolean *checked)
{
  const char *rest = NULL;

  *is_checkbox = FALSE;
  *checked = FALSE;
  if ((s[0] == '-' || s[0] == '*' || s[0] == '+')
      && (s[1] == ' ' || s[1] == '\t' || s[1] == '\0'))
    rest = hb_skip_blanks (s + 1);
  else if (g_ascii_isdigit (s[0]))
    {
      const char *p = s;

      while (g_ascii_isdigit (*p))
        p++;
      if ((*p == '.' || *p == ')') && (p[1] == ' ' || p[1] == '\t' || p[1] == '\0'))
        rest = hb_skip_blanks (p + 1);
    }
  if (rest == NULL)
    return g_strdup (s);

  if (rest[0] == '[' && (rest[1] == ' ' || rest[1] == 'x' || rest[1] == 'X') && rest[2] == ']'
      && (rest[3] == ' ' || rest[3] == '\t' || rest[3] == '\0'))
    {
      *is_checkbox = TRUE;
      *checked = rest[1] != ' ';
      rest = hb_skip_blanks (rest + 3);
    }
  return g_strstrip (g_strdup (rest));
}

HbInstructionsParsed *
hb_instructions_parse (const char *text)
{
  HbInstructionsParsed *p = g_new0 (HbInstructionsParsed, 1);
  g_auto(GStrv) lines = g_strsplit (text != NULL ? text : "", "\n", -1);
  GPtrArray *sections[3];
  gboolean in_comment = FALSE;
  gboolean any_content = FALSE;
  int section = -1;

  p->checklist = g_ptr_array_new_with_free_func (hb_instruction_item_free);
  p->rules = g_ptr_array_new_with_free_func (hb_instruction_item_free);
  p->proactive = g_ptr_array_new_with_free_func (hb_instruction_item_free);
  sections[HB_SECTION_CHECKLIST] = p->checklist;
  sections[HB_SECTION_RULES] = p->rules;
  sections[HB_SECTION_PROACTIVE] = p->proactive;

  for (char **l = lines; *l != NULL; l++)
    {
      g_autoptr(GString) visible = g_string_new (NULL);
      HbInstructionItem *item;
      gboolean is_checkbox, checked;
      char *trimmed, *item_text;
      int level;

      hb_strip_comments (*l, &in_comment, visible);
      trimmed = g_strstrip (visible->str);   /* also drops the \r of CRLF files */
      if (*trimmed == '\0' || hb_is_thematic_break (trimmed))
        continue;

      level = hb_heading_level (trimmed);
      if (level != 0)
        {
          /* "## " headings choose the section as CRT does; a new top-level heading ends it;
           * deeper headings are sub-headings of the current section. */
          if (level == 2)
            section = hb_section_for_heading (trimmed + 2);
          else if (level == 1)
            section = -1;
          continue;
        }

      item_text = hb_parse_item (trimmed, &is_checkbox, &checked);
      if (*item_text == '\0')
        {
          g_free (item_text);
          continue;
        }
      any_content = TRUE;
      if (section < 0)
        {
          g_free (item_text);
          continue;
        }
      item = g_new0 (HbInstructionItem, 1);
      item->section = (HbSection) section;
      item->text = item_text;
      item->is_checkbox = is_checkbox;
      item->checked = checked;
      g_ptr_array_add (sections[section], item);
    }

  p->effectively_empty = !any_content;
  return p;
}

gboolean
hb_instructions_text_is_effectively_empty (const char *text)
{
  g_autoptr(HbInstructionsParsed) p = hb_instructions_parse (text);

  return p->effectively_empty;
}

