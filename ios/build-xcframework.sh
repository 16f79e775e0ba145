#!/usr/bin/env bash
# Builds the Rust core (crate liuhen-ffi) for iOS and packages it for Swift:
#
#   ios/LiuhenKit/LiuhenFFI.xcframework            static library + C header + modulemap
#   ios/LiuhenKit/Sources/LiuhenCore/LiuhenCore.swift   the generated Swift bindings
#
# Slices: aarch64-apple-ios (devices) and one fat simulator slice made with lipo from
# aarch64-apple-ios-sim and x86_64-apple-ios. The Swift bindings are generated from the
# same source tree in the same run, so their checksums match the library (uniffi checks
# them when the app starts and refuses a mismatch).
#
# Needs macOS with Xcode (xcodebuild, lipo, xcrun) and rustup. Usage:
#   bash ios/build-xcframework.sh            # release build (what the app ships)
#   PROFILE=debug bash ios/build-xcframework.sh
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
package_dir="$here/LiuhenKit"
xcframework="$package_dir/LiuhenFFI.xcframework"
swift_out="$package_dir/Sources/LiuhenCore"
work="$root/target/ios-xcframework"

profile="${PROFILE:-release}"
crate="liuhen-ffi"
lib_name="libliuhen_ffi"
ffi_module="LiuhenFFI"
swift_module="LiuhenCore"
device_target="aarch64-apple-ios"
sim_targets=(aarch64-apple-ios-sim x86_64-apple-ios)
# Keep in step with ios/project.yml (deploymentTarget) and LiuhenKit/Package.swift.
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-16.0}"

die() {
    printf 'build-xcframework.sh: %s\n' "$*" >&2
    exit 1
}

need() {
    command -v "$1" >/dev/null 2>&1 || die "$1 was not found. $2"
}

# ---- what this machine must have ------------------------------------------------------

if [[ "$(uname -s)" != "Darwin" ]]; then
    die "an XCFramework can only be built on macOS with Xcode; this machine runs $(uname -s).
Nothing under ios/ can be built here. On a Mac: install Xcode and rustup, then run
  bash ios/build-xcframework.sh"
fi
need xcodebuild "Install Xcode from the App Store (the Command Line Tools alone are not enough), then run: sudo xcode-select -s /Applications/Xcode.app/Contents/Developer"
if ! xcodebuild -version >/dev/null 2>&1; then
    die "xcodebuild is present but does not run (probably only the Command Line Tools are selected).
Run: sudo xcode-select -s /Applications/Xcode.app/Contents/Developer"
fi
need xcrun "It comes with Xcode."
need lipo "It comes with Xcode."
need cargo "Install Rust with rustup: https://rustup.rs"
need rustup "The iOS targets are added with rustup; install Rust with rustup, not a package manager."

# One flag, always present: macOS ships bash 3.2, where an empty array under `set -u`
# counts as unbound.
case "$profile" in
    release) cargo_profile=(--release) ;;
    debug) cargo_profile=(--profile=dev) ;;
    *) die "PROFILE must be release or debug, not '$profile'" ;;
esac

# ---- build the static library for every target -----------------------------------------

echo "==> rustup targets: $device_target ${sim_targets[*]}"
rustup target add "$device_target" "${sim_targets[@]}"

cd "$root"
for target in "$device_target" "${sim_targets[@]}"; do
    echo "==> cargo build ($profile) -p $crate --target $target"
    # --lib: only the library is built for iOS (the generator is the uniffi-bindgen crate).
    cargo build "${cargo_profile[@]}" -p "$crate" --lib --target "$target"
    [[ -f "target/$target/$profile/$lib_name.a" ]] \
        || die "cargo did not produce target/$target/$profile/$lib_name.a"
done

# ---- generate the Swift bindings --------------------------------------------------------

# The metadata is the same on every target; read it from a host build of the library.
echo "==> host build of $crate for the binding generator"
cargo build "${cargo_profile[@]}" -p "$crate" --lib
host_lib="target/$profile/$lib_name.dylib"
[[ -f "$host_lib" ]] || die "cargo did not produce $host_lib"

rm -rf "$work"
mkdir -p "$work/gen"
echo "==> uniffi-bindgen generate --language swift"
cargo run "${cargo_profile[@]}" -q -p uniffi-bindgen -- \
    generate --no-format --library "$host_lib" --language swift --out-dir "$work/gen"
for f in "$swift_module.swift" "$ffi_module.h"; do
    [[ -f "$work/gen/$f" ]] || die "uniffi-bindgen did not write $f (check bindings/uniffi.toml)"
done

# ---- one framework bundle per platform ---------------------------------------------------

# make_framework DIR LIBRARY: DIR/LiuhenFFI.framework with the static library as its
# binary, the header in Headers/ and a framework modulemap in Modules/.
make_framework() {
    local dir="$1" library="$2"
    local fw="$dir/$ffi_module.framework"
    mkdir -p "$fw/Headers" "$fw/Modules"
    cp "$library" "$fw/$ffi_module"
    cp "$work/gen/$ffi_module.h" "$fw/Headers/$ffi_module.h"
    cat >"$fw/Modules/module.modulemap" <<EOF
framework module $ffi_module {
    umbrella header "$ffi_module.h"
    export *
}
EOF
    cat >"$fw/Info.plist" <<EOF
<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
    <key>CFBundleDevelopmentRegion</key><string>zh_CN</string>
    <key>CFBundleExecutable</key><string>$ffi_module</string>
    <key>CFBundleIdentifier</key><string>cn.liuhen.$ffi_module</string>
    <key>CFBundleInfoDictionaryVersion</key><string>6.0</string>
    <key>CFBundleName</key><string>$ffi_module</string>
    <key>CFBundlePackageType</key><string>FMWK</string>
    <key>CFBundleShortVersionString</key><string>1.0</string>
    <key>CFBundleVersion</key><string>1</string>
    <key>MinimumOSVersion</key><string>$IPHONEOS_DEPLOYMENT_TARGET</string>
</dict>
</plist>
EOF
}

echo "==> framework bundles"
make_framework "$work/ios" "target/$device_target/$profile/$lib_name.a"

sim_libs=()
for target in "${sim_targets[@]}"; do
    sim_libs+=("target/$target/$profile/$lib_name.a")
done
mkdir -p "$work/ios-simulator"
lipo -create "${sim_libs[@]}" -output "$work/ios-simulator/$lib_name.a"
make_framework "$work/ios-simulator" "$work/ios-simulator/$lib_name.a"

# ---- the XCFramework and the Swift sources ----------------------------------------------

echo "==> xcodebuild -create-xcframework"
rm -rf "$xcframework"
xcodebuild -create-xcframework \
    -framework "$work/ios/$ffi_module.framework" \
    -framework "$work/ios-simulator/$ffi_module.framework" \
    -output "$xcframework"

mkdir -p "$swift_out"
cp "$work/gen/$swift_module.swift" "$swift_out/$swift_module.swift"

echo "==> done"
echo "    $xcframework"
echo "    $swift_out/$swift_module.swift"
echo "Next: cd ios && xcodegen generate && open Liuhen.xcodeproj   (see ios/README.md)"
