#!/usr/bin/env bash
# Build the one-folder bundle with PyInstaller, then run the frozen CLI's `inspect` on a test
# folder (the built-in demo's base model) to prove it works. Not part of CI.
#
#   packaging/build.sh              # uses .venv/bin/python; needs `pip install pyinstaller`
#   PYTHON=/path/to/python packaging/build.sh
#
# Output: dist/mergesmith/ (mergesmith, mergesmith-gui and their libraries); the build folder is
# build/pyinstaller/. Prints the bundle size.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
WORK="$ROOT/build/pyinstaller"
SRC="$WORK/src/mergesmith"

"$PYTHON" -m PyInstaller --version >/dev/null 2>&1 || {
    echo "PyInstaller is not installed: $PYTHON -m pip install pyinstaller" >&2; exit 2; }

# A staging tree with the import names PyInstaller can follow (see mergesmith.spec).
rm -rf "$WORK/src"
mkdir -p "$SRC"
: > "$SRC/__init__.py"
for part in core cli gui resources; do ln -s "$ROOT/$part" "$SRC/$part"; done

cd "$ROOT"
MERGESMITH_SRC="$WORK/src" PYTHONPATH="$WORK/src" "$PYTHON" -m PyInstaller --noconfirm --clean \
    --workpath "$WORK/work" --distpath "$ROOT/dist" packaging/mergesmith.spec

BUNDLE="$ROOT/dist/mergesmith"
echo "Bundle: $BUNDLE ($(du -sh "$BUNDLE" | cut -f1), $(find "$BUNDLE" -type f | wc -l) files)"

# Smoke test: the frozen CLI inspects a tiny model folder made on the spot (no download).
TEST="$WORK/test"
rm -rf "$TEST"
"$PYTHON" -c "import sys; from mergesmith.core.demo.lora import make_demo; make_demo(sys.argv[1])" "$TEST"
set +e
"$BUNDLE/mergesmith" inspect "$TEST/base-model"
status=$?
set -e
echo "frozen \`mergesmith inspect\` exit status: $status (0 = no errors found)"
QT_QPA_PLATFORM=offscreen "$BUNDLE/mergesmith-gui" --version
exit $status
