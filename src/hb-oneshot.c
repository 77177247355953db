/* hb-oneshot.c: --run-once */
#include "config.h"

#include <stdio.h>
#include <glib/gi18n.h>

#include "hb-error.h"
#include "hb-oneshot.h"

typedef struct
{
  GMainLoop *loop;
  HbPipeline *pipeline;
  const HbDaemonConfig *config;
  const char *thread_id;
  HbRunResult *result;
  GError *error;
} OneShot;

static void
on_run (GObject *source, GAsyncResult *res, gpointer user_data)
{
  OneShot *o = user_data;

  o->result = hb_pipeline_run_finish (HB_PIPELINE (source), res, &o->error);
  g_main_loop_quit (o->loop);
}

static void
on_thread (GObject *source, GAsyncResult *res, gpointer user_data)
{
  OneShot *o = user_data;
  g_autoptr(HbThreadRow) row = NULL;
  g_autoptr(HbThreadConfig) cfg = NULL;
  g_autofree char *problem = NULL;
  HbRunRequest req = { 0 };

  row = hb_store_get_thread_finish (HB_STORE (source), res, &o->error);
  if (row == NULL)
    {
      g_main_loop_quit (o->loop);
      return;
    }
  cfg = hb_thread_config_resolve (o->config->defaults, row->config_json, &problem);
  if (problem != NULL)
    g_warning ("Thread %s: stored configuration: %s (defaults used)", o->thread_id, problem);

  req.thread_id = o->thread_id;
  req.config = cfg;
  hb_pipeline_run_async (o->pipeline, &req, NULL, on_run, o);
}

static void
on_ensure (GObject *source, GAsyncResult *res, gpointer user_data)
{
  OneShot *o = user_data;

  if (!hb_store_ensure_thread_finish (HB_STORE (source), res, NULL, &o->error))
    {
      g_main_loop_quit (o->loop);
      return;
    }
  hb_store_get_thread_async (HB_STORE (source), o->thread_id, NULL, on_thread, o);
}

static void
print_human (const HbRunResult *r, const HbLlmSettings *llm)
{
  /* TRANSLATORS: the labels of this report are padded so that the values line up; keep them
     aligned in the translation too. */
  g_print (_("Thread:   %s\n"), r->thread_id);
  g_print (_("Run:      %s\n"), r->run_id);
  g_print (_("Model:    %s at %s\n"), r->model, llm->base_url);
  g_print (_("Status:   %s%s%s%s\n"), hb_run_status_to_string (r->status),
           r->reason[0] != '\0' ? " (" : "", r->reason, r->reason[0] != '\0' ? ")" : "");
  if (r->action[0] != '\0')
    g_print (_("Action:   %s%s\n"), r->action, r->dry_run ? _(" (dry run: nothing written)") : "");
  if (r->title[0] != '\0')
    g_print (_("Title:    %s\n"), r->title);
  if (r->ledger_id >= 0)
    g_print (_("Ledger:   %s row %lld\n"), r->ledger_table, (long long) r->ledger_id);
  if (r->summary[0] != '\0')
    g_print (_("Summary:  %s\n"), r->summary);
  if (r->error[0] != '\0')
    g_print (_("Error:    %s\n"), r->error);
  if (r->status == HB_RUN_STATUS_FAILED && g_str_equal (r->reason, "backend-unavailable"))
    g_print (_("\nNo model server answered at %s. Start Ollama there, or point the daemon at one with\n"
               "--backend-url URL, OLLAMA_HOST, or [backend] url= in the configuration file.\n"
               "The run was recorded as failed.\n"), llm->base_url);
}

int
hb_oneshot_run (HbPipeline *pipeline, const HbDaemonConfig *config, const char *thread_id,
                gboolean json)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  OneShot o = { loop, pipeline, config, thread_id, NULL, NULL };
  g_autoptr(HbRunResult) result = NULL;
  int status;

  hb_store_ensure_thread_async (hb_pipeline_get_store (pipeline), thread_id, NULL, on_ensure, &o);
  g_main_loop_run (loop);
  result = o.result;
  if (result == NULL)
    {
      g_printerr (_("Could not run a heartbeat for %s: %s\n"), thread_id, o.error->message);
      g_error_free (o.error);
      return 1;
    }

  if (json)
    {
      g_autoptr(JsonNode) node = hb_run_result_to_json (result);
      g_autofree char *text = json_to_string (node, TRUE);

      g_print ("%s\n", text);
    }
  else
    print_human (result, hb_llm_client_get_settings (hb_pipeline_get_llm (pipeline)));

  status = hb_run_status_is_success (result->status) ? 0 : 1;
  return status;
}
