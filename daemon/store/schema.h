// SPDX-License-Identifier: Apache-2.0
// store: Hearth's tables, and the migrations that bring an older file up to date.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "store/database.h"

namespace hearth::store {

// Stored in the file header (PRAGMA application_id) by the first migration: "Hrth".
inline constexpr int32_t kApplicationId = 0x48727468;

// Reads the file without writing to it and returns its schema version (PRAGMA user_version; 0 for
// a new, empty file). Fails, leaving the file as it was, with:
//   kCorrupt      the file is not a database, is damaged, or is another program's database;
//   kUnsupported  the schema is newer than `known_version` (written by a newer Hearth);
//   kBusy         another connection holds the file locked past the busy timeout.
Result<int> CheckSchema(Database& db, int known_version);

// Applies the migrations from the file's version up to `target_version`. Each runs in its own
// transaction (BEGIN IMMEDIATE) together with setting user_version, so the file is always at a
// whole version, and two processes migrating at once do not interleave. Takes the write lock even
// when there is nothing to do, so a file another program keeps locked fails here with kBusy.
// A file newer than `target_version` is left alone with kUnsupported.
Status Migrate(Database& db, int target_version);

}  // namespace hearth::store
