// SPDX-License-Identifier: Apache-2.0
#include "http/server.h"

#include <microhttpd.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <strings.h>
#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "http/client_gone.h"
#include "http/front_door.h"

namespace hearth::http {
namespace {

constexpr size_t kStreamBlockBytes = 16 * 1024;
// Connections only ConnectPrivately() may use: the public ones are capped below the total.
constexpr unsigned kPrivateConnections = 2;

struct RequestContext;

}  // namespace

struct Server::Impl {
  Options options;
  MHD_Daemon* daemon = nullptr;
  std::unique_ptr<FrontDoor> front_door;

  std::mutex mu;
  std::condition_variable idle;
  // guarded by mu
  size_t in_flight = 0;
  bool stopping = false;
  std::set<std::shared_ptr<EventStream>> streams;

  MHD_Result Answer(MHD_Connection* connection, RequestContext& ctx, const char* url,
                    const char* method);
  MHD_Result Queue(MHD_Connection* connection, RequestContext& ctx, Response response);
  MHD_Response* Build(MHD_Connection* connection, RequestContext& ctx, Response& response);
};

namespace {

// Per-request state, from the first access-handler call to MHD_OPTION_NOTIFY_COMPLETED.
struct RequestContext {
  explicit RequestContext(Server::Impl* s) : server(s) {
    std::lock_guard lock(server->mu);
    ++server->in_flight;
  }
  ~RequestContext() {
    if (stream) {
      stream->Detach();
      std::lock_guard lock(server->mu);
      server->streams.erase(stream);
    }
    std::lock_guard lock(server->mu);
    if (--server->in_flight == 0) server->idle.notify_all();
  }

  Server::Impl* server;
  std::string body;
  bool body_too_large = false;
  std::shared_ptr<EventStream> stream;
};

// What the content reader of a streaming response needs; owned by the MHD_Response.
struct StreamBinding {
  MHD_Connection* connection;
  std::shared_ptr<EventStream> stream;
};

std::string Header(MHD_Connection* connection, const char* name) {
  const char* value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  return value != nullptr ? std::string(value) : std::string();
}

MHD_Result CountHosts(void* cls, MHD_ValueKind, const char* key, const char*) {
  if (key != nullptr && strcasecmp(key, MHD_HTTP_HEADER_HOST) == 0) ++*static_cast<int*>(cls);
  return MHD_YES;
}

MHD_Result CollectQuery(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* query = static_cast<std::vector<std::pair<std::string, std::string>>*>(cls);
  if (query->size() >= 64) return MHD_NO;  // more parameters than any page of ours sends
  query->emplace_back(key != nullptr ? key : "", value != nullptr ? value : "");
  return MHD_YES;
}

ssize_t StreamRead(void* cls, uint64_t, char* buf, size_t max) {
  auto* binding = static_cast<StreamBinding*>(cls);
  try {
    long n =
        binding->stream->Pull(buf, max, [binding] { MHD_suspend_connection(binding->connection); });
    if (n < 0) return MHD_CONTENT_READER_END_OF_STREAM;
    return n;
  } catch (...) {
    return MHD_CONTENT_READER_END_WITH_ERROR;
  }
}

void StreamFree(void* cls) { delete static_cast<StreamBinding*>(cls); }

MHD_Result OnRequest(void* cls, MHD_Connection* connection, const char* url, const char* method,
                     const char*, const char* upload_data, size_t* upload_data_size,
                     void** con_cls) {
  auto* server = static_cast<Server::Impl*>(cls);
  try {
    auto* ctx = static_cast<RequestContext*>(*con_cls);
    if (ctx == nullptr) {
      ctx = new RequestContext(server);
      *con_cls = ctx;
      // Refuse a declared oversized body before reading it.
      const char* length =
          MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (length != nullptr &&
          std::strtoull(length, nullptr, 10) > server->options.limits.max_body_bytes) {
        ctx->body_too_large = true;
      }
      return MHD_YES;
    }
    if (*upload_data_size > 0) {
      if (!ctx->body_too_large &&
          ctx->body.size() + *upload_data_size <= server->options.limits.max_body_bytes) {
        ctx->body.append(upload_data, *upload_data_size);
      } else {
        ctx->body_too_large = true;
        ctx->body.clear();
      }
      *upload_data_size = 0;
      return MHD_YES;
    }
    return server->Answer(connection, *ctx, url, method);
  } catch (...) {
    return MHD_NO;  // closes the connection; nothing sensible can be sent
  }
}

void OnCompleted(void*, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  delete static_cast<RequestContext*>(*con_cls);
  *con_cls = nullptr;
}

void OnMhdLog(void* cls, const char* fmt, va_list ap) {
  auto* server = static_cast<Server::Impl*>(cls);
  if (!server->options.log) return;
  char buf[512];
  std::vsnprintf(buf, sizeof buf, fmt, ap);
  std::string line(buf);
  while (!line.empty() && line.back() == '\n') line.pop_back();
  if (IsClientGoneMessage(line)) return;
  try {
    server->options.log(line);
  } catch (...) {
  }
}

}  // namespace

MHD_Result Server::Impl::Answer(MHD_Connection* connection, RequestContext& ctx, const char* url,
                                const char* method) {
  if (ctx.body_too_large) {
    return Queue(
        connection, ctx,
        Response::Text(413, "The request body is larger than Hearth accepts (" +
                                std::to_string(options.limits.max_body_bytes) + " bytes).\n"));
  }
  // The front door checks a connection's first request; later ones on a kept-alive connection
  // are checked here (RFC 9112 §3.2: a request with several Host fields is refused).
  int hosts = 0;
  MHD_get_connection_values(connection, MHD_HEADER_KIND, CountHosts, &hosts);
  if (hosts > 1) {
    return Queue(connection, ctx,
                 Response::Text(400, "The request has more than one Host header.\n")
                     .Header("Connection", "close"));
  }
  Request request;
  request.method = method;
  request.path = url;
  MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, CollectQuery, &request.query);
  request.body = std::move(ctx.body);
  auto& h = request.headers;
  h.host = Header(connection, MHD_HTTP_HEADER_HOST);
  h.origin = Header(connection, "Origin");
  h.sec_fetch_site = Header(connection, "Sec-Fetch-Site");
  h.hx_request = Header(connection, "HX-Request");
  h.hx_current_url = Header(connection, "HX-Current-URL");
  h.csrf_token = Header(connection, "X-CSRF-Token");
  h.cookie = Header(connection, MHD_HTTP_HEADER_COOKIE);
  h.content_type = Header(connection, MHD_HTTP_HEADER_CONTENT_TYPE);
  h.user_agent = Header(connection, MHD_HTTP_HEADER_USER_AGENT);
  h.if_none_match = Header(connection, MHD_HTTP_HEADER_IF_NONE_MATCH);
  h.last_event_id = Header(connection, "Last-Event-ID");

  Response response;
  try {
    response = options.handler->Handle(request);
  } catch (const std::exception& e) {
    if (options.log) options.log(std::string("handler failed: ") + e.what());
    response = Response::Text(500, "Hearth hit an internal error; the details are in its log.\n");
  } catch (...) {
    response = Response::Text(500, "Hearth hit an internal error; the details are in its log.\n");
  }
  return Queue(connection, ctx, std::move(response));
}

MHD_Response* Server::Impl::Build(MHD_Connection* connection, RequestContext& ctx,
                                  Response& response) {
  if (response.stream) {
    {
      std::lock_guard lock(mu);
      // A stream opened while stopping ends at once; otherwise Stop() ends it with the rest.
      if (stopping) {
        response.stream->Close();
      } else {
        streams.insert(response.stream);
      }
    }
    ctx.stream = response.stream;
    response.stream->Attach([connection] { MHD_resume_connection(connection); });
    auto* binding = new StreamBinding{connection, response.stream};
    MHD_Response* r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, kStreamBlockBytes,
                                                        StreamRead, binding, StreamFree);
    if (r == nullptr) delete binding;
    return r;
  }
  if (!response.static_body.empty()) {
    return MHD_create_response_from_buffer(response.static_body.size(),
                                           const_cast<char*>(response.static_body.data()),
                                           MHD_RESPMEM_PERSISTENT);
  }
  // Hand the body over instead of copying it: fragments run to tens of kilobytes.
  auto* body = new std::string(std::move(response.body));
  MHD_Response* r = MHD_create_response_from_buffer_with_free_callback_cls(
      body->size(), body->data(), [](void* cls) { delete static_cast<std::string*>(cls); }, body);
  if (r == nullptr) delete body;
  return r;
}

MHD_Result Server::Impl::Queue(MHD_Connection* connection, RequestContext& ctx, Response response) {
  MHD_Response* r = Build(connection, ctx, response);
  if (r == nullptr) return MHD_NO;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, response.content_type.c_str());
  for (const auto& [name, value] : options.common_headers) {
    MHD_add_response_header(r, name.c_str(), value.c_str());
  }
  for (const auto& [name, value] : response.headers) {
    MHD_add_response_header(r, name.c_str(), value.c_str());
  }
  MHD_Result ret = MHD_queue_response(connection, static_cast<unsigned>(response.status), r);
  MHD_destroy_response(r);
  return ret;
}

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { Stop(std::chrono::milliseconds(0)); }

Result<std::unique_ptr<Server>> Server::Start(Options options) {
  if (options.listen_fd < 0 || options.handler == nullptr) {
    return Status::InvalidArgument("http server needs a listening socket and a handler");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  Impl* raw = impl.get();
  const Limits& limits = raw->options.limits;
  // libmicrohttpd never sees the listening socket: the front door accepts, and hands over only
  // connections whose first head is complete and sound. MHD_USE_ITC lets other threads add
  // connections and resume suspended SSE connections.
  unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET |
                   MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG | MHD_USE_TURBO;
  raw->daemon = MHD_start_daemon(
      flags, 0, nullptr, nullptr, reinterpret_cast<MHD_AccessHandlerCallback>(&OnRequest), raw,
      MHD_OPTION_EXTERNAL_LOGGER, &OnMhdLog, raw,  // first, so it sees every message
      MHD_OPTION_THREAD_POOL_SIZE, static_cast<unsigned>(limits.threads),
      // Every public connection comes from a loopback address, so the per-address cap is the
      // public cap. The pool splits the total between its threads, and a connection goes to a
      // thread by its fd: a total of `threads` times (public + private) leaves each thread room
      // for the private connections however the public ones fall.
      MHD_OPTION_CONNECTION_LIMIT, limits.threads * (limits.max_connections + kPrivateConnections),
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, static_cast<unsigned>(limits.max_connections),
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(limits.idle_timeout_seconds),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, static_cast<size_t>(2 * limits.max_header_bytes),
      MHD_OPTION_NOTIFY_COMPLETED, &OnCompleted, raw, MHD_OPTION_END);
  if (raw->daemon == nullptr) return Status::IoError("libmicrohttpd could not start");

  FrontDoor::Options door;
  door.listen_fd = raw->options.listen_fd;
  door.head_limits.max_head = limits.max_header_bytes;
  door.head_deadline = std::chrono::seconds(limits.head_deadline_seconds);
  door.max_pending = limits.max_pending;
  door.common_headers = raw->options.common_headers;
  door.log = raw->options.log;
  door.hand_over = [raw](int fd, const sockaddr* addr, socklen_t addrlen) {
    // Closes `fd` itself when it cannot take it (at the connection limit, for instance).
    MHD_add_connection(raw->daemon, fd, addr, addrlen);
  };
  auto front_door = FrontDoor::Start(std::move(door));
  if (!front_door.ok()) {
    MHD_stop_daemon(raw->daemon);
    raw->daemon = nullptr;
    return front_door.status();
  }
  raw->front_door = std::move(*front_door);
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

size_t Server::Stop(std::chrono::milliseconds grace) {
  Impl& s = *impl_;
  if (s.daemon == nullptr) return 0;
  // Stop accepting. The socket stays open for whoever owns it.
  s.front_door->Stop();
  std::set<std::shared_ptr<EventStream>> streams;
  {
    std::lock_guard lock(s.mu);
    s.stopping = true;
    streams = s.streams;
  }
  // Ending every stream resumes its connection, so none stays suspended: libmicrohttpd aborts if
  // it is stopped with suspended connections.
  for (const auto& stream : streams) stream->Close();
  size_t left = 0;
  {
    std::unique_lock lock(s.mu);
    s.idle.wait_for(lock, grace, [&s] { return s.in_flight == 0; });
    left = s.in_flight;
  }
  MHD_stop_daemon(s.daemon);
  s.daemon = nullptr;
  return left;
}

Result<UniqueFd> Server::ConnectPrivately() {
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, fds) != 0) {
    return PosixError("socketpair", errno);
  }
  UniqueFd ours(fds[1]);
  // A local address family is not counted against the per-address cap of the public connections.
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (MHD_add_connection(impl_->daemon, fds[0], reinterpret_cast<sockaddr*>(&addr),
                         sizeof(sa_family_t)) != MHD_YES) {
    return PosixError("the server refused a private connection", errno);
  }
  return ours;
}

Limits SuggestedLimits(uint64_t open_files) {
  Limits limits;
  // Kept for everything but connections: the database, pipes to children, libraries.
  constexpr uint64_t kReserved = 256;
  uint64_t budget = open_files > kReserved + 128 ? open_files - kReserved : 128;
  auto half = static_cast<unsigned>(std::min<uint64_t>(4096, budget / 2));
  limits.max_connections = half;
  limits.max_pending = half;
  return limits;
}

size_t Server::in_flight() const {
  std::lock_guard lock(impl_->mu);
  return impl_->in_flight;
}

}  // namespace hearth::http
