// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string_view>

namespace hearth::web {

// A file from ui/ compiled into the binary by tools/embed.cpp.
struct EmbeddedFile {
  std::string_view name;  // e.g. "static/app.css", "templates/page.html", "vendor/htmx.min.js"
  std::string_view data;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

// The embedded file called `name`, or nullptr.
const EmbeddedFile* FindEmbeddedFile(std::string_view name);

}  // namespace hearth::web
