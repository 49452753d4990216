// SPDX-License-Identifier: Apache-2.0
#include "markdown/markdown.h"

#include <md4c.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <optional>
#include <vector>

#include "base/utf8.h"

namespace hearth::markdown {
namespace {

// --- UTF-8 ---

// Appends `text` with every ill-formed sequence replaced by U+FFFD, copying well-formed runs
// (the whole text, usually) in one go.
void AppendRepairedUtf8(std::string& out, std::string_view text) {
  size_t run = 0;
  size_t i = 0;
  while (i < text.size()) {
    // Answers are mostly ASCII: skip it eight bytes at a time.
    if (text.size() - i >= 8) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        i += 8;
        continue;
      }
    }
    size_t len = Utf8SequenceLength(text, i);
    if (len > 0) {
      i += len;
      continue;
    }
    out.append(text, run, i - run);
    // One replacement for the bad byte and the continuation bytes that trail it.
    out += kReplacementCharacter;
    ++i;
    while (i < text.size() && (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) ++i;
    run = i;
  }
  out.append(text, run, text.size() - run);
}

void AppendCodePoint(std::string& out, uint32_t cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    out += kReplacementCharacter;
  } else if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// --- Escaping ---

constexpr std::array<bool, 256> kNeedsEscape = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : {'&', '<', '>', '"', '\''}) table[c] = true;
  return table;
}();

// Element content: & < > " ' (quotes too, so that the same text is safe in any context).
void AppendEscaped(std::string& out, std::string_view text) {
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (!kNeedsEscape[static_cast<unsigned char>(text[i])]) continue;
    const char* entity;
    switch (text[i]) {
      case '&':
        entity = "&amp;";
        break;
      case '<':
        entity = "&lt;";
        break;
      case '>':
        entity = "&gt;";
        break;
      case '"':
        entity = "&quot;";
        break;
      case '\'':
        entity = "&#39;";
        break;
      default:
        continue;
    }
    out.append(text, start, i - start);
    out += entity;
    start = i + 1;
  }
  out.append(text, start, text.size() - start);
}

// A double-quoted attribute value. Beyond AppendEscaped, ':' becomes a character reference, so
// the only literal colon inside any tag is the one after an allowed URL scheme: no "javascript:"
// ever appears in markup, even in a title or in the path of an allowed URL.
void AppendAttributeValue(std::string& out, std::string_view text) {
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != ':') continue;
    AppendEscaped(out, text.substr(start, i - start));
    out += "&#58;";
    start = i + 1;
  }
  AppendEscaped(out, text.substr(start));
}

// --- Character references ---

struct NamedEntity {
  std::string_view name;
  std::string_view text;
};

// md4c reports anything shaped like &name; without knowing HTML's list of names. These are the
// ones model answers use; any other name is shown as the literal text it is, so the output never
// holds an entity the browser would decode behind our back.
constexpr NamedEntity kNamedEntities[] = {
    {"amp", "&"},
    {"lt", "<"},
    {"gt", ">"},
    {"quot", "\""},
    {"apos", "'"},
    {"nbsp", "\xC2\xA0"},
    {"copy", "\xC2\xA9"},
    {"reg", "\xC2\xAE"},
    {"trade", "\xE2\x84\xA2"},
    {"hellip", "\xE2\x80\xA6"},
    {"mdash", "\xE2\x80\x94"},
    {"ndash", "\xE2\x80\x93"},
    {"lsquo", "\xE2\x80\x98"},
    {"rsquo", "\xE2\x80\x99"},
    {"ldquo", "\xE2\x80\x9C"},
    {"rdquo", "\xE2\x80\x9D"},
    {"laquo", "\xC2\xAB"},
    {"raquo", "\xC2\xBB"},
    {"bull", "\xE2\x80\xA2"},
    {"middot", "\xC2\xB7"},
    {"times", "\xC3\x97"},
    {"divide", "\xC3\xB7"},
    {"deg", "\xC2\xB0"},
    {"plusmn", "\xC2\xB1"},
    {"micro", "\xC2\xB5"},
    {"para", "\xC2\xB6"},
    {"sect", "\xC2\xA7"},
    {"euro", "\xE2\x82\xAC"},
    {"pound", "\xC2\xA3"},
    {"yen", "\xC2\xA5"},
    {"cent", "\xC2\xA2"},
    {"larr", "\xE2\x86\x90"},
    {"uarr", "\xE2\x86\x91"},
    {"rarr", "\xE2\x86\x92"},
    {"darr", "\xE2\x86\x93"},
    {"harr", "\xE2\x86\x94"},
    {"lArr", "\xE2\x87\x90"},
    {"rArr", "\xE2\x87\x92"},
    {"hArr", "\xE2\x87\x94"},
    {"le", "\xE2\x89\xA4"},
    {"ge", "\xE2\x89\xA5"},
    {"ne", "\xE2\x89\xA0"},
    {"asymp", "\xE2\x89\x88"},
    {"infin", "\xE2\x88\x9E"},
    {"minus", "\xE2\x88\x92"},
    {"sup2", "\xC2\xB2"},
    {"sup3", "\xC2\xB3"},
    {"frac12", "\xC2\xBD"},
    {"frac14", "\xC2\xBC"},
    {"frac34", "\xC2\xBE"},
    {"check", "\xE2\x9C\x93"},
    {"colon", ":"},
    {"Tab", "\t"},
    {"NewLine", "\n"},
    {"sol", "/"},
    {"bsol", "\\"},
    {"lpar", "("},
    {"rpar", ")"},
    {"lsqb", "["},
    {"rsqb", "]"},
    {"lcub", "{"},
    {"rcub", "}"},
    {"excl", "!"},
    {"quest", "?"},
    {"num", "#"},
    {"percnt", "%"},
    {"equals", "="},
    {"plus", "+"},
    {"comma", ","},
    {"period", "."},
    {"semi", ";"},
    {"lowbar", "_"},
    {"ast", "*"},
    {"verbar", "|"},
    {"grave", "`"},
    {"dollar", "$"},
    {"commat", "@"},
};

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Appends what the character reference `entity` ("&...;", as md4c reports it) stands for,
// unescaped. A numeric reference to NUL, a surrogate or past U+10FFFF becomes U+FFFD; a name we
// do not know stays literal text.
void AppendDecodedEntity(std::string& out, std::string_view entity) {
  if (entity.size() < 3 || entity.front() != '&' || entity.back() != ';') {
    out += entity;
    return;
  }
  std::string_view body = entity.substr(1, entity.size() - 2);
  if (body.front() == '#') {
    body.remove_prefix(1);
    int base = 10;
    if (!body.empty() && (body.front() == 'x' || body.front() == 'X')) {
      base = 16;
      body.remove_prefix(1);
    }
    uint32_t cp = 0;
    bool valid = !body.empty();
    for (char c : body) {
      int digit = base == 16 ? HexValue(c) : (c >= '0' && c <= '9' ? c - '0' : -1);
      if (digit < 0) {
        valid = false;
        break;
      }
      // Saturate: anything past U+10FFFF is replaced anyway.
      cp = cp > 0x10FFFF ? cp : cp * base + static_cast<uint32_t>(digit);
    }
    if (valid) {
      AppendCodePoint(out, cp);
    } else {
      out += entity;
    }
    return;
  }
  for (const auto& named : kNamedEntities) {
    if (named.name == body) {
      out += named.text;
      return;
    }
  }
  out += entity;
}

// An attribute (a link destination or title) with its character references decoded, unescaped.
std::string DecodeAttribute(const MD_ATTRIBUTE& attribute) {
  std::string out;
  if (attribute.size == 0) return out;
  out.reserve(attribute.size);
  for (size_t i = 0; attribute.substr_offsets[i] < attribute.size; ++i) {
    std::string_view part(attribute.text + attribute.substr_offsets[i],
                          attribute.substr_offsets[i + 1] - attribute.substr_offsets[i]);
    switch (attribute.substr_types[i]) {
      case MD_TEXT_ENTITY:
        AppendDecodedEntity(out, part);
        break;
      case MD_TEXT_NULLCHAR:
        out += kReplacementCharacter;
        break;
      default:
        out += part;
        break;
    }
  }
  return out;
}

// --- Links ---

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool IsControlOrSpace(char c) { return static_cast<unsigned char>(c) <= 0x20; }

// The URL a link may point to, or nothing. The check runs on the URL as a browser would see it
// (WHATWG URL parsing strips leading and trailing C0 controls and spaces, and removes tabs and
// newlines anywhere), and allows only the schemes below, spelled exactly. What it returns is that
// same URL with the scheme in lower case and spaces, controls, quotes, angle brackets, backticks
// and non-ASCII bytes percent-encoded, so what was checked is what the browser follows.
std::optional<std::string> AllowedUrl(const MD_ATTRIBUTE& destination) {
  std::string decoded = DecodeAttribute(destination);
  std::string_view url = decoded;
  while (!url.empty() && IsControlOrSpace(url.front())) url.remove_prefix(1);
  while (!url.empty() && IsControlOrSpace(url.back())) url.remove_suffix(1);

  std::string cleaned;
  cleaned.reserve(url.size());
  for (char c : url) {
    if (c != '\t' && c != '\n' && c != '\r') cleaned += c;
  }
  size_t colon = cleaned.find(':');
  if (colon == std::string::npos) return std::nullopt;  // relative: would point at Hearth itself
  std::string scheme = cleaned.substr(0, colon);
  for (char& c : scheme) c = AsciiLower(c);
  std::string_view rest = std::string_view(cleaned).substr(colon + 1);
  if (scheme == "http" || scheme == "https") {
    // "http:path" without "//" resolves against the page's own URL.
    if (rest.substr(0, 2) != "//") return std::nullopt;
  } else if (scheme != "mailto") {
    return std::nullopt;
  }

  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out = scheme + ":";
  out.reserve(out.size() + rest.size());
  for (char c : rest) {
    auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7F || c == '"' || c == '\'' || c == '<' || c == '>' || c == '`') {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xF];
    } else {
      out += c;
    }
  }
  return out;
}

// Writes href="URL" for a URL from AllowedUrl: the scheme's colon literally, the rest escaped.
void AppendHref(std::string& out, std::string_view url) {
  size_t colon = url.find(':');
  out += " href=\"";
  out += url.substr(0, colon + 1);
  AppendAttributeValue(out, url.substr(colon + 1));
  out += '"';
}

bool IsLanguageName(std::string_view lang) {
  if (lang.empty()) return false;
  for (char c : lang) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-';
    if (!ok) return false;
  }
  return true;
}

// --- The renderer: md4c's callbacks, appending to one string. ---

class Renderer {
 public:
  // `source`: valid UTF-8, at most kMaxMarkdownBytes, ending with '\n' (see RenderMarkdown).
  Renderer(std::string& out, std::string_view source) : out_(out), source_(source) {}

  // Runs md4c over the source and appends the HTML. False if md4c reported text outside the
  // source (see CheckText); what was appended is then incomplete and must be thrown away.
  bool Render() {
    MD_PARSER parser{};
    parser.flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML;
    parser.enter_block = &Renderer::OnEnterBlock;
    parser.leave_block = &Renderer::OnLeaveBlock;
    parser.enter_span = &Renderer::OnEnterSpan;
    parser.leave_span = &Renderer::OnLeaveSpan;
    parser.text = &Renderer::OnText;
    int rc = md_parse(source_.data(), static_cast<MD_SIZE>(source_.size()), &parser, this);
    if (error_) std::rethrow_exception(error_);
    if (parser_fault_) return false;
    if (rc != 0) throw std::bad_alloc();  // md4c fails only when it cannot allocate
    return true;
  }

 private:
  // One per open link or image span.
  struct OpenLink {
    bool anchor = false;       // we wrote an <a> for it
    size_t content_start = 0;  // out_.size() after that <a ...>
    std::string image_url;     // for an image shown as a link: its text when the alt is empty
  };

  // md4c calls these from C: every exception stops here and is rethrown after md_parse returns.
  template <typename Call>
  int Firewall(Call call) noexcept {
    try {
      call();
      return 0;
    } catch (...) {
      error_ = std::current_exception();
      return 1;
    }
  }
  static int OnEnterBlock(MD_BLOCKTYPE type, void* detail, void* self) {
    auto* r = static_cast<Renderer*>(self);
    if (type == MD_BLOCK_CODE &&
        !r->CheckAttribute(static_cast<MD_BLOCK_CODE_DETAIL*>(detail)->lang)) {
      return 1;
    }
    return r->Firewall([&] { r->EnterBlock(type, detail); });
  }
  static int OnLeaveBlock(MD_BLOCKTYPE type, void* detail, void* self) {
    auto* r = static_cast<Renderer*>(self);
    return r->Firewall([&] { r->LeaveBlock(type, detail); });
  }
  static int OnEnterSpan(MD_SPANTYPE type, void* detail, void* self) {
    auto* r = static_cast<Renderer*>(self);
    if (type == MD_SPAN_A) {
      const auto* a = static_cast<MD_SPAN_A_DETAIL*>(detail);
      if (!r->CheckAttribute(a->href) || !r->CheckAttribute(a->title)) return 1;
    } else if (type == MD_SPAN_IMG) {
      const auto* img = static_cast<MD_SPAN_IMG_DETAIL*>(detail);
      if (!r->CheckAttribute(img->src) || !r->CheckAttribute(img->title)) return 1;
    }
    return r->Firewall([&] { r->EnterSpan(type, detail); });
  }
  static int OnLeaveSpan(MD_SPANTYPE type, void* detail, void* self) {
    auto* r = static_cast<Renderer*>(self);
    return r->Firewall([&] { r->LeaveSpan(type, detail); });
  }
  static int OnText(MD_TEXTTYPE type, const MD_CHAR* text, MD_SIZE size, void* self) {
    auto* r = static_cast<Renderer*>(self);
    if (!r->CheckText(text, size)) return 1;
    return r->Firewall([&] { r->Text(type, std::string_view(text, size)); });
  }

  // md4c 0.4.8 (Debian bookworm) can lose track of its inline marks on hostile input and then
  // report text past the end of the document with a garbage length (seen with a permissive
  // autolink inside an unclosed "[a](" at the very end). Copying that out would crash or leak
  // heap memory into the page, so any text that starts in the source must end in it. md4c's own
  // constant strings (a newline, U+0000's stand-in, up to 16 spaces of code indentation) live
  // outside the source and are short.
  bool CheckText(const MD_CHAR* text, MD_SIZE size) {
    bool ok = InSource(text) ? size <= SourceBytesFrom(text) : size <= kMaxConstantText;
    if (!ok) parser_fault_ = true;
    return ok;
  }
  static constexpr MD_SIZE kMaxConstantText = 16;

  // The same for a link's destination or title, or a fence's language, when md4c points into the
  // source (it builds them in a buffer of its own when they hold escapes or references).
  bool CheckAttribute(const MD_ATTRIBUTE& attribute) {
    bool ok = !InSource(attribute.text) || attribute.size <= SourceBytesFrom(attribute.text);
    if (!ok) parser_fault_ = true;
    return ok;
  }

  bool InSource(const MD_CHAR* p) const {
    auto at = reinterpret_cast<uintptr_t>(p);
    auto begin = reinterpret_cast<uintptr_t>(source_.data());
    return at >= begin && at <= begin + source_.size();
  }
  size_t SourceBytesFrom(const MD_CHAR* p) const {
    return source_.size() -
           (reinterpret_cast<uintptr_t>(p) - reinterpret_cast<uintptr_t>(source_.data()));
  }

  void EnterBlock(MD_BLOCKTYPE type, void* detail) {
    switch (type) {
      case MD_BLOCK_DOC:
      case MD_BLOCK_HTML:  // never produced with MD_FLAG_NOHTML; its text is escaped anyway
        break;
      case MD_BLOCK_QUOTE:
        out_ += "<blockquote>\n";
        break;
      case MD_BLOCK_UL:
        out_ += "<ul>\n";
        break;
      case MD_BLOCK_OL: {
        unsigned start = static_cast<MD_BLOCK_OL_DETAIL*>(detail)->start;
        if (start == 1) {
          out_ += "<ol>\n";
        } else {
          out_ += "<ol start=\"" + std::to_string(start) + "\">\n";
        }
        break;
      }
      case MD_BLOCK_LI: {
        const auto* li = static_cast<MD_BLOCK_LI_DETAIL*>(detail);
        if (!li->is_task) {
          out_ += "<li>";
        } else if (li->task_mark == ' ') {
          out_ += "<li class=\"task\"><input type=\"checkbox\" disabled> ";
        } else {
          out_ += "<li class=\"task\"><input type=\"checkbox\" disabled checked> ";
        }
        break;
      }
      case MD_BLOCK_HR:
        out_ += "<hr>\n";
        break;
      case MD_BLOCK_H:
        out_ += "<h";
        out_ += static_cast<char>('0' + HeadingLevel(detail));
        out_ += '>';
        break;
      case MD_BLOCK_CODE: {
        const auto* code = static_cast<MD_BLOCK_CODE_DETAIL*>(detail);
        std::string_view lang(code->lang.text, code->lang.size);
        if (code->lang.text != nullptr && IsLanguageName(lang)) {
          out_ += "<pre><code class=\"language-";
          out_ += lang;
          out_ += "\">";
        } else {
          out_ += "<pre><code>";
        }
        break;
      }
      case MD_BLOCK_P:
        out_ += "<p>";
        break;
      case MD_BLOCK_TABLE:
        out_ += "<table>\n";
        break;
      case MD_BLOCK_THEAD:
        out_ += "<thead>\n";
        break;
      case MD_BLOCK_TBODY:
        out_ += "<tbody>\n";
        break;
      case MD_BLOCK_TR:
        out_ += "<tr>\n";
        break;
      case MD_BLOCK_TH:
      case MD_BLOCK_TD:
        out_ += type == MD_BLOCK_TH ? "<th" : "<td";
        // The align attribute rather than style="text-align": the page's CSP forbids inline
        // styles, and presentational attributes are not styles.
        switch (static_cast<MD_BLOCK_TD_DETAIL*>(detail)->align) {
          case MD_ALIGN_LEFT:
            out_ += " align=\"left\"";
            break;
          case MD_ALIGN_CENTER:
            out_ += " align=\"center\"";
            break;
          case MD_ALIGN_RIGHT:
            out_ += " align=\"right\"";
            break;
          default:
            break;
        }
        out_ += '>';
        break;
    }
  }

  void LeaveBlock(MD_BLOCKTYPE type, void* detail) {
    switch (type) {
      case MD_BLOCK_DOC:
      case MD_BLOCK_HTML:
      case MD_BLOCK_HR:
        break;
      case MD_BLOCK_QUOTE:
        out_ += "</blockquote>\n";
        break;
      case MD_BLOCK_UL:
        out_ += "</ul>\n";
        break;
      case MD_BLOCK_OL:
        out_ += "</ol>\n";
        break;
      case MD_BLOCK_LI:
        out_ += "</li>\n";
        break;
      case MD_BLOCK_H:
        out_ += "</h";
        out_ += static_cast<char>('0' + HeadingLevel(detail));
        out_ += ">\n";
        break;
      case MD_BLOCK_CODE:
        out_ += "</code></pre>\n";
        break;
      case MD_BLOCK_P:
        out_ += "</p>\n";
        break;
      case MD_BLOCK_TABLE:
        out_ += "</table>\n";
        break;
      case MD_BLOCK_THEAD:
        out_ += "</thead>\n";
        break;
      case MD_BLOCK_TBODY:
        out_ += "</tbody>\n";
        break;
      case MD_BLOCK_TR:
        out_ += "</tr>\n";
        break;
      case MD_BLOCK_TH:
        out_ += "</th>\n";
        break;
      case MD_BLOCK_TD:
        out_ += "</td>\n";
        break;
    }
  }

  static unsigned HeadingLevel(void* detail) {
    unsigned level = static_cast<MD_BLOCK_H_DETAIL*>(detail)->level;
    return level < 1 ? 1 : level > 6 ? 6 : level;
  }

  void EnterSpan(MD_SPANTYPE type, void* detail) {
    switch (type) {
      case MD_SPAN_EM:
        out_ += "<em>";
        break;
      case MD_SPAN_STRONG:
        out_ += "<strong>";
        break;
      case MD_SPAN_CODE:
        out_ += "<code>";
        break;
      case MD_SPAN_DEL:
        out_ += "<del>";
        break;
      case MD_SPAN_A: {
        const auto* a = static_cast<MD_SPAN_A_DETAIL*>(detail);
        OpenLinkSpan(a->href, a->title, /*image=*/false);
        break;
      }
      case MD_SPAN_IMG: {
        const auto* img = static_cast<MD_SPAN_IMG_DETAIL*>(detail);
        OpenLinkSpan(img->src, img->title, /*image=*/true);
        break;
      }
      default:  // extensions we do not enable (LaTeX, wiki links, underline): text only
        break;
    }
  }

  void LeaveSpan(MD_SPANTYPE type, void* /*detail*/) {
    switch (type) {
      case MD_SPAN_EM:
        out_ += "</em>";
        break;
      case MD_SPAN_STRONG:
        out_ += "</strong>";
        break;
      case MD_SPAN_CODE:
        out_ += "</code>";
        break;
      case MD_SPAN_DEL:
        out_ += "</del>";
        break;
      case MD_SPAN_A:
      case MD_SPAN_IMG:
        CloseLinkSpan();
        break;
      default:
        break;
    }
  }

  void OpenLinkSpan(const MD_ATTRIBUTE& url, const MD_ATTRIBUTE& title, bool image) {
    OpenLink link;
    // An <a> inside an <a> is invalid HTML and confusing to click: the inner one is text.
    std::optional<std::string> allowed = anchors_open_ == 0 ? AllowedUrl(url) : std::nullopt;
    if (allowed) {
      out_ += "<a";
      AppendHref(out_, *allowed);
      out_ += " rel=\"noopener noreferrer nofollow\"";
      if (title.size > 0) {
        out_ += " title=\"";
        AppendAttributeValue(out_, DecodeAttribute(title));
        out_ += '"';
      }
      out_ += '>';
      link.anchor = true;
      link.content_start = out_.size();
      if (image) link.image_url = std::move(*allowed);
      ++anchors_open_;
    }
    links_.push_back(std::move(link));
  }

  void CloseLinkSpan() {
    if (links_.empty()) return;  // md4c balances spans; this only guards the invariant
    OpenLink& link = links_.back();
    if (link.anchor) {
      if (out_.size() == link.content_start && !link.image_url.empty()) {
        AppendEscaped(out_, link.image_url);
      }
      out_ += "</a>";
      --anchors_open_;
    }
    links_.pop_back();
  }

  void Text(MD_TEXTTYPE type, std::string_view text) {
    switch (type) {
      case MD_TEXT_NULLCHAR:
        out_ += kReplacementCharacter;
        break;
      case MD_TEXT_BR:
        out_ += "<br>\n";
        break;
      case MD_TEXT_SOFTBR:
        out_ += '\n';
        break;
      case MD_TEXT_ENTITY: {
        std::string decoded;
        AppendDecodedEntity(decoded, text);
        AppendEscaped(out_, decoded);
        break;
      }
      default:  // normal text, code, and (never produced with MD_FLAG_NOHTML) raw HTML
        AppendEscaped(out_, text);
        break;
    }
  }

  std::string& out_;
  std::string_view source_;
  bool parser_fault_ = false;
  std::vector<OpenLink> links_;
  int anchors_open_ = 0;
  std::exception_ptr error_;
};

// Where to stop parsing an oversized input: after the last line end before `limit`, or failing
// that at the character boundary just before it (if the bytes there are UTF-8 at all).
size_t MarkdownCut(std::string_view text, size_t limit) {
  size_t newline = text.substr(0, limit).rfind('\n');
  if (newline != std::string_view::npos) return newline + 1;
  for (size_t back = 0; back < 4 && back < limit; ++back) {
    if ((static_cast<unsigned char>(text[limit - back]) & 0xC0) != 0x80) return limit - back;
  }
  return limit;
}

// <pre>text</pre>, escaped.
void AppendPreformatted(std::string& out, std::string_view text) {
  out += "<pre>";
  AppendEscaped(out, text);
  out += "</pre>\n";
}

// --- Fences, for StableBlockPrefix ---

struct FenceLine {
  size_t indent = 0;  // columns before the fence, tabs to the next multiple of 4
  char mark = 0;      // '`' or '~'; 0 when the line is no fence
  size_t length = 0;  // how many marks
  std::string_view rest;
};

FenceLine ParseFenceLine(std::string_view line) {
  FenceLine fence;
  size_t i = 0;
  for (; i < line.size() && (line[i] == ' ' || line[i] == '\t'); ++i) {
    fence.indent = line[i] == '\t' ? (fence.indent / 4 + 1) * 4 : fence.indent + 1;
  }
  if (i == line.size() || (line[i] != '`' && line[i] != '~')) return fence;
  char mark = line[i];
  size_t run = i;
  while (run < line.size() && line[run] == mark) ++run;
  if (run - i < 3) return fence;
  fence.mark = mark;
  fence.length = run - i;
  fence.rest = line.substr(run);
  return fence;
}

bool IsBlank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

}  // namespace

std::string RenderMarkdown(std::string_view text) {
  std::string out;
  if (text.empty()) return out;
  size_t cut = text.size() > kMaxMarkdownBytes ? MarkdownCut(text, kMaxMarkdownBytes) : text.size();
  // md4c parses its own copy, which always ends with a line end (the final one is optional in
  // Markdown, so this changes no rendering). md4c 0.4.8 mishandles constructs that run into the
  // very end of its input, as every answer does while a link streams in ("[a](https://x.y",
  // "[](r[](" last): valgrind shows it reading past its mark array, after which it reads past the
  // input and can crash. With a final line end, 500 000 generated inputs ran clean under valgrind
  // (tests/unit/markdown: ReadsNothingPastTheEndOfAnUnclosedLink).
  std::string source;
  source.reserve(cut + 1);
  AppendRepairedUtf8(source, text.substr(0, cut));
  if (source.empty() || source.back() != '\n') source += '\n';
  // Typical answers grow by a half or less in HTML: one reservation avoids most regrowth.
  out.reserve(text.size() + text.size() / 2 + 64);
  if (!Renderer(out, source).Render()) {
    // The parser lost its footing: show the answer as text rather than trust anything it said.
    out.clear();
    AppendPreformatted(out, source);
  }
  if (cut < text.size()) {
    std::string rest;
    AppendRepairedUtf8(rest, text.substr(cut));
    AppendPreformatted(out, rest);
  }
  return out;
}

size_t StableBlockPrefix(std::string_view text) {
  size_t stable = 0;
  bool in_fence = false;
  FenceLine open;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = pos;
    while (eol < text.size() && text[eol] != '\n' && text[eol] != '\r') ++eol;
    if (eol == text.size()) break;  // the last line is still arriving
    size_t next = eol + 1;
    if (text[eol] == '\r') {
      if (next == text.size()) break;  // a \n may follow, and the line end is not known yet
      if (text[next] == '\n') ++next;
    }
    std::string_view line = text.substr(pos, eol - pos);
    FenceLine fence = ParseFenceLine(line);
    if (in_fence) {
      if (fence.mark == open.mark && fence.length >= open.length &&
          fence.indent <= open.indent + 3 && IsBlank(fence.rest)) {
        in_fence = false;
        stable = next;
      }
    } else if (fence.mark == '~' ||
               (fence.mark == '`' && fence.rest.find('`') == std::string_view::npos)) {
      in_fence = true;
      open = fence;
    } else if (IsBlank(line)) {
      stable = next;
    }
    pos = next;
  }
  return stable;
}

}  // namespace hearth::markdown
