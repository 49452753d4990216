// SPDX-License-Identifier: Apache-2.0
#include "store/integrity.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>

#include "base/fd.h"
#include "store/database.h"
#include "store/schema.h"

namespace hearth::store {
namespace {

// Byte 18 of the database header is the read version: 2 for WAL mode
// (https://sqlite.org/fileformat2.html#file_format_version_numbers).
constexpr off_t kReadVersionOffset = 18;
constexpr unsigned char kWalVersion = 2;

bool InWalMode(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  unsigned char version = 0;
  return fd.valid() && pread(fd.get(), &version, 1, kReadVersionOffset) == 1 &&
         version == kWalVersion;
}

bool HasNonEmptyFile(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && st.st_size > 0;
}

// A file: URI for `path` (https://sqlite.org/uri.html): the characters that end or escape the
// path part are percent-encoded.
std::string FileUri(const std::string& path, const char* query) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string uri = "file:";
  for (unsigned char c : path) {
    if (c == '%' || c == '?' || c == '#' || c < 0x20 || c >= 0x7f) {
      uri += '%';
      uri += kHex[c >> 4];
      uri += kHex[c & 0xf];
    } else {
      uri += static_cast<char>(c);
    }
  }
  return uri + "?" + query;
}

}  // namespace

const char* IntegrityStateName(Integrity::State state) {
  switch (state) {
    case Integrity::State::kOk:
      return "ok";
    case Integrity::State::kDamaged:
      return "damaged";
    case Integrity::State::kUnchecked:
      break;
  }
  return "unchecked";
}

Result<Database> OpenForCheck(const std::string& path) {
  // A read-only connection to a WAL-mode file still creates the -wal and -shm files to read
  // through them (and leaves them behind). Without a -wal there is nothing in it to read, and
  // no other connection can be writing (a WAL writer always has its -wal), so the file can be
  // read as immutable: no locks, no files beside it.
  const char* query =
      InWalMode(path) && !HasNonEmptyFile(path + "-wal") ? "mode=ro&immutable=1" : "mode=ro";
  Result<Database> db = Database::Open(
      FileUri(path, query), SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX);
  if (!db.ok()) return db.status();
  return db;
}

Result<std::vector<std::string>> QuickCheck(Database& db) {
  Result<Statement> check =
      db.Prepare("PRAGMA quick_check(" + std::to_string(kMaxIntegrityFindings) + ")");
  if (!check.ok()) return check.status();
  std::vector<std::string> findings;
  for (;;) {
    Result<bool> row = check->Step();
    if (!row.ok()) {
      if (row.status().code() != Status::Code::kCorrupt) return row.status();
      // The check could not even walk the file; sqlite's reason is the finding.
      findings.push_back(sqlite3_errmsg(db.get()));
      return findings;
    }
    if (!*row) break;
    std::string line(check->ColumnText(0));
    if (line != "ok") findings.push_back(std::move(line));
  }
  return findings;
}

Result<FileCheck> CheckExistingFile(const std::string& path, int known_version,
                                    int64_t quick_check_max_bytes) {
  auto started = std::chrono::steady_clock::now();
  FileCheck check;
  Result<Database> reader = OpenForCheck(path);
  if (!reader.ok()) return reader.status();
  check.reader = std::make_unique<Database>(std::move(*reader));
  Result<int> version = CheckSchema(*check.reader, known_version);
  if (!version.ok()) return version.status();
  check.schema_version = *version;
  struct stat st;
  check.integrity.file_bytes = stat(path.c_str(), &st) == 0 ? st.st_size : 0;
  // A migration writes, so a file that needs one is checked first whatever its size.
  if (check.integrity.file_bytes > quick_check_max_bytes && *version == known_version) {
    return check;
  }
  Result<std::vector<std::string>> findings = QuickCheck(*check.reader);
  if (!findings.ok()) return findings.status();
  check.integrity.state = findings->empty() ? Integrity::State::kOk : Integrity::State::kDamaged;
  check.integrity.findings = std::move(*findings);
  check.integrity.check_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - started)
                                 .count();
  return check;
}

}  // namespace hearth::store
