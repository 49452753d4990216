// SPDX-License-Identifier: Apache-2.0
#include "base/json.h"

#include <json/reader.h>

#include <exception>
#include <memory>
#include <string>

namespace hearth {

bool ParseJson(std::string_view text, Json::Value* out, int max_depth) {
  Json::CharReaderBuilder builder;
  builder["collectComments"] = false;
  builder["stackLimit"] = max_depth;
  builder["rejectDupKeys"] = true;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  std::string errors;
  try {
    return reader->parse(text.data(), text.data() + text.size(), out, &errors);
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace hearth
