#!/usr/bin/env python3
"""Validates ios/Liuhen/Info.plist with plistlib against what the app's code uses.

- It parses (plistlib: well-formed XML property list, a dictionary at the top).
- A usage description (non-empty, Chinese, at least 10 characters) exists for every
  protected resource the code touches: camera (AVCaptureDevice / DataScanner /
  AVCapturePhotoOutput), microphone (AVAudioRecorder / AVAudioSession record),
  location (CLLocationManager). iOS kills the app at the first access without one.
- `BGTaskSchedulerPermittedIdentifiers` holds exactly the identifiers the code registers
  (`taskIdentifier = "..."` next to BGTaskScheduler), and `UIBackgroundModes` has
  `fetch` for a BGAppRefreshTask (`processing` for a BGProcessingTask).
Exit status 1 with one line per problem; `--self-test` breaks a copy and expects failures.
"""

from __future__ import annotations

import argparse
import pathlib
import plistlib
import re
import shutil
import sys
import tempfile

USAGE = {
    "NSCameraUsageDescription": r"\b(AVCaptureDevice|AVCapturePhotoOutput|DataScannerViewController|UIImagePickerController)\b",
    "NSMicrophoneUsageDescription": r"\b(AVAudioRecorder|\.record\b|AVCaptureDevice\.default\(for: \.audio\)|movieFileOutput|AVCaptureMovieFileOutput)\b",
    "NSLocationWhenInUseUsageDescription": r"\bCLLocationManager\b",
}


def code_of(ios: pathlib.Path) -> str:
    """The app's Swift without comments (a comment naming an API is not a use)."""
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
    from check_swift_bindings import strip_swift

    files = sorted((ios / "Liuhen").rglob("*.swift"))
    return "\n".join(strip_swift(f.read_text(encoding="utf-8")) for f in files)


def check(ios: pathlib.Path) -> list[str]:
    problems: list[str] = []
    path = ios / "Liuhen/Info.plist"
    try:
        with path.open("rb") as fh:
            plist = plistlib.load(fh)
    except Exception as e:  # noqa: BLE001 - any parse failure is the finding
        return [f"{path}: not a valid property list: {e}"]
    if not isinstance(plist, dict):
        return [f"{path}: the top level is not a dictionary"]
    code = code_of(ios)
    for key, pattern in USAGE.items():
        if not re.search(pattern, code):
            continue
        text = plist.get(key)
        if not isinstance(text, str) or len(text.strip()) < 10:
            problems.append(f"Info.plist: {key} missing or too short, but the code uses it ({pattern})")
        elif not re.search(r"[\u4e00-\u9fff]", text):
            problems.append(f"Info.plist: {key} is not in Chinese: {text!r}")
    raw = "\n".join(f.read_text(encoding="utf-8") for f in sorted((ios / "Liuhen").rglob("*.swift")))
    registered = set(re.findall(r'(?m)^\s*(?:static\s+)?let\s+taskIdentifier\s*=\s*"([^"]+)"', raw))
    permitted = plist.get("BGTaskSchedulerPermittedIdentifiers", [])
    if registered or permitted:
        if not isinstance(permitted, list) or set(permitted) != registered:
            problems.append(
                f"Info.plist: BGTaskSchedulerPermittedIdentifiers {permitted} != identifiers in the code {sorted(registered)}"
            )
    modes = plist.get("UIBackgroundModes", [])
    if re.search(r"\bBGAppRefreshTask(Request)?\b", code) and "fetch" not in modes:
        problems.append(f"Info.plist: UIBackgroundModes {modes} lacks `fetch` for BGAppRefreshTask")
    if re.search(r"\bBGProcessingTask(Request)?\b", code) and "processing" not in modes:
        problems.append(f"Info.plist: UIBackgroundModes {modes} lacks `processing` for BGProcessingTask")
    if "processing" in modes and not re.search(r"\bBGProcessingTask", code):
        problems.append("Info.plist: UIBackgroundModes has `processing` but the code schedules no BGProcessingTask")
    for k in ("CFBundleIdentifier", "CFBundleExecutable", "CFBundleDisplayName"):
        if not plist.get(k):
            problems.append(f"Info.plist: {k} missing")
    return problems


def self_test(ios: pathlib.Path) -> int:
    if check(ios):
        print("plist self-test: the unmodified Info.plist must pass first")
        return 1
    cases = [
        ("<key>NSCameraUsageDescription</key>", "<key>NSCameraUsageDescriptionX</key>", "NSCameraUsageDescription"),
        ("<string>cn.liuhen.field.sync</string>", "<string>cn.liuhen.field.sync2</string>", "BGTaskSchedulerPermittedIdentifiers"),
        ("<string>fetch</string>", "<string>processing</string>", "UIBackgroundModes"),
        ("</dict>\n</plist>", "</dict>\n", "not a valid property list"),
    ]
    failed = 0
    for find, repl, expect in cases:
        with tempfile.TemporaryDirectory() as tmp:
            copy = pathlib.Path(tmp) / "ios"
            shutil.copytree(ios / "Liuhen", copy / "Liuhen")
            p = copy / "Liuhen/Info.plist"
            s = p.read_text(encoding="utf-8")
            if find not in s:
                print(f"plist self-test: {find!r} not in Info.plist; update the cases")
                failed += 1
                continue
            p.write_text(s.replace(find, repl, 1), encoding="utf-8")
            hit = [x for x in check(copy) if expect in x]
            print(f"plist self-test: {'caught' if hit else 'NOT caught'}: {repl.strip()!r}")
            failed += 0 if hit else 1
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ios", required=True, type=pathlib.Path)
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    if a.self_test:
        return self_test(a.ios.resolve())
    problems = check(a.ios.resolve())
    print(f"check-ios-plist: {len(problems)} problems")
    for p in problems:
        print("  " + p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
