// SPDX-License-Identifier: Apache-2.0
// Runs a fuzz target without libFuzzer (g++ has none): the seed inputs, then a bounded number of
// deterministic random mutations of them. Under ASan/UBSan this catches the same class of bugs a
// short fuzzing session would; with clang, build the targets with -fsanitize=fuzzer instead.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  std::vector<std::string> seeds = {"",
                                    "a=b&c=d",
                                    "title=Trip+plans%21",
                                    "content=%E2%9C%93&x",
                                    "%",
                                    "%zz",
                                    "a=%C0%AF",
                                    "hearth_session=abc; other=1",
                                    "127.0.0.1:41234",
                                    "http://localhost:41234",
                                    "0189abcd-ef12-7abc-8def-0123456789ab",
                                    "\"quoted\" NEAR(a b) OR x* -y: ^z",
                                    std::string("a\x02match\x03") + "b",
                                    "AND OR NOT",
                                    "\"",
                                    "*",
                                    "(((",
                                    "col:term"};
  long iterations = argc > 1 ? std::atol(argv[1]) : 200000;
  std::mt19937_64 rng(0x4ea7);
  const std::string alphabet = "%=&;:+*\"()-^ aAzZ09\x02\x03\xc3\xa9\xff\r\n";
  for (const auto& s : seeds) {
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  }
  for (long i = 0; i < iterations; ++i) {
    std::string input = seeds[rng() % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits; ++e) {
      size_t pos = input.empty() ? 0 : rng() % (input.size() + 1);
      switch (rng() % 4) {
        case 0:
          input.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 1:
          input.insert(pos, 1, static_cast<char>(rng() & 0xff));
          break;
        case 2:
          if (pos < input.size()) input.erase(pos, 1);
          break;
        case 3:
          input += seeds[rng() % seeds.size()];
          break;
      }
    }
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(input.data()), input.size());
  }
  std::printf("%ld inputs, no crash\n", iterations + static_cast<long>(seeds.size()));
  return 0;
}
