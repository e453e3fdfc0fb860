#!/bin/sh
# Installs the OpenSSH server and client used by tests/test_flash.py, which starts a private
# sshd on a free 127.0.0.1 port (temp host key, temp authorized_keys) to test `fpga flash --pynq`.
# Needs root (apt). Safe to run twice; does nothing when sshd and ssh are already there.
set -e
if command -v ssh >/dev/null 2>&1 && command -v scp >/dev/null 2>&1 \
        && { command -v sshd >/dev/null 2>&1 || [ -x /usr/sbin/sshd ]; }; then
    exit 0
fi
if [ "$(id -u)" != 0 ]; then
    echo "setup_sshd.sh: need root to apt-get install openssh-server openssh-client" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends openssh-server openssh-client >/dev/null
