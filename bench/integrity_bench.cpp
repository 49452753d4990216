// SPDX-License-Identifier: Apache-2.0
// How long the start-up integrity check takes on Hearth databases of a given size: the numbers
// behind kDefaultQuickCheckMaxBytes (daemon/store/integrity.h).
//
//   hearth_integrity_bench [--sizes-mb 100,1000] [--runs N] [--json PATH] [--dir DIR]
//
// For each size, builds a Hearth database (the real schema, FTS5 triggers included) filled with
// messages of pseudo-random words until the file reaches the size, then times the check the store
// runs at open (OpenForCheck + QuickCheck) with the file in the page cache ("warm") and after
// dropping the file's pages from it with posix_fadvise ("cold"), and PRAGMA integrity_check once
// for comparison. Prints a table, writes JSON (default ./integrity_bench.json), removes the files.
// Not a test: it never fails on slow numbers.
#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "base/fd.h"
#include "store/database.h"
#include "store/integrity.h"
#include "store/store.h"

namespace hearth::store {
namespace {

std::filesystem::path temp_dir;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "hearth_integrity_bench: %s\n", what.c_str());
  std::error_code ignored;
  if (!temp_dir.empty()) std::filesystem::remove_all(temp_dir, ignored);
  std::exit(1);
}

void Exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    Die(std::string(sql) + ": " + (error ? error : "?"));
  }
}

// Fills `path` (a fresh Hearth database) with messages until it holds `bytes`.
void Fill(const std::string& path, int64_t bytes) {
  {
    auto store = Store::Open(path);
    if (!store.ok()) Die(store.status().ToString());
  }
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) Die("open " + path);
  Exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF; PRAGMA foreign_keys = ON");
  static const char* kWords[] = {"the",    "model",  "answer", "file",    "sandbox",  "token",
                                 "stream", "query",  "daemon", "socket",  "landlock", "page",
                                 "write",  "search", "hearth", "desktop", "agent",    "tool"};
  uint64_t state = 42;
  auto next = [&state] {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    return state >> 33;
  };
  sqlite3_stmt* conversation = nullptr;
  sqlite3_stmt* message = nullptr;
  sqlite3_prepare_v2(db,
                     "INSERT INTO conversations (title, created_ms, updated_ms) VALUES (?1, 1, 1)",
                     -1, &conversation, nullptr);
  sqlite3_prepare_v2(db,
                     "INSERT INTO messages (conversation_id, role, content, created_ms)"
                     " VALUES (?1, 'user', ?2, 1)",
                     -1, &message, nullptr);
  int64_t conversation_id = 0;
  for (int batch = 0;; ++batch) {
    Exec(db, "BEGIN");
    for (int i = 0; i < 2000; ++i) {
      if (i % 100 == 0) {
        sqlite3_bind_text(conversation, 1, "bench", -1, SQLITE_STATIC);
        sqlite3_step(conversation);
        sqlite3_reset(conversation);
        conversation_id = sqlite3_last_insert_rowid(db);
      }
      std::string text;
      size_t words = 100 + next() % 400;
      for (size_t w = 0; w < words; ++w) {
        text += kWords[next() % std::size(kWords)];
        text += std::to_string(next() % 5000);
        text += ' ';
      }
      sqlite3_bind_int64(message, 1, conversation_id);
      sqlite3_bind_text(message, 2, text.data(), static_cast<int>(text.size()), SQLITE_STATIC);
      if (sqlite3_step(message) != SQLITE_DONE) Die(sqlite3_errmsg(db));
      sqlite3_reset(message);
    }
    Exec(db, "COMMIT");
    Exec(db, "PRAGMA wal_checkpoint(TRUNCATE)");
    if (static_cast<int64_t>(std::filesystem::file_size(path)) >= bytes) break;
  }
  sqlite3_finalize(conversation);
  sqlite3_finalize(message);
  sqlite3_close(db);
}

void DropFromPageCache(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) Die("open " + path);
  fdatasync(fd.get());
  posix_fadvise(fd.get(), 0, 0, POSIX_FADV_DONTNEED);
}

double Ms(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

// The check Store::Open runs; returns its duration in ms.
double TimeQuickCheck(const std::string& path) {
  auto start = std::chrono::steady_clock::now();
  auto db = OpenForCheck(path);
  if (!db.ok()) Die(db.status().ToString());
  auto findings = QuickCheck(*db);
  if (!findings.ok()) Die(findings.status().ToString());
  if (!findings->empty()) Die("the fresh file is damaged: " + findings->front());
  return Ms(std::chrono::steady_clock::now() - start);
}

double TimeIntegrityCheck(const std::string& path) {
  auto start = std::chrono::steady_clock::now();
  auto db = OpenForCheck(path);
  if (!db.ok()) Die(db.status().ToString());
  if (Status s = db->Exec("PRAGMA integrity_check"); !s.ok()) Die(s.ToString());
  return Ms(std::chrono::steady_clock::now() - start);
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace
}  // namespace hearth::store

int main(int argc, char** argv) {
  using namespace hearth::store;
  std::vector<int64_t> sizes_mb = {100, 1000};
  int runs = 3;
  std::string json_path = "integrity_bench.json";
  std::string dir = std::filesystem::temp_directory_path();
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    std::string value = argv[i + 1];
    if (flag == "--sizes-mb") {
      sizes_mb.clear();
      for (size_t pos = 0; pos < value.size();) {
        size_t comma = value.find(',', pos);
        if (comma == std::string::npos) comma = value.size();
        sizes_mb.push_back(std::stoll(value.substr(pos, comma - pos)));
        pos = comma + 1;
      }
    } else if (flag == "--runs") {
      runs = std::max(1, std::stoi(value));
    } else if (flag == "--json") {
      json_path = value;
    } else if (flag == "--dir") {
      dir = value;
    } else {
      Die("unknown option " + flag);
    }
  }
  std::string pattern = dir + "/hearth-integrity-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) Die("mkdtemp in " + dir);
  temp_dir = pattern;

  std::printf("%-10s %-12s %-16s %-16s %-18s\n", "size MB", "file MB", "quick warm ms",
              "quick cold ms", "integrity warm ms");
  std::string json = "{\"runs\": " + std::to_string(runs) + ", \"results\": [";
  for (size_t n = 0; n < sizes_mb.size(); ++n) {
    std::string path = (temp_dir / ("bench-" + std::to_string(sizes_mb[n]) + ".db")).string();
    Fill(path, sizes_mb[n] * 1024 * 1024);
    double file_mb = static_cast<double>(std::filesystem::file_size(path)) / (1024.0 * 1024.0);
    std::vector<double> warm, cold;
    TimeQuickCheck(path);  // brings the file into the page cache
    for (int r = 0; r < runs; ++r) warm.push_back(TimeQuickCheck(path));
    for (int r = 0; r < runs; ++r) {
      DropFromPageCache(path);
      cold.push_back(TimeQuickCheck(path));
    }
    TimeQuickCheck(path);
    double integrity = TimeIntegrityCheck(path);
    std::printf("%-10lld %-12.1f %-16.1f %-16.1f %-18.1f\n", static_cast<long long>(sizes_mb[n]),
                file_mb, Median(warm), Median(cold), integrity);
    std::fflush(stdout);
    char row[256];
    std::snprintf(row, sizeof row,
                  "%s{\"file_mb\": %.1f, \"quick_check_warm_ms\": %.1f, "
                  "\"quick_check_cold_ms\": %.1f, \"integrity_check_warm_ms\": %.1f}",
                  n == 0 ? "" : ", ", file_mb, Median(warm), Median(cold), integrity);
    json += row;
    std::filesystem::remove(path);
  }
  json += "]}\n";
  std::ofstream(json_path) << json;
  std::filesystem::remove_all(temp_dir);
  std::printf("wrote %s\n", json_path.c_str());
  return 0;
}
