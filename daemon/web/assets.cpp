// SPDX-License-Identifier: Apache-2.0
#include "web/assets.h"

namespace hearth::web {

const EmbeddedFile* FindEmbeddedFile(std::string_view name) {
  for (size_t i = 0; i < kEmbeddedFileCount; ++i) {
    if (kEmbeddedFiles[i].name == name) return &kEmbeddedFiles[i];
  }
  return nullptr;
}

}  // namespace hearth::web
