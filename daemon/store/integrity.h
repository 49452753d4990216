// SPDX-License-Identifier: Apache-2.0
// store: the check that a database file is whole, made before Hearth writes anything to it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"

namespace hearth::store {

class Database;

// Files up to this size are checked (PRAGMA quick_check) before the store opens for writing.
// quick_check reads every page: measured here (bench/integrity_bench.cpp) 0.13 s for 100 MB and
// 1.9 s for 1 GB with the file in the page cache, 0.5 s and 16 s from disk; 16 s is past the
// supervisor's 15 s deadline for READY. 256 MB keeps the check to a second or two. Larger files
// are opened unchecked (Integrity::State::kUnchecked).
inline constexpr int64_t kDefaultQuickCheckMaxBytes = 256LL * 1024 * 1024;

// At most this many of sqlite's findings are kept and shown.
inline constexpr int kMaxIntegrityFindings = 5;

// What the check found.
struct Integrity {
  enum class State {
    kOk,         // checked: whole
    kDamaged,    // checked: damaged; the store is read-only
    kUnchecked,  // not checked: a new file, ":memory:", or larger than the bound
  };
  State state = State::kUnchecked;
  // For kDamaged: sqlite's own words, e.g. "Tree 5 page 9 cell 0: invalid page number 4242".
  std::vector<std::string> findings;
  int64_t file_bytes = 0;
  int64_t check_ms = 0;  // how long the check took
};

// "ok", "damaged", "unchecked": for logs, Supervise and the control channel.
const char* IntegrityStateName(Integrity::State state);

// Opens an existing database file for reading only, in a way that changes nothing on disk: no
// write to the file, no -wal or -shm created beside it (a WAL-mode file without a -wal is opened
// immutable, since no other connection can have it open; with a -wal left by a crash, sqlite may
// create the -shm index it needs to read the -wal, but writes neither the file nor the -wal).
// Fails like Database::Open.
Result<Database> OpenForCheck(const std::string& path);

// Runs PRAGMA quick_check on `db` (every page of every table and index is read and its structure
// verified; index contents are not compared with their tables, which integrity_check also does at
// several times the cost). Reads only. Returns the findings, empty when the file is whole; an
// sqlite error that itself says the file is damaged (SQLITE_CORRUPT, SQLITE_NOTADB) is returned
// as a finding. Other failures (kBusy: locked by another program; kIoError) are returned as such.
Result<std::vector<std::string>> QuickCheck(Database& db);

// The check Store::Open makes of an existing, non-empty file before anything writes to it:
// OpenForCheck, then CheckSchema (a file that is not a Hearth database this build can use fails
// as CheckSchema says), then QuickCheck when the file is at most `quick_check_max_bytes` or needs
// a migration. `reader` stays open for a store that must serve the file read-only.
struct FileCheck {
  std::unique_ptr<Database> reader;
  int schema_version = 0;
  Integrity integrity;  // kOk, kDamaged, or kUnchecked when the file was too large to check
};
Result<FileCheck> CheckExistingFile(const std::string& path, int known_version,
                                    int64_t quick_check_max_bytes);

}  // namespace hearth::store
