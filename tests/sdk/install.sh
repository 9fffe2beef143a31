#!/usr/bin/env bash
# Installs the pinned official AWS clients (requirements.txt) into a virtual
# environment of their own, for tests/integration/sdk.rs. Bounded in time; on failure it
# says so and returns 1, and the SDK tests then skip with a clear message.
# The environment: $CTCONFORM_SDK_VENV, else ${TMPDIR:-/tmp}/ctconform-sdk-venv
# (where tests/integration/sdk.rs looks when the variable is unset).
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${CTCONFORM_SDK_VENV:-${TMPDIR:-/tmp}/ctconform-sdk-venv}"
command -v python3 >/dev/null 2>&1 || { echo "install.sh: no python3" >&2; exit 1; }
if [ ! -x "$venv/bin/python" ]; then
  timeout 120 python3 -m venv "$venv" >/dev/null 2>&1 || { echo "install.sh: cannot make a venv at $venv" >&2; exit 1; }
fi
if ! timeout 600 "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$here/requirements.txt" >/dev/null 2>&1; then
  echo "install.sh: pip could not install $here/requirements.txt into $venv" >&2
  exit 1
fi
"$venv/bin/python" -c 'import boto3, botocore; print("boto3", boto3.__version__, "botocore", botocore.__version__)' \
  && "$venv/bin/aws" --version
