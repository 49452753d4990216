// hearth: the launcher (placeholder until the launcher lands).
#include <cstdio>

int main() {
  std::fputs("hearth: not built yet\n", stderr);
  return 1;
}
