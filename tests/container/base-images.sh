#!/usr/bin/env bash
# Makes, once per machine, the images a registry would otherwise give (none is reachable here):
# localhost/debian:bookworm-slim (debootstrap, trimmed like Docker's slim images),
# localhost/rust:1.95-bookworm (that base plus a C toolchain and this machine's own Rust
# toolchain: none can be downloaded) and localhost/postgres:15 (Debian's PostgreSQL 15 behind an
# entrypoint that honours POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_DB as the official image
# does). Skips what exists. Needs: podman, debootstrap, runc (tests/container.sh installs them).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${CONTAINER_WORK:-/var/tmp/erp-btp-containers}"
mkdir -p "$work"

if ! podman image exists localhost/debian:bookworm-slim; then
  mirror="$(grep -hm1 '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}')"
  mirror="${mirror:-http://deb.debian.org/debian}"
  rootfs="$work/rootfs"
  if [ ! -x "$rootfs/usr/bin/apt-get" ]; then
    rm -rf "$rootfs"
    echo "debootstrap bookworm (minbase) from $mirror"
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" > "$work/debootstrap.log"
  fi
  # What Docker's slim images leave out, and what later installs must leave out too.
  cat > "$rootfs/etc/dpkg/dpkg.cfg.d/docker-slim" <<'CFG'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/fr*
CFG
  printf 'APT::Install-Recommends "false";\n' > "$rootfs/etc/apt/apt.conf.d/docker-no-recommends"
  # As Docker's Debian images do: no package caches left behind by apt-get in a RUN step.
  cat > "$rootfs/etc/apt/apt.conf.d/docker-clean" <<'CFG'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CFG
  find "$rootfs/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  rm -rf "$rootfs"/usr/share/man/* "$rootfs"/usr/share/info/* "$rootfs"/var/lib/apt/lists/* \
    "$rootfs"/var/cache/apt/*.bin "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log
  find "$rootfs/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name 'fr*' -exec rm -rf {} +
  tar -C "$rootfs" -c . | podman import --change 'CMD ["bash"]' - localhost/debian:bookworm-slim
fi

if ! podman image exists localhost/rust:1.95-bookworm; then
  sysroot="$(rustc --print sysroot)"
  context="$work/rust-context"
  rm -rf "$context" && mkdir -p "$context"
  # Binaries and libraries only (no docs): hard links, so nothing is copied on this disk.
  cp -al "$sysroot/bin" "$sysroot/lib" "$context/" 2>/dev/null || cp -a "$sysroot/bin" "$sysroot/lib" "$context/"
  podman build --isolation=chroot --network=host -t localhost/rust:1.95-bookworm \
    -f "$here/rust.Containerfile" "$context"
  rm -rf "$context"
fi

if ! podman image exists localhost/postgres:15; then
  podman build --isolation=chroot --network=host --format docker -t localhost/postgres:15 \
    -f "$here/postgres.Containerfile" "$here"
fi
