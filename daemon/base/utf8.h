// SPDX-License-Identifier: Apache-2.0
// UTF-8 as the model, the page and the store want it: well-formed, and cut only between
// characters. Text from programs, files, servers and models is repaired here before it is shown.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hearth {

// U+FFFD, which stands in for every byte that does not start a well-formed sequence.
inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";

// The length (1 to 4) of the well-formed sequence that starts at text[i], or 0 when there is
// none: a stray continuation byte, an overlong form, a surrogate, a code point past U+10FFFF, or
// a sequence cut short by the end of `text`. Requires i < text.size().
size_t Utf8SequenceLength(std::string_view text, size_t i);

// Appends `text` with each byte that does not start a well-formed sequence replaced by U+FFFD.
// Well-formed runs (most text, all of ASCII) are copied in one go.
void AppendValidUtf8(std::string& out, std::string_view text);
std::string ToValidUtf8(std::string_view text);

// The longest prefix of `text` of at most `limit` bytes that does not end inside a sequence.
size_t Utf8Prefix(std::string_view text, size_t limit);

// Drops a sequence left incomplete at the end of `text`, as when a byte limit cut a stream.
void DropIncompleteUtf8Tail(std::string& text);

}  // namespace hearth
