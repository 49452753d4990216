// SPDX-License-Identifier: Apache-2.0
// web/answer_facts: what an answer's metadata says about how it was made (agent/agent.cpp writes
// it): why it was cut off, what was left out of its request, its token usage and speed.
#pragma once

#include <string_view>

#include "web/html.h"

namespace hearth::web {

// Notes shown above the answer: the earlier messages left out to fit the model's context
// ("left_out"). Empty when there are none.
Html AnswerContextNote(std::string_view meta);
// Shown below the answer: why the server stopped it before its end ("cut_off": "length" or
// "content_filter"), in words, with what to do. Empty when it was not cut off.
Html AnswerCutOffNote(std::string_view meta);
// For the answer's header line: its tokens in and out and tokens/s, as the server counted them
// ("prompt_tokens", "completion_tokens", "tokens_per_s"). Empty without usage figures.
Html AnswerUsage(std::string_view meta);

}  // namespace hearth::web
