// SPDX-License-Identifier: Apache-2.0
#include "agent/titles.h"

#include <cctype>
#include <utility>

#include "base/utf8.h"

namespace hearth::agent {
namespace {

// Characters that would hide or reorder what the list shows: bidirectional controls,
// zero-width characters, the byte-order mark and the soft hyphen. Returns their UTF-8 length.
size_t InvisibleAt(std::string_view text, size_t i) {
  auto at = [&](size_t k) { return k < text.size() ? static_cast<unsigned char>(text[k]) : 0; };
  if (at(i) == 0xC2 && at(i + 1) == 0xAD) return 2;
  if (at(i) == 0xD8 && at(i + 1) == 0x9C) return 2;
  if (at(i) == 0xEF && at(i + 1) == 0xBB && at(i + 2) == 0xBF) return 3;
  if (at(i) == 0xE2 && (at(i + 1) == 0x80 || at(i + 1) == 0x81)) {
    unsigned code = ((at(i + 1) & 0x3F) << 6) | (at(i + 2) & 0x3F);  // low 12 bits of U+2xxx
    bool hidden = (code >= 0x00B && code <= 0x00F) || (code >= 0x02A && code <= 0x02E) ||
                  (code >= 0x060 && code <= 0x064) || (code >= 0x066 && code <= 0x069);
    if (hidden) return 3;
  }
  return 0;
}

// One line of plain words: controls and invisible characters dropped, runs of blanks made one.
std::string PlainLine(std::string_view text) {
  std::string out;
  bool blank = false;
  for (size_t i = 0; i < text.size();) {
    if (size_t n = InvisibleAt(text, i); n > 0) {
      i += n;
      continue;
    }
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7F || c == ' ') {
      blank = !out.empty();
      ++i;
      continue;
    }
    if (blank) out += ' ';
    blank = false;
    out += text[i++];
  }
  return out;
}

bool IsTrimmable(unsigned char c) {
  return c == ' ' || c == '"' || c == '\'' || c == '.' || c == ':' || c == ';' || c == ',' ||
         c == '-';
}

// Removes quotes of every kind from both ends, and trailing sentence punctuation.
std::string_view TrimQuotes(std::string_view text) {
  constexpr std::string_view kQuotes[] = {"“", "”", "„", "«", "»", "‘", "’", "「", "」"};
  for (bool changed = true; changed && !text.empty();) {
    changed = false;
    if (IsTrimmable(text.front()) && text.front() != '.') {
      text.remove_prefix(1), changed = true;
    }
    if (!text.empty() && IsTrimmable(text.back())) text.remove_suffix(1), changed = true;
    for (std::string_view q : kQuotes) {
      if (text.starts_with(q)) text.remove_prefix(q.size()), changed = true;
      if (text.ends_with(q)) text.remove_suffix(q.size()), changed = true;
    }
  }
  return text;
}

// At most `max_chars` characters, cut after a whole word when one ends late enough, with an
// ellipsis when anything was cut.
std::string CutToChars(std::string text, size_t max_chars) {
  size_t chars = 0, i = 0;
  while (i < text.size()) {
    size_t n = Utf8SequenceLength(text, i);
    if (n == 0) n = 1;
    if (chars == max_chars) break;
    ++chars;
    i += n;
  }
  if (i >= text.size()) return text;
  // Room for the ellipsis: cut one character earlier.
  size_t cut = 0;
  for (size_t k = 0, c = 0; k < i && c + 1 < max_chars; ++c) {
    size_t n = Utf8SequenceLength(text, k);
    k += n == 0 ? 1 : n;
    cut = k;
  }
  size_t space = text.rfind(' ', cut);
  if (space != std::string::npos && space > cut / 2) cut = space;
  text.resize(cut);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text + "…";
}

std::string CutBytes(std::string_view text, size_t max_bytes) {
  return std::string(text.substr(0, Utf8Prefix(text, max_bytes)));
}

constexpr std::string_view kTitlePrompt =
    "You name conversations for a list. Reply with a title of two to six words for the "
    "conversation below, in the language of the user's message. Reply with the title alone: no "
    "quotes, no Markdown, no full stop, no explanation.";

}  // namespace

std::string CleanTitle(std::string_view answer_view) {
  std::string answer = ToValidUtf8(answer_view);
  // Reasoning models think aloud first; an unfinished thought leaves nothing to use.
  for (size_t open; (open = answer.find("<think>")) != std::string::npos;) {
    size_t close = answer.find("</think>", open);
    if (close == std::string::npos) return {};
    answer.erase(open, close + 8 - open);
  }
  // No markup: tags, and the Markdown that would show as characters.
  std::string text;
  for (size_t i = 0; i < answer.size(); ++i) {
    char c = answer[i];
    if (c == '<') {
      size_t close = answer.find('>', i);
      if (close == std::string::npos) break;
      i = close;
      continue;
    }
    if (c == '*' || c == '_' || c == '`' || c == '#' || c == '>' || c == '[' || c == ']') {
      continue;
    }
    text += c;
  }
  // The first line with words on it.
  std::string line;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    line = PlainLine(std::string_view(text).substr(start, end - start));
    if (!TrimQuotes(line).empty()) break;
    start = end + 1;
  }
  std::string_view title = TrimQuotes(line);
  for (std::string_view label : {"title:", "title -", "titel:", "titre:", "título:"}) {
    if (title.size() >= label.size()) {
      bool same = true;
      for (size_t i = 0; i < label.size() && same; ++i) {
        same = std::tolower(static_cast<unsigned char>(title[i])) ==
               static_cast<unsigned char>(label[i]);
      }
      if (same) title = TrimQuotes(title.substr(label.size()));
    }
  }
  return CutToChars(std::string(title), kMaxMadeTitleChars);
}

std::string FallbackTitle(std::string_view user_message) {
  std::string line = PlainLine(CutBytes(user_message, 4096));
  std::string title;
  int words = 0;
  for (size_t i = 0; i < line.size() && words < 6;) {
    size_t end = line.find(' ', i);
    if (end == std::string::npos) end = line.size();
    title += (title.empty() ? "" : " ") + line.substr(i, end - i);
    ++words;
    i = end + 1;
  }
  std::string cut = CutToChars(std::string(TrimQuotes(title)), kMaxMadeTitleChars);
  if (words == 6 && title.size() < line.size() && !cut.ends_with("…")) cut += "…";
  return cut;
}

llm::ChatRequest TitleRequest(const std::string& model, std::string_view user_message,
                              std::string_view answer) {
  llm::ChatRequest request;
  request.model = model;
  request.stream = false;
  request.messages.push_back({.role = "system", .content = std::string(kTitlePrompt)});
  // One message, so that the request stands alone: the title is not a turn of the conversation.
  request.messages.push_back({.role = "user",
                              .content = "The user wrote:\n" + CutBytes(user_message, 2000) +
                                         "\n\nThe assistant answered:\n" + CutBytes(answer, 2000)});
  return request;
}

Titler::Titler(store::Store& store, llm::ClientOptions options, Titled titled)
    : store_(store), options_(std::move(options)), titled_(std::move(titled)) {
  thread_ = std::thread([this] { Loop(); });
}

Titler::~Titler() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    jobs_.clear();
    if (in_flight_ != nullptr) in_flight_->Cancel();
  }
  changed_.notify_all();
  thread_.join();
}

void Titler::Add(TitleJob job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    if (jobs_.size() < kMaxQueued) {
      jobs_.push_back(std::move(job));
      changed_.notify_all();
      return;
    }
  }
  Save(job.conversation_id, FallbackTitle(job.user_message));
}

void Titler::Loop() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
    if (stopping_) return;
    TitleJob job = std::move(jobs_.front());
    jobs_.pop_front();
    lock.unlock();
    try {
      Make(job);
    } catch (...) {
      // A title is a nicety: whatever went wrong, the thread goes on with the next.
    }
    lock.lock();
  }
}

void Titler::Make(const TitleJob& job) {
  std::string title;
  if (!job.answer.empty()) {
    llm::CancelSignal cancel;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      in_flight_ = &cancel;
    }
    Result<llm::ChatReply> reply =
        llm::StreamChat(job.endpoint, TitleRequest(job.model, job.user_message, job.answer),
                        options_, cancel, [](const llm::StreamEvent&) {});
    {
      std::lock_guard lock(mu_);
      in_flight_ = nullptr;
      if (stopping_) return;  // shutting down: the next start titles it
    }
    if (reply.ok()) title = CleanTitle(reply->content);
  }
  if (title.empty()) title = FallbackTitle(job.user_message);
  Save(job.conversation_id, title);
}

void Titler::Save(int64_t conversation_id, const std::string& title) {
  if (title.empty()) return;
  Result<bool> stored = store_.SetGeneratedTitle(conversation_id, title);
  if (stored.ok() && *stored && titled_) titled_(conversation_id, title);
}

}  // namespace hearth::agent
