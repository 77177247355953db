/* fake-ollama: the test fake as a program, for integration tests of the real daemon.
 *
 *   fake-ollama [--port N] [--port-file FILE]
 *
 * Prints its URL on stdout (and writes it to FILE, atomically, once listening), serves until
 * SIGTERM or SIGINT, and takes its script over HTTP at /_fake/ (see hb-fake-ollama.h). */
#include "config.h"

#include <glib-unix.h>
#include <stdio.h>

#include "hb-fake-ollama.h"

static gboolean
on_signal (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

int
main (int argc, char **argv)
{
  int port = 0;
  g_autofree char *port_file = NULL;
  const GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, "Port on 127.0.0.1 (0: any free one)", "N" },
    { "port-file", 0, 0, G_OPTION_ARG_FILENAME, &port_file, "Write the URL to FILE", "FILE" },
    G_OPTION_ENTRY_NULL
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("- a scripted fake Ollama server");
  g_autoptr(GError) error = NULL;
  g_autoptr(HbFakeOllama) fake = NULL;
  g_autoptr(GMainLoop) loop = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("fake-ollama: %s\n", error->message);
      return 2;
    }
  if (port < 0 || port > 65535)
    {
      g_printerr ("fake-ollama: --port must be 0..65535\n");
      return 2;
    }

  fake = hb_fake_ollama_new_on_port ((guint) port, &error);
  if (fake == NULL)
    {
      g_printerr ("fake-ollama: cannot listen: %s\n", error->message);
      return 1;
    }
  hb_fake_ollama_enable_control (fake);

  if (port_file != NULL)
    {
      g_autofree char *contents = g_strdup_printf ("%s\n", hb_fake_ollama_get_url (fake));

      if (!g_file_set_contents (port_file, contents, -1, &error))
        {
          g_printerr ("fake-ollama: %s\n", error->message);
          return 1;
        }
    }
  g_print ("%s\n", hb_fake_ollama_get_url (fake));
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, on_signal, loop);
  g_unix_signal_add (SIGINT, on_signal, loop);
  g_main_loop_run (loop);
  return 0;
}
