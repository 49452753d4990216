// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include <json/value.h>

namespace hearth {

// Parses a JSON document from outside (a config file, a model's tool arguments, stored metadata)
// into `out`. False for malformed text, duplicate keys, or nesting deeper than `max_depth`; never
// throws (jsoncpp reports its depth limit by throwing, which this catches).
bool ParseJson(std::string_view text, Json::Value* out, int max_depth = 64);

}  // namespace hearth
