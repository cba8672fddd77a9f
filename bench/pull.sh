#!/usr/bin/env bash
# Pull benchmark: `skiff pull` against `podman pull` of the same image from a loopback
# registry, both rootless as the same unprivileged user, side by side.
#
#   sudo bench/pull.sh            (after `.ci/run --setup`, which starts the registry)
#
# The image has two gzip layers of about 60 MB each: the Debian bookworm rootfs the tests use,
# and a layer of random hex text. It is built once (skopeo pushes a docker-archive, so the
# layers are compressed by skopeo's gzip, as a real registry's would be) and reused.
# Measured: a pull into an empty store (median of 5), the peak RSS of that pull, and a pull of
# an image already present (median of 30). Prints a Markdown table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

REGISTRY=${SKIFF_BENCH_REGISTRY:-127.0.0.1:5000}
RUN_AS=${SKIFF_BENCH_USER:-skifftest}
DEBIAN_TAR=${SKIFF_TEST_DEBIAN_TAR:-/var/cache/skiff-test/debian-bookworm.tar}
IMAGE=$REGISTRY/skiff-bench/pull:two-layers
WORK=/tmp/skiff-bench-pull
RUNS=${SKIFF_BENCH_RUNS:-5}

[ "$(id -u)" = 0 ] || { echo "run as root (the pulls run as $RUN_AS)" >&2; exit 1; }
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt install hyperfine)" >&2; exit 1; }
cargo build --release --quiet
mkdir -p "$WORK"
chmod 755 "$WORK"
mkdir -p "$WORK/bin" && chmod 755 "$WORK/bin"
install -m 755 target/release/skiff "$WORK/bin/skiff"

build_image() {
    local dir="$WORK/image"
    rm -rf "$dir" && mkdir -p "$dir/data"
    # ~60 MB of gzip from ~120 MB of hex text: random bytes, hex-encoded, in 2 MB files.
    for i in $(seq -w 1 60); do
        head -c 1000000 /dev/urandom | od -An -vtx1 | tr -d ' \n' | head -c 2000000 >"$dir/data/chunk-$i"
    done
    tar --sort=name --owner=0 --group=0 --mtime=@1700000000 -C "$dir" -cf "$dir/layer2.tar" data
    python3 - "$DEBIAN_TAR" "$dir/layer2.tar" "$dir/image.tar" <<'PY'
import hashlib, json, sys, tarfile, io, os
debian, data, out = sys.argv[1:]
def digest(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for chunk in iter(lambda: f.read(1 << 20), b''):
            h.update(chunk)
    return 'sha256:' + h.hexdigest()
diff_ids = [digest(debian), digest(data)]
config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
    "config": {"Cmd": ["/bin/bash"], "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]},
    "rootfs": {"type": "layers", "diff_ids": diff_ids},
    "history": [{"created": "2024-01-01T00:00:00Z"}, {"created": "2024-01-01T00:00:00Z"}]}).encode()
config_name = hashlib.sha256(config).hexdigest() + '.json'
manifest = json.dumps([{"Config": config_name, "RepoTags": ["bench:pull"], "Layers": ["debian.tar", "data.tar"]}]).encode()
with tarfile.open(out, 'w') as t:
    t.add(debian, 'debian.tar')
    t.add(data, 'data.tar')
    for name, body in [(config_name, config), ('manifest.json', manifest)]:
        info = tarfile.TarInfo(name); info.size = len(body); t.addfile(info, io.BytesIO(body))
PY
    skopeo copy --quiet --dest-tls-verify=false "docker-archive:$dir/image.tar" "docker://$IMAGE"
    rm -rf "$dir"
}

if ! skopeo inspect --tls-verify=false "docker://$IMAGE" >/dev/null 2>&1; then
    echo "building and pushing $IMAGE" >&2
    build_image
fi
skopeo inspect --tls-verify=false --raw "docker://$IMAGE" |
    python3 -c 'import json,sys; m=json.load(sys.stdin); print("layers (compressed MB):", [round(l["size"]/1e6,1) for l in m["layers"]])' >&2

as_user() { runuser -u "$RUN_AS" -- env -u XDG_RUNTIME_DIR HOME="$(getent passwd "$RUN_AS" | cut -d: -f6)" "$@"; }
# Every pull into an "empty store" gets a store of its own, never one just deleted: ext4 makes
# file creation crawl for a while among recently deleted inodes (seconds for a rootfs), which
# would measure the file system's memory of the last run rather than the pull.
RUNS_DIR="$WORK/runs"
rm -rf "$RUNS_DIR"
mkdir -p "$RUNS_DIR"
chown "$RUN_AS:" "$RUNS_DIR"
sync
sleep 31
cold_skiff="sh -c 'd=\$(mktemp -d -p $RUNS_DIR); exec $WORK/bin/skiff --root \$d/root --runroot \$d/run pull -q $IMAGE'"
cold_podman="sh -c 'd=\$(mktemp -d -p $RUNS_DIR); exec podman --root \$d/root --runroot \$d/run --storage-driver overlay pull -q --tls-verify=false $IMAGE'"
hyperfine --style basic --runs "$RUNS" --export-json "$WORK/cold.json" \
    -n "skiff pull (empty store)" "runuser -u $RUN_AS -- $cold_skiff" \
    -n "podman pull (empty store)" "runuser -u $RUN_AS -- $cold_podman" >&2

measure_rss() { as_user /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n1; }
d=$(as_user mktemp -d -p "$RUNS_DIR")
rss_skiff=$(measure_rss "$WORK/bin/skiff" --root "$d/root" --runroot "$d/run" pull -q "$IMAGE")
warm_skiff="$WORK/bin/skiff --root $d/root --runroot $d/run pull -q $IMAGE"
d=$(as_user mktemp -d -p "$RUNS_DIR")
rss_podman=$(measure_rss podman --root "$d/root" --runroot "$d/run" --storage-driver overlay pull -q --tls-verify=false "$IMAGE")
warm_podman="podman --root $d/root --runroot $d/run --storage-driver overlay pull -q --tls-verify=false $IMAGE"

hyperfine --style basic --warmup 3 --runs 30 --export-json "$WORK/warm.json" \
    -n "skiff pull (present)" "runuser -u $RUN_AS -- $warm_skiff" \
    -n "podman pull (present)" "runuser -u $RUN_AS -- $warm_podman" >&2
# Rootless stores hold files of subordinate ids: root removes them.
rm -rf "$RUNS_DIR"

python3 - "$WORK/cold.json" "$WORK/warm.json" "$rss_skiff" "$rss_podman" <<'PY'
import json, sys
cold, warm = (json.load(open(p))["results"] for p in sys.argv[1:3])
rss_skiff, rss_podman = (int(v) / 1024 for v in sys.argv[3:5])
med = lambda r: r["median"]
print("| case | skiff | podman | podman / skiff |")
print("|---|---|---|---|")
print(f"| pull, empty store (median of {len(cold[0]['times'])}) | {med(cold[0]):.2f} s | {med(cold[1]):.2f} s | {med(cold[1]) / med(cold[0]):.1f}x |")
print(f"| peak RSS of that pull | {rss_skiff:.1f} MB | {rss_podman:.1f} MB | {rss_podman / rss_skiff:.1f}x |")
print(f"| pull, image present (median of {len(warm[0]['times'])}) | {med(warm[0]) * 1000:.1f} ms | {med(warm[1]) * 1000:.1f} ms | {med(warm[1]) / med(warm[0]):.1f}x |")
PY
