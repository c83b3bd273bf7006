#!/usr/bin/env bash
# Installs what tierslieux needs and is missing, and nothing else; a second run installs nothing.
#  - Debian/Ubuntu packages (C++ toolchain, GDAL, GEOS, PROJ, Boost.Graph, GoogleTest) via apt-get, as root or sudo
#  - a Python virtual environment in .venv with the packages of requirements-dev.txt
#  - with --test-clients, also the real clients the tests drive (`make test` passes it, `make demo` does not):
#    QGIS 3.22's Python bindings (run by Debian's /usr/bin/python3, not the venv), Chromium (driven over its DevTools pipe),
#    and a font for what they render
# Usage: bash scripts/setup.sh [--test-clients]   (VENV=path to use another venv, PYTHON=python3.x to pick the interpreter)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'setup: %s\n' "$*"; }

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
APT_PACKAGES=(g++ cmake ninja-build make pkg-config
              libgdal-dev gdal-bin libgeos-dev libproj-dev proj-bin libboost-graph-dev
              libgtest-dev libgmock-dev libosmium2-dev libprotozero-dev zlib1g-dev libbz2-dev libexpat1-dev)
TEST_CLIENT_PACKAGES=(python3-qgis chromium fonts-dejavu-core)

what="Debian packages"
for arg in "$@"; do
  case "$arg" in
    --test-clients) APT_PACKAGES+=("${TEST_CLIENT_PACKAGES[@]}"); what="Debian packages and test clients" ;;
    -h|--help) sed -n '2,8p' "$0" | cut -c3-; exit 0 ;;
    *) say "unknown option: $arg (see bash scripts/setup.sh --help)"; exit 2 ;;
  esac
done

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# A Python with venv and headers (pybind11 compiles against them).
if ! "$PYTHON" -c 'import venv, ensurepip, sysconfig, os, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' 2>/dev/null; then
  missing+=(python3 python3-venv python3-dev)
  PYTHON=python3
fi
if ((${#missing[@]})); then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { say "need root or sudo to install: ${missing[*]}"; exit 1; }
    SUDO=sudo
  fi
  say "installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "$what: all present"
fi

if [ ! -x "$VENV/bin/python" ]; then
  say "creating virtual environment $VENV"
  "$PYTHON" -m venv "$VENV"
fi
stamp="$VENV/.requirements-$(sha256sum requirements-dev.txt | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  say "installing Python packages from requirements-dev.txt"
  "$VENV/bin/python" -m pip install -q --upgrade pip
  "$VENV/bin/python" -m pip install -q -r requirements-dev.txt
  rm -f "$VENV"/.requirements-*
  touch "$stamp"
else
  say "Python packages: all present"
fi
