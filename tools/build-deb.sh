#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the Debian package from a clean export of a commit (HEAD by default: committed files
# only, nothing from the working tree or a build directory), runs lintian (errors fail the
# build), and checks what the package installs: the file list, that it enables no unit for
# anyone, and its size (target: under 3 MB without the system libraries it depends on).
# Everything lands in OUT_DIR: the .deb and its dbgsym, the source package, .changes, the build
# log and lintian's report. The build runs `npm ci`, so it needs network access.
# Usage: tools/build-deb.sh OUT_DIR [COMMIT]
set -euo pipefail

out=${1:?usage: tools/build-deb.sh OUT_DIR [COMMIT]}
rev=${2:-HEAD}
repo=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
max_kib=3072

fail() {
  echo "build-deb: FAIL: $*" >&2
  exit 1
}

mkdir -p "$out"
out=$(realpath "$out")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

version=$(git -C "$repo" show "$rev:debian/changelog" | dpkg-parsechangelog -l- -S Version)
upstream=${version%-*}
src=$work/hearth-$upstream
mkdir "$src"
git -C "$repo" archive "$rev" | tar -x -C "$src"
git -C "$repo" archive --prefix="hearth-$upstream/" "$rev" -- . ':!debian' |
  xz -T0 >"$work/hearth_$upstream.orig.tar.xz"

echo "build-deb: building hearth $version from $(git -C "$repo" rev-parse --short "$rev")"
if ! (cd "$src" && dpkg-buildpackage -us -uc) >"$out/build.log" 2>&1; then
  tail -n 40 "$out/build.log" >&2
  fail "dpkg-buildpackage failed; the whole log is $out/build.log"
fi
rm -rf "$src"
shopt -s nullglob
cp "$work"/hearth_* "$work"/hearth-dbgsym_* "$out"/
shopt -u nullglob
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
deb=$out/hearth_${version}_$arch.deb
changes=$out/hearth_${version}_$arch.changes
[ -f "$deb" ] && [ -f "$changes" ] || fail "dpkg-buildpackage made no $deb"

# lintian: print everything, fail on errors.
lintian_status=0
lintian --fail-on error --display-info "$changes" >"$out/lintian.txt" 2>&1 || lintian_status=$?
if [ -s "$out/lintian.txt" ]; then sed 's/^/lintian: /' "$out/lintian.txt"; fi
[ "$lintian_status" -eq 0 ] || fail "lintian reported errors (exit $lintian_status)"

# What the package installs.
root=$work/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/hearthd usr/bin/hearthctl usr/bin/hearth usr/libexec/hearth/hearthd-backend \
  usr/lib/systemd/user/hearth.service usr/lib/systemd/user/hearth.socket \
  usr/share/dbus-1/services/org.hearth.Hearth1.service \
  usr/share/doc/hearth/copyright usr/share/doc/hearth/README.md \
  usr/share/man/man1/hearthd.1.gz usr/share/man/man1/hearthctl.1.gz usr/share/man/man1/hearth.1.gz; do
  [ -e "$root/$f" ] || fail "the package lacks /$f"
done
for f in usr/bin/hearthd usr/bin/hearthctl usr/bin/hearth usr/libexec/hearth/hearthd-backend; do
  [ -x "$root/$f" ] || fail "/$f is not executable"
done
grep -qx 'ExecStart=/usr/bin/hearthd' "$root/usr/lib/systemd/user/hearth.service" ||
  fail "the installed hearth.service does not run /usr/bin/hearthd"
grep -qx 'Exec=/usr/bin/hearthd' "$root/usr/share/dbus-1/services/org.hearth.Hearth1.service" ||
  fail "the installed D-Bus activation file does not run /usr/bin/hearthd"
if git -C "$repo" cat-file -e "$rev:cmake/launcher_install.cmake" 2>/dev/null; then
  compgen -G "$root/usr/share/applications/*.desktop" >/dev/null ||
    fail "the package has no desktop entry"
  [ -d "$root/usr/share/icons" ] || fail "the package has no icon"
else
  echo "build-deb: note: cmake/launcher_install.cmake is not in $rev; no desktop entry or icon checked"
fi
# No unit is enabled for every user: no links under /etc, and the postinst re-enables a unit
# only where an admin enabled it globally before (dh_installsystemduser --no-enable guards each
# `enable` with `debian-installed`; without it, a fresh install enables the unit).
[ ! -e "$root/etc/systemd" ] || fail "the package ships files under /etc/systemd"
dpkg-deb -e "$deb" "$work/control"
enables=$(cat "$work"/control/*inst "$work"/control/*rm 2>/dev/null | grep -c -- '--user enable' || true)
guards=$(cat "$work"/control/*inst 2>/dev/null | grep -c -- '--user debian-installed' || true)
[ "$enables" -eq "$guards" ] || fail "a maintainer script enables a user unit on installation"

installed_kib=$(dpkg-deb -f "$deb" Installed-Size)
du_kib=$(du -sk --apparent-size "$root" | cut -f1)
echo "build-deb: $(basename "$deb"): Installed-Size ${installed_kib} KiB, extracted tree ${du_kib} KiB (apparent), .deb $(($(stat -c %s "$deb") / 1024)) KiB"
sed 's|^|build-deb:   |' < <(cd "$root" && find . -type f -printf '%s\t/%P\n' | sort -k2)
[ "$installed_kib" -le "$max_kib" ] || fail "Installed-Size ${installed_kib} KiB exceeds ${max_kib} KiB"
echo "build-deb: ok, results in $out"
