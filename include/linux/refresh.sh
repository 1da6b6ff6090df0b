#!/usr/bin/env bash
# Refresh the vendored uAPI headers from Debian's linux-source-6.12 package.
# Usage: include/linux/refresh.sh   (needs: apt-get install linux-source-6.12)
# Like the kernel's headers_install, it drops the sparse annotations (__user, __force)
# and the <linux/compiler.h> include; nothing else is changed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tarball=$(ls /usr/src/linux-source-6.12.tar.* 2>/dev/null | head -n1)
[ -n "$tarball" ] || { echo "refresh.sh: /usr/src/linux-source-6.12.tar.* not found (apt-get install linux-source-6.12)" >&2; exit 1; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
headers="videodev2.h v4l2-controls.h v4l2-common.h media.h"
members=""; for h in $headers; do members="$members linux-source-6.12/include/uapi/linux/$h"; done
tar -xf "$tarball" -C "$tmp" $members linux-source-6.12/Makefile
for h in $headers; do
  sed -e 's/__user[[:space:]]*//g' -e 's/__force[[:space:]]*//g' \
      -e '/^#include <linux\/compiler.h>/d' \
      "$tmp/linux-source-6.12/include/uapi/linux/$h" > "$here/$h"
done
ver=$(awk '/^VERSION =/{v=$3}/^PATCHLEVEL =/{p=$3}/^SUBLEVEL =/{s=$3}END{print v"."p"."s}' "$tmp/linux-source-6.12/Makefile")
pkg=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || echo unknown)
echo "$ver ($pkg)" > "$here/KERNEL_VERSION"
echo "refreshed from Linux $ver (Debian linux-source-6.12 $pkg)"
