#!/usr/bin/env bash
# The checks of the Android app that this machine allows (no Android SDK, no Gradle
# repositories, no device). Each check says what it proves; android/README.md lists
# what still needs Android Studio. Called by scripts/check-mobile.sh.
#
#   bash scripts/check-android.sh
#
# 1. aapt (Debian) links the manifest and resources against framework-res.apk (Debian's
#    android-framework-res, API 29) and generates R.java.
# 2. Every permission the Kotlin code asks for is declared in the manifest.
# 3. No call above minSdk 26 that the project knows of (android/checks/api-above-min-sdk.tsv)
#    unless guarded by `SDK_INT >=`; the check refuses a planted violation first.
# 4. android/build-native.sh runs under `set -u` with a stand-in cargo, as on macOS
#    (uname Darwin: the host library is .dylib) and on Linux, release and debug.
# 5. kotlinc 2.4.20 type-checks the app module's Kotlin against the real generated
#    bindings, the logic module and hand-written stubs of the Android/AndroidX APIs
#    it uses (android/checks/stubs), plus the R.java of step 1.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${CARGO_TARGET_DIR:-$ROOT/target}/android-check"
APP=android/app/src/main
FRAMEWORK_RES=/usr/share/android-framework-res/framework-res.apk
MIN_SDK=26
TARGET_SDK=35
mkdir -p "$OUT"

FAILED_CHECKS=""
CHECK=0
ok() { echo "ok    $*"; }
bad() {
  echo "FAIL  $*"
  case " $FAILED_CHECKS " in *" $CHECK "*) ;; *) FAILED_CHECKS="$FAILED_CHECKS $CHECK" ;; esac
}

# --- tools (Debian packages, installed once like scripts/kotlin-tools.sh does)
if ! command -v aapt >/dev/null 2>&1 || [ ! -f "$FRAMEWORK_RES" ]; then
  echo "== installing aapt and android-framework-res (Debian)"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get install -y aapt android-framework-res >/dev/null 2>&1 || {
    $SUDO apt-get update >/dev/null
    $SUDO apt-get install -y aapt android-framework-res >/dev/null
  }
fi

# --- 1. manifest and resources, linked by aapt
CHECK=1
echo "== 1. aapt: manifest and resources against framework-res.apk"
rm -rf "$OUT/aapt" && mkdir -p "$OUT/aapt/gen"
# What AGP's manifest merger does first: the package from `namespace`, placeholders filled.
sed -e 's#<manifest xmlns:android="http://schemas.android.com/apk/res/android">#<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="cn.liuhen.app">#' \
  -e 's/\${applicationId}/cn.liuhen.app/g' "$APP/AndroidManifest.xml" >"$OUT/aapt/AndroidManifest.xml"
if aapt package -f -M "$OUT/aapt/AndroidManifest.xml" -S "$APP/res" -I "$FRAMEWORK_RES" \
  --min-sdk-version "$MIN_SDK" --target-sdk-version "$TARGET_SDK" \
  -J "$OUT/aapt/gen" -F "$OUT/aapt/resources.apk" >"$OUT/aapt/log" 2>&1; then
  badging="$(aapt dump badging "$OUT/aapt/resources.apk")"
  if grep -q "launchable-activity: name='cn.liuhen.app.MainActivity'" <<<"$badging" &&
    grep -q "sdkVersion:'$MIN_SDK'" <<<"$badging"; then
    ok "aapt linked the manifest and $(find "$APP/res" -type f | wc -l) resource files; launcher activity and minSdk $MIN_SDK read back"
  else
    bad "aapt linked, but the launcher activity or minSdk is not what build.gradle.kts says"
  fi
else
  cat "$OUT/aapt/log"
  bad "aapt refused the manifest or resources"
fi

# --- 2. permissions used in code are declared
CHECK=2
echo "== 2. permissions asked for in code are declared in the manifest"
used="$(grep -rhoE 'Manifest\.permission\.[A-Z_]+' android/app/src/main/kotlin | sed 's/.*\.//' | sort -u)"
missing=""
for p in $used; do
  grep -q "android:name=\"android.permission.$p\"" "$APP/AndroidManifest.xml" || missing="$missing $p"
done
if [ -z "$missing" ]; then ok "$(echo "$used" | wc -w) permissions used, all declared"; else bad "not declared in the manifest:$missing"; fi

# --- 3. calls above minSdk
CHECK=3
echo "== 3. calls above minSdk $MIN_SDK (android/checks/api-above-min-sdk.tsv)"
api_check() { # files... ; prints violations, returns 1 if any
  python3 - "$ROOT/android/checks/api-above-min-sdk.tsv" "$MIN_SDK" "$@" <<'PY'
import re, sys
table, min_sdk, files = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
rules = []
for line in open(table, encoding="utf-8"):
    if not line.strip() or line.startswith("#"):
        continue
    pat, api, fix = line.rstrip("\n").split("\t")
    # The table is written in POSIX ERE; [[:space:]] is the only class it uses.
    rules.append((re.compile(pat.replace("[[:space:]]", r"\s")), int(api), fix))
bad = 0
for f in files:
    lines = open(f, encoding="utf-8").read().split("\n")
    for i, text in enumerate(lines):
        code = re.sub(r"(^|\s)//.*$", "", text)  # a trailing line comment is not code
        for rx, api, fix in rules:
            if api <= min_sdk or not rx.search(code):
                continue
            before = "\n".join(lines[max(0, i - 6): i + 1])
            if any(int(n) >= api for n in re.findall(r"SDK_INT\s*>=\s*(\d+)", before)):
                continue
            print(f"{f}:{i + 1}: API {api} call on minSdk {min_sdk}: {text.strip()}  -> use {fix}")
            bad += 1
sys.exit(1 if bad else 0)
PY
}
planted="$OUT/PlantedViolation.kt"
printf 'val v = java.net.URLDecoder.decode(s, StandardCharsets.UTF_8)\n' >"$planted"
if api_check "$planted" >/dev/null; then
  bad "the minSdk check did not refuse a planted URLDecoder.decode(String, Charset)"
fi
mapfile -t KT_SOURCES < <(find android/app/src/main/kotlin android/logic/src/main/kotlin -name '*.kt' | sort)
if api_check "${KT_SOURCES[@]}"; then
  ok "${#KT_SOURCES[@]} Kotlin files: no known call above API $MIN_SDK without an SDK_INT guard (planted violation refused)"
else
  bad "calls above minSdk (listed above)"
fi

# --- 4. build-native.sh on macOS and Linux, with a stand-in cargo
CHECK=4
echo "== 4. android/build-native.sh under set -u (macOS .dylib, Linux .so; release and debug)"
if grep -n '\[@\]' android/build-native.sh >/dev/null; then
  bad "build-native.sh expands an array: \"\${a[@]}\" of an empty array fails under set -u in macOS's bash 3.2"
fi
fake="$OUT/fake-bin"
rm -rf "$fake" && mkdir -p "$fake"
cat >"$fake/cargo" <<'SH'
#!/usr/bin/env bash
echo "cargo $*" >>"$FAKE_LOG"
if [ "$1" = ndk ]; then
  while [ $# -gt 0 ]; do
    if [ "$1" = -o ]; then mkdir -p "$2/arm64-v8a" "$2/x86_64"; touch "$2/arm64-v8a/libliuhen_ffi.so" "$2/x86_64/libliuhen_ffi.so"; fi
    shift
  done
fi
SH
chmod +x "$fake/cargo"
native_ok=1
for os in Darwin Linux; do
  for profile in release debug; do
    printf '#!/bin/sh\necho %s\n' "$os" >"$fake/uname" && chmod +x "$fake/uname"
    log="$OUT/build-native-$os-$profile.log"
    : >"$log"
    if ! PATH="$fake:$PATH" FAKE_LOG="$log" PROFILE="$profile" CARGO_TARGET_DIR=/t \
      ANDROID_JNI_DIR="$OUT/jni-$os-$profile" UNIFFI_GEN_DIR="$OUT/gen-$os-$profile" \
      bash -u android/build-native.sh >"$log.out" 2>&1; then
      cat "$log.out"; native_ok=0; continue
    fi
    want_lib="/t/$profile/libliuhen_ffi.$([ "$os" = Darwin ] && echo dylib || echo so)"
    flag="$([ "$profile" = release ] && echo ' --release' || echo '')"
    grep -q -- "--library $want_lib " "$log" || { echo "$os $profile: bindgen not given $want_lib"; native_ok=0; }
    grep -q -- "^cargo build$flag -p liuhen-ffi$" "$log" || { echo "$os $profile: host build not 'cargo build$flag -p liuhen-ffi'"; native_ok=0; }
  done
done
if [ "$native_ok" = 1 ]; then ok "build-native.sh: .dylib on macOS, .so on Linux, release and debug, no unbound variable"; else bad "build-native.sh (see above)"; fi

# --- 5. the app module's Kotlin, type-checked
CHECK=5
echo "== 5. kotlinc: the app module against the bindings, the logic module and API stubs"
source scripts/kotlin-tools.sh
PROFILE_DIR="${CARGO_TARGET_DIR:-$ROOT/target}/debug"
# The same directory, generation and jar stamps as scripts/test-kotlin.sh: the bindings
# and logic jars it built are reused when their sources did not change.
KT="${CARGO_TARGET_DIR:-$ROOT/target}/kotlin"
# The build scripts/test-kotlin.sh makes (scripts/native-build.sh): the same features, so
# nothing is rebuilt.
source scripts/native-build.sh
native_build
rm -rf "$KT/gen" && mkdir -p "$KT/gen" "$KT/classes"
uniffi_bindgen generate --no-format \
  --library "$PROFILE_DIR/libliuhen_ffi.so" --language kotlin --out-dir "$KT/gen"
compile() { # name, classpath, sources... (recompiled only when a source changed)
  local name="$1" cp="$2"
  shift 2
  local sum
  sum="$(cat "$@" | sha256sum | cut -d' ' -f1)-$(echo "$cp" | sha256sum | cut -d' ' -f1)"
  if [ -f "$KT/classes/$name.jar" ] && [ "$(cat "$KT/classes/$name.sha256" 2>/dev/null)" = "$sum" ]; then return 0; fi
  echo "   compiling $name ($# files)"
  "$KOTLINC" -nowarn -jvm-target 17 -cp "$cp" -d "$KT/classes/$name.jar" "$@" && echo "$sum" >"$KT/classes/$name.sha256"
}
mapfile -t GEN_SRC < <(find "$KT/gen" -name '*.kt' | sort)
mapfile -t LOGIC_SRC < <(find android/logic/src/main/kotlin -name '*.kt' | sort)
mapfile -t STUB_SRC < <(find android/checks/stubs -name '*.kt' | sort)
mapfile -t APP_SRC < <(find android/app/src/main/kotlin -name '*.kt' | sort)
mapfile -t R_SRC < <(find "$OUT/aapt/gen" -name '*.java' | sort)
if compile bindings "$KOTLIN_CP_LIBS" "${GEN_SRC[@]}" &&
  compile logic "$KOTLIN_CP_LIBS:$KT/classes/bindings.jar" "${LOGIC_SRC[@]}" &&
  compile android-stubs "$KOTLIN_CP_LIBS" "${STUB_SRC[@]}" &&
  compile android-app "$KOTLIN_CP_LIBS:$KT/classes/bindings.jar:$KT/classes/logic.jar:$KT/classes/android-stubs.jar" "${APP_SRC[@]}" "${R_SRC[@]}"; then
  ok "${#APP_SRC[@]} app files type-check against the bindings, ${#LOGIC_SRC[@]} logic files and ${#STUB_SRC[@]} stub files"
else
  bad "the app module does not type-check (errors above)"
fi

echo
failed=$(echo "$FAILED_CHECKS" | wc -w)
echo "check-android: $((5 - failed)) passed, $failed failed"
[ "$failed" = 0 ]
