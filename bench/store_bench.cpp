// SPDX-License-Identifier: Apache-2.0
// Latency of the store's hot operations, next to the same SQL run through the plain sqlite3 API
// with no statement cache (prepare, step, finalize every time), on the same file.
//
//   hearth_store_bench [--json PATH] [--iterations N] [--warmup N]
//
// Builds a fresh temporary database of 100 conversations and 10 000 messages of deterministic
// pseudo-random text, prints a table, writes the numbers as JSON (default ./store_bench.json), and
// removes the database. Not a test: it never fails on slow numbers.
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.h"

namespace hearth::store {
namespace {

constexpr int kConversations = 100;
constexpr int kMessages = 10000;
constexpr int kListPage = 50;
constexpr int kSearchLimit = 20;
constexpr double kInsertTargetUs = 30;
constexpr double kPointReadTargetUs = 5;

std::filesystem::path temp_dir;  // removed on the way out, also by Die()

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "hearth_store_bench: %s\n", what.c_str());
  std::error_code ignored;
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir, ignored);
  std::exit(1);
}

void Check(const Status& status, const char* what) {
  if (!status.ok()) Die(std::string(what) + ": " + status.ToString());
}

// splitmix64: the same sequence on every machine and standard library.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  int Below(int n) { return static_cast<int>(Next() % static_cast<uint64_t>(n)); }
  double Unit() { return static_cast<double>(Next() >> 11) / static_cast<double>(1ULL << 53); }

 private:
  uint64_t state_;
};

// Words drawn with a Zipf-like frequency, as in real text: a few very common, a long tail.
class Words {
 public:
  Words() {
    double total = 0;
    for (size_t rank = 0; rank < std::size(kVocabulary); ++rank) {
      total += 1.0 / (static_cast<double>(rank) + 2.0);
      cumulative_.push_back(total);
    }
    for (double& c : cumulative_) c /= total;
  }

  std::string_view Pick(Random& random) const {
    size_t index = std::lower_bound(cumulative_.begin(), cumulative_.end(), random.Unit()) -
                   cumulative_.begin();
    return kVocabulary[std::min(index, std::size(kVocabulary) - 1)];
  }
  std::string_view Rare(Random& random) const {
    size_t tail = std::size(kVocabulary) / 2;
    return kVocabulary[tail + random.Below(static_cast<int>(std::size(kVocabulary) - tail))];
  }

  std::string Sentence(Random& random, int min_words, int max_words) const {
    int count = min_words + random.Below(max_words - min_words + 1);
    std::string text;
    for (int i = 0; i < count; ++i) {
      std::string word(Pick(random));
      if (i == 0 || text.back() == '.') word[0] = static_cast<char>(std::toupper(word[0]));
      if (!text.empty()) text += ' ';
      text += word;
      if (i + 1 < count && random.Below(9) == 0) text += random.Below(2) ? ',' : '.';
    }
    return text + (random.Below(5) == 0 ? "?" : ".");
  }

 private:
  static constexpr std::string_view kVocabulary[] = {
      "the",         "to",         "and",         "a",         "of",          "is",
      "in",          "that",       "it",          "you",       "for",         "this",
      "with",        "can",        "be",          "on",        "not",         "are",
      "if",          "your",       "use",         "as",        "or",          "have",
      "will",        "file",       "function",    "should",    "from",        "an",
      "by",          "code",       "when",        "so",        "but",         "at",
      "which",       "error",      "we",          "data",      "what",        "run",
      "one",         "all",        "would",       "then",      "there",       "how",
      "also",        "like",       "need",        "here",      "time",        "make",
      "value",       "example",    "more",        "first",     "server",      "test",
      "using",       "string",     "new",         "set",       "just",        "user",
      "some",        "way",        "only",        "return",    "list",        "other",
      "into",        "because",    "change",      "does",      "work",        "build",
      "version",     "call",       "memory",      "line",      "check",       "request",
      "each",        "path",       "output",      "system",    "type",        "query",
      "config",      "model",      "these",       "command",   "process",     "thread",
      "table",       "key",        "class",       "result",    "without",     "after",
      "write",       "read",       "network",     "option",    "before",      "different",
      "package",     "library",    "number",      "database",  "issue",       "problem",
      "loop",        "simple",     "sure",        "thanks",    "directory",   "better",
      "performance", "index",      "search",      "local",     "cache",       "update",
      "install",     "message",    "script",      "field",     "method",      "object",
      "response",    "variable",   "parameter",   "recipe",    "garden",      "travel",
      "weather",     "kitchen",    "bread",       "coffee",    "tomato",      "basil",
      "garlic",      "onion",      "pasta",       "mountain",  "river",       "train",
      "ticket",      "hotel",      "museum",      "budget",    "invoice",     "meeting",
      "calendar",    "deadline",   "project",     "schedule",  "summary",     "draft",
      "letter",      "chapter",    "poem",        "story",     "character",   "dragon",
      "castle",      "forest",     "planet",      "rocket",    "orbit",       "telescope",
      "galaxy",      "neuron",     "protein",     "enzyme",    "molecule",    "bicycle",
      "engine",      "battery",    "sensor",      "voltage",   "resistor",    "kernel",
      "compiler",    "linker",     "socket",      "mutex",     "pointer",     "template",
      "iterator",    "allocator",  "scheduler",   "firewall",  "certificate", "password",
      "browser",     "cookie",     "session",     "token",     "webview",     "sqlite",
      "postgres",    "kubernetes", "container",   "docker",    "terraform",   "ansible",
      "systemd",     "journal",    "timer",       "backup",    "restore",     "snapshot",
      "migration",   "schema",     "transaction", "rollback",  "checkpoint",  "latency",
      "throughput",  "benchmark",  "percentile",  "histogram", "gradient",    "tensor",
      "embedding",   "tokenizer",  "prompt",      "inference", "quantized",   "llama",
      "mistral",     "ollama",     "café",        "résumé",    "naïve",       "Zürich",
      "São",         "Paulo",      "Kraków",      "Málaga",    "jalapeño",    "piñata",
      "crème",       "brûlée"};

  std::vector<double> cumulative_;
};

struct Latency {
  double p50_us = 0;
  double p99_us = 0;
  double mean_us = 0;
};

Latency Summarize(std::vector<double> samples) {
  std::sort(samples.begin(), samples.end());
  auto at = [&](double q) {
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(samples.size())));
    return samples[std::clamp<size_t>(rank, 1, samples.size()) - 1];
  };
  double sum = 0;
  for (double s : samples) sum += s;
  return Latency{at(0.50), at(0.99), sum / static_cast<double>(samples.size())};
}

struct Comparison {
  Latency hearth;
  Latency reference;
};

// An operation on input `i`: [0, warmup) are warm-up inputs, [warmup, warmup + iterations) timed.
using Op = std::function<void(int)>;

// Runs the two sides in alternating blocks so that load from other processes, and the file
// growing, weigh on both alike. Each block starts with untimed warm-up calls, which also absorb
// the page cache reload a connection does after the other one wrote.
Comparison Compare(int warmup, int iterations, const Op& hearth, const Op& reference) {
  constexpr int kBlocks = 10;
  std::vector<double> hearth_samples;
  std::vector<double> reference_samples;
  for (int block = 0; block < kBlocks; ++block) {
    auto run = [&](const Op& op, std::vector<double>& samples) {
      for (int i = warmup * block / kBlocks; i < warmup * (block + 1) / kBlocks; ++i) op(i);
      for (int i = iterations * block / kBlocks; i < iterations * (block + 1) / kBlocks; ++i) {
        auto start = std::chrono::steady_clock::now();
        op(warmup + i);
        auto end = std::chrono::steady_clock::now();
        samples.push_back(std::chrono::duration<double, std::micro>(end - start).count());
      }
    };
    if (block % 2 == 0) {
      run(hearth, hearth_samples);
      run(reference, reference_samples);
    } else {
      run(reference, reference_samples);
      run(hearth, hearth_samples);
    }
  }
  return {Summarize(std::move(hearth_samples)), Summarize(std::move(reference_samples))};
}

// The price of entering the kernel here, for reading the table: with normal locking (the
// reference) SQLite in WAL mode makes two system calls per read transaction (lock and unlock its
// -shm slot); Hearth's exclusive mode makes none. Both make about two per page written.
double SyscallMicros() {
  constexpr int kCalls = 20000;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) syscall(SYS_getppid);
  auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(end - start).count() / kCalls;
}

// The store's operations written the obvious way against the C API: every call prepares its
// SQL, steps it and finalizes it. Same SQL, same pragmas, same file.
class Reference {
 public:
  explicit Reference(const std::string& path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
        SQLITE_OK) {
      Die("reference: cannot open " + path);
    }
    sqlite3_busy_timeout(db_, 2000);
    Exec("PRAGMA journal_mode = WAL");
    Exec("PRAGMA synchronous = NORMAL");
    Exec("PRAGMA foreign_keys = ON");
  }
  ~Reference() { sqlite3_close_v2(db_); }
  Reference(const Reference&) = delete;
  Reference& operator=(const Reference&) = delete;

  void AddMessage(int64_t conversation_id, const std::string& content, int64_t now_ms) {
    Exec("BEGIN IMMEDIATE");
    sqlite3_stmt* touch = Prepare("UPDATE conversations SET updated_ms = ?2 WHERE id = ?1");
    sqlite3_bind_int64(touch, 1, conversation_id);
    sqlite3_bind_int64(touch, 2, now_ms);
    Finish(touch);
    sqlite3_stmt* insert = Prepare(
        "INSERT INTO messages (conversation_id, role, content, created_ms) VALUES (?1, ?2, ?3, "
        "?4)");
    sqlite3_bind_int64(insert, 1, conversation_id);
    sqlite3_bind_text(insert, 2, "user", -1, SQLITE_STATIC);
    sqlite3_bind_text(insert, 3, content.data(), static_cast<int>(content.size()), SQLITE_STATIC);
    sqlite3_bind_int64(insert, 4, now_ms);
    Finish(insert);
    Exec("COMMIT");
  }

  Message GetMessage(int64_t id) {
    sqlite3_stmt* get = Prepare(
        "SELECT id, conversation_id, role, content, created_ms FROM messages WHERE id = ?1");
    sqlite3_bind_int64(get, 1, id);
    Message message;
    if (sqlite3_step(get) == SQLITE_ROW) {
      message = Message{.id = sqlite3_column_int64(get, 0),
                        .conversation_id = sqlite3_column_int64(get, 1),
                        .role = Text(get, 2),
                        .content = Text(get, 3),
                        .created_ms = sqlite3_column_int64(get, 4)};
    }
    sqlite3_finalize(get);
    return message;
  }

  std::vector<Conversation> ListConversations(int limit) {
    sqlite3_stmt* list = Prepare(
        "SELECT id, title, created_ms, updated_ms, message_count"
        " FROM conversations ORDER BY updated_ms DESC, id DESC LIMIT ?1");
    sqlite3_bind_int(list, 1, limit);
    std::vector<Conversation> conversations;
    while (sqlite3_step(list) == SQLITE_ROW) {
      conversations.push_back(Conversation{.id = sqlite3_column_int64(list, 0),
                                           .title = Text(list, 1),
                                           .created_ms = sqlite3_column_int64(list, 2),
                                           .updated_ms = sqlite3_column_int64(list, 3),
                                           .message_count = sqlite3_column_int64(list, 4)});
    }
    sqlite3_finalize(list);
    return conversations;
  }

  std::vector<SearchHit> Search(const std::string& fts_query, int limit) {
    sqlite3_stmt* search = Prepare(
        "SELECT m.conversation_id, c.title, m.id, snippet(messages_fts, 0, ?2, ?3, '…', 12)"
        " FROM messages_fts"
        " JOIN messages m ON m.id = messages_fts.rowid"
        " JOIN conversations c ON c.id = m.conversation_id"
        " WHERE messages_fts MATCH ?1 ORDER BY rank LIMIT ?4");
    static constexpr char kBegin[] = {kMatchBegin, '\0'};
    static constexpr char kEnd[] = {kMatchEnd, '\0'};
    sqlite3_bind_text(search, 1, fts_query.data(), static_cast<int>(fts_query.size()),
                      SQLITE_STATIC);
    sqlite3_bind_text(search, 2, kBegin, 1, SQLITE_STATIC);
    sqlite3_bind_text(search, 3, kEnd, 1, SQLITE_STATIC);
    sqlite3_bind_int(search, 4, limit);
    std::vector<SearchHit> hits;
    while (sqlite3_step(search) == SQLITE_ROW) {
      hits.push_back(SearchHit{.conversation_id = sqlite3_column_int64(search, 0),
                               .conversation_title = Text(search, 1),
                               .message_id = sqlite3_column_int64(search, 2),
                               .snippet = Text(search, 3)});
    }
    sqlite3_finalize(search);
    return hits;
  }

 private:
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* statement = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &statement, nullptr) != SQLITE_OK) {
      Die(std::string("reference: ") + sqlite3_errmsg(db_));
    }
    return statement;
  }
  void Finish(sqlite3_stmt* statement) {
    int rc = sqlite3_step(statement);
    sqlite3_finalize(statement);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) Die(std::string("reference: ") + sqlite3_errstr(rc));
  }
  void Exec(const char* sql) { Finish(Prepare(sql)); }
  static std::string Text(sqlite3_stmt* statement, int column) {
    const unsigned char* text = sqlite3_column_text(statement, column);
    return text == nullptr ? std::string()
                           : std::string(reinterpret_cast<const char*>(text),
                                         sqlite3_column_bytes(statement, column));
  }

  sqlite3* db_ = nullptr;
};

// What Store::Search sends to FTS5 for these simple queries: quoted terms, the last a prefix.
std::string ToFtsQuery(const std::string& query) {
  std::string fts;
  size_t pos = 0;
  while (pos < query.size()) {
    size_t end = query.find(' ', pos);
    if (end == std::string::npos) end = query.size();
    if (!fts.empty()) fts += ' ';
    fts += '"' + query.substr(pos, end - pos) + '"';
    pos = end + 1;
  }
  return fts + '*';
}

struct Row {
  const char* name;
  const char* json_name;
  Comparison times;
};

std::string Micros(double us) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.2f us", us);
  return buffer;
}

std::string JsonLatency(const Latency& latency) {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "{\"p50_us\": %.3f, \"p99_us\": %.3f, \"mean_us\": %.3f}",
                latency.p50_us, latency.p99_us, latency.mean_us);
  return buffer;
}

int Run(const std::string& json_path, int iterations, int warmup) {
  std::string pattern = (std::filesystem::temp_directory_path() / "hearth-store-bench-XXXXXX");
  if (mkdtemp(pattern.data()) == nullptr) Die("cannot create a temporary directory");
  temp_dir = pattern;
  const std::string path = temp_dir / "bench.db";

  Words words;
  Random random(20240601);
  int64_t now_ms = 1'700'000'000'000;
  int64_t last_message_id = 0;
  std::vector<int64_t> conversation_ids;
  {
    Result<std::unique_ptr<Store>> opened = Store::Open(path);
    Check(opened.status(), "open");
    Store& store = **opened;
    for (int i = 0; i < kConversations; ++i) {
      Result<Conversation> conversation =
          store.CreateConversation(words.Sentence(random, 2, 6), ++now_ms);
      Check(conversation.status(), "create conversation");
      conversation_ids.push_back(conversation->id);
    }
    for (int i = 0; i < kMessages; ++i) {
      int64_t conversation_id = conversation_ids[random.Below(kConversations)];
      std::string text = words.Sentence(random, 5, 120);
      Result<Message> message =
          store.AddMessage(conversation_id, i % 2 ? "assistant" : "user", text, ++now_ms);
      Check(message.status(), "add message");
      last_message_id = message->id;
    }
  }

  // The same inputs for both sides, generated before any timing.
  const int total = warmup + iterations;
  std::vector<std::string> texts;
  std::vector<int64_t> insert_conversations;
  std::vector<int64_t> read_ids;
  std::vector<std::string> queries;
  for (int i = 0; i < total; ++i) {
    texts.push_back(words.Sentence(random, 5, 120));
    insert_conversations.push_back(conversation_ids[random.Below(kConversations)]);
    read_ids.push_back(1 + random.Below(static_cast<int>(last_message_id)));
    std::string rare(words.Rare(random));
    switch (random.Below(3)) {
      case 0:
        queries.push_back(rare);
        break;
      case 1:
        queries.push_back(std::string(words.Pick(random)) + " " + rare);
        break;
      default:
        queries.push_back(rare.substr(0, std::max<size_t>(3, rare.size() / 2)));
    }
  }

  std::vector<Row> rows;
  size_t sink = 0;  // keeps results observable so nothing is optimised away
  size_t hearth_hits = 0;
  size_t reference_hits = 0;
  int64_t file_bytes = 0;
  {
    Result<std::unique_ptr<Store>> opened = Store::Open(path);
    Check(opened.status(), "reopen");
    Store& store = **opened;
    // Hearth holds its file in exclusive locking mode, so the reference works on an identical
    // copy, opened the way a plain sqlite3 program would (normal locking).
    std::string reference_path = path + ".reference";
    std::filesystem::copy_file(path, reference_path,
                               std::filesystem::copy_options::overwrite_existing);
    Reference reference(reference_path);

    auto hearth_insert = [&](int i) {
      Result<Message> message =
          store.AddMessage(insert_conversations[i], "user", texts[i], ++now_ms);
      Check(message.status(), "add message");
    };
    auto reference_insert = [&](int i) {
      reference.AddMessage(insert_conversations[i], texts[i], ++now_ms);
    };
    rows.push_back({"insert message", "insert_message",
                    Compare(warmup, iterations, hearth_insert, reference_insert)});

    auto hearth_read = [&](int i) {
      Result<Message> message = store.GetMessage(read_ids[i]);
      Check(message.status(), "get message");
      sink += message->content.size();
    };
    auto reference_read = [&](int i) { sink += reference.GetMessage(read_ids[i]).content.size(); };
    rows.push_back(
        {"point read", "point_read", Compare(warmup, iterations, hearth_read, reference_read)});

    auto hearth_list = [&](int) {
      Result<std::vector<Conversation>> list = store.ListConversations(std::nullopt, kListPage);
      Check(list.status(), "list conversations");
      sink += list->size();
    };
    auto reference_list = [&](int) { sink += reference.ListConversations(kListPage).size(); };
    rows.push_back({"list page (50)", "list_page_50",
                    Compare(warmup, iterations, hearth_list, reference_list)});

    auto hearth_search = [&](int i) {
      Result<std::vector<SearchHit>> hits = store.Search(queries[i], kSearchLimit);
      Check(hits.status(), "search");
      if (i >= warmup) hearth_hits += hits->size();
    };
    auto reference_search = [&](int i) {
      size_t hits = reference.Search(ToFtsQuery(queries[i]), kSearchLimit).size();
      if (i >= warmup) reference_hits += hits;
    };
    rows.push_back({"FTS search (20)", "fts_search_20",
                    Compare(warmup, iterations, hearth_search, reference_search)});
    if (hearth_hits != reference_hits) Die("the two searches found different results");

    Result<Stats> stats = store.GetStats();
    Check(stats.status(), "stats");
    file_bytes = stats->file_bytes;
  }
  std::filesystem::remove_all(temp_dir);
  temp_dir.clear();
  if (sink == 0) Die("the reads returned nothing");

  double syscall_us = SyscallMicros();
  std::printf("hearth_store_bench: SQLite %s, WAL, synchronous=NORMAL\n", sqlite3_libversion());
  std::printf(
      "database: %d conversations, %d messages at start, %.1f MiB at end; %d iterations "
      "per operation after %d warm-up\n",
      kConversations, kMessages, static_cast<double>(file_bytes) / (1 << 20), iterations, warmup);
  std::printf(
      "reference: the same SQL through sqlite3_prepare_v2 + step + finalize every call,\n"
      "           on an identical copy of the file with normal locking\n");
  std::printf(
      "machine: %.2f us per trivial system call (getppid); a read transaction makes 2 with "
      "normal locking, 0 in exclusive mode; a write about 2 per page\n",
      syscall_us);
  std::printf("search: %.1f hits per query on average\n\n",
              static_cast<double>(hearth_hits) / iterations);
  std::printf("%-16s | %11s | %11s | %13s | %13s | %s\n", "operation", "hearth p50", "hearth p99",
              "reference p50", "reference p99", "ratio (p50)");
  std::printf("%s\n", std::string(89, '-').c_str());
  for (const Row& row : rows) {
    std::printf("%-16s | %11s | %11s | %13s | %13s | %.2f\n", row.name,
                Micros(row.times.hearth.p50_us).c_str(), Micros(row.times.hearth.p99_us).c_str(),
                Micros(row.times.reference.p50_us).c_str(),
                Micros(row.times.reference.p99_us).c_str(),
                row.times.hearth.p50_us / row.times.reference.p50_us);
  }
  std::printf("\nratio = hearth p50 / reference p50 (below 1: the statement cache pays off)\n");
  bool insert_met = rows[0].times.hearth.p50_us < kInsertTargetUs;
  bool read_met = rows[1].times.hearth.p50_us < kPointReadTargetUs;
  std::printf(
      "targets: insert p50 < %.0f us: %s (%.2f us); point read p50 < %.0f us: %s (%.2f us)\n",
      kInsertTargetUs, insert_met ? "met" : "MISSED", rows[0].times.hearth.p50_us,
      kPointReadTargetUs, read_met ? "met" : "MISSED", rows[1].times.hearth.p50_us);

  std::ofstream json(json_path);
  json << "{\n  \"sqlite_version\": \"" << sqlite3_libversion() << "\",\n"
       << "  \"conversations\": " << kConversations << ",\n"
       << "  \"messages_at_start\": " << kMessages << ",\n"
       << "  \"iterations\": " << iterations << ",\n  \"warmup\": " << warmup << ",\n"
       << "  \"file_bytes_at_end\": " << file_bytes << ",\n"
       << "  \"syscall_us\": " << syscall_us << ",\n"
       << "  \"reference\": \"same SQL, sqlite3_prepare_v2 + step + finalize per call\",\n"
       << "  \"operations\": {\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    char ratio[32];
    std::snprintf(ratio, sizeof ratio, "%.3f",
                  rows[i].times.hearth.p50_us / rows[i].times.reference.p50_us);
    json << "    \"" << rows[i].json_name
         << "\": {\"hearth\": " << JsonLatency(rows[i].times.hearth)
         << ", \"reference\": " << JsonLatency(rows[i].times.reference)
         << ", \"ratio_p50\": " << ratio << "}" << (i + 1 < rows.size() ? "," : "") << "\n";
  }
  json << "  },\n  \"targets\": {\"insert_message_p50_us\": {\"below\": " << kInsertTargetUs
       << ", \"met\": " << (insert_met ? "true" : "false")
       << "}, \"point_read_p50_us\": {\"below\": " << kPointReadTargetUs
       << ", \"met\": " << (read_met ? "true" : "false") << "}}\n}\n";
  json.close();
  if (!json) Die("cannot write " + json_path);
  std::printf("wrote %s\n", json_path.c_str());

  return 0;
}

}  // namespace
}  // namespace hearth::store

int main(int argc, char** argv) {
  std::string json_path = "store_bench.json";
  int iterations = 5000;
  int warmup = 500;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    bool has_value = i + 1 < argc;
    if (arg == "--json" && has_value) {
      json_path = argv[++i];
    } else if (arg == "--iterations" && has_value) {
      iterations = std::max(1, std::atoi(argv[++i]));
    } else if (arg == "--warmup" && has_value) {
      warmup = std::max(0, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: %s [--json PATH] [--iterations N] [--warmup N]\n", argv[0]);
      return 2;
    }
  }
  return hearth::store::Run(json_path, iterations, warmup);
}
