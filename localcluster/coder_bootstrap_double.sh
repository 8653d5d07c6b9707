#!/usr/bin/env sh
# A TEST DOUBLE of Coder's agent init script (`coder_agent.init_script`), step for step as coder/coder
# provisionersdk/scripts/bootstrap_linux.sh runs at 6f2a1369fc61450bc913548689ccb4ddd3ce7944, in our words:
# - `set -eux`, and an EXIT trap that sleeps a day (86400 s) whenever the script ends;
# - BINARY_DIR from the environment, else a fresh `mktemp -d`; a `cd` into it, with no mkdir before;
# - the agent fetched from <access URL>bin/coder-linux-<arch> with curl, else wget, else busybox wget (exit
#   127 with none), again every 30 s until it comes; `chmod +x`;
# - CODER_AGENT_AUTH and CODER_AGENT_URL exported; `coder --version` must name Coder (else exit 2); then
#   `exec ./coder agent`.
# Coder writes the ARCH (the provisioner), ACCESS_URL and AUTH_TYPE (the coder provider) placeholders in as text;
# coder_double.bootstrap_script does so here. Not kept: upstream's optional CAP_NET_ADMIN step, which runs only
# with USE_CAP_NET_ADMIN set (cvm sets none).
set -eux
sleep_a_day() {
	echo "double: the init script ended ($?); sleeping 24 h as Coder's does"
	sleep 86400
}
trap sleep_a_day EXIT
BINARY_DIR="${BINARY_DIR:-$(mktemp -d -t coder.XXXXXX)}"
cd "$BINARY_DIR"
fetch() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --compressed "${ACCESS_URL}bin/coder-linux-${ARCH}" -o coder
	elif command -v wget >/dev/null 2>&1; then
		wget -q "${ACCESS_URL}bin/coder-linux-${ARCH}" -O coder
	elif command -v busybox >/dev/null 2>&1; then
		busybox wget -q "${ACCESS_URL}bin/coder-linux-${ARCH}" -O coder
	else
		echo "double: no curl, wget or busybox"
		exit 127
	fi
}
while ! fetch; do
	echo "double: no agent yet; again in 30 s"
	sleep 30
done
chmod +x coder || exit 1
export CODER_AGENT_AUTH="${AUTH_TYPE}"
export CODER_AGENT_URL="${ACCESS_URL}"
./coder --version | head -n1 | grep -q Coder || exit 2
exec ./coder agent
