// hearthctl: placeholder until the CLI lands.
#include <cstdio>

int main() {
  std::fputs("hearthctl: not built yet\n", stderr);
  return 1;
}
