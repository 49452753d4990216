// SPDX-License-Identifier: Apache-2.0
// http: the HTTP server (libmicrohttpd) and the plain request/response types handlers see.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hearth::http {

// One request, fully read, decoupled from libmicrohttpd so handlers can be tested without a
// socket. Only the headers Hearth acts on are copied; absent headers are empty strings.
struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path without the query string, e.g. "/c/12"
  std::vector<std::pair<std::string, std::string>> query;  // decoded ?a=b&c=d, in order
  std::string body;  // raw body, at most Server::Limits::max_body_bytes

  struct Headers {
    std::string host;
    std::string origin;
    std::string sec_fetch_site;
    std::string hx_request;      // "true" when sent by htmx
    std::string hx_current_url;  // the page a htmx request comes from
    std::string csrf_token;      // X-CSRF-Token
    std::string cookie;
    std::string content_type;
    std::string user_agent;
    std::string if_none_match;
    std::string last_event_id;
  } headers;

  // The first query value named `name`, if any.
  std::optional<std::string_view> Query(std::string_view name) const {
    for (const auto& [key, value] : query) {
      if (key == name) return value;
    }
    return std::nullopt;
  }
  bool IsHtmx() const { return headers.hx_request == "true"; }
};

}  // namespace hearth::http
