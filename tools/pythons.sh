#!/usr/bin/env bash
# Prints the supported Python interpreters found on this machine, newest first, one path a line
# (`--newest`: only the first). Supported: 3.13, 3.12, 3.11 (pyproject's requires-python).
#
# `command -v python3.13` is not enough: pyenv puts a shim for every version on PATH, and a shim whose
# version is not selected (`pyenv global`) exits 127. So each candidate is run, and pyenv's own
# installs ($(pyenv root)/versions/3.13.*/bin) are tried as well as PATH and /usr/bin.
set -uo pipefail
SUPPORTED=(3.13 3.12 3.11)
pyenv_root="${PYENV_ROOT:-$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")}"
found=()
for v in "${SUPPORTED[@]}"; do
  candidates=("$(command -v "python$v" 2>/dev/null)")
  # newest patch release first
  while IFS= read -r p; do candidates+=("$p"); done < <(ls -d "$pyenv_root"/versions/"$v".*/bin/"python$v" 2>/dev/null | sort -rV)
  candidates+=("/usr/local/bin/python$v" "/usr/bin/python$v")
  for c in "${candidates[@]}"; do
    [ -n "$c" ] && [ -x "$c" ] || continue
    real=$("$c" -c "import sys; assert sys.version_info[:2] == tuple(map(int, '$v'.split('.'))); import venv, ensurepip; print(sys.executable)" 2>/dev/null) || continue
    found+=("$real")
    break
  done
done
[ ${#found[@]} -gt 0 ] || { echo "no supported Python (${SUPPORTED[*]}) found" >&2; exit 1; }
if [ "${1:-}" = "--newest" ]; then echo "${found[0]}"; else printf '%s\n' "${found[@]}"; fi
