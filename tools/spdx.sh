#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Checks that every source file of Hearth names its licence with an SPDX identifier in its first
# lines; with --fix, adds the line where it is missing. Run from anywhere.
#   tools/spdx.sh          lists the files without one and exits 1 if there are any
#   tools/spdx.sh --fix    adds `SPDX-License-Identifier: Apache-2.0` to them
set -euo pipefail
cd "$(dirname "$0")/.."
readonly TAG="SPDX-License-Identifier: Apache-2.0"

files() {
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -- '*.cpp' '*.h' '*.mjs' '*.js' '*.css' '*.sh' '*.py' 'CMakeLists.txt' \
      '*/CMakeLists.txt' '*.cmake' '.ci/run' 'debian/rules' '*.service' '*.socket'
  else  # an unpacked source tarball
    find daemon tests tools bench ui/static systemd cmake .ci debian/rules CMakeLists.txt \
      -type f \( -name '*.cpp' -o -name '*.h' -o -name '*.mjs' -o -name '*.js' -o -name '*.css' \
      -o -name '*.sh' -o -name '*.py' -o -name CMakeLists.txt -o -name '*.cmake' -o -name run \
      -o -name rules -o -name '*.service' -o -name '*.socket' \) -not -path '*/node_modules/*' \
      2>/dev/null | sort
  fi
}

comment_for() {
  case $1 in
    *.cpp | *.h | *.mjs | *.js) echo "// $TAG" ;;
    *.css) echo "/* $TAG */" ;;
    *) echo "# $TAG" ;;
  esac
}

missing=()
while IFS= read -r f; do
  [[ -f $f ]] || continue
  head -n 5 "$f" | grep -q "SPDX-License-Identifier:" || missing+=("$f")
done < <(files)

if [[ ${1:-} == --fix ]]; then
  for f in "${missing[@]}"; do
    line=$(comment_for "$f")
    if head -n 1 "$f" | grep -q '^#!'; then
      sed -i "1a $line" "$f"
    else
      sed -i "1i $line" "$f"
    fi
  done
  echo "added the SPDX line to ${#missing[@]} files"
  exit 0
fi
if ((${#missing[@]} > 0)); then
  printf 'no SPDX-License-Identifier in: %s\n' "${missing[@]}" >&2
  echo "run tools/spdx.sh --fix" >&2
  exit 1
fi
echo "every source file names its licence"
