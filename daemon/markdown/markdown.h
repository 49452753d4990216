// SPDX-License-Identifier: Apache-2.0
// markdown: model answers (hostile GitHub-flavoured Markdown) rendered as safe HTML fragments.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hearth::markdown {

// The most input RenderMarkdown parses as Markdown; past it, the rest is shown as plain text.
inline constexpr size_t kMaxMarkdownBytes = 256 * 1024;

// Renders `text` (GitHub-flavoured Markdown: tables, strikethrough, task lists, fenced code,
// autolinks for URLs, www. names and e-mail addresses) as an HTML fragment meant for the inside
// of a <div class="content">. The input is treated as hostile (a model can be prompt-injected),
// and the output is safe to insert into a page as it is:
//   - Raw HTML in the input (blocks, inline tags, comments) is shown as text, never as markup.
//     Every element and attribute in the output is one this renderer writes itself; all text and
//     attribute values are escaped (& < > " ', and ':' inside attributes).
//   - A link becomes <a href rel="noopener noreferrer nofollow"> only when its destination, after
//     decoding entities and dropping what browsers ignore (leading control characters and spaces,
//     tabs and newlines anywhere), is an absolute http:// or https:// URL, or a mailto: URL.
//     Anything else (javascript:, data:, vbscript:, file:, relative URLs, ...) renders as the
//     link's text alone. Links never nest: a link inside a link shows as text.
//   - Images never load anything: an image renders as a link to its URL (same rule) whose text is
//     the alt text (or the URL when there is none), or as the alt text alone.
//   - Fenced code renders as <pre><code class="language-X"> when X, the first word of the info
//     string, is only [A-Za-z0-9_+-]; otherwise with no class.
//   - Invalid UTF-8 in the input becomes U+FFFD (as do NUL and invalid character references), so
//     the output is always valid UTF-8.
//   - The work is linear in the input: md4c's parser and a single append-only pass. Input past
//     kMaxMarkdownBytes (cut at the last line end before it) is rendered as escaped text in a
//     <pre>, so a runaway answer is still shown in full but costs no parsing.
//   - md4c parses a private copy of the input, so it never sees (or reads past) the caller's
//     buffer. Should it ever report text outside that copy (a parser bug; see markdown.cpp), the
//     whole answer is shown as escaped text in a <pre> instead.
// Every top-level block ends with '\n', and nothing wraps the document, so the renderings of
// consecutive pieces of a text concatenate (see StableBlockPrefix).
//
// Thread-safe (no shared state). Throws std::bad_alloc when memory runs out; nothing else.
std::string RenderMarkdown(std::string_view text);

// For rendering an answer while it streams in: the byte offset up to which `text` consists of
// complete top-level blocks, whose rendering cannot change when more text is appended. That is
// the end of the last blank line outside a fenced code block, or the end of a line that closes a
// fence; 0 when there is none. A line counts only once its line end (\n, \r\n, or \r followed by
// something other than \n) has arrived, and text inside an unclosed fence is never stable.
//
// A fence opens on a line of at least three ` or ~ (backticks with no ` after them), and closes
// on a line of at least as many of the same character and nothing else but blanks. Unlike
// CommonMark at the top level, an opening fence may be indented by any number of spaces, and a
// closing one by up to three more than its opening: fences nested in list items are common in
// model answers and must not be split at their blank lines.
//
// So the renderer can show RenderMarkdown(text.substr(0, k)) + RenderMarkdown(text.substr(k)),
// k = StableBlockPrefix(text), render the first part once, and re-render only the tail as text
// arrives. Because a stable offset is always outside any fence at the start of a line, the scan
// can resume from the last one: k + StableBlockPrefix(text.substr(k)) is the same answer, which
// keeps streaming linear overall.
//
// Caveats, all fixed by rendering the whole answer once it is complete: a blank line inside a
// loose list, or inside an indented code block, splits it in two (a loose list renders as two
// lists, the second numbered on from where the first stopped); a fence nested in a blockquote is
// not tracked; a link reference definition applies only within its own part.
//
// O(n), no allocation. Thread-safe.
size_t StableBlockPrefix(std::string_view text);

}  // namespace hearth::markdown
