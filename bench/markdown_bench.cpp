// SPDX-License-Identifier: Apache-2.0
// Cost of rendering a model answer (daemon/markdown), next to two floors measured in the same
// run: md4c's parser with callbacks that do nothing, and HTML-escaping the same text (a copy that
// looks at every byte). Then the same answer as it streams in, ~4 bytes per delta, re-rendered
// every 64 deltas: only the tail after StableBlockPrefix, and, for contrast, all of it.
//
//   hearth_markdown_bench [--benchmark_filter=REGEX] [--benchmark_out=FILE.json]
//
// Each benchmark runs on the ~20 KB answer built below (/1) and on 8 copies of it (/8). The
// streaming ones report x_full_render, their total CPU time over that of one full render of the
// same text (flat with size when streaming is linear), and bytes_rendered_per_byte, how many
// times each byte went through the renderer.
#include <benchmark/benchmark.h>
#include <md4c.h>

#include <time.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "markdown/markdown.h"
#include "web/html.h"

namespace hearth::markdown {
namespace {

// A deterministic answer shaped like what a coding assistant writes: headings, prose with inline
// code, emphasis and links, nested and task lists, a table and several fenced code blocks.
std::string BuildAnswer() {
  std::string a;
  a += "# Building and profiling the service\n\n";
  for (int section = 1; section <= 8; ++section) {
    std::string n = std::to_string(section);
    a += "## Step " + n + ": what changes and why\n\n";
    a += "This step rewrites the request path so that the handler no longer copies the body "
         "twice. The old code called `ReadAll()` and then `Parse()` on a temporary string; the "
         "new code parses straight from the connection buffer, which removes an allocation per "
         "request and about **30%** of the time spent in `memcpy` according to the profile "
         "below. See the [design note](https://example.com/notes/" +
         n + ") and the discussion at https://github.com/example/project/issues/12" + n +
         " for the trade-offs, in particular *why* we keep the slow path for chunked bodies.\n\n";
    a += "Before you start, make sure that:\n\n"
         "- the build directory is clean (`rm -rf build`), otherwise stale objects hide errors;\n"
         "- you run on a quiet machine: close the browser, pin the CPU governor;\n"
         "  - on laptops, plug in the charger, since the *powersave* governor halves the "
         "clock;\n"
         "  - on servers, check `cpupower frequency-info` first;\n"
         "- [x] the dependencies are installed\n"
         "- [ ] the baseline numbers are recorded in `bench/baseline.json`\n\n";
    a += "```cpp\n"
         "// Parses the body in place: no copy, no temporary string.\n"
         "Result<Request> ParseRequest(std::string_view buffer) {\n"
         "  Request request;\n"
         "  size_t header_end = buffer.find(\"\\r\\n\\r\\n\");\n"
         "  if (header_end == std::string_view::npos) return Status::Incomplete();\n"
         "  for (auto line : SplitLines(buffer.substr(0, header_end))) {\n"
         "    if (auto [name, value] = SplitHeader(line); !name.empty()) {\n"
         "      request.headers.emplace_back(name, value);  // views into buffer\n"
         "    }\n"
         "  }\n"
         "  request.body = buffer.substr(header_end + 4);\n"
         "  return request;\n"
         "}\n"
         "```\n\n";
    a += "Run the benchmark again and compare; on my machine the numbers were:\n\n"
         "| Case | Before (µs) | After (µs) | Change |\n"
         "|:-----|------------:|-----------:|:------:|\n"
         "| small GET | 11.2 | 8.1 | −28% |\n"
         "| 4 KB POST | 19.7 | 12.9 | −35% |\n"
         "| 64 KB POST | 161.0 | 98.4 | −39% |\n"
         "| chunked | 40.3 | 40.1 | ~0 |\n\n";
    a += "```sh\n"
         "cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release\n"
         "ninja -C build bench\n"
         "./build/bench --benchmark_filter='Parse.*' --benchmark_repetitions=5 \\\n"
         "    --benchmark_out=after.json\n"
         "```\n\n";
    a += "> **Note:** the chunked path is unchanged on purpose; making it zero-copy needs a "
         "ring buffer, which is step " +
         std::to_string(section + 1) + ".\n\n";
    a += "1. Commit the change with a message that names the measurement.\n"
         "2. Push the branch and open a pull request; the CI job `perf` posts its numbers.\n"
         "3. Ask for review from someone who knows the parser — ideally the author of "
         "`SplitHeader` → they know its edge cases.\n\n";
  }
  a += "That's all: the request path is now copy-free except for chunked bodies. "
       "Questions are welcome at <mailto:team@example.com> or on www.example.org/forum.\n";
  return a;
}

std::string Answer(int64_t copies) {
  static const std::string one = BuildAnswer();
  std::string text;
  for (int64_t i = 0; i < copies; ++i) text += one;
  return text;
}

void RenderMarkdownFull(benchmark::State& state) {
  std::string text = Answer(state.range(0));
  for (auto _ : state) {
    std::string html = RenderMarkdown(text);
    benchmark::DoNotOptimize(html.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  state.counters["input_bytes"] = static_cast<double>(text.size());
}
BENCHMARK(RenderMarkdownFull)->Arg(1)->Arg(8);

int NoBlock(MD_BLOCKTYPE, void*, void*) { return 0; }
int NoSpan(MD_SPANTYPE, void*, void*) { return 0; }
int NoText(MD_TEXTTYPE, const MD_CHAR*, MD_SIZE, void*) { return 0; }

// The floor under any md4c-based renderer: parsing alone.
void Md4cParseOnly(benchmark::State& state) {
  std::string text = Answer(state.range(0));
  MD_PARSER parser{};
  parser.flags = MD_DIALECT_GITHUB | MD_FLAG_NOHTML;
  parser.enter_block = NoBlock;
  parser.leave_block = NoBlock;
  parser.enter_span = NoSpan;
  parser.leave_span = NoSpan;
  parser.text = NoText;
  for (auto _ : state) {
    int rc = md_parse(text.data(), static_cast<MD_SIZE>(text.size()), &parser, nullptr);
    benchmark::DoNotOptimize(rc);
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(Md4cParseOnly)->Arg(1)->Arg(8);

// The floor under any safe output: one escaped copy of the text.
void HtmlEscapeOnly(benchmark::State& state) {
  std::string text = Answer(state.range(0));
  for (auto _ : state) {
    std::string html = web::Escape(text);
    benchmark::DoNotOptimize(html.data());
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
}
BENCHMARK(HtmlEscapeOnly)->Arg(1)->Arg(8);

constexpr size_t kDeltaBytes = 4;
constexpr int kDeltasPerRender = 64;

// Where the next delta ends: ~4 bytes on, moved forward to a character boundary.
size_t NextDeltaEnd(std::string_view text, size_t at) {
  size_t end = std::min(text.size(), at + kDeltaBytes);
  while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) ++end;
  return end;
}

// This thread's CPU time: the ratios below compare two measurements taken a moment apart, and
// wall time on a shared machine would charge one of them for other processes.
double ThreadSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One full render of `text`: the best of a few batches, after a warm-up.
double SecondsPerFullRender(const std::string& text) {
  constexpr int kBatches = 5;
  constexpr int kRuns = 10;
  double best = 1e9;
  for (int batch = 0; batch <= kBatches; ++batch) {
    double start = ThreadSeconds();
    for (int i = 0; i < kRuns; ++i) {
      std::string html = RenderMarkdown(text);
      benchmark::DoNotOptimize(html.data());
    }
    if (batch > 0) best = std::min(best, (ThreadSeconds() - start) / kRuns);
  }
  return best;
}

// Streaming as the UI does it: blocks that became stable are rendered once and kept; the tail
// after them is rendered afresh every 64 deltas (and once at the end).
void StreamStableTail(benchmark::State& state) {
  std::string text = Answer(state.range(0));
  double full = SecondsPerFullRender(text);
  double seconds = 0;
  size_t bytes_rendered = 0;
  for (auto _ : state) {
    double start = ThreadSeconds();
    std::string stable_html;
    size_t stable = 0;
    bytes_rendered = 0;
    int deltas = 0;
    for (size_t end = 0; end < text.size();) {
      end = NextDeltaEnd(text, end);
      if (++deltas % kDeltasPerRender != 0 && end < text.size()) continue;
      std::string_view arrived(text.data(), end);
      size_t now_stable = stable + StableBlockPrefix(arrived.substr(stable));
      if (now_stable > stable) {
        stable_html += RenderMarkdown(arrived.substr(stable, now_stable - stable));
        bytes_rendered += now_stable - stable;
        stable = now_stable;
      }
      std::string tail_html = RenderMarkdown(arrived.substr(stable));
      bytes_rendered += end - stable;
      benchmark::DoNotOptimize(tail_html.data());
    }
    benchmark::DoNotOptimize(stable_html.data());
    seconds += ThreadSeconds() - start;
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  state.counters["x_full_render"] = seconds / static_cast<double>(state.iterations()) / full;
  state.counters["bytes_rendered_per_byte"] =
      static_cast<double>(bytes_rendered) / static_cast<double>(text.size());
}
BENCHMARK(StreamStableTail)->Arg(1)->Arg(8)->Unit(benchmark::kMicrosecond);

// The naive way, for contrast: the whole text so far, every 64 deltas. Quadratic.
void StreamWholeText(benchmark::State& state) {
  std::string text = Answer(state.range(0));
  double full = SecondsPerFullRender(text);
  double seconds = 0;
  size_t bytes_rendered = 0;
  for (auto _ : state) {
    double start = ThreadSeconds();
    bytes_rendered = 0;
    int deltas = 0;
    for (size_t end = 0; end < text.size();) {
      end = NextDeltaEnd(text, end);
      if (++deltas % kDeltasPerRender != 0 && end < text.size()) continue;
      std::string html = RenderMarkdown(std::string_view(text.data(), end));
      bytes_rendered += end;
      benchmark::DoNotOptimize(html.data());
    }
    seconds += ThreadSeconds() - start;
  }
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(text.size()));
  state.counters["x_full_render"] = seconds / static_cast<double>(state.iterations()) / full;
  state.counters["bytes_rendered_per_byte"] =
      static_cast<double>(bytes_rendered) / static_cast<double>(text.size());
}
BENCHMARK(StreamWholeText)->Arg(1)->Arg(8)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace hearth::markdown

BENCHMARK_MAIN();
