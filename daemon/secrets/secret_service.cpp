// SPDX-License-Identifier: Apache-2.0
#include "secrets/secret_service.h"

#include <libsecret/secret.h>
#include <sys/stat.h>

#include <cstdlib>
#include <mutex>

namespace hearth::secrets {
namespace {

constexpr char kBusName[] = "org.freedesktop.secrets";
constexpr char kDefaultCollection[] = "/org/freedesktop/secrets/aliases/default";
constexpr char kWhere[] = "GNOME Keyring / Secret Service";

const SecretSchema* Schema() {
  static const SecretSchema schema = {
      .name = "org.hearth.Secret",
      .flags = SECRET_SCHEMA_NONE,
      .attributes = {{"name", SECRET_SCHEMA_ATTRIBUTE_STRING},
                     {nullptr, SECRET_SCHEMA_ATTRIBUTE_STRING}},
  };
  return &schema;
}

// Sole owners of GLib objects.
struct ErrorDeleter {
  void operator()(GError* error) const { g_error_free(error); }
};
using ErrorPtr = std::unique_ptr<GError, ErrorDeleter>;
struct ObjectDeleter {
  void operator()(gpointer object) const { g_object_unref(object); }
};
using ConnectionPtr = std::unique_ptr<GDBusConnection, ObjectDeleter>;
struct VariantDeleter {
  void operator()(GVariant* variant) const { g_variant_unref(variant); }
};
using VariantPtr = std::unique_ptr<GVariant, VariantDeleter>;

bool HaveSessionBus() {
  const char* address = std::getenv("DBUS_SESSION_BUS_ADDRESS");
  if (address != nullptr && *address != '\0') return true;
  const char* runtime = std::getenv("XDG_RUNTIME_DIR");
  struct stat st;
  return runtime != nullptr && *runtime == '/' &&
         stat((std::string(runtime) + "/bus").c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// The session bus connection GLib shares with libsecret. GLib would raise SIGTERM in the whole
// process when the bus goes away (exit-on-close); the backend must outlive its session bus.
ConnectionPtr SessionBus() {
  if (!HaveSessionBus()) return nullptr;
  GError* error = nullptr;
  GDBusConnection* bus = g_bus_get_sync(G_BUS_TYPE_SESSION, nullptr, &error);
  if (bus == nullptr) {
    if (error != nullptr) g_error_free(error);
    return nullptr;
  }
  g_dbus_connection_set_exit_on_close(bus, FALSE);
  return ConnectionPtr(bus);
}

int TimeoutMs(std::chrono::milliseconds timeout) { return static_cast<int>(timeout.count()); }

VariantPtr CallBus(GDBusConnection* bus, const char* method, GVariant* args,
                   const GVariantType* reply, std::chrono::milliseconds timeout) {
  GVariant* result = g_dbus_connection_call_sync(
      bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", method, args,
      reply, G_DBUS_CALL_FLAGS_NONE, TimeoutMs(timeout), nullptr, nullptr);
  return VariantPtr(result);
}

class SecretServiceStore final : public SecretStore {
 public:
  SecretServiceStore(ConnectionPtr bus, std::chrono::milliseconds timeout)
      : bus_(std::move(bus)), timeout_(timeout) {}

  Result<std::optional<std::string>> Get(std::string_view name) override {
    std::lock_guard lock(mu_);
    if (Status s = CheckLocked(); !s.ok()) return s;
    std::string key(name);
    GError* raw = nullptr;
    gchar* value =
        secret_password_lookup_sync(Schema(), nullptr, &raw, "name", key.c_str(), nullptr);
    ErrorPtr error(raw);
    if (error) return Failed("read " + key + " from", error.get());
    if (value == nullptr) return std::optional<std::string>();
    std::string out(value);
    secret_password_free(value);  // wipes the copy libsecret made
    return std::optional<std::string>(std::move(out));
  }

  Status Put(std::string_view name, std::string_view value) override {
    std::lock_guard lock(mu_);
    if (Status s = CheckLocked(); !s.ok()) return s;
    std::string key(name);
    std::string label = "Hearth: " + key;
    std::string text(value);
    GError* raw = nullptr;
    gboolean stored =
        secret_password_store_sync(Schema(), SECRET_COLLECTION_DEFAULT, label.c_str(), text.c_str(),
                                   nullptr, &raw, "name", key.c_str(), nullptr);
    ErrorPtr error(raw);
    if (!stored || error) return Failed("save " + key + " in", error.get());
    return Status::Ok();
  }

  Status Remove(std::string_view name) override {
    std::lock_guard lock(mu_);
    if (Status s = CheckLocked(); !s.ok()) return s;
    std::string key(name);
    GError* raw = nullptr;
    secret_password_clear_sync(Schema(), nullptr, &raw, "name", key.c_str(), nullptr);
    ErrorPtr error(raw);
    if (error) return Failed("remove " + key + " from", error.get());
    return Status::Ok();
  }

  Status Check() override {
    std::lock_guard lock(mu_);
    return CheckLocked();
  }

  std::string Where() const override { return kWhere; }

 private:
  // Asks the default collection whether it is locked; a locked one is never unlocked from here
  // (that would be a password prompt no one may be there to answer).
  Status CheckLocked() {
    GError* raw = nullptr;
    GVariant* reply = g_dbus_connection_call_sync(
        bus_.get(), kBusName, kDefaultCollection, "org.freedesktop.DBus.Properties", "Get",
        g_variant_new("(ss)", "org.freedesktop.Secret.Collection", "Locked"), G_VARIANT_TYPE("(v)"),
        G_DBUS_CALL_FLAGS_NONE, TimeoutMs(timeout_), nullptr, &raw);
    ErrorPtr error(raw);
    VariantPtr owned(reply);
    if (error) {
      if (g_error_matches(error.get(), G_IO_ERROR, G_IO_ERROR_TIMED_OUT)) {
        return Status::Unavailable(
            std::string("The Secret Service (") + kWhere + ") did not answer within " +
            std::to_string(timeout_.count()) +
            " ms, so Hearth cannot read or save API keys: check that it runs (`secret-tool "
            "search --all name x`), then restart Hearth (`hearthctl restart`)");
      }
      if (g_error_matches(error.get(), G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT) ||
          g_error_matches(error.get(), G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_METHOD)) {
        return Status::Unavailable(
            "The Secret Service has no default keyring, so Hearth has nowhere to keep API keys: "
            "create one (Passwords and Keys, or log in to the desktop once), then restart Hearth");
      }
      return Failed("reach", error.get());
    }
    GVariant* boxed = nullptr;
    g_variant_get(reply, "(v)", &boxed);
    VariantPtr value(boxed);
    if (!g_variant_is_of_type(boxed, G_VARIANT_TYPE_BOOLEAN)) {
      return Status::Unavailable("The Secret Service answered something unexpected for Locked");
    }
    if (g_variant_get_boolean(boxed)) {
      return Status::Unavailable(
          std::string("The keyring (") + kWhere +
          ") is locked, so Hearth cannot read or save API keys and MCP environment values: "
          "unlock it (log in to the desktop, or unlock \"Login\" in Passwords and Keys), then "
          "restart Hearth (`hearthctl restart`). Hearth does not fall back to a file while a "
          "keyring is there.");
    }
    return Status::Ok();
  }

  Status Failed(const std::string& what, const GError* error) const {
    return Status::Unavailable("Could not " + what + " the keyring (" + kWhere +
                               "): " + (error != nullptr ? error->message : "no reason given"));
  }

  const ConnectionPtr bus_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;  // one libsecret call at a time
};

}  // namespace

bool SecretServiceOnBus(std::chrono::milliseconds timeout) {
  ConnectionPtr bus = SessionBus();
  if (!bus) return false;
  VariantPtr owned = CallBus(bus.get(), "NameHasOwner", g_variant_new("(s)", kBusName),
                             G_VARIANT_TYPE("(b)"), timeout);
  if (owned) {
    gboolean has_owner = FALSE;
    g_variant_get(owned.get(), "(b)", &has_owner);
    if (has_owner) return true;
  }
  VariantPtr names =
      CallBus(bus.get(), "ListActivatableNames", nullptr, G_VARIANT_TYPE("(as)"), timeout);
  if (!names) return false;
  GVariantIter* iter = nullptr;
  g_variant_get(names.get(), "(as)", &iter);
  bool found = false;
  const gchar* name = nullptr;
  while (g_variant_iter_next(iter, "&s", &name))
    found = found || std::string_view(name) == kBusName;
  g_variant_iter_free(iter);
  return found;
}

std::unique_ptr<SecretStore> MakeSecretServiceStore(std::chrono::milliseconds timeout) {
  ConnectionPtr bus = SessionBus();
  if (!bus) return nullptr;
  return std::make_unique<SecretServiceStore>(std::move(bus), timeout);
}

}  // namespace hearth::secrets
