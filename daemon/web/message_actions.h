// SPDX-License-Identifier: Apache-2.0
// web: what a message offers besides its text: stepping between its versions, copying it as
// Markdown, editing it (the user's), and a copy button on each of its code blocks.
#pragma once

#include <string>

#include "store/store.h"
#include "web/html.h"

namespace hearth::web {

// The message's action bar: "‹ 2/3 ›" when it has versions (buttons that show the neighbouring
// version, i.e. POST /c/<cid>/messages/<id>/show), Copy (its Markdown source, through app.js's
// data-copy; not while it streams; not for notices) and, for the user's messages, Edit. Empty
// for tool messages.
Html MessageActions(const store::Message& message);

// `rendered` (Markdown rendered by markdown::RenderMarkdown, whose text is escaped, so the tags
// matched here can only be its own) with a copy button before each code block.
std::string WithCodeCopyButtons(std::string rendered);

}  // namespace hearth::web
