#!/bin/bash
# e2e/build.sh — build everything the Xen-in-QEMU end-to-end test boots, under $E2E_CACHE (.e2e-cache/):
#   xen         the Debian Xen 4.17 hypervisor (gunzipped: a multiboot ELF QEMU's -kernel takes)
#   vmlinux     the Debian kernel as a raw ELF (dom0 kernel and guest kernel: no in-TCG decompression)
#   guest.cpio.gz  the guest's busybox initramfs (init writes data/ready to xenstore)
#   dom0.cpio   dom0's initramfs: busybox, the Xen tools, dispo and dispo-conformance with their ldd closure, jq,
#               the scenario
# Only the host packages listed in host_deps are installed; the Debian packages booted in QEMU are
# fetched with `apt-get download` and unpacked with `dpkg -x` into the cache, never installed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E=$ROOT/e2e
CACHE=${E2E_CACHE:-$ROOT/.e2e-cache}
SUDO=$([ "$(id -u)" = 0 ] || echo sudo)
say() { printf 'e2e-build: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

# ---- host packages: QEMU, cpio, and what the static dispo build links (apt-get update first, only when missing)
host_deps() {
  local want="qemu-system-x86 cpio libcurl4-openssl-dev libyaml-dev libinotifytools0-dev libxen-dev gcc binutils"
  local missing="" p
  for p in $want; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  if [ -n "$missing" ]; then
    say "installing on the host:$missing"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
  fi
}

# ---- Debian packages for the guest world, downloaded and unpacked once (cached; E2E_REFRESH=1 fetches again)
fetch_packages() {
  local P=$CACHE/pkgs
  mkdir -p "$P"
  if [ -n "${E2E_REFRESH:-}" ]; then rm -rf "$P"; mkdir -p "$P"; fi
  if [ -z "${KVER:-}" ]; then
    if [ -s "$P/kver" ]; then KVER=$(cat "$P/kver"); else
      KVER=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-/ {sub("linux-image-","",$2); print $2; exit}')
      if [ -z "$KVER" ]; then
        $SUDO apt-get update -qq
        KVER=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-/ {sub("linux-image-","",$2); print $2; exit}')
      fi
      [ -n "$KVER" ] || die "cannot tell the Debian kernel version (apt-cache depends linux-image-amd64)"
    fi
  fi
  echo "$KVER" > "$P/kver"
  PKGS="xen-hypervisor-4.17-amd64 xen-utils-4.17 xen-utils-common xenstore-utils linux-image-$KVER busybox-static
    libxenmisc4.17 libxenstore4 libxencall1 libxenevtchn1 libxenforeignmemory1 libxengnttab1 libxentoollog1
    libxenhypfs1 libxentoolcore1 libxendevicemodel1 libyajl2 libuuid1 zlib1g liblzma5 libzstd1 libc6 libgcc-s1
    jq libjq1 libonig5 curl
    bash libtinfo6 util-linux mount libsmartcols1 libmount1 libblkid1 libselinux1 libpcre2-8-0 libudev1 libcap-ng0
    libsystemd0 libcrypt1 liblz4-1 libgcrypt20 libgpg-error0 libcap2"   # the last two lines: for E2E_DISK=volatile
  local want; want=$(echo $PKGS)
  X=$P/x
  if [ -f "$X/.done" ] && [ "$(cat "$X/.done")" = "$want" ]; then return; fi
  say "downloading Debian packages (apt-get download) into $P/debs"
  rm -rf "$P/debs" "$X"; mkdir -p "$P/debs" "$X"
  if ! (cd "$P/debs" && apt-get download -q $PKGS >/dev/null 2>&1); then
    $SUDO apt-get update -qq
    (cd "$P/debs" && apt-get download -q $PKGS >/dev/null) || die "apt-get download failed"
  fi
  local d; for d in "$P"/debs/*.deb; do dpkg -x "$d" "$X"; done
  echo "$want" > "$X/.done"
}

# ---- the kernels
kernels() {
  local O=$CACHE/out; mkdir -p "$O"
  local xgz=$X/boot/xen-4.17-amd64.gz vmlinuz=$X/boot/vmlinuz-$KVER
  [ -f "$xgz" ] && [ -f "$vmlinuz" ] || die "missing $xgz or $vmlinuz in the unpacked packages"
  if [ ! -s "$O/xen" ] || [ "$xgz" -nt "$O/xen" ]; then zcat "$xgz" > "$O/xen.tmp" && mv "$O/xen.tmp" "$O/xen"; fi
  if [ ! -s "$O/vmlinux" ] || [ "$vmlinuz" -nt "$O/vmlinux" ]; then
    say "extracting the raw vmlinux ELF from the bzImage"
    python3 - "$vmlinuz" "$O/vmlinux.tmp" <<'PY'
import lzma, sys
d = open(sys.argv[1], "rb").read()
i = d.find(b"\xfd7zXZ\x00")
if i < 0: sys.exit("no xz payload in " + sys.argv[1])
open(sys.argv[2], "wb").write(lzma.LZMADecompressor().decompress(d[i:]))
PY
    mv "$O/vmlinux.tmp" "$O/vmlinux"
  fi
}

# ---- dispo and dispo-conformance (the Host conformance checks, run against Xen by the scenario), release builds
# with the Swift stdlib linked statically (their C libraries stay shared: copied via ldd)
static_build() { # PRODUCT: prints the binary's path
  say "swift build -c release --product $1 --static-swift-stdlib --scratch-path .build-static (log: $CACHE/swift-build.log)"
  if ! (cd "$ROOT" && ${SWIFT:-swift} build -c release --product "$1" --static-swift-stdlib --scratch-path .build-static) \
      >> "$CACHE/swift-build.log" 2>&1; then
    tail -n 40 "$CACHE/swift-build.log" >&2; die "the $1 build failed"
  fi
  [ -x "$ROOT/.build-static/release/$1" ] || die "no $ROOT/.build-static/release/$1 after the build"
  echo "$ROOT/.build-static/release/$1"
}
build_dispo() {
  mkdir -p "$CACHE"; : > "$CACHE/swift-build.log"
  if [ -n "${E2E_DISPO:-}" ]; then
    DISPO_BIN=$E2E_DISPO; [ -x "$DISPO_BIN" ] || die "E2E_DISPO=$DISPO_BIN is not executable"
  else
    DISPO_BIN=$(static_build dispo)
  fi
  if [ -n "${E2E_CONFORMANCE:-}" ]; then
    CONFORMANCE_BIN=$E2E_CONFORMANCE; [ -x "$CONFORMANCE_BIN" ] || die "E2E_CONFORMANCE=$CONFORMANCE_BIN is not executable"
  else
    CONFORMANCE_BIN=$(static_build dispo-conformance)
  fi
}

# ---- small C helpers built against libxen-dev
build_helpers() {
  local O=$CACHE/out
  if [ ! -x "$O/unpause" ] || [ "$E2E/src/unpause.c" -nt "$O/unpause" ]; then
    gcc -O2 -Wall -o "$O/unpause" "$E2E/src/unpause.c" -lxenlight -lxentoollog -lxenstore || die "building e2e/src/unpause.c failed (libxen-dev?)"
  fi
  if [ ! -x "$O/now" ] || [ "$E2E/src/now.c" -nt "$O/now" ]; then
    gcc -O2 -Wall -o "$O/now" "$E2E/src/now.c" || die "building e2e/src/now.c failed"
  fi
}

# copy_closure ROOTDIR FILE...: the shared libraries FILEs need (ldd, resolved against the unpacked packages first)
copy_closure() {
  local R=$1; shift
  mkdir -p "$R/lib64" "$R/lib/x86_64-linux-gnu"
  local f lib out
  for f in "$@"; do
    out=$(LD_LIBRARY_PATH=$X/usr/lib/x86_64-linux-gnu:$X/lib/x86_64-linux-gnu ldd "$f") || die "ldd $f failed"
    if grep -q "not found" <<<"$out"; then die "ldd $f: $(grep 'not found' <<<"$out" | tr -s ' \t' ' ' | tr '\n' ';')"; fi
    awk '/=>/ && $3 ~ /^\// {print $3} /ld-linux/ && $1 ~ /^\// {print $1}' <<<"$out"
  done | sort -u | while read -r lib; do
    case "$lib" in
      */ld-linux*) cp -L "$lib" "$R/lib64/" ;;
      *) cp -L "$lib" "$R/lib/x86_64-linux-gnu/" ;;
    esac
  done
}

busybox_into() { # ROOTDIR: busybox with every applet linked in /bin
  local R=$1 a
  mkdir -p "$R/bin" "$R/sbin"
  cp "$X/bin/busybox" "$R/bin/busybox"
  for a in $("$X/bin/busybox" --list); do [ -e "$R/bin/$a" ] || ln -s busybox "$R/bin/$a"; done
}

pack() { # DIR OUT [gzip]
  local D=$1 OUT=$2
  if [ "${3:-}" = gzip ]; then
    (cd "$D" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6) > "$OUT.tmp"
  else
    (cd "$D" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$OUT.tmp"
  fi
  mv "$OUT.tmp" "$OUT"
}

# ---- the guests. guest_tree DIR: busybox, xenstore-write/-read/-list with libxenstore, the xenbus modules
# (fallback), the poweroff script and /init (e2e/guest-init); MODULE...: kernel modules added (paths under kernel/)
guest_tree() {
  local G=$1 m; shift
  rm -rf "$G"; mkdir -p "$G"/{proc,sys,dev,run,tmp,mnt/snap,usr/bin}
  busybox_into "$G"
  for b in xenstore-write xenstore-read xenstore-list; do cp "$X/usr/bin/$b" "$G/usr/bin/"; done
  copy_closure "$G" "$G"/usr/bin/xenstore-*
  local MK=lib/modules/$KVER/kernel
  for m in drivers/xen/xen-privcmd drivers/xen/xenfs/xenfs "$@"; do
    mkdir -p "$G/$MK/$(dirname "$m")"; cp "$X/$MK/$m.ko" "$G/$MK/$m.ko"
  done
  # the kernel runs /sbin/poweroff on a PV shutdown request (xl shutdown); /init is a shell, so power off directly
  rm -f "$G/sbin/poweroff" "$G/sbin/reboot" "$G/bin/poweroff" "$G/bin/reboot"
  printf '#!/bin/sh\necho "guest: poweroff requested"\nsync\nexec /bin/busybox poweroff -f\n' > "$G/sbin/poweroff"
  printf '#!/bin/sh\nexec /bin/busybox reboot -f\n' > "$G/sbin/reboot"
  chmod 755 "$G/sbin/poweroff" "$G/sbin/reboot"
  install -m755 "$E2E/guest-init" "$G/init"
}
NETFRONT=drivers/net/xen-netfront
BOOTDISK="drivers/block/xen-blkfront crypto/crc32c_generic lib/crc16 fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4"
NETBACK="net/llc/llc net/802/stp net/bridge/bridge drivers/net/xen-netback/xen-netback drivers/xen/xen-evtchn
  drivers/xen/xen-gntdev drivers/xen/xen-gntalloc"

# guest.cpio.gz: the plain guest (initramfs only). boot.cpio.gz: stage 1 of the root-disk guests (mounts xvda
# read-only and switch_roots into it). root.img: that root, ext4 made from files (mke2fs -d), attached `ro` and
# shared by every disposable; home.img: the template's snapshot disk (one file, template-file), copied per
# disposable. netvm.cpio.gz: the driver domain (netback, a bridge, `xl devd` with the vif hotplug scripts).
guests() {
  local O=$CACHE/out
  guest_tree "$O/groot" $NETFRONT
  pack "$O/groot" "$O/guest.cpio.gz" gzip
  guest_tree "$O/gboot" $BOOTDISK
  pack "$O/gboot" "$O/boot.cpio.gz" gzip
  guest_tree "$O/groot-disk" $NETFRONT
  touch "$O/groot-disk/E2E-ROOTFS"
  rm -f "$O/root.img" "$O/home.img"
  mke2fs -q -F -t ext4 -O ^has_journal,^metadata_csum -L e2e-root -d "$O/groot-disk" "$O/root.img" 16M \
    || die "mke2fs of root.img failed"
  rm -rf "$O/ghome"; mkdir -p "$O/ghome"; echo "made by e2e/build.sh for the e2e-root Template" > "$O/ghome/template-file"
  mke2fs -q -F -t ext4 -O ^has_journal,^metadata_csum -L e2e-home -d "$O/ghome" "$O/home.img" 8M \
    || die "mke2fs of home.img failed"
  local N=$O/gnetvm
  guest_tree "$N" $NETBACK
  mkdir -p "$N/usr/lib/xen-4.17/bin" "$N/etc/xen/scripts" "$N/var/lib/xen" "$N/var/log/xen" "$N/var/run"
  cp "$X/usr/lib/xen-4.17/bin/xl" "$N/usr/lib/xen-4.17/bin/"; ln -s ../lib/xen-4.17/bin/xl "$N/usr/bin/xl"
  local s; for s in vif-bridge vif-common.sh xen-hotplug-common.sh xen-network-common.sh xen-script-common.sh \
      locking.sh logging.sh hotplugpath.sh; do cp "$X/etc/xen/scripts/$s" "$N/etc/xen/scripts/"; done
  cp "$X/etc/xen/xl.conf" "$N/etc/xen/" 2>/dev/null || true
  cp "$X/bin/bash" "$N/usr/bin/bash"; ln -sfn /usr/bin/bash "$N/bin/bash"
  rm -f "$N/bin/flock"; cp "$X/usr/bin/flock" "$N/usr/bin/flock"
  copy_closure "$N" "$N/usr/lib/xen-4.17/bin/xl" "$N/usr/bin/bash" "$N/usr/bin/flock"
  cp -L "$X/lib/x86_64-linux-gnu/libgcc_s.so.1" "$N/lib/x86_64-linux-gnu/"
  echo 'root:x:0:0:root:/root:/bin/sh' > "$N/etc/passwd"; echo 'root:x:0:' > "$N/etc/group"
  pack "$N" "$O/netvm.cpio.gz" gzip
}

# ---- dom0: busybox, Xen tools and their libraries, the toolstack modules, dispo + closure, jq, scenario, guest
dom0_initramfs() {
  local O=$CACHE/out R=$CACHE/out/root
  rm -rf "$R"
  mkdir -p "$R"/{proc,sys,dev,run,tmp,var/lib,var/log,etc/xen,etc/dispo,guest,e2e,usr/bin,usr/sbin,usr/local/bin}
  busybox_into "$R"
  mkdir -p "$R/usr/lib/xen-4.17/bin"
  local b
  for b in xl xenstored xenconsoled xen-init-dom0 libxl-save-helper xenconsole xenstore-control; do
    cp "$X/usr/lib/xen-4.17/bin/$b" "$R/usr/lib/xen-4.17/bin/"; done
  for b in xenstore-ls xenstore-read xenstore-write xenstore-list xenstore-rm xenstore-exists xenstore-chmod xenstore-watch; do
    [ -e "$X/usr/bin/$b" ] && cp "$X/usr/bin/$b" "$R/usr/bin/"; done
  cp "$X/usr/bin/jq" "$R/usr/bin/"; cp "$X/usr/bin/curl" "$R/usr/bin/" # curl: the socket API, as README shows it
  # the Swift runtime's backtracer, so a crash of dispo leaves a symbolicated backtrace in the logs
  local bt; bt=$(dirname "$(readlink -f "$(command -v "${SWIFT:-swift}")")")/../libexec/swift/linux/swift-backtrace-static
  if [ -x "$bt" ]; then mkdir -p "$R/usr/libexec/swift/linux"; cp "$bt" "$R/usr/libexec/swift/linux/"; fi
  cp "$O/unpause" "$R/usr/bin/e2e-unpause"; cp "$O/now" "$R/usr/bin/e2e-now"
  # dispo and dispo-conformance: debug info stripped (the symbol table stays for backtraces)
  strip --strip-debug -o "$R/usr/local/bin/dispo" "$DISPO_BIN"
  strip --strip-debug -o "$R/usr/local/bin/dispo-conformance" "$CONFORMANCE_BIN"
  copy_closure "$R" "$R"/usr/lib/xen-4.17/bin/* "$R"/usr/bin/* "$R"/usr/local/bin/* $(ls "$R"/usr/libexec/swift/linux/* 2>/dev/null)
  # glibc dlopens libgcc_s for pthread_cancel (xl aborts without it); ldd does not list it
  cp -L "$X/lib/x86_64-linux-gnu/libgcc_s.so.1" "$R/lib/x86_64-linux-gnu/"
  cp -a "$X/etc/xen/scripts" "$R/etc/xen/" 2>/dev/null || true
  cp "$X/etc/xen/xl.conf" "$R/etc/xen/" 2>/dev/null || true
  local MD=lib/modules/$KVER/kernel/drivers/xen
  mkdir -p "$R/$MD/xenfs"
  for m in xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs/xenfs; do cp "$X/$MD/$m.ko" "$R/$MD/$m.ko"; done
  # the guest: the same kernel as a raw ELF, and its initramfs
  cp "$O/vmlinux" "$R/guest/vmlinux"
  cp "$O/guest.cpio.gz" "$O/boot.cpio.gz" "$O/netvm.cpio.gz" "$O/root.img" "$O/home.img" "$R/guest/"
  install -m644 "$E2E/guest.cfg" "$R/etc/xen/byhand.cfg"
  install -m644 "$E2E"/config/*.yaml "$R/etc/dispo/"
  case "${E2E_DISK:-volatile}" in
    none) ;;
    volatile) # a fresh scratch disk per disposable: a file in /var/lib/dispo/disks/<name>/, a loop device, blkback
      sed -i 's|^cmdline: .*|&\nvolatile: 8MiB|' "$R/etc/dispo/e2e.yaml"
      cp "$X/bin/bash" "$R/usr/bin/bash"; ln -sfn /usr/bin/bash "$R/bin/bash"
      rm -f "$R/bin/losetup" "$R/bin/flock"
      cp "$X/sbin/losetup" "$R/sbin/losetup"; cp "$X/usr/bin/flock" "$R/usr/bin/flock"
      copy_closure "$R" "$R/usr/bin/bash" "$R/sbin/losetup" "$R/usr/bin/flock"
      local BD=lib/modules/$KVER/kernel/drivers/block
      mkdir -p "$R/$BD/xen-blkback"
      cp "$X/$BD/loop.ko" "$R/$BD/"; cp "$X/$BD/xen-blkback/xen-blkback.ko" "$R/$BD/xen-blkback/" ;;
    *) die "E2E_DISK=$E2E_DISK: use none or volatile" ;;
  esac
  chmod 755 "$R/etc/dispo"
  mkdir -p "$R/usr/lib/systemd/system-sleep" # the systemd-sleep hook, run by the scenario's step 22
  install -m755 "$ROOT/dist/systemd/system-sleep/dispo" "$R/usr/lib/systemd/system-sleep/dispo"
  install -m644 "$E2E/guests.yaml" "$R/e2e/guests.yaml" # phase 2 of the scenario copies it into /etc/dispo
  install -m755 "${E2E_SCENARIO:-$E2E/scenario.sh}" "$R/e2e/scenario.sh"
  install -m755 "$E2E/dom0-init" "$R/init"
  { # knobs handed to dom0
    echo "E2E_KVER=$KVER"
    local v; for v in $(compgen -e | grep -E '^E2E_(T_|XS_|POLL|DEBUG|DISK|QUIET_DIAG|STEPS|HEARTBEAT|PHASE2)' || true); do printf '%s=%q\n' "$v" "${!v}"; done
  } > "$R/e2e/env"
  pack "$R" "$O/dom0.cpio"
}

main() {
  local t0=$SECONDS
  [ -z "${E2E_NO_DEPS:-}" ] && host_deps
  fetch_packages
  kernels
  build_dispo
  build_helpers
  guests
  dom0_initramfs
  say "artefacts in $CACHE/out: $(cd "$CACHE/out" && ls -sh xen vmlinux guest.cpio.gz boot.cpio.gz netvm.cpio.gz root.img dom0.cpio | tr -s ' \n' ' ')(built in $((SECONDS - t0)) s)"
}
main "$@"
