// SPDX-License-Identifier: Apache-2.0
#include "tools/fetch_url.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace hearth::tools {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kBound{10000};  // how long a test waits for the server to see a request

// What the test server sends for one request.
struct Reply {
  std::string bytes;   // the whole response, status line to body
  bool stall = false;  // after `bytes`, send nothing more until the client hangs up
};

// A scripted HTTP server on 127.0.0.1, on a port the kernel picks. Each connection's request goes
// to `answer` (with the request's path); the reply is sent and the connection closed. One
// connection at a time, on a thread of its own until the server is destroyed.
class TestServer {
 public:
  using Answer = std::function<Reply(const std::string& path)>;

  explicit TestServer(Answer answer) : answer_(std::move(answer)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    EXPECT_GE(listen_fd_, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    EXPECT_EQ(listen(listen_fd_, 16), 0);
    socklen_t length = sizeof address;
    EXPECT_EQ(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
    EXPECT_EQ(pipe2(stop_, O_CLOEXEC), 0);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestServer() {
    EXPECT_EQ(write(stop_[1], "x", 1), 1);
    thread_.join();
    close(listen_fd_);
    close(stop_[0]);
    close(stop_[1]);
  }
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const { return port_; }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  int connections() const { return connections_.load(); }
  std::vector<std::string> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  // Waits, under kBound, until `count` requests have arrived.
  bool WaitForRequests(size_t count) {
    std::unique_lock lock(mu_);
    return arrived_.wait_for(lock, kBound, [&] { return requests_.size() >= count; });
  }

 private:
  void Serve() {
    for (;;) {
      pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_[0], POLLIN, 0}};
      if (poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        return;
      }
      if (fds[1].revents != 0) return;
      int connection = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      ++connections_;
      bool stop = Handle(connection);
      close(connection);
      if (stop) return;
    }
  }

  // Waits for `connection` to be readable; false when the server is being stopped.
  bool WaitReadable(int connection) {
    pollfd fds[2] = {{connection, POLLIN, 0}, {stop_[0], POLLIN, 0}};
    while (poll(fds, 2, -1) < 0) {
      if (errno != EINTR) return false;
    }
    return fds[1].revents == 0;
  }

  // Answers one connection; true when the server is being stopped.
  bool Handle(int connection) {
    std::string head;
    char buffer[4096];
    while (head.find("\r\n\r\n") == std::string::npos) {
      if (!WaitReadable(connection)) return true;
      ssize_t n = read(connection, buffer, sizeof buffer);
      if (n <= 0) return false;
      head.append(buffer, static_cast<size_t>(n));
    }
    size_t path_start = head.find(' ') + 1;
    std::string path = head.substr(path_start, head.find(' ', path_start) - path_start);
    Reply reply = answer_(path);
    {
      std::lock_guard lock(mu_);
      requests_.push_back(head);
    }
    arrived_.notify_all();
    for (size_t sent = 0; sent < reply.bytes.size();) {
      ssize_t n =
          send(connection, reply.bytes.data() + sent, reply.bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;  // the client hung up
      sent += static_cast<size_t>(n);
    }
    while (reply.stall) {
      if (!WaitReadable(connection)) return true;
      if (read(connection, buffer, sizeof buffer) <= 0) return false;
    }
    return false;
  }

  Answer answer_;
  int listen_fd_ = -1;
  int stop_[2] = {-1, -1};
  int port_ = 0;
  std::atomic<int> connections_{0};
  std::thread thread_;
  mutable std::mutex mu_;
  std::condition_variable arrived_;
  // Guarded by mu_.
  std::vector<std::string> requests_;
};

std::string Http(int status, const std::string& type, const std::string& body,
                 const std::string& extra_headers = "") {
  std::string head = "HTTP/1.1 " + std::to_string(status) + " Scripted\r\n";
  if (!type.empty()) head += "Content-Type: " + type + "\r\n";
  head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n";
  return head + extra_headers + "\r\n" + body;
}

Reply Page(const std::string& type, const std::string& body) {
  return Reply{Http(200, type, body)};
}

Reply Redirect(const std::string& location, int status = 302) {
  return Reply{Http(status, "text/html", "<p>redirect body</p>", "Location: " + location + "\r\n")};
}

// Always the same reply, whatever the path.
TestServer::Answer Always(Reply reply) {
  return [reply](const std::string&) { return reply; };
}

Json::Value Args(const std::string& url, std::optional<Json::Value> max_bytes = std::nullopt) {
  Json::Value args(Json::objectValue);
  args["url"] = url;
  if (max_bytes) args["max_bytes"] = *max_bytes;
  return args;
}

// The text after the header's blank line.
std::string Body(const ToolResult& result) {
  size_t blank = result.text.find("\n\n");
  return blank == std::string::npos ? std::string() : result.text.substr(blank + 2);
}

bool IsValidUtf8(const std::string& text) {
  for (size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    size_t length = c < 0x80           ? 1
                    : (c >> 5) == 0x6  ? 2
                    : (c >> 4) == 0xE  ? 3
                    : (c >> 3) == 0x1E ? 4
                                       : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) & 0xC0) != 0x80) return false;
    }
    i += length;
  }
  return true;
}

class FetchUrl : public ::testing::Test {
 protected:
  FetchUrl() {
    options_.private_networks = true;  // the test server is on 127.0.0.1
    context_.cancel = &cancel_;
    context_.on_denial = [this](const Denial& denial) {
      std::lock_guard lock(denials_mu_);
      denials_.push_back(denial);
    };
  }

  ToolResult Fetch(const std::string& url, std::optional<Json::Value> max_bytes = std::nullopt) {
    return CallWith(Args(url, std::move(max_bytes)));
  }
  ToolResult CallWith(const Json::Value& arguments) {
    return MakeFetchUrlTool(options_)->Call(arguments, context_);
  }

  FetchUrlOptions options_;
  std::atomic<bool> cancel_{false};
  ToolContext context_;
  std::mutex denials_mu_;
  std::vector<Denial> denials_;
};

TEST_F(FetchUrl, DescribesItselfAndNeedsApproval) {
  auto tool = MakeFetchUrlTool(options_);
  EXPECT_EQ(tool->schema().name, "fetch_url");
  EXPECT_TRUE(tool->needs_approval());
  const Json::Value& parameters = tool->schema().parameters;
  EXPECT_EQ(parameters["required"][0].asString(), "url");
  EXPECT_EQ(parameters["properties"]["url"]["type"].asString(), "string");
  EXPECT_EQ(parameters["properties"]["max_bytes"]["type"].asString(), "integer");
  EXPECT_EQ(parameters["properties"]["max_bytes"]["maximum"].asUInt64(), 64u * 1024);
  EXPECT_NE(tool->schema().description.find("64 KiB"), std::string::npos);
  EXPECT_NE(tool->schema().description.find("local network and this machine can be reached"),
            std::string::npos);

  auto public_only = MakeFetchUrlTool(FetchUrlOptions{});
  EXPECT_NE(public_only->schema().description.find("Only public internet addresses"),
            std::string::npos);
}

TEST_F(FetchUrl, ReturnsPlainTextUnderAHeaderOfUrlStatusAndType) {
  TestServer server(Always(Page("text/plain; charset=utf-8", "hello, world\nsecond line\n")));
  ToolResult result = Fetch(server.Url("/hello.txt"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(result.text, "URL: " + server.Url("/hello.txt") +
                             "\nStatus: 200\nContent-Type: text/plain; charset=utf-8\n\n"
                             "hello, world\nsecond line\n");
  std::vector<std::string> requests = server.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_TRUE(requests[0].starts_with("GET /hello.txt HTTP/1.1\r\n")) << requests[0];
  EXPECT_NE(requests[0].find("User-Agent: Hearth/" HEARTH_VERSION "\r\n"), std::string::npos)
      << requests[0];
  EXPECT_NE(requests[0].find("Accept-Encoding: "), std::string::npos) << requests[0];
  EXPECT_NE(requests[0].find("gzip"), std::string::npos) << requests[0];
}

TEST_F(FetchUrl, TurnsHtmlIntoReadableText) {
  const std::string page = R"(<!DOCTYPE html>
<html><head>
  <title>The  Page &amp; Title</title>
  <meta charset="utf-8">
  <style>body { color: red; }</style>
  <script>var secret = "in the head";</script>
</head>
<body>
  <!-- a comment with <p>markup</p> -->
  <h1>Heading</h1>
  <p>First   paragraph with <b>bold</b>
     and <a href="/x">a link</a>.</p>
  <script>document.write("</p>not text");</script>
  <noscript>Enable JavaScript</noscript>
  <svg><title>icon title</title><text>svg text</text></svg>
  <template><p>template text</p></template>
  <ul><li>one</li><li>two &lt;2&gt;</li></ul>
  <div>caf&eacute; &#233; &#x1F600; &quot;q&quot; &#39;s&#39; &apos;a&apos; x&nbsp;y</div>
  line one<br>line two
</body></html>)";
  TestServer server(Always(Page("text/html; charset=utf-8", page)));
  ToolResult result = Fetch(server.Url("/page.html"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(Body(result),
            "The Page & Title\n\n"
            "Heading\n\n"
            "First paragraph with bold and a link.\n\n"
            "- one\n"
            "- two <2>\n\n"
            "caf\u00e9 \u00e9 \U0001F600 \"q\" 's' 'a' x y\n"
            "line one\n"
            "line two\n")
      << result.text;
}

TEST_F(FetchUrl, ReturnsJsonAsItIs) {
  const std::string json = "{\"name\": \"<b>not html</b>\", \"list\": [1, 2]}";
  TestServer server(Always(Page("application/json", json)));
  ToolResult result = Fetch(server.Url("/api"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(Body(result), json + "\n");
  EXPECT_NE(result.text.find("Content-Type: application/json\n"), std::string::npos);
}

TEST_F(FetchUrl, ReportsAnHttpErrorWithTheStartOfThePage) {
  TestServer server(Always(
      Reply{Http(404, "text/html", "<html><title>Missing</title><p>No such page here.</p>")}));
  ToolResult result = Fetch(server.Url("/gone"));
  EXPECT_TRUE(result.is_error);
  EXPECT_TRUE(result.text.starts_with("HTTP status 404 from " + server.Url("/gone")))
      << result.text;
  EXPECT_NE(result.text.find("No such page here."), std::string::npos) << result.text;
}

TEST_F(FetchUrl, RefusesBinaryContent) {
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
  struct Case {
    std::string type;
    std::string body;
    std::string says;
  };
  const Case cases[] = {
      {"image/png", png, "binary content (image/png, 16 bytes) is not shown"},
      {"application/octet-stream", "plain words", "binary content (application/octet-stream, 11"},
      {"application/pdf", "%PDF-1.7", "binary content (application/pdf, 8 bytes)"},
      {"", png, "binary content (no content type, 16 bytes)"},
  };
  for (const Case& c : cases) {
    TestServer server(Always(Reply{Http(200, c.type, c.body)}));
    ToolResult result = Fetch(server.Url("/file"));
    EXPECT_TRUE(result.is_error) << c.type;
    EXPECT_TRUE(result.text.starts_with(c.says)) << result.text;
  }
}

TEST_F(FetchUrl, ReadsABodyWithoutAContentTypeAsTextWhenItLooksLikeText) {
  TestServer server(Always(Reply{Http(200, "", "just words\n")}));
  ToolResult result = Fetch(server.Url("/untyped"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(Body(result), "just words\n");
  EXPECT_NE(result.text.find("Content-Type: (none)\n"), std::string::npos);

  TestServer html(Always(Reply{Http(200, "", "<!doctype html><title>T</title><p>P</p>")}));
  EXPECT_EQ(Body(Fetch(html.Url("/"))), "T\n\nP\n");
}

TEST_F(FetchUrl, CutsABodyOverTheDownloadLimitAndSaysSo) {
  options_.max_download_bytes = 1000;
  TestServer server(Always(Page("text/plain", std::string(5000, 'a') + "END-MARKER")));
  ToolResult result = Fetch(server.Url("/big"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(Body(result).find("END-MARKER"), std::string::npos);
  EXPECT_NE(Body(result).find(std::string(1000, 'a') + "\n"), std::string::npos);
  EXPECT_EQ(Body(result).find(std::string(1001, 'a')), std::string::npos);
  EXPECT_NE(result.text.find("[the page is larger than 1000 bytes: only its first 1000 bytes were "
                             "read]"),
            std::string::npos)
      << result.text;
}

TEST_F(FetchUrl, CutsABodyOverTheDownloadLimitBetweenCharacters) {
  options_.max_download_bytes = 1000;
  // 999 bytes of 'a', then a two-byte character the limit splits.
  TestServer server(Always(Page("text/plain", std::string(999, 'a') + "\u00e9\u00e9")));
  ToolResult result = Fetch(server.Url("/big"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_TRUE(Body(result).starts_with(std::string(999, 'a') + "\n[the page is larger"))
      << result.text;
}

TEST_F(FetchUrl, CutsTheTextAtAUtf8BoundaryAndSaysSo) {
  options_.max_output_bytes = 5;
  // "abc" then three-byte characters: the limit falls inside the first one.
  TestServer server(Always(Page("text/plain; charset=utf-8", "abc\u20ac\u20ac\u20ac")));
  ToolResult result = Fetch(server.Url("/euro"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_TRUE(Body(result).starts_with("abc\n[text cut: the first 3 of 12 bytes are shown]\n"))
      << result.text;
  EXPECT_TRUE(IsValidUtf8(result.text));

  options_.max_output_bytes = 7;
  EXPECT_TRUE(Body(Fetch(server.Url("/euro"))).starts_with("abc\u20ac\n[text cut: the first 6 "));
}

TEST_F(FetchUrl, LetsMaxBytesOnlyLowerTheLimit) {
  options_.max_output_bytes = 10;
  TestServer server(Always(Page("text/plain", "0123456789abcdefghij")));
  EXPECT_TRUE(Body(Fetch(server.Url("/"), 4)).starts_with("0123\n[text cut: the first 4 of 20"));
  EXPECT_TRUE(
      Body(Fetch(server.Url("/"), 1000)).starts_with("0123456789\n[text cut: the first 10 of 20"));
  EXPECT_EQ(Body(Fetch(server.Url("/"), 20.0)).substr(0, 11), "0123456789\n");
}

TEST_F(FetchUrl, ReplacesInvalidUtf8) {
  TestServer server(
      Always(Page("text/plain; charset=utf-8", std::string("ok \xFF\xC3 \xED\xA0\x80 e\0nd", 14))));
  ToolResult result = Fetch(server.Url("/bad"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(Body(result), "ok \uFFFD\uFFFD \uFFFD\uFFFD\uFFFD e\uFFFDnd\n");
  EXPECT_TRUE(IsValidUtf8(result.text));
}

TEST_F(FetchUrl, ConvertsLatin1AndWindows1252ToUtf8) {
  struct Case {
    std::string type;
    std::string body;
    std::string text;
  };
  const Case cases[] = {
      {"text/plain; charset=ISO-8859-1", "caf\xE9 \xA9", "caf\u00e9 \u00a9\n"},
      {"text/plain; charset=\"latin1\"", "na\xEFve", "na\u00efve\n"},
      {"text/plain; charset=windows-1252", "\x80 \x93q\x94", "\u20ac \u201cq\u201d\n"},
      {"text/html",
       "<meta charset=\"iso-8859-1\"><p>Gr\xFC\xDF"
       "e</p>",
       "Gr\u00fc\u00dfe\n"},
      {"text/html",
       "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1252\"><p>\xE9</p>",
       "\u00e9\n"},
      {"text/plain; charset=utf-8", "caf\xC3\xA9", "caf\u00e9\n"},
  };
  for (const Case& c : cases) {
    TestServer server(Always(Page(c.type, c.body)));
    ToolResult result = Fetch(server.Url("/"));
    EXPECT_FALSE(result.is_error) << result.text;
    EXPECT_EQ(Body(result), c.text) << c.type;
  }
}

TEST_F(FetchUrl, DecodesACompressedBody) {
  // A zlib stream with one stored block, so that the test needs no compressor.
  const std::string text = "decoded by curl";
  uint32_t a = 1, b = 0;
  for (unsigned char c : text) {
    a = (a + c) % 65521;
    b = (b + a) % 65521;
  }
  uint16_t length = static_cast<uint16_t>(text.size());
  std::string deflated = "\x78\x01";
  deflated += '\x01';
  deflated += static_cast<char>(length & 0xFF);
  deflated += static_cast<char>(length >> 8);
  deflated += static_cast<char>(~length & 0xFF);
  deflated += static_cast<char>((~length >> 8) & 0xFF);
  deflated += text;
  uint32_t adler = (b << 16) | a;
  for (int shift = 24; shift >= 0; shift -= 8) deflated += static_cast<char>(adler >> shift);
  TestServer server(
      Always(Reply{Http(200, "text/plain", deflated, "Content-Encoding: deflate\r\n")}));
  ToolResult result = Fetch(server.Url("/z"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(Body(result), text + "\n");
}

TEST_F(FetchUrl, FollowsRedirectsAndShowsTheFinalUrl) {
  TestServer server([](const std::string& path) {
    if (path == "/start") return Redirect("/middle", 301);
    if (path == "/middle") return Redirect("end?x=1");
    return Page("text/plain", "arrived at " + path);
  });
  ToolResult result = Fetch(server.Url("/start"));
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_TRUE(result.text.starts_with("URL: " + server.Url("/end?x=1") + "\nStatus: 200\n"))
      << result.text;
  EXPECT_EQ(Body(result), "arrived at /end?x=1\n");
  EXPECT_EQ(result.text.find("redirect body"), std::string::npos) << result.text;
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST_F(FetchUrl, FollowsFiveRedirectsButNotSix) {
  // /hops/N/K redirects to /hops/N/K+1 until K is N.
  TestServer server([](const std::string& path) {
    int hops = path[6] - '0';
    int done = path[8] - '0';
    if (done < hops) {
      return Redirect("/hops/" + std::to_string(hops) + "/" + std::to_string(done + 1));
    }
    return Page("text/plain", "after " + std::to_string(hops) + " redirects");
  });
  ToolResult five = Fetch(server.Url("/hops/5/0"));
  EXPECT_FALSE(five.is_error) << five.text;
  EXPECT_EQ(Body(five), "after 5 redirects\n");

  ToolResult six = Fetch(server.Url("/hops/6/0"));
  EXPECT_TRUE(six.is_error);
  EXPECT_TRUE(six.text.starts_with("more than 5 redirects")) << six.text;
  EXPECT_EQ(six.text.find("after 6 redirects"), std::string::npos);
}

TEST_F(FetchUrl, RefusesARedirectToAnotherScheme) {
  options_.total_timeout = milliseconds(5000);  // should the ftp redirect be followed after all
  TestServer server([&](const std::string& path) {
    if (path == "/to-file") return Redirect("file:///etc/passwd");
    return Redirect("ftp://127.0.0.1:" + std::to_string(server.port()) + "/");
  });
  for (const char* path : {"/to-file", "/to-ftp"}) {
    ToolResult result = Fetch(server.Url(path));
    EXPECT_TRUE(result.is_error) << path;
    EXPECT_NE(result.text.find("is not an http:// or https:// URL"), std::string::npos)
        << result.text;
    EXPECT_EQ(result.text.find("root:"), std::string::npos) << result.text;
  }
  EXPECT_EQ(server.connections(), 2);  // the two first requests, nothing for ftp
}

TEST_F(FetchUrl, RefusesBadUrlsWithoutConnecting) {
  TestServer server(Always(Page("text/plain", "should not be fetched")));
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  const std::string urls[] = {
      "ftp://" + host + "/",
      "file:///etc/passwd",
      "gopher://" + host + "/",
      "javascript:alert(1)",
      host + "/no-scheme",
      "//" + host + "/no-scheme",
      "http://user:secret@" + host + "/",
      "http://user@" + host + "/",
      "http://:secret@" + host + "/",
      "HTTPS://user:x@" + host + "/",
      "http://" + host + "/a\nb",
      "http://" + host + "/a\rb",
      std::string("http://") + host + "/a" + std::string(1, '\0') + "b",
      "http://" + host + "/a\x7f",
      "http://" + host + "/" + std::string(9000, 'a'),
      "http://:80/",
      "http://",
      "",
  };
  for (const std::string& url : urls) {
    ToolResult result = Fetch(url);
    EXPECT_TRUE(result.is_error) << url;
    EXPECT_FALSE(result.text.empty()) << url;
    EXPECT_TRUE(IsValidUtf8(result.text)) << url;
  }
  EXPECT_EQ(server.connections(), 0);
  EXPECT_TRUE(denials_.empty());

  ToolResult scheme = Fetch("ftp://" + host + "/");
  EXPECT_TRUE(scheme.text.starts_with("only http:// and https:// URLs")) << scheme.text;
  ToolResult userinfo = Fetch("http://user:secret@" + host + "/");
  EXPECT_NE(userinfo.text.find("user name or password"), std::string::npos) << userinfo.text;
  ToolResult control = Fetch("http://" + host + "/a\nb");
  EXPECT_NE(control.text.find("control characters"), std::string::npos) << control.text;
  ToolResult long_url = Fetch("http://" + host + "/" + std::string(9000, 'a'));
  EXPECT_NE(long_url.text.find("longer than 8 KiB"), std::string::npos) << long_url.text;
}

TEST_F(FetchUrl, RefusesBadArgumentsByExplainingTheExpectedOnes) {
  TestServer server(Always(Page("text/plain", "should not be fetched")));
  Json::Value not_object(Json::arrayValue);
  not_object.append(server.Url("/"));
  Json::Value number(Json::objectValue);
  number["url"] = 42;
  const Json::Value calls[] = {
      not_object,
      Json::Value(server.Url("/")),
      Json::Value(),
      Json::Value(Json::objectValue),
      number,
      Args(server.Url("/"), "10"),
      Args(server.Url("/"), 0),
      Args(server.Url("/"), -5),
      Args(server.Url("/"), 2.5),
  };
  for (const Json::Value& arguments : calls) {
    ToolResult result = CallWith(arguments);
    EXPECT_TRUE(result.is_error) << arguments.toStyledString();
    EXPECT_TRUE(result.text.starts_with("bad arguments for fetch_url")) << result.text;
    EXPECT_NE(result.text.find("Expected {\"url\": string"), std::string::npos) << result.text;
  }
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(FetchUrl, DeniesTheLoopbackServerWithoutPrivateNetworks) {
  options_.private_networks = false;
  TestServer server(Always(Page("text/plain", "private page")));
  const std::string url = server.Url("/private");
  ToolResult result = Fetch(url);
  EXPECT_TRUE(result.is_error);
  EXPECT_TRUE(result.text.starts_with("denied: 127.0.0.1 is a private or loopback address"))
      << result.text;
  EXPECT_NE(result.text.find("fetch_url.private_networks"), std::string::npos) << result.text;
  EXPECT_NE(result.text.find("config.json"), std::string::npos) << result.text;
  EXPECT_EQ(result.text.find("private page"), std::string::npos);
  ASSERT_EQ(denials_.size(), 1u);
  EXPECT_EQ(denials_[0].tool, "fetch_url");
  EXPECT_EQ(denials_[0].target, url);
  EXPECT_NE(denials_[0].reason.find("127.0.0.1"), std::string::npos) << denials_[0].reason;
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(FetchUrl, DeniesANameThatResolvesToLoopbackOnceForAllItsAddresses) {
  options_.private_networks = false;
  TestServer server(Always(Page("text/plain", "private page")));
  const std::string url = "http://localhost:" + std::to_string(server.port()) + "/";
  ToolResult result = Fetch(url);
  EXPECT_TRUE(result.is_error);
  EXPECT_TRUE(result.text.starts_with("denied: localhost is at a private or loopback address ("))
      << result.text;
  ASSERT_EQ(denials_.size(), 1u);
  EXPECT_EQ(denials_[0].target, url);
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(FetchUrl, ChecksTheAddressOfEveryRedirect) {
  options_.private_networks = false;
  TestServer inside(Always(Page("text/plain", "inside page")));
  TestServer outside([&](const std::string& path) {
    if (path == "/redirect") return Redirect(inside.Url("/secret"));
    return Page("text/plain", "outside page");
  });
  // Only `outside` plays a public server.
  const int public_port = outside.port();
  options_.is_public = [public_port](const struct sockaddr* address, socklen_t length) {
    if (address->sa_family != AF_INET || length < sizeof(sockaddr_in)) return false;
    return ntohs(reinterpret_cast<const sockaddr_in*>(address)->sin_port) == public_port;
  };
  ToolResult allowed = Fetch(outside.Url("/page"));
  EXPECT_FALSE(allowed.is_error) << allowed.text;
  EXPECT_EQ(Body(allowed), "outside page\n");

  const std::string url = outside.Url("/redirect");
  ToolResult result = Fetch(url);
  EXPECT_TRUE(result.is_error);
  EXPECT_TRUE(
      result.text.starts_with("denied: 127.0.0.1 is a private or loopback address, "
                              "reached through a redirect to " +
                              inside.Url("/secret")))
      << result.text;
  EXPECT_EQ(result.text.find("inside page"), std::string::npos);
  ASSERT_EQ(denials_.size(), 1u);
  EXPECT_EQ(denials_[0].target, url);
  EXPECT_EQ(inside.connections(), 0);
}

// Sets environment variables for its lifetime (and unsets others), restoring them afterwards.
class ScopedEnvironment {
 public:
  ScopedEnvironment(std::vector<std::pair<std::string, std::string>> set,
                    std::vector<std::string> unset) {
    for (auto& [name, value] : set) {
      Save(name);
      setenv(name.c_str(), value.c_str(), 1);
    }
    for (const std::string& name : unset) {
      Save(name);
      unsetenv(name.c_str());
    }
  }
  ~ScopedEnvironment() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        setenv(name.c_str(), value->c_str(), 1);
      } else {
        unsetenv(name.c_str());
      }
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  void Save(const std::string& name) {
    const char* value = getenv(name.c_str());
    saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
  }
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

TEST_F(FetchUrl, ConnectsDirectlyWhateverProxyTheEnvironmentNames) {
  TestServer proxy(Always(Page("text/plain", "from the proxy")));
  TestServer server(Always(Page("text/plain", "from the server")));
  ToolResult result;
  {
    const std::string proxy_url = proxy.Url("");
    ScopedEnvironment environment(
        {{"http_proxy", proxy_url}, {"https_proxy", proxy_url}, {"ALL_PROXY", proxy_url}},
        {"no_proxy", "NO_PROXY", "all_proxy"});
    result = Fetch(server.Url("/"));
  }
  EXPECT_FALSE(result.is_error) << result.text;
  EXPECT_EQ(Body(result), "from the server\n");
  EXPECT_EQ(proxy.connections(), 0);
}

TEST_F(FetchUrl, TimesOutOnAServerThatStalls) {
  options_.total_timeout = milliseconds(300);
  TestServer server(Always(Reply{"", /*stall=*/true}));
  ToolResult result = Fetch(server.Url("/slow"));
  EXPECT_TRUE(result.is_error);
  EXPECT_TRUE(result.text.starts_with("timed out fetching " + server.Url("/slow"))) << result.text;
  EXPECT_NE(result.text.find("0.3 s in all"), std::string::npos) << result.text;
}

TEST_F(FetchUrl, TimesOutOnAServerThatStallsInTheMiddleOfThePage) {
  options_.total_timeout = milliseconds(300);
  std::string head = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\n";
  TestServer server(Always(Reply{head + "partial", /*stall=*/true}));
  ToolResult result = Fetch(server.Url("/slow"));
  EXPECT_TRUE(result.is_error);
  EXPECT_NE(result.text.find("7 bytes had arrived"), std::string::npos) << result.text;
}

TEST_F(FetchUrl, StopsWhenCancelledWhileTheServerStalls) {
  options_.total_timeout = milliseconds(120000);  // far beyond the test: only cancel can end it
  TestServer server(Always(Reply{"", /*stall=*/true}));
  std::future<ToolResult> call =
      std::async(std::launch::async, [&] { return Fetch(server.Url("/stall")); });
  ASSERT_TRUE(server.WaitForRequests(1));
  cancel_ = true;
  ToolResult result = call.get();
  EXPECT_TRUE(result.is_error);
  EXPECT_TRUE(result.text.starts_with("cancelled")) << result.text;
}

TEST_F(FetchUrl, ConnectsToNothingWhenCancelledBeforeItStarts) {
  TestServer server(Always(Page("text/plain", "page")));
  cancel_ = true;
  ToolResult result = Fetch(server.Url("/"));
  EXPECT_TRUE(result.is_error);
  EXPECT_TRUE(result.text.starts_with("cancelled")) << result.text;
  EXPECT_EQ(server.connections(), 0);
}

TEST_F(FetchUrl, ServesConcurrentCallsEachItsOwnPage) {
  TestServer server([](const std::string& path) { return Page("text/plain", "page " + path); });
  auto tool = MakeFetchUrlTool(options_);
  std::vector<std::future<ToolResult>> calls;
  for (int i = 0; i < 4; ++i) {
    calls.push_back(std::async(std::launch::async, [&, i] {
      return tool->Call(Args(server.Url("/" + std::to_string(i))), context_);
    }));
  }
  for (int i = 0; i < 4; ++i) {
    ToolResult result = calls[static_cast<size_t>(i)].get();
    EXPECT_FALSE(result.is_error) << result.text;
    EXPECT_EQ(Body(result), "page /" + std::to_string(i) + "\n");
  }
}

TEST_F(FetchUrl, ReportsAHostThatCannotBeReached) {
  int port = 0;
  {
    TestServer closed(Always(Page("text/plain", "")));
    port = closed.port();
  }  // nothing listens on the port any more
  ToolResult result = Fetch("http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_TRUE(result.is_error);
  EXPECT_TRUE(result.text.starts_with("could not connect to 127.0.0.1")) << result.text;
  EXPECT_TRUE(denials_.empty());
}

// --- HtmlToText ---------------------------------------------------------------------------------

TEST(FetchUrlHtmlToText, DecodesCharacterReferences) {
  struct Case {
    const char* html;
    const char* text;
  };
  const Case cases[] = {
      {"&amp; &lt; &gt; &quot; &#39; &apos;", "& < > \" ' '"},
      {"a&nbsp;&nbsp;b", "a b"},
      {"&#65;&#x42;&#X43;&#x1F600;", "ABC\U0001F600"},
      {"&#65 and &#x42", "A and B"},
      {"&#0; &#xD800; &#x110000; &#99999999999;", "\uFFFD \uFFFD \uFFFD \uFFFD"},
      {"&unknown; &amp &# &#x; & alone", "&unknown; &amp &# &#x; & alone"},
      {"&amp;lt; stays &amp;lt;", "&lt; stays &lt;"},
      {"&mdash;&hellip;&euro;", "\u2014\u2026\u20ac"},
  };
  for (const Case& c : cases) EXPECT_EQ(HtmlToText(c.html), c.text) << c.html;
}

TEST(FetchUrlHtmlToText, DropsWhatIsNotText) {
  EXPECT_EQ(HtmlToText("<p>a</p><script>if (a < b && c > d) { x = '</div>'; }</script><p>b</p>"),
            "a\n\nb");
  EXPECT_EQ(HtmlToText("a<SCRIPT type=x>hidden</SCRIPT >b<style>p{}</style>c"), "abc");
  EXPECT_EQ(HtmlToText("a<!-- <p>hidden</p> -->b<!doctype html>c<?xml x?>d"), "abcd");
  EXPECT_EQ(HtmlToText("a<svg><svg><text>x</text></svg><text>y</text></svg>b"), "ab");
  EXPECT_EQ(HtmlToText("a<svg/>b"), "ab");
  EXPECT_EQ(HtmlToText("a<template><p>t</p></template>b<noscript>n</noscript>c"), "abc");
  EXPECT_EQ(HtmlToText("<script>never closed"), "");
  EXPECT_EQ(HtmlToText("a<!-- never closed"), "a");
}

TEST(FetchUrlHtmlToText, PutsTheTitleFirstAndOnlyThePagesTitle) {
  EXPECT_EQ(HtmlToText("<p>body</p><title>Late &amp; title</title>"), "Late & title\n\nbody");
  EXPECT_EQ(HtmlToText("<svg><title>icon</title></svg><p>body</p>"), "body");
  EXPECT_EQ(HtmlToText("<title>One</title><title>Two</title>x"), "One\n\nx");
  EXPECT_EQ(HtmlToText("<title>Only</title>"), "Only");
}

TEST(FetchUrlHtmlToText, EndsTheHeadAtTheFirstBodyElement) {
  EXPECT_EQ(HtmlToText("<html><head><title>T</title><meta x><link y>head text<p>Body</p>"),
            "T\n\nBody");
  EXPECT_EQ(HtmlToText("<head><title>T</title><body>Body"), "T\n\nBody");
}

TEST(FetchUrlHtmlToText, LaysOutBlocksListsAndPreformattedText) {
  EXPECT_EQ(HtmlToText("<h1>H</h1><div>a</div><div>b</div><p>c<br>d<br><br>e</p>"),
            "H\n\na\nb\n\nc\nd\n\ne");
  EXPECT_EQ(HtmlToText("<ul>\n <li>one\n <li>two</ul>after"), "- one\n- two\n\nafter");
  EXPECT_EQ(HtmlToText("<table><tr><th>k</th><th>v</th></tr><tr><td>1</td><td>2</td></tr></table>"),
            "k v\n1 2");
  EXPECT_EQ(HtmlToText("<p>x</p><pre>\n  int a;\n\n  b &lt; c\n</pre><p>y</p>"),
            "x\n\n  int a;\n\n  b < c\n\ny");
  EXPECT_EQ(HtmlToText("  lots \t of\n\n  space  "), "lots of space");
  EXPECT_EQ(HtmlToText("a < b and c<3 and <> x"), "a < b and c<3 and <> x");
  EXPECT_EQ(HtmlToText("<a href=\"x>y\" title='1>2'>link</a> text"), "link text");
}

TEST(FetchUrlHtmlToText, GivesValidUtf8ForAnyBytes) {
  EXPECT_EQ(HtmlToText("<p>\xFF\xC3</p>"), "\uFFFD\uFFFD");
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_TRUE(IsValidUtf8(HtmlToText(all + "<p" + all + "&#" + all)));
}

// --- IsPublicAddress ----------------------------------------------------------------------------

TEST(FetchUrlAddressCheck, TellsPublicAddressesFromPrivateOnes) {
  const char* const kPublic[] = {
      "8.8.8.8",
      "1.1.1.1",
      "93.184.216.34",
      "9.255.255.255",
      "11.0.0.0",
      "100.63.255.255",
      "100.128.0.0",
      "126.255.255.255",
      "128.0.0.0",
      "169.253.255.255",
      "169.255.0.0",
      "172.15.255.255",
      "172.32.0.0",
      "192.0.1.1",
      "192.167.255.255",
      "192.169.0.0",
      "198.17.255.255",
      "198.20.0.0",
      "223.255.255.255",
      "2001:4860:4860::8888",
      "2606:4700:4700::1111",
      "2a00:1450:4001:80b::200e",
      "::ffff:8.8.8.8",
      "::8.8.8.8",
      "64:ff9b::808:808",
      "2002:808:808::1",
      "fbff:ffff::1",
      "fe7f::1",
  };
  const char* const kNotPublic[] = {
      "0.0.0.0",
      "0.1.2.3",
      "10.0.0.1",
      "10.255.255.255",
      "100.64.0.1",
      "100.127.255.255",
      "127.0.0.1",
      "127.255.255.254",
      "169.254.169.254",
      "172.16.0.1",
      "172.31.255.255",
      "192.0.0.8",
      "192.168.0.1",
      "192.168.255.255",
      "198.18.0.1",
      "198.19.255.255",
      "224.0.0.1",
      "239.255.255.250",
      "240.0.0.1",
      "255.255.255.255",
      "::",
      "::1",
      "::ffff:127.0.0.1",
      "::ffff:10.1.2.3",
      "::ffff:169.254.169.254",
      "::ffff:0.0.0.0",
      "::127.0.0.1",
      "::192.168.1.1",
      "::ffff:0:127.0.0.1",
      "64:ff9b::127.0.0.1",
      "64:ff9b::a00:1",
      "64:ff9b:1::808:808",
      "2002:7f00:1::1",
      "2002:c0a8:101::1",
      "fc00::1",
      "fd12:3456:789a::1",
      "fe80::1",
      "febf:ffff::1",
      "fec0::1",
      "feff::1:2",
      "ff02::1",
      "ff05::1:3",
  };
  for (const char* ip : kPublic) EXPECT_TRUE(IsPublicAddress(ip)) << ip;
  for (const char* ip : kNotPublic) EXPECT_FALSE(IsPublicAddress(ip)) << ip;
}

TEST(FetchUrlAddressCheck, RefusesWhatIsNotAnIpAddress) {
  for (const char* text :
       {"", "localhost", "example.com", "127.1", "1.2.3.4.5", "::g", "fe80::1%eth0", "8.8.8.8 "}) {
    EXPECT_FALSE(IsPublicAddress(std::string_view(text))) << text;
  }
  EXPECT_FALSE(IsPublicAddress(std::string_view("8.8.8.8\0", 8)));
}

TEST(FetchUrlAddressCheck, JudgesSocketAddressesByFamilyAndLength) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "8.8.8.8", &in.sin_addr), 1);
  EXPECT_TRUE(IsPublicAddress(reinterpret_cast<const sockaddr*>(&in), sizeof in));
  EXPECT_FALSE(IsPublicAddress(reinterpret_cast<const sockaddr*>(&in), sizeof in - 1));
  EXPECT_FALSE(IsPublicAddress(nullptr, 0));

  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "2001:4860:4860::8888", &in6.sin6_addr), 1);
  EXPECT_TRUE(IsPublicAddress(reinterpret_cast<const sockaddr*>(&in6), sizeof in6));
  EXPECT_FALSE(IsPublicAddress(reinterpret_cast<const sockaddr*>(&in6), sizeof(sockaddr_in)));

  sockaddr_un un{};
  un.sun_family = AF_UNIX;
  EXPECT_FALSE(IsPublicAddress(reinterpret_cast<const sockaddr*>(&un), sizeof un));
}

}  // namespace
}  // namespace hearth::tools
