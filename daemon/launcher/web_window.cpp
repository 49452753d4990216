// SPDX-License-Identifier: Apache-2.0
#include "launcher/web_window.h"

#if HEARTH_HAVE_WEBKIT

#include <glib-unix.h>
#include <gtk/gtk.h>
#include <webkit2/webkit2.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "base/paths.h"
#include "launcher/navigation.h"
#include "launcher/window_state.h"

namespace hearth::launcher {
namespace {

// Saving waits until the size has settled for this long, so a drag writes the file once.
constexpr guint kSaveDelayMs = 500;
// A crashed web process is replaced by reloading the page, a few times per run at most.
constexpr int kMaxCrashReloads = 3;

struct GObjectUnref {
  void operator()(gpointer p) const { g_object_unref(p); }
};
template <typename T>
using GObjectPtr = std::unique_ptr<T, GObjectUnref>;

void Warn(const std::string& message) { std::fprintf(stderr, "hearth: %s\n", message.c_str()); }

// Everything the callbacks share. Lives on RunWebWindow's stack for the whole main loop.
struct Window {
  std::string origin;
  GtkWindow* window = nullptr;  // owned by GTK (a toplevel); null once destroyed
  WebKitWebView* view = nullptr;
  WindowState state;  // what the window looks like now
  WindowState saved;  // what window.ini holds
  guint save_timer = 0;
  int crash_reloads = 0;
};

void SaveNow(Window* w) {
  if (w->save_timer != 0) {
    g_source_remove(w->save_timer);
    w->save_timer = 0;
  }
  if (w->state == w->saved) return;
  if (Status s = SaveWindowState(w->state); !s.ok()) {
    Warn("could not remember the window size: " + s.message());
    return;
  }
  w->saved = w->state;
}

gboolean OnSaveTimer(gpointer data) {
  auto* w = static_cast<Window*>(data);
  w->save_timer = 0;
  SaveNow(w);
  return G_SOURCE_REMOVE;
}

void ScheduleSave(Window* w) {
  if (w->save_timer != 0) g_source_remove(w->save_timer);
  w->save_timer = g_timeout_add(kSaveDelayMs, OnSaveTimer, w);
}

void OnSizeAllocate(GtkWidget*, GdkRectangle*, gpointer data) {
  auto* w = static_cast<Window*>(data);
  // A maximized window keeps the size it had before, so that unmaximizing restores it.
  if (w->window == nullptr || w->state.maximized) return;
  int width = 0, height = 0;
  gtk_window_get_size(w->window, &width, &height);
  if (width == w->state.width && height == w->state.height) return;
  w->state.width = width;
  w->state.height = height;
  ScheduleSave(w);
}

gboolean OnWindowState(GtkWidget*, GdkEventWindowState* event, gpointer data) {
  auto* w = static_cast<Window*>(data);
  bool maximized = (event->new_window_state & GDK_WINDOW_STATE_MAXIMIZED) != 0;
  if (maximized != w->state.maximized) {
    w->state.maximized = maximized;
    ScheduleSave(w);
  }
  return FALSE;
}

void OnDestroy(GtkWidget*, gpointer data) {
  auto* w = static_cast<Window*>(data);
  SaveNow(w);
  w->window = nullptr;
  w->view = nullptr;
  gtk_main_quit();
}

gboolean OnQuitSignal(gpointer data) {
  auto* w = static_cast<Window*>(data);
  if (w->window != nullptr) gtk_widget_destroy(GTK_WIDGET(w->window));
  return G_SOURCE_CONTINUE;
}

void OnTitleChanged(WebKitWebView* view, GParamSpec*, gpointer data) {
  auto* w = static_cast<Window*>(data);
  if (w->window == nullptr) return;
  const char* title = webkit_web_view_get_title(view);
  gtk_window_set_title(w->window, title != nullptr && title[0] != '\0' ? title : "Hearth");
}

void ShowOpenFailure(Window* w, const char* uri, const char* reason) {
  if (w->window == nullptr) return;
  GtkWidget* dialog =
      gtk_message_dialog_new(w->window, GTK_DIALOG_DESTROY_WITH_PARENT, GTK_MESSAGE_WARNING,
                             GTK_BUTTONS_CLOSE, "Hearth could not open this link in your browser");
  gtk_message_dialog_format_secondary_text(GTK_MESSAGE_DIALOG(dialog),
                                           "%s\n\n%s\n\nCopy the link into a browser, or set a "
                                           "default web browser in your desktop's settings.",
                                           uri, reason);
  g_signal_connect(dialog, "response", G_CALLBACK(gtk_widget_destroy), nullptr);
  gtk_widget_show(dialog);
}

void OpenInDefaultBrowser(Window* w, const char* uri) {
  GdkAppLaunchContext* launch =
      gdk_display_get_app_launch_context(gtk_widget_get_display(GTK_WIDGET(w->window)));
  GError* error = nullptr;
  if (!g_app_info_launch_default_for_uri(uri, G_APP_LAUNCH_CONTEXT(launch), &error)) {
    Warn(std::string("could not open ") + uri + " in the browser: " + error->message);
    ShowOpenFailure(w, uri, error->message);
    g_error_free(error);
  }
  g_object_unref(launch);
}

gboolean DecideNavigationPolicy(Window* w, WebKitPolicyDecision* decision, bool new_window) {
  WebKitNavigationAction* action = webkit_navigation_policy_decision_get_navigation_action(
      WEBKIT_NAVIGATION_POLICY_DECISION(decision));
  WebKitURIRequest* request = webkit_navigation_action_get_request(action);
  const char* uri = webkit_uri_request_get_uri(request);
  if (uri == nullptr) uri = "";
  switch (DecideNavigation(uri, w->origin, webkit_navigation_action_is_user_gesture(action))) {
    case Navigation::kLoad:
      if (!new_window) {
        webkit_policy_decision_use(decision);
        return TRUE;
      }
      // One window: a page of Hearth's own that asks for a new one opens here instead.
      webkit_web_view_load_request(w->view, request);
      break;
    case Navigation::kOpenInBrowser:
      OpenInDefaultBrowser(w, uri);
      break;
    case Navigation::kRefuse:
      break;
  }
  webkit_policy_decision_ignore(decision);
  return TRUE;
}

gboolean OnDecidePolicy(WebKitWebView*, WebKitPolicyDecision* decision,
                        WebKitPolicyDecisionType type, gpointer data) {
  auto* w = static_cast<Window*>(data);
  try {
    switch (type) {
      case WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION:
        return DecideNavigationPolicy(w, decision, false);
      case WEBKIT_POLICY_DECISION_TYPE_NEW_WINDOW_ACTION:
        return DecideNavigationPolicy(w, decision, true);
      case WEBKIT_POLICY_DECISION_TYPE_RESPONSE:
        // Hearth serves nothing to download; anything WebKit cannot show is dropped instead of
        // being saved somewhere.
        if (!webkit_response_policy_decision_is_mime_type_supported(
                WEBKIT_RESPONSE_POLICY_DECISION(decision))) {
          webkit_policy_decision_ignore(decision);
          return TRUE;
        }
        return FALSE;
    }
  } catch (...) {
    // Out of memory building a string: refuse rather than let an exception cross into C.
  }
  webkit_policy_decision_ignore(decision);
  return TRUE;
}

// Camera, microphone, location, notifications, pointer lock...: Hearth asks for none of them.
gboolean OnPermissionRequest(WebKitWebView*, WebKitPermissionRequest* request, gpointer) {
  webkit_permission_request_deny(request);
  return TRUE;
}

void OnDownloadStarted(WebKitWebContext*, WebKitDownload* download, gpointer) {
  webkit_download_cancel(download);
}

// Drops the menu entries that would open a second window, download or inspect.
gboolean OnContextMenu(WebKitWebView*, WebKitContextMenu* menu, GdkEvent*, WebKitHitTestResult*,
                       gpointer) {
  std::vector<WebKitContextMenuItem*> drop;
  for (GList* l = webkit_context_menu_get_items(menu); l != nullptr; l = l->next) {
    auto* item = static_cast<WebKitContextMenuItem*>(l->data);
    switch (webkit_context_menu_item_get_stock_action(item)) {
      case WEBKIT_CONTEXT_MENU_ACTION_OPEN_LINK_IN_NEW_WINDOW:
      case WEBKIT_CONTEXT_MENU_ACTION_DOWNLOAD_LINK_TO_DISK:
      case WEBKIT_CONTEXT_MENU_ACTION_OPEN_IMAGE_IN_NEW_WINDOW:
      case WEBKIT_CONTEXT_MENU_ACTION_DOWNLOAD_IMAGE_TO_DISK:
      case WEBKIT_CONTEXT_MENU_ACTION_OPEN_FRAME_IN_NEW_WINDOW:
      case WEBKIT_CONTEXT_MENU_ACTION_OPEN_VIDEO_IN_NEW_WINDOW:
      case WEBKIT_CONTEXT_MENU_ACTION_OPEN_AUDIO_IN_NEW_WINDOW:
      case WEBKIT_CONTEXT_MENU_ACTION_DOWNLOAD_VIDEO_TO_DISK:
      case WEBKIT_CONTEXT_MENU_ACTION_DOWNLOAD_AUDIO_TO_DISK:
      case WEBKIT_CONTEXT_MENU_ACTION_INSPECT_ELEMENT:
        drop.push_back(item);
        break;
      default:
        break;
    }
  }
  for (WebKitContextMenuItem* item : drop) webkit_context_menu_remove(menu, item);
  return FALSE;
}

void OnWebProcessTerminated(WebKitWebView* view, WebKitWebProcessTerminationReason reason,
                            gpointer data) {
  auto* w = static_cast<Window*>(data);
  if (reason == WEBKIT_WEB_PROCESS_TERMINATED_BY_API) return;
  if (w->crash_reloads >= kMaxCrashReloads) {
    Warn("the page's web process ended again; not reloading it any more");
    return;
  }
  ++w->crash_reloads;
  Warn(reason == WEBKIT_WEB_PROCESS_CRASHED ? "the page's web process crashed; reloading"
                                            : "the page used too much memory; reloading");
  webkit_web_view_reload(view);
}

GObjectPtr<WebKitSettings> MakeSettings() {
  GObjectPtr<WebKitSettings> s(webkit_settings_new());
  WebKitSettings* settings = s.get();
  webkit_settings_set_enable_developer_extras(settings, FALSE);
  webkit_settings_set_javascript_can_open_windows_automatically(settings, FALSE);
  webkit_settings_set_javascript_can_access_clipboard(settings, FALSE);
  webkit_settings_set_allow_file_access_from_file_urls(settings, FALSE);
  webkit_settings_set_allow_universal_access_from_file_urls(settings, FALSE);
  webkit_settings_set_allow_top_navigation_to_data_urls(settings, FALSE);
  // The UI is HTML, CSS and a little script: no media, no 3D, no audio, no real-time channels,
  // no WebSQL, no fullscreen, no back-forward page cache (it only costs memory here).
  webkit_settings_set_enable_media(settings, FALSE);
  webkit_settings_set_enable_media_stream(settings, FALSE);
  webkit_settings_set_enable_mediasource(settings, FALSE);
  webkit_settings_set_enable_encrypted_media(settings, FALSE);
  webkit_settings_set_enable_media_capabilities(settings, FALSE);
  webkit_settings_set_enable_webrtc(settings, FALSE);
  webkit_settings_set_enable_webaudio(settings, FALSE);
  webkit_settings_set_enable_webgl(settings, FALSE);
  webkit_settings_set_enable_html5_database(settings, FALSE);
  webkit_settings_set_enable_fullscreen(settings, FALSE);
  webkit_settings_set_enable_page_cache(settings, FALSE);
  webkit_settings_set_enable_site_specific_quirks(settings, FALSE);
  webkit_settings_set_enable_write_console_messages_to_stdout(settings, FALSE);
  // Settings lists each session with its user agent: this one says it is the Hearth window.
  webkit_settings_set_user_agent_with_application_details(settings, "Hearth", HEARTH_VERSION);
  return s;
}

// A data manager of Hearth's own, so that WebKit writes nothing under the generic
// ~/.local/share/org.hearth.Hearth or ~/.cache. Persistent cookie storage is never switched on:
// the session cookie stays in memory (see web_window.h).
GObjectPtr<WebKitWebsiteDataManager> MakeDataManager() {
  auto data = DataDir();
  std::string dir = data.ok() ? *data + "/webview" : std::string();
  Status made = dir.empty() ? data.status() : EnsurePrivateDir(dir);
  if (!made.ok()) {
    Warn("keeping website data in memory only: " + made.message());
    return GObjectPtr<WebKitWebsiteDataManager>(webkit_website_data_manager_new_ephemeral());
  }
  std::string cache = dir + "/cache";
  GObjectPtr<WebKitWebsiteDataManager> manager(webkit_website_data_manager_new(
      "base-data-directory", dir.c_str(), "base-cache-directory", cache.c_str(), nullptr));
  webkit_website_data_manager_set_persistent_credential_storage_enabled(manager.get(), FALSE);
  return manager;
}

}  // namespace

Status RunWebWindow(const LoginUrl& login) {
  g_set_prgname(kAppId);
  g_set_application_name("Hearth");
  if (!gtk_init_check(nullptr, nullptr)) {
    const char* wayland = g_getenv("WAYLAND_DISPLAY");
    const char* x11 = g_getenv("DISPLAY");
    return Status::Unsupported(std::string("GTK cannot open the display (WAYLAND_DISPLAY=") +
                               (wayland ? wayland : "") + ", DISPLAY=" + (x11 ? x11 : "") + ")");
  }
  gdk_set_program_class(kAppId);
  gtk_window_set_default_icon_name(kAppId);

  Window w;
  w.origin = login.origin;
  w.state = LoadWindowState();
  w.saved = w.state;

  GObjectPtr<WebKitWebsiteDataManager> manager = MakeDataManager();
  GObjectPtr<WebKitWebContext> context(
      webkit_web_context_new_with_website_data_manager(manager.get()));
  // The page's process runs in bubblewrap: the pages it renders carry model output.
  webkit_web_context_set_sandbox_enabled(context.get(), TRUE);
  webkit_web_context_set_cache_model(context.get(), WEBKIT_CACHE_MODEL_DOCUMENT_VIEWER);
  webkit_cookie_manager_set_accept_policy(webkit_web_context_get_cookie_manager(context.get()),
                                          WEBKIT_COOKIE_POLICY_ACCEPT_NO_THIRD_PARTY);
  g_signal_connect(context.get(), "download-started", G_CALLBACK(OnDownloadStarted), nullptr);

  GObjectPtr<WebKitSettings> settings = MakeSettings();
  auto* view = WEBKIT_WEB_VIEW(g_object_new(WEBKIT_TYPE_WEB_VIEW, "web-context", context.get(),
                                            "settings", settings.get(), nullptr));
  w.view = view;
  g_signal_connect(view, "decide-policy", G_CALLBACK(OnDecidePolicy), &w);
  g_signal_connect(view, "permission-request", G_CALLBACK(OnPermissionRequest), nullptr);
  g_signal_connect(view, "context-menu", G_CALLBACK(OnContextMenu), nullptr);
  g_signal_connect(view, "notify::title", G_CALLBACK(OnTitleChanged), &w);
  g_signal_connect(view, "web-process-terminated", G_CALLBACK(OnWebProcessTerminated), &w);

  w.window = GTK_WINDOW(gtk_window_new(GTK_WINDOW_TOPLEVEL));
  gtk_window_set_title(w.window, "Hearth");
  gtk_window_set_default_size(w.window, w.state.width, w.state.height);
  if (w.state.maximized) gtk_window_maximize(w.window);
  gtk_container_add(GTK_CONTAINER(w.window), GTK_WIDGET(view));
  g_signal_connect(w.window, "size-allocate", G_CALLBACK(OnSizeAllocate), &w);
  g_signal_connect(w.window, "window-state-event", G_CALLBACK(OnWindowState), &w);
  g_signal_connect(w.window, "destroy", G_CALLBACK(OnDestroy), &w);

  // Closing by signal goes through the same path as closing the window: the size is saved.
  guint signal_sources[] = {g_unix_signal_add(SIGTERM, OnQuitSignal, &w),
                            g_unix_signal_add(SIGINT, OnQuitSignal, &w),
                            g_unix_signal_add(SIGHUP, OnQuitSignal, &w)};

  webkit_web_view_load_uri(view, login.url.c_str());
  gtk_widget_show_all(GTK_WIDGET(w.window));
  gtk_widget_grab_focus(GTK_WIDGET(view));
  gtk_main();

  for (guint id : signal_sources) g_source_remove(id);
  return Status::Ok();
}

}  // namespace hearth::launcher

#else  // !HEARTH_HAVE_WEBKIT

namespace hearth::launcher {

Status RunWebWindow(const LoginUrl&) {
  return Status::Unsupported("this hearth was built without WebKitGTK");
}

}  // namespace hearth::launcher

#endif
