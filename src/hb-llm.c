/* hb-llm.c: the model server client: a pool of connections, chat with retries, the probe.
 *
 * Deadlines: connect and time-to-headers apply to each HTTP attempt (hb-llm-http.c); the total
 * deadline covers the whole call, retries and backoff waits included, so a caller knows the
 * longest a chat can take. libsoup's own I/O timeout is switched off: it would cut a model load
 * that holds the headers for minutes. */
#include "config.h"

#include <string.h>

#include "hb-error.h"
#include "hb-llm-private.h"

#define HB_LLM_MAX_BACKOFF_MS 60000

struct _HbLlmClient
{
  GObject parent_instance;
  HbLlmSettings *settings;
  HbLlmPool *pool;
  char *chat_url;               /* the backend's chat endpoint, parsed once: */
  GUri *chat_uri;               /* NULL when not a usable URL */
};

G_DEFINE_FINAL_TYPE (HbLlmClient, hb_llm_client, G_TYPE_OBJECT)

static void
hb_llm_client_finalize (GObject *object)
{
  HbLlmClient *self = HB_LLM_CLIENT (object);

  g_clear_pointer (&self->pool, hb_llm_pool_unref);
  g_clear_pointer (&self->chat_uri, g_uri_unref);
  g_free (self->chat_url);
  g_clear_pointer (&self->settings, hb_llm_settings_free);
  G_OBJECT_CLASS (hb_llm_client_parent_class)->finalize (object);
}

static void
hb_llm_client_class_init (HbLlmClientClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = hb_llm_client_finalize;
}

static void
hb_llm_client_init (HbLlmClient *self)
{
}

/* Proxies only when the environment names one: the default resolver asks GSettings (and so dconf)
 * for every new connection, which a system service without a home cannot serve, and a model
 * server on loopback never needs a proxy. */
static GProxyResolver *
proxy_resolver_from_environment (void)
{
  const char *names[] = { "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy",
                          "ALL_PROXY" };
  const char *no_proxy = g_getenv ("no_proxy") ? g_getenv ("no_proxy") : g_getenv ("NO_PROXY");
  g_auto(GStrv) ignore = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *value = g_getenv (names[i]);

      if (value == NULL || value[0] == '\0')
        continue;
      if (no_proxy != NULL)
        ignore = g_strsplit (no_proxy, ",", -1);
      return g_simple_proxy_resolver_new (value, ignore);
    }
  return NULL;
}

HbLlmClient *
hb_llm_client_new (const HbLlmSettings *settings)
{
  HbLlmClient *self;
  guint conns;
  g_autofree char *base = NULL;
  g_autoptr(GProxyResolver) proxy = NULL;

  g_return_val_if_fail (settings != NULL, NULL);

  self = g_object_new (HB_TYPE_LLM_CLIENT, NULL);
  self->settings = hb_llm_settings_copy (settings);
  /* Trailing slashes would double up in the endpoint URLs. */
  base = g_strdup (settings->base_url != NULL ? settings->base_url : "http://127.0.0.1:11434");
  while (g_str_has_suffix (base, "/"))
    base[strlen (base) - 1] = '\0';
  g_free (self->settings->base_url);
  self->settings->base_url = g_steal_pointer (&base);

  conns = settings->max_conns > 0 ? settings->max_conns : 8;
  proxy = proxy_resolver_from_environment ();
  self->pool = hb_llm_pool_new (conns, proxy);
  self->chat_url = g_strconcat (self->settings->base_url,
                                settings->kind == HB_BACKEND_OPENAI ? "/v1/chat/completions"
                                                                    : "/api/chat", NULL);
  self->chat_uri = hb_llm_parse_url (self->chat_url);
  return self;
}

const HbLlmSettings *
hb_llm_client_get_settings (HbLlmClient *self)
{
  g_return_val_if_fail (HB_IS_LLM_CLIENT (self), NULL);
  return self->settings;
}

/* What a chat and a probe share: our own cancellable, fed by the caller's and by the total
 * deadline, and the knowledge of which of the two fired. */
typedef struct
{
  GCancellable *cancel;
  GSource *caller_source;
  GSource *total_timer;
  guint total_timeout_s;
  gboolean total_fired;
} HbLlmGuard;

static gboolean
hb_llm_guard_caller_cancelled (GCancellable *caller, gpointer data)
{
  HbLlmGuard *g = data;

  g_clear_pointer (&g->caller_source, g_source_unref);
  g_cancellable_cancel (g->cancel);
  return G_SOURCE_REMOVE;
}

static gboolean
hb_llm_guard_total_deadline (gpointer data)
{
  HbLlmGuard *g = data;

  g_clear_pointer (&g->total_timer, g_source_unref);
  g->total_fired = TRUE;
  g_cancellable_cancel (g->cancel);
  return G_SOURCE_REMOVE;
}

static void
hb_llm_guard_init (HbLlmGuard *g, GCancellable *caller, guint total_timeout_s)
{
  g->cancel = g_cancellable_new ();
  g->total_timeout_s = total_timeout_s;
  if (caller != NULL)
    g->caller_source = hb_llm_source_attach (g_cancellable_source_new (caller),
                                             G_SOURCE_FUNC (hb_llm_guard_caller_cancelled), g);
  if (total_timeout_s > 0)
    g->total_timer = hb_llm_timeout_attach (total_timeout_s, hb_llm_guard_total_deadline, g);
}

static void
hb_llm_guard_clear (HbLlmGuard *g)
{
  hb_llm_source_clear (&g->caller_source);
  hb_llm_source_clear (&g->total_timer);
  g_clear_object (&g->cancel);
}

/* A cancelled exchange: the total deadline, or the caller. */
static GError *
hb_llm_guard_cancel_error (HbLlmGuard *g)
{
  if (g->total_fired)
    return g_error_new (HB_LLM_ERROR, HB_LLM_ERROR_TIMEOUT,
                        "No complete reply within %u s (total deadline)", g->total_timeout_s);
  return g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "The request was cancelled");
}

typedef struct
{
  HbLlmClient *self;
  HbLlmGuard guard;
  GBytes *body;
  char *options_json;
  HbOllamaStream *stream;   /* Ollama with settings->stream only */
  GSource *backoff_timer;
  GSource *backoff_cancel;
  guint attempts;
} HbChat;

static void
hb_chat_free (gpointer data)
{
  HbChat *c = data;

  hb_llm_source_clear (&c->backoff_timer);
  hb_llm_source_clear (&c->backoff_cancel);
  hb_llm_guard_clear (&c->guard);
  g_clear_pointer (&c->stream, hb_ollama_stream_free);
  g_clear_pointer (&c->body, g_bytes_unref);
  g_free (c->options_json);
  g_clear_object (&c->self);
  g_free (c);
}

static void hb_chat_attempt (GTask *task);

static void
hb_chat_return_error (GTask *task, GError *error)
{
  g_task_return_error (task, error);
  g_object_unref (task);
}

static gboolean
hb_chat_backoff_done (gpointer data)
{
  GTask *task = data;
  HbChat *c = g_task_get_task_data (task);

  hb_llm_source_clear (&c->backoff_timer);
  hb_llm_source_clear (&c->backoff_cancel);
  hb_chat_attempt (task);
  return G_SOURCE_REMOVE;
}

static gboolean
hb_chat_backoff_cancelled (GCancellable *cancel, gpointer data)
{
  GTask *task = data;
  HbChat *c = g_task_get_task_data (task);

  hb_llm_source_clear (&c->backoff_timer);
  hb_llm_source_clear (&c->backoff_cancel);
  hb_chat_return_error (task, hb_llm_guard_cancel_error (&c->guard));
  return G_SOURCE_REMOVE;
}

/* base * 2^(n-1), then "equal jitter": half fixed, half random, so that clients that failed
 * together do not come back together. */
static guint
hb_chat_backoff_ms (guint base_ms, guint attempt)
{
  guint64 delay = base_ms;

  for (guint i = 1; i < attempt && delay < HB_LLM_MAX_BACKOFF_MS; i++)
    delay *= 2;
  delay = MIN (delay, HB_LLM_MAX_BACKOFF_MS);
  return (guint) (delay / 2 + (delay > 1 ? g_random_int_range (0, (gint32) (delay / 2) + 1) : 0));
}

static void
hb_chat_sent_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  HbChat *c = g_task_get_task_data (task);
  const HbLlmSettings *settings = c->self->settings;
  g_autoptr(GBytes) body = NULL;
  GError *error = NULL;
  HbLlmResponse *response;

  body = hb_llm_http_send_finish (result, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_error_free (error);
          hb_chat_return_error (task, hb_llm_guard_cancel_error (&c->guard));
          return;
        }
      if (hb_llm_error_is_transient (error) && c->attempts <= settings->retries)
        {
          guint delay;

          /* Cancelled as this reply came in: the wait for another try would end at once. */
          if (g_cancellable_is_cancelled (c->guard.cancel))
            {
              g_error_free (error);
              hb_chat_return_error (task, hb_llm_guard_cancel_error (&c->guard));
              return;
            }
          delay = hb_chat_backoff_ms (settings->retry_base_ms, c->attempts);
          g_debug ("Attempt %u at %s failed (%s); retrying in %u ms", c->attempts,
                   c->self->chat_url, error->message, delay);
          g_error_free (error);
          c->backoff_timer = hb_llm_source_attach (g_timeout_source_new (delay),
                                                   hb_chat_backoff_done, task);
          c->backoff_cancel = hb_llm_source_attach (g_cancellable_source_new (c->guard.cancel),
                                                    G_SOURCE_FUNC (hb_chat_backoff_cancelled),
                                                    task);
          return;
        }
      if (c->attempts > 1)
        g_prefix_error (&error, "After %u attempts: ", c->attempts);
      hb_chat_return_error (task, error);
      return;
    }

  if (c->stream != NULL)
    response = hb_ollama_stream_finish (c->stream, &error);
  else if (settings->kind == HB_BACKEND_OPENAI)
    response = hb_openai_parse_reply (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  else
    response = hb_ollama_parse_reply (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  if (response == NULL)
    {
      hb_chat_return_error (task, error);
      return;
    }
  response->attempts = c->attempts;
  response->options_json = g_strdup (c->options_json);
  g_task_return_pointer (task, response, (GDestroyNotify) hb_llm_response_free);
  g_object_unref (task);
}

static void
hb_chat_attempt (GTask *task)
{
  HbChat *c = g_task_get_task_data (task);
  const HbLlmSettings *settings = c->self->settings;

  c->attempts++;
  if (c->stream != NULL)
    hb_ollama_stream_reset (c->stream);
  hb_llm_http_send_async (c->self->pool, settings, "POST", c->self->chat_uri, c->self->chat_url,
                          c->body, c->stream != NULL ? hb_ollama_stream_line : NULL, c->stream,
                          settings->connect_timeout_s, settings->headers_timeout_s,
                          c->guard.cancel, hb_chat_sent_cb, task);
}

void
hb_llm_client_chat_async (HbLlmClient *self,
                          const HbLlmRequest *request,
                          GCancellable *cancellable,
                          GAsyncReadyCallback callback,
                          gpointer user_data)
{
  const HbLlmSettings *settings;
  GTask *task;
  HbChat *c;

  g_return_if_fail (HB_IS_LLM_CLIENT (self));
  g_return_if_fail (request != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  settings = self->settings;
  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, hb_llm_client_chat_async);

  if (request->model == NULL || request->model[0] == '\0')
    {
      g_task_return_new_error (task, HB_LLM_ERROR, HB_LLM_ERROR_BAD_REQUEST,
                               "No model named in the request");
      g_object_unref (task);
      return;
    }

  c = g_new0 (HbChat, 1);
  g_task_set_task_data (task, c, hb_chat_free);
  c->self = g_object_ref (self);
  hb_llm_guard_init (&c->guard, cancellable, settings->total_timeout_s);
  if (settings->kind == HB_BACKEND_OPENAI)
    c->body = hb_openai_chat_body (settings, request, &c->options_json);
  else
    {
      c->body = hb_ollama_chat_body (settings, request, &c->options_json);
      if (settings->stream)
        c->stream = hb_ollama_stream_new ();
    }
  hb_chat_attempt (task);
}

HbLlmResponse *
hb_llm_client_chat_finish (HbLlmClient *self, GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == hb_llm_client_chat_async, NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Probe */

typedef struct
{
  HbLlmClient *self;
  HbLlmGuard guard;
  char *model;
  char *version;
  char *detail;
} HbProbe;

static void
hb_probe_free (gpointer data)
{
  HbProbe *p = data;

  hb_llm_guard_clear (&p->guard);
  g_free (p->model);
  g_free (p->version);
  g_free (p->detail);
  g_clear_object (&p->self);
  g_free (p);
}

static void
hb_probe_return (GTask *task, HbBackendState state, char *detail)
{
  HbProbe *p = g_task_get_task_data (task);

  g_free (p->detail);
  p->detail = detail;
  g_task_return_int (task, state);
  g_object_unref (task);
}

static void
hb_probe_get (GTask *task, const char *path, GAsyncReadyCallback callback)
{
  HbProbe *p = g_task_get_task_data (task);
  const HbLlmSettings *settings = p->self->settings;
  g_autofree char *url = g_strconcat (settings->base_url, path, NULL);
  guint deadline = settings->connect_timeout_s > 0 ? settings->connect_timeout_s : 10;

  hb_llm_http_send_async (p->self->pool, settings, "GET", NULL, url, NULL, NULL, NULL, deadline,
                          deadline, p->guard.cancel, callback, task);
}

/* The body of a probe step, or NULL after returning UNREACHABLE/UNKNOWN with the reason. */
static GBytes *
hb_probe_step_finish (GTask *task, GAsyncResult *result)
{
  HbProbe *p = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  GBytes *body = hb_llm_http_send_finish (result, &error);

  if (body != NULL)
    return body;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_autoptr(GError) why = hb_llm_guard_cancel_error (&p->guard);

      hb_probe_return (task, p->guard.total_fired ? HB_BACKEND_STATE_UNREACHABLE
                                                  : HB_BACKEND_STATE_UNKNOWN,
                       g_strdup (why->message));
    }
  else
    hb_probe_return (task, HB_BACKEND_STATE_UNREACHABLE, g_strdup (error->message));
  return NULL;
}

static void
hb_probe_models_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  HbProbe *p = g_task_get_task_data (task);
  g_autoptr(GBytes) body = hb_probe_step_finish (task, result);
  g_autoptr(GError) error = NULL;
  gboolean have;

  if (body == NULL)
    return;
  if (p->self->settings->kind == HB_BACKEND_OPENAI)
    have = hb_openai_models_have_model (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                        p->model != NULL ? p->model : "", &error);
  else
    have = hb_ollama_tags_have_model (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                                      p->model, &error);
  if (error != NULL)
    hb_probe_return (task, HB_BACKEND_STATE_UNREACHABLE,
                     g_strdup_printf ("Not a usable model server: %s", error->message));
  else if (p->model == NULL)
    hb_probe_return (task, HB_BACKEND_STATE_AVAILABLE,
                     g_strdup_printf ("Server at %s answers", p->self->settings->base_url));
  else if (have)
    hb_probe_return (task, HB_BACKEND_STATE_AVAILABLE,
                     p->version != NULL
                     ? g_strdup_printf ("Ollama %s, model %s present", p->version, p->model)
                     : g_strdup_printf ("Server at %s, model %s present",
                                        p->self->settings->base_url, p->model));
  else
    hb_probe_return (task, HB_BACKEND_STATE_MODEL_MISSING,
                     g_strdup_printf ("Model %s is not on the server at %s", p->model,
                                      p->self->settings->base_url));
}

static void
hb_probe_version_cb (GObject *source, GAsyncResult *result, gpointer data)
{
  GTask *task = data;
  HbProbe *p = g_task_get_task_data (task);
  g_autoptr(GBytes) body = hb_probe_step_finish (task, result);
  g_autoptr(JsonObject) obj = NULL;
  g_autoptr(GError) error = NULL;
  const char *version;

  if (body == NULL)
    return;
  obj = hb_llm_parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                             "/api/version reply", &error);
  version = obj != NULL ? hb_json_get_string (obj, "version") : NULL;
  if (version == NULL)
    {
      hb_probe_return (task, HB_BACKEND_STATE_UNREACHABLE,
                       g_strdup_printf ("%s does not answer like Ollama: %s",
                                        p->self->settings->base_url,
                                        error != NULL ? error->message : "no \"version\""));
      return;
    }
  p->version = g_strdup (version);
  if (p->model == NULL)
    {
      hb_probe_return (task, HB_BACKEND_STATE_AVAILABLE, g_strdup_printf ("Ollama %s", version));
      return;
    }
  hb_probe_get (task, "/api/tags", hb_probe_models_cb);
}

void
hb_llm_client_probe_async (HbLlmClient *self,
                           const char *model,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
  const HbLlmSettings *settings;
  GTask *task;
  HbProbe *p;
  guint deadline;

  g_return_if_fail (HB_IS_LLM_CLIENT (self));
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  settings = self->settings;
  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, hb_llm_client_probe_async);
  p = g_new0 (HbProbe, 1);
  g_task_set_task_data (task, p, hb_probe_free);
  p->self = g_object_ref (self);
  p->model = model != NULL && model[0] != '\0' ? g_strdup (model) : NULL;
  /* Two short requests: the whole probe gets twice the connect deadline. */
  deadline = settings->connect_timeout_s > 0 ? settings->connect_timeout_s : 10;
  hb_llm_guard_init (&p->guard, cancellable, deadline * 2);

  if (settings->kind == HB_BACKEND_OPENAI)
    hb_probe_get (task, "/v1/models", hb_probe_models_cb);
  else
    hb_probe_get (task, "/api/version", hb_probe_version_cb);
}

HbBackendState
hb_llm_client_probe_finish (HbLlmClient *self, GAsyncResult *result, char **detail)
{
  HbProbe *p;
  gssize state;

  g_return_val_if_fail (g_task_is_valid (result, self), HB_BACKEND_STATE_UNKNOWN);
  p = g_task_get_task_data (G_TASK (result));
  state = g_task_propagate_int (G_TASK (result), NULL);
  if (detail != NULL)
    *detail = g_strdup (p != NULL ? p->detail : NULL);
  return state < 0 ? HB_BACKEND_STATE_UNKNOWN : (HbBackendState) state;
}
