#!/usr/bin/env bash
# The installed package, as a consumer sees it: `cmake --install` into a fresh prefix, the example
# consumer (examples/generate_channels) configured against that prefix with find_package(divgan),
# built, and run on a one-step ZDC checkpoint; its channel sums must equal those `divgan generate
# --seed S --channels-out` writes for the same particles (read from the example's source).
# Usage: bash tests/test_install.sh build
set -u

if [ $# -ne 1 ] || [ ! -f "$1/CMakeCache.txt" ]; then
  echo "usage: $0 <configured-build-folder>" >&2
  exit 2
fi
BUILD="$(cd "$1" && pwd)"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/divgan_install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck source=tests/check_lib.sh
. "$ROOT/tests/check_lib.sh"

if cmake --install "$BUILD" --prefix "$WORK/prefix" >"$WORK/install.log" 2>&1 &&
  [ -n "$(find "$WORK/prefix" -name divganConfig.cmake -print -quit)" ] &&
  [ -f "$WORK/prefix/include/divgan/generator.h" ] && [ -x "$WORK/prefix/bin/divgan" ]; then
  ok "cmake --install: the CLI, the library, its header and the CMake package"
else
  bad "cmake --install" "$(tail -n 5 "$WORK/install.log")"
  finish
fi

# Only the installed prefix is on the search path: nothing from the source or build tree.
# The build's own generator and compiler (Ninja and g++ from tools/setup.sh).
cache() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
if cmake -S "$ROOT/examples/generate_channels" -B "$WORK/example" -DCMAKE_PREFIX_PATH="$WORK/prefix" \
  -G "$(cache CMAKE_GENERATOR)" -DCMAKE_CXX_COMPILER="$(cache CMAKE_CXX_COMPILER)" \
  -DCMAKE_BUILD_TYPE=Release >"$WORK/configure.log" 2>&1 &&
  cmake --build "$WORK/example" >"$WORK/build.log" 2>&1; then
  ok "the example configures with find_package(divgan) against the prefix and builds"
else
  bad "the example against the installed package" "$(tail -n 8 "$WORK/configure.log" "$WORK/build.log")"
  finish
fi

PY=""
for py in ${PYTHON:-} python3 /usr/bin/python3; do
  if "$py" -c "import numpy" 2>/dev/null; then PY="$py" && break; fi
done
[ -n "$PY" ] || { bad "a Python 3 with numpy" "tried PYTHON, python3, /usr/bin/python3"; finish; }

DIVGAN="$WORK/prefix/bin/divgan"
if ! "$DIVGAN" train --data zdc --generator dcgan --sim-particles 20 --batch 4 --steps 1 --quiet \
  --out "$WORK/run" >"$WORK/train.log" 2>&1; then
  bad "the installed divgan trains a one-step checkpoint" "$(tail -n 3 "$WORK/train.log")"
  finish
fi
ckpt="$WORK/run/checkpoint.safetensors"

if ! "$WORK/example/generate_channels" "$ckpt" 5 >"$WORK/example.out" 2>&1; then
  bad "the example runs" "$(cat "$WORK/example.out")"
  finish
fi
sed 's/^/     /' "$WORK/example.out"

"$PY" - "$ROOT/examples/generate_channels/main.cpp" "$WORK/particles.npy" <<'EOF' || { bad "read the example's particles"; finish; }
import re, sys
import numpy as np
src = open(sys.argv[1]).read()
body = re.search(r"particles = \{(.*?)\};", src, re.S).group(1)
body = re.sub(r"//[^\n]*", "", body)
vals = [float(v) for v in body.replace("\n", " ").split(",") if v.strip()]
assert len(vals) % 9 == 0, len(vals)
np.save(sys.argv[2], np.array(vals).reshape(-1, 9))
EOF
if ! "$DIVGAN" generate --checkpoint "$ckpt" --conditions "$WORK/particles.npy" --seed 5 \
  --out "$WORK/gen.npy" --channels-out "$WORK/channels.npy" >"$WORK/gen.log" 2>&1; then
  bad "divgan generate on the example's particles" "$(cat "$WORK/gen.log")"
  finish
fi
if "$PY" - "$WORK/example.out" "$WORK/channels.npy" <<'EOF'; then
import sys
import numpy as np
rows = [l.split(":", 1)[1].split() for l in open(sys.argv[1]) if l.startswith("particle ")]
ours = np.array(rows, dtype=float)
ref = np.load(sys.argv[2])
assert ours.shape == ref.shape, (ours.shape, ref.shape)
assert np.all(ref > 0), "the showers are empty: nothing to compare"
err = np.max(np.abs(ours - ref) / ref)
assert err < 1e-5, f"relative difference {err:.3g}"
print(f"     largest relative difference {err:.2g} (the example prints 6 digits)")
EOF
  ok "the example's channel sums equal divgan generate's (same particles, seed 5)"
else
  bad "the example's channel sums against divgan generate's"
fi

finish
