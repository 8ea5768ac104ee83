# Sourced by the scripts that need Debian packages: ensure_packages PKG... installs, with apt-get,
# those of PKG that are not installed yet (sudo only when not root), printing "<tag>: installing ...".
# Set APT_TAG to name the caller in that line.
ensure_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "${APT_TAG:-setup}: installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
