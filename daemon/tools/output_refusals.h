// SPDX-License-Identifier: Apache-2.0
// output_refusals: the refusals a sandboxed command says it met, read from what it printed.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace hearth::tools {

// One refusal as a program reported it.
struct OutputRefusal {
  // The absolute path the line names ("/home/u/.ssh/id_rsa"), or, when it names none (a
  // refused socket: "socket: Permission denied"), the line itself, cut to 200 bytes.
  std::string target;
  std::string line;  // the whole line, cut to 200 bytes
};

// The lines of `output` that report EACCES or EPERM ("Permission denied", "Operation not
// permitted", as programs print strerror under LANG=C.UTF-8), at most `max` of them, one per
// target, in order. A heuristic, not the kernel's word: a program may print such a line for
// another reason (a file's own mode) or print none at all, and it can print anything.
// `*more` (may be null) is set to how many further such lines were left out.
std::vector<OutputRefusal> RefusalsInOutput(std::string_view output, size_t max, size_t* more);

}  // namespace hearth::tools
