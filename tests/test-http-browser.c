/* test-http-browser.c: the browser test's stage: a private bus, the fake Ollama and the daemon
 * with the bridge on a free loopback port, then the Node.js script that drives headless Chromium
 * against it. Usage: test-http-browser SCRIPT SCREENSHOT [NODE_PATH]; exits with the script's
 * status (77: skipped). */
#include "config.h"

#include <string.h>

#include "hb-test-daemon.h"

static gboolean
exists (gpointer user_data)
{
  return g_file_test (user_data, G_FILE_TEST_EXISTS);
}

static gboolean
flag_set (gpointer user_data)
{
  return *(gboolean *) user_data;
}

static void
on_waited (GObject *source, GAsyncResult *res, gpointer user_data)
{
  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  *(gboolean *) user_data = TRUE;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HbTestEnv) env = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) node = NULL;
  g_autofree char *url_file = NULL;
  g_autofree char *url_arg = NULL;
  g_autofree char *url = NULL;
  g_autofree char *panel = NULL;
  g_autofree char *panel_env = NULL;
  g_autofree char *md = NULL;
  gboolean exited = FALSE;
  int status;

  if (argc < 3)
    {
      g_printerr ("usage: %s SCRIPT SCREENSHOT [NODE_PATH]\n", argv[0]);
      return 2;
    }
  /* The harness asserts like a GTest program. */
  g_test_init (&argc, &argv, NULL);
  env = hb_test_env_new (NULL);
  md = g_build_filename (hb_test_env_get_workspace (env), "HEARTBEAT.md", NULL);
  g_assert_true (g_file_set_contents (md, "# Heartbeat\n\n## Checklist\n- Look around.\n", -1,
                                      NULL));
  url_file = g_build_filename (hb_test_env_get_tmpdir (env), "http-url", NULL);
  url_arg = g_strdup_printf ("--http-url-file=%s", url_file);
  panel = g_test_build_filename (G_TEST_DIST, "..", "data", "panel", NULL);
  panel_env = g_strdup_printf ("HB_PANEL_DIR=%s", panel);
  {
    const char *args[] = { "--http=127.0.0.1:0", url_arg, NULL };
    const char *envp[] = { panel_env, NULL };
    HbTestDaemonOptions options = { args, envp };

    if (hb_test_daemon_start (env, &options, &error) == NULL)
      {
        g_printerr ("The daemon did not start: %s\n", error->message);
        hb_test_env_print_logs (env);
        return 1;
      }
  }
  g_assert_true (hb_test_wait_until (exists, url_file, HB_TEST_TIMEOUT_MS));
  g_assert_true (g_file_get_contents (url_file, &url, NULL, NULL));

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  if (argc > 3)
    g_subprocess_launcher_setenv (launcher, "NODE_PATH", argv[3], TRUE);
  node = g_subprocess_launcher_spawn (launcher, &error, "node", argv[1], url, argv[2],
                                      hb_test_env_get_fake_url (env), NULL);
  if (node == NULL)
    {
      g_printerr ("Cannot run node: %s\n", error->message);
      return 77;
    }
  g_subprocess_wait_async (node, NULL, on_waited, &exited);
  if (!hb_test_wait_until (flag_set, &exited, 480000))
    {
      g_subprocess_force_exit (node);
      g_printerr ("The browser script did not finish in time\n");
      hb_test_env_print_logs (env);
      return 1;
    }
  status = g_subprocess_get_if_exited (node) ? g_subprocess_get_exit_status (node) : 1;
  if (status != 0 && status != 77)
    hb_test_env_print_logs (env);
  return status;
}
