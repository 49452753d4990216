// SPDX-License-Identifier: Apache-2.0
// fetch_url: the tool that fetches a web page for the model and gives it back as text.
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "tools/tool.h"

namespace hearth::tools {

// Where fetch_url may go and how much it may take. The defaults suit a desktop; tests make the
// limits small.
struct FetchUrlOptions {
  // Also connect to addresses that are not on the public internet (loopback, private, link-local,
  // ...: see IsPublicAddress). Off by default: a model steered by a hostile page must not reach the
  // user's router or the services on their machine. Config: fetch_url.private_networks.
  bool private_networks = false;
  std::chrono::milliseconds connect_timeout{10000};  // for each connection, redirects included
  std::chrono::milliseconds total_timeout{30000};    // the whole call, redirects included
  size_t max_download_bytes = size_t{2} << 20;       // of the decoded body; the rest is not read
  size_t max_output_bytes = size_t{64} << 10;        // text returned; max_bytes may only lower it
  // Which addresses count as public; asked for every connection unless private_networks is set.
  // Empty means IsPublicAddress. Tests replace it to play a public server on 127.0.0.1.
  std::function<bool(const struct sockaddr*, socklen_t)> is_public;
};

// The tool `fetch_url {url: string, max_bytes?: integer}`: one GET of an http or https URL, with
// at most 5 redirects (each to http or https only), directly (never through a proxy), and the
// response as text for the model:
//   "URL: <final URL>\nStatus: <code>\nContent-Type: <type>\n\n<text>"
// Plain text, JSON and XML come back as they are; HTML as readable text (see HtmlToText). Every
// result is valid UTF-8: ISO-8859-1 and windows-1252 are converted, other bytes that are not UTF-8
// become U+FFFD. A body past max_download_bytes, or text past the output limit, is cut and the
// result says so.
//
// Errors are results with is_error set and a message for the model and the user: an argument or
// URL that is refused (a scheme other than http and https, a user name or password in the URL, a
// URL over 8 KiB or with control characters: nothing is sent), an HTTP status of 400 or more (with
// the start of the page), binary content ("binary content (<type>, N bytes) is not shown"),
// timeouts, too many redirects, network failures, and "cancelled" when ToolContext::cancel is set
// (checked while the transfer runs, so a stalled server does not hold the call).
//
// Unless options.private_networks is set, every connection (the first and each redirect's) is
// checked against the address it is about to connect to, after name resolution, so neither a
// redirect nor a name that resolves to 127.0.0.1 can reach a private address. Such a refusal is
// an is_error result starting "denied:" and is reported once to ToolContext::on_denial.
//
// needs_approval() is true: a URL can carry data out of the conversation. Thread-safe: Call keeps
// its state on its own stack, so several conversations may call it at once.
std::unique_ptr<Tool> MakeFetchUrlTool(FetchUrlOptions options = {});

// Whether fetch_url may connect to `address` without private_networks: false for IPv4 0/8, 10/8,
// 100.64/10 (carrier-grade NAT), 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16,
// 198.18/15, multicast 224/4, 240/4 and the broadcast address; for IPv6 ::, ::1, fc00::/7,
// fe80::/10, fec0::/10, ff00::/8 and 64:ff9b:1::/48; and for the IPv6 forms that carry an IPv4
// address (::ffff:a.b.c.d, ::a.b.c.d, ::ffff:0:a.b.c.d, 64:ff9b::a.b.c.d, and 6to4's
// 2002:aabb:ccdd::/48) whenever that IPv4 address is refused. False for every family other than
// AF_INET and AF_INET6 and for a `length` too short for its family.
bool IsPublicAddress(const struct sockaddr* address, socklen_t length);
// The same for an address in text form ("192.168.1.1", "::ffff:10.0.0.1"); false for text that
// is not an IPv4 or IPv6 address.
bool IsPublicAddress(std::string_view ip);

// HTML as readable text: the <title> first (then a blank line), the contents of <script>,
// <style>, <head>, <noscript>, <svg> and <template> and comments dropped, block elements (p, div,
// br, li, h1-h6, tr, ...) as line breaks, list items as "- ", other tags removed, character
// references decoded (the common named ones and numeric ones; invalid numbers become U+FFFD,
// unknown names stay as written), runs of white space collapsed except inside <pre>. Not a full
// HTML parser: made for reading, not for rendering. The result is valid UTF-8 whatever the input.
std::string HtmlToText(std::string_view html);

}  // namespace hearth::tools
