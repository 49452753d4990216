// SPDX-License-Identifier: Apache-2.0
// Damaging a database file the way a failing disk does: one page of a table's data overwritten,
// the file header and the schema left whole. Shared by unit and integration tests.
#pragma once

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace hearth::unit {

// Overwrites the `nth` leaf page of `table`'s b-tree in the (closed) database at `path` with
// garbage. Returns the page number, or 0 when the table has fewer leaves or the file could not be
// read or written.
inline int64_t DamageLeafPage(const std::string& path, const std::string& table, int nth) {
  sqlite3* db = nullptr;
  int64_t page = 0;
  int64_t page_size = 0;
  // Immutable: a plain read-only connection would leave a -wal and a -shm beside the file.
  std::string uri = "file:" + path + "?immutable=1";
  if (sqlite3_open_v2(uri.c_str(), &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) ==
      SQLITE_OK) {
    sqlite3_stmt* find = nullptr;
    // dbstat lists every page of every b-tree (https://sqlite.org/dbstat.html).
    sqlite3_prepare_v2(db,
                       "SELECT pageno, (SELECT page_size FROM pragma_page_size) FROM dbstat"
                       " WHERE name = ?1 AND pagetype = 'leaf' ORDER BY pageno LIMIT 1 OFFSET ?2",
                       -1, &find, nullptr);
    sqlite3_bind_text(find, 1, table.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(find, 2, nth);
    if (sqlite3_step(find) == SQLITE_ROW) {
      page = sqlite3_column_int64(find, 0);
      page_size = sqlite3_column_int64(find, 1);
    }
    sqlite3_finalize(find);
  }
  sqlite3_close(db);
  if (page == 0) return 0;
  std::string garbage(static_cast<size_t>(page_size), '\0');
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<char>((i * 7919 + 13) % 251);
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  bool written = pwrite(fd, garbage.data(), garbage.size(), (page - 1) * page_size) ==
                 static_cast<ssize_t>(garbage.size());
  close(fd);
  return written ? page : 0;
}

}  // namespace hearth::unit
