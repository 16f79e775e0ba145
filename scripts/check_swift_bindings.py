#!/usr/bin/env python3
"""Checks the iOS Swift code against the Swift bindings uniffi generated here.

No Swift compiler runs on this machine, so this is a checker of names, not a type
checker. From the generated `LiuhenCore.swift` it reads every public type, method,
initialiser, field and enum case with its argument labels; then in the app's Swift
(ios/Liuhen, LiuhenAppLogic and its tests) it checks:

  1. calls on the core (`core.x(...)`, `core?.x(...)`, `model.core?.x(...)`, `$0.x(...)`
     inside `attempt { }` / `attemptAsync { }`, variables declared `: LiuhenCore`):
     the method exists on `LiuhenCore` and the argument labels are exactly its labels;
  2. `Type.member` where `Type` is generated (`LiuhenError.NoRoster`,
     `LiuhenCore.open(dataDir:)`, `EvidenceType.audio`): the member exists, and its
     labels (or, for a pattern, its arity) match;
  3. `Record(label: ...)` for a generated struct: the labels are its initialiser's;
  4. `case .x` / `case let .x(...)` in a `switch` whose other cases belong to one
     generated enum: every case is one of that enum's, with matching labels/arity;
  5. `.x(label: ...)` where `x` is a case of a generated enum with associated values
     (and not a name the app declares itself): the labels are that case's;
  6. `v.field` where `v` is declared with a generated record type (`v: InspectionView`,
     `[AgencyRightsNotice]`, optional): the field exists (or an app extension adds it);
  7. app types conforming to a generated callback protocol implement every requirement.

Exit status 1 with one line per problem. `--self-test` copies the sources, misspells
one call, label, case or field at a time, and fails unless every misspelling is caught.
"""

from __future__ import annotations

import argparse
import pathlib
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass, field

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


# ---- lexing -------------------------------------------------------------------------


def strip_swift(text: str) -> str:
    """Blanks comments and string-literal text (keeping `\\( ... )` interpolations and
    newlines), so that regexes see only code. Offsets and lines are preserved."""
    out = list(text)
    i, n = 0, len(text)

    def blank(a: int, b: int) -> None:
        for k in range(a, b):
            if out[k] != "\n":
                out[k] = " "

    def skip_string(i: int) -> int:
        # i at the opening quote(s); returns the index after the closing quote(s).
        triple = text.startswith('"""', i)
        q = '"""' if triple else '"'
        start = i
        i += len(q)
        while i < n:
            if text[i] == "\\" and i + 1 < n and text[i + 1] == "(":
                blank(start, i)
                # interpolation: code until the matching parenthesis
                depth, i = 1, i + 2
                while i < n and depth:
                    c = text[i]
                    if c == '"':
                        i = skip_string(i)
                        continue
                    if c == "(":
                        depth += 1
                    elif c == ")":
                        depth -= 1
                    i += 1
                start = i
                continue
            if text[i] == "\\":
                i += 2
                continue
            if text.startswith(q, i):
                blank(start, i + len(q))
                return i + len(q)
            if not triple and text[i] == "\n":
                break
            i += 1
        blank(start, i)
        return i

    while i < n:
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            blank(i, j)
            i = j
        elif text[i] == '"':
            i = skip_string(i)
        else:
            i += 1
    return "".join(out)


def matching(text: str, open_at: int, pair: str = "()") -> int:
    """Index of the bracket closing the one at `open_at` (or len(text))."""
    o, c = pair
    depth = 0
    for k in range(open_at, len(text)):
        if text[k] == o:
            depth += 1
        elif text[k] == c:
            depth -= 1
            if depth == 0:
                return k
    return len(text)


def split_top(args: str) -> list[str]:
    """Splits on commas outside brackets."""
    parts, depth, cur = [], 0, []
    for ch in args:
        if ch in "([{<":
            depth += 1
        elif ch in ")]}>":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return [p for p in parts if p.strip()]


def call_labels(args: str) -> list[str | None]:
    """Argument labels of a call's argument list (None for an unlabelled argument)."""
    out: list[str | None] = []
    for a in split_top(args):
        m = re.match(rf"\s*({IDENT})\s*:(?!:)", a)
        out.append(m.group(1) if m else None)
    return out


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


STANDARD_MEMBERS = {
    "Error": {"localizedDescription"},
    "LocalizedError": {"errorDescription", "failureReason", "recoverySuggestion", "helpAnchor"},
    "Hashable": {"hashValue"},
    "CaseIterable": {"allCases"},
    "CustomStringConvertible": {"description"},
}

# ---- the generated API -------------------------------------------------------------


@dataclass
class Callable:
    labels: list[str | None]  # None: `_` (no label)
    optional: list[bool]  # has a default value

    def accepts(self, used: list[str | None]) -> bool:
        """Whether a call with labels `used` matches (defaulted params may be left out)."""
        i = 0
        for lab, opt in zip(self.labels, self.optional):
            if i < len(used) and used[i] == lab:
                i += 1
            elif not opt:
                return False
        return i == len(used)

    def show(self) -> str:
        return "(" + "".join(f"{lab or '_'}:" for lab in self.labels) + ")"


@dataclass
class GenType:
    name: str
    kind: str  # struct, enum, class, protocol
    methods: dict[str, list[Callable]] = field(default_factory=dict)
    inits: list[Callable] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)
    cases: dict[str, Callable] = field(default_factory=dict)


def param_labels(params: str) -> Callable:
    labels, optional = [], []
    for p in split_top(params):
        head = p.split(":", 1)[0].strip()
        words = head.replace("`", "").split()
        if not words:
            continue
        ext = words[0]
        labels.append(None if ext == "_" else ext)
        optional.append("=" in p.split(":", 1)[1] if ":" in p else False)
    return Callable(labels, optional)


def case_labels(params: str) -> Callable:
    labels = []
    for p in split_top(params):
        m = re.match(rf"\s*`?({IDENT})`?\s*:(?!:)", p)
        labels.append(m.group(1) if m else None)
    return Callable(labels, [False] * len(labels))


def parse_generated(path: pathlib.Path) -> dict[str, GenType]:
    raw = path.read_text(encoding="utf-8")
    text = strip_swift(raw)
    types: dict[str, GenType] = {}
    decl = re.compile(
        rf"^(?:public|open)\s+(?:final\s+)?(struct|enum|class|protocol)\s+`?({IDENT})`?", re.M
    )
    for m in decl.finditer(text):
        kind, name = m.group(1), m.group(2)
        brace = text.find("{", m.end())
        end = matching(text, brace, "{}")
        body = text[brace + 1 : end]
        t = types.setdefault(name, GenType(name, kind))
        parse_body(t, body)
        # Members the Swift standard protocols it conforms to provide.
        conforms = text[m.end() : brace]
        for proto, members in STANDARD_MEMBERS.items():
            if re.search(rf"\b{proto}\b", conforms):
                t.fields |= members
    # Generated extensions of generated types (e.g. the error's description).
    for m in re.finditer(rf"^extension `?({IDENT})`?[^{{]*{{", text, re.M):
        if m.group(1) in types:
            end = matching(text, m.end() - 1, "{}")
            parse_body(types[m.group(1)], text[m.end() : end], extension=True)
    return types


def parse_body(t: GenType, body: str, extension: bool = False) -> None:
    # Only members at the top level of the body.
    depth, top = 0, []
    for ch in body:
        if ch == "{":
            depth += 1
            top.append(" ")
            continue
        if ch == "}":
            depth -= 1
            top.append(" ")
            continue
        top.append(ch if depth == 0 else (" " if ch != "\n" else "\n"))
    flat = "".join(top)
    vis = r"(?:(?:public|open|internal|private|fileprivate|override|static|class|convenience|required|nonisolated|final)\s+)*"
    for m in re.finditer(rf"{vis}func\s+`?({IDENT})`?\s*(?:<[^>]*>)?\s*\(", flat):
        if not re.search(r"(public|open)", flat[max(0, m.start() - 60) : m.start() + 20]) and t.kind != "protocol":
            continue
        close = matching(flat, m.end() - 1)
        t.methods.setdefault(m.group(1), []).append(param_labels(flat[m.end() : close]))
    for m in re.finditer(rf"{vis}init\??\s*\(", flat):
        if "public" not in flat[max(0, m.start() - 40) : m.start() + 10] and t.kind != "protocol":
            continue
        close = matching(flat, m.end() - 1)
        t.inits.append(param_labels(flat[m.end() : close]))
    for m in re.finditer(rf"(?:public |open )(?:static )?(?:var|let) `?({IDENT})`?", flat):
        t.fields.add(m.group(1))
    if t.kind == "enum" and not extension:
        for m in re.finditer(rf"(?m)^[ \t]*case[ \t]+`?({IDENT})`?[ \t]*(\()?", flat):
            if m.group(2):
                close = matching(flat, m.end() - 1)
                t.cases[m.group(1)] = case_labels(flat[m.end() : close])
            else:
                t.cases[m.group(1)] = Callable([], [])


# ---- the app's own declarations ----------------------------------------------------


def app_declarations(sources: dict[pathlib.Path, str]) -> tuple[set[str], dict[str, set[str]]]:
    """Names the app declares itself, and members its extensions add to types."""
    names: set[str] = set()
    ext: dict[str, set[str]] = {}
    for text in sources.values():
        for m in re.finditer(rf"\b(?:func|var|let|case|struct|enum|class|protocol|typealias|actor)\s+`?({IDENT})", text):
            names.add(m.group(1))
        for m in re.finditer(rf"(?m)^\s*(?:public |private |fileprivate )?extension\s+({IDENT})[^{{]*{{", text):
            end = matching(text, m.end() - 1, "{}")
            for d in re.finditer(rf"\b(?:func|var|let)\s+`?({IDENT})", text[m.end() : end]):
                ext.setdefault(m.group(1), set()).add(d.group(1))
    return names, ext


def app_enum_cases(sources: dict[pathlib.Path, str]) -> list[set[str]]:
    """Case names of each enum the app declares (a switch over one of those is not
    checked against the bindings)."""
    out = []
    for raw in sources.values():
        text = strip_swift(raw)
        for m in re.finditer(rf"\benum\s+{IDENT}[^{{]*{{", text):
            end = matching(text, m.end() - 1, "{}")
            body = text[m.end() : end]
            cases = set()
            for c in re.finditer(rf"(?m)^[ \t]*case[ \t]+([^\n]*)", body):
                for name in re.findall(rf"(?:^|,)\s*({IDENT})", c.group(1)):
                    cases.add(name)
            out.append(cases)
    return out


# ---- checks ------------------------------------------------------------------------


class Checker:
    def __init__(self, gen: dict[str, GenType], sources: dict[pathlib.Path, str], root: pathlib.Path):
        self.gen = gen
        self.sources = sources
        self.root = root
        self.app_names, self.app_ext = app_declarations(sources)
        self.app_enums = app_enum_cases(sources)
        self.problems: list[str] = []
        self.checked = 0
        core = gen.get("LiuhenCore")
        if core is None:
            raise SystemExit("check-swift-bindings: the generated Swift has no LiuhenCore class")
        self.core = core

    def report(self, path: pathlib.Path, text: str, pos: int, msg: str) -> None:
        rel = path.relative_to(self.root) if path.is_relative_to(self.root) else path
        self.problems.append(f"{rel}:{line_of(text, pos)}: {msg}")

    def check_call(self, path, text, pos, t: GenType, name: str, used, what: str) -> None:
        self.checked += 1
        options = t.methods.get(name)
        if not options:
            self.report(path, text, pos, f"{what}: {t.name} has no method `{name}` in the generated bindings")
            return
        if not any(c.accepts(used) for c in options):
            shown = " or ".join(f"{name}{c.show()}" for c in options)
            got = "(" + "".join(f"{u or '_'}:" for u in used) + ")"
            self.report(path, text, pos, f"{what}: `{name}{got}` does not match the generated `{shown}`")

    def run(self) -> None:
        for path, raw in self.sources.items():
            text = strip_swift(raw)
            self.core_calls(path, text)
            self.qualified(path, text)
            self.record_inits(path, text)
            self.switch_cases(path, text)
            self.dotted_cases(path, text)
            self.typed_members(path, text)
            self.conformances(path, text)

    # 1
    def core_calls(self, path, text) -> None:
        core_vars = {"core"}
        for m in re.finditer(r"\b(?:let|var)\s+core\s*(?::\s*(\w+)|=\s*(?:try\s+)?(\w+))", text):
            if (m.group(1) or m.group(2)) not in ("LiuhenCore",):
                core_vars.discard("core")
        for m in re.finditer(rf"\b({IDENT})\s*:\s*LiuhenCore\b\??", text):
            core_vars.add(m.group(1))
        for m in re.finditer(rf"\blet\s+({IDENT})\s*=\s*try\s+LiuhenCore\.open\b", text):
            core_vars.add(m.group(1))
        pat = re.compile(rf"(\$0|\b{IDENT}(?:\.{IDENT})*)\s*[?!]?\s*\.\s*({IDENT})\s*\(")
        for m in pat.finditer(text):
            recv, name = m.group(1), m.group(2)
            last = recv.split(".")[-1]
            if recv == "$0":
                if not self.in_attempt_closure(text, m.start()):
                    continue
            elif last not in core_vars:
                continue
            close = matching(text, m.end() - 1)
            self.check_call(path, text, m.start(2), self.core, name, call_labels(text[m.end() : close]), "core call")

    @staticmethod
    def in_attempt_closure(text: str, pos: int) -> bool:
        depth = 0
        for k in range(pos - 1, -1, -1):
            c = text[k]
            if c == "}":
                depth += 1
            elif c == "{":
                if depth == 0:
                    before = text[max(0, k - 40) : k]
                    return re.search(r"\b(attempt|attemptAsync)\s*\(?\s*$", before) is not None
                depth -= 1
        return False

    # 2
    def qualified(self, path, text) -> None:
        names = "|".join(re.escape(n) for n in self.gen)
        for m in re.finditer(rf"(?<![.\w])({names})\s*\.\s*({IDENT})\b(\s*\()?", text):
            t, member = self.gen[m.group(1)], m.group(2)
            if member in ("self", "Type", "init"):
                continue
            self.checked += 1
            if member in t.cases:
                if m.group(3):
                    close = matching(text, m.end() - 1)
                    self.check_case_args(path, text, m.start(2), t, member, text[m.end() : close])
                continue
            if member in t.methods:
                if m.group(3):
                    close = matching(text, m.end() - 1)
                    self.check_call(path, text, m.start(2), t, member, call_labels(text[m.end() : close]), "call")
                continue
            if member in t.fields or member in self.app_ext.get(t.name, set()):
                continue
            self.report(path, text, m.start(2), f"`{t.name}.{member}`: no such case or member in the generated bindings")

    def check_case_args(self, path, text, pos, t: GenType, case: str, args: str) -> None:
        decl = t.cases[case]
        used = call_labels(args)
        parts = split_top(args)
        is_pattern = all(re.match(r"\s*(let\s+|var\s+)?(_|[a-z]\w*)\s*$", p) for p in parts) and any(
            u is None for u in used
        )
        if is_pattern or all(u is None for u in used):
            if len(parts) != len(decl.labels):
                self.report(path, text, pos, f"`{t.name}.{case}` has {len(decl.labels)} associated values, {len(parts)} used")
            return
        if not decl.accepts(used):
            got = "(" + "".join(f"{u or '_'}:" for u in used) + ")"
            self.report(path, text, pos, f"`{t.name}.{case}{got}` does not match the generated `{case}{decl.show()}`")

    # 3
    def record_inits(self, path, text) -> None:
        structs = [n for n, t in self.gen.items() if t.kind == "struct" and t.inits]
        if not structs:
            return
        names = "|".join(re.escape(n) for n in structs)
        for m in re.finditer(rf"(?<![.\w])({names})\s*\(", text):
            t = self.gen[m.group(1)]
            close = matching(text, m.end() - 1)
            used = call_labels(text[m.end() : close])
            self.checked += 1
            if not any(c.accepts(used) for c in t.inits):
                got = "(" + "".join(f"{u or '_'}:" for u in used) + ")"
                shown = " or ".join(c.show() for c in t.inits)
                self.report(path, text, m.start(1), f"`{t.name}{got}` does not match the generated initialiser `{t.name}{shown}`")

    # 4
    def switch_cases(self, path, text) -> None:
        enums = {n: t for n, t in self.gen.items() if t.kind == "enum" and t.cases}
        for m in re.finditer(r"\bswitch\b[^{]*\{", text):
            end = matching(text, m.end() - 1, "{}")
            body = text[m.end() : end]
            # only this switch's own cases (not nested switches)
            flat, depth = [], 0
            for ch in body:
                depth += ch == "{"
                flat.append(ch if depth == 0 else (" " if ch != "\n" else "\n"))
                depth -= ch == "}"
            own = "".join(flat)
            found = []
            for c in re.finditer(r"\bcase\b([^:]*(?:\([^)]*\))?[^:]*):", own):
                for d in re.finditer(rf"(?:let\s+)?\.({IDENT})\s*(\()?", c.group(1)):
                    args = None
                    if d.group(2):
                        a0 = m.end() + c.start(1) + d.end()
                        args = text[a0 : matching(text, a0 - 1)]
                    found.append((d.group(1), args, m.end() + c.start(1) + d.start(1)))
            if not found:
                continue
            best, score = None, 0
            for n, t in enums.items():
                s = sum(1 for f in found if f[0] in t.cases)
                if s > score:
                    best, score = t, s
            if best is None or score * 2 < len(found) or score == 0:
                continue
            names_found = {f[0] for f in found}
            if any(names_found <= cases for cases in self.app_enums):
                continue  # a switch over the app's own enum
            for name, args, pos in found:
                self.checked += 1
                if name not in best.cases:
                    self.report(path, text, pos, f"`case .{name}`: {best.name} has no such case in the generated bindings")
                elif args is not None:
                    self.check_case_args(path, text, pos, best, name, args)

    # 5
    def dotted_cases(self, path, text) -> None:
        by_case: dict[str, list[GenType]] = {}
        for t in self.gen.values():
            if t.kind == "enum":
                for c, decl in t.cases.items():
                    if decl.labels:
                        by_case.setdefault(c, []).append(t)
        for m in re.finditer(rf"(?<![\w\]\)?!])\.({IDENT})\s*\(", text):
            name = m.group(1)
            if name not in by_case or len(by_case[name]) != 1:
                continue
            before = text[max(0, m.start() - 12) : m.start()]
            if re.search(r"\bcase\s*(let\s*)?$", before):
                continue  # a pattern; the switch check handles it
            t = by_case[name][0]
            close = matching(text, m.end() - 1)
            self.checked += 1
            self.check_case_args(path, text, m.start(1), t, name, text[m.end() : close])

    # 6
    def typed_members(self, path, text) -> None:
        records = {n for n, t in self.gen.items() if t.kind in ("struct", "enum") and (t.fields or t.kind == "struct")}
        names = "|".join(re.escape(n) for n in records)
        typed: dict[str, set[tuple[str, bool]]] = {}
        for m in re.finditer(rf"\b({IDENT})\s*:\s*(\[)?({names})(\])?(\?)?(?![\w.])", text):
            if m.group(2):
                continue  # an array: its members are the array's
            typed.setdefault(m.group(1), set()).add((m.group(3), bool(m.group(5))))
        for m in re.finditer(rf"\b(?:let|var)\s+({IDENT})\s*=\s*({names})\s*\(", text):
            typed.setdefault(m.group(1), set()).add((m.group(2), False))
        for var, tys in typed.items():
            if len({ty for ty, _ in tys}) != 1:
                continue  # the same name with two types in one file: cannot tell
            tname = next(iter(tys))[0]
            optional = any(opt for _, opt in tys)
            t = self.gen[tname]
            # a shadowing declaration with another type makes it ambiguous
            if re.search(rf"\b(?:let|var)\s+{re.escape(var)}\s*=(?!\s*{re.escape(t.name)}\s*\()", text) or re.search(
                rf"\b{re.escape(var)}\s+in\b", text
            ):
                continue
            access = r"\s*[?!]?\."
            for a in re.finditer(rf"(?<![\w.$]){re.escape(var)}{access}({IDENT})\b(?!\s*\()", text):
                member = a.group(1)
                self.checked += 1
                known = t.fields | set(t.methods) | self.app_ext.get(t.name, set())
                known |= {"description", "hashValue", "self"}
                if optional:
                    known |= {"map", "flatMap", "unsafelyUnwrapped", "debugDescription"}
                if member not in known:
                    self.report(path, text, a.start(1), f"`{var}.{member}`: {t.name} has no field `{member}` in the generated bindings")

    # 7
    def conformances(self, path, text) -> None:
        protocols = {n: t for n, t in self.gen.items() if t.kind == "protocol" and not n.endswith("Protocol")}
        for m in re.finditer(rf"\b(?:class|struct|actor)\s+({IDENT})\s*:\s*([^{{]*){{", text):
            conforms = {p.strip() for p in m.group(2).split(",")}
            end = matching(text, m.end() - 1, "{}")
            body = text[m.end() : end]
            for p in conforms & set(protocols):
                for name, options in protocols[p].methods.items():
                    self.checked += 1
                    ok = False
                    for d in re.finditer(rf"\bfunc\s+{re.escape(name)}\s*\(", body):
                        close = matching(body, d.end() - 1)
                        if param_labels(body[d.end() : close]).labels in [o.labels for o in options]:
                            ok = True
                    if not ok:
                        self.report(path, text, m.start(1), f"{m.group(1)} conforms to {p} but lacks `func {name}{options[0].show()}`")


def load_sources(dirs: list[pathlib.Path]) -> dict[pathlib.Path, str]:
    out = {}
    for d in dirs:
        for f in sorted(d.rglob("*.swift")):
            out[f] = f.read_text(encoding="utf-8")
    return out


def check(generated: pathlib.Path, dirs: list[pathlib.Path], root: pathlib.Path) -> Checker:
    gen = parse_generated(generated)
    c = Checker(gen, load_sources(dirs), root)
    c.run()
    return c


# ---- self-test ---------------------------------------------------------------------

# (file under ios/, text to find, replacement, what must be reported)
MUTATIONS = [
    ("Liuhen/Screens/InspectionFlowView.swift", "$0.recordRightsNotice(", "$0.recordRightNotice(", "recordRightNotice"),
    ("Liuhen/AppModel.swift", "core.enrollWithCode(", "core.enrolWithCode(", "enrolWithCode"),
    ("Liuhen/AppModel.swift", "deviceName: request.deviceName)", "name: request.deviceName)", "enrollWithCode"),
    ("LiuhenKit/Sources/LiuhenAppLogic/RightsNotice.swift", "RightsNoticeRequest(noticeVersion:", "RightsNoticeRequest(version:", "RightsNoticeRequest"),
    ("LiuhenKit/Sources/LiuhenAppLogic/RightsNotice.swift", "notice.remedyChannels", "notice.remedyChannel", "remedyChannel"),
    ("LiuhenKit/Sources/LiuhenAppLogic/RightsNotice.swift", ".refused(witnessName:", ".refused(witness:", "refused"),
    ("LiuhenKit/Sources/LiuhenAppLogic/Lists.swift", "case .needsAttention: return \"需处理\"", "case .needAttention: return \"需处理\"", "needAttention"),
    ("Liuhen/AppModel.swift", "LiuhenError.NoRoster", "LiuhenError.NoRooster", "NoRooster"),
]


def self_test(generated: pathlib.Path, ios: pathlib.Path, dirs: list[pathlib.Path]) -> int:
    base = check(generated, dirs, ios)
    if base.problems:
        print("self-test: the unmodified sources must pass first:\n  " + "\n  ".join(base.problems))
        return 1
    failed = 0
    for rel, find, repl, expect in MUTATIONS:
        with tempfile.TemporaryDirectory() as tmp:
            copy = pathlib.Path(tmp) / "ios"
            shutil.copytree(ios, copy, ignore=shutil.ignore_patterns("*.xcframework", "build", ".build"))
            f = copy / rel
            src = f.read_text(encoding="utf-8")
            if find not in src:
                print(f"self-test: `{find}` no longer in {rel}; update MUTATIONS")
                failed += 1
                continue
            f.write_text(src.replace(find, repl, 1), encoding="utf-8")
            mdirs = [copy / d.relative_to(ios) for d in dirs]
            c = check(generated, mdirs, copy)
            hit = [p for p in c.problems if expect in p]
            if hit:
                print(f"self-test: caught {repl!r}: {hit[0]}")
            else:
                print(f"self-test: NOT caught: {rel}: {find!r} -> {repl!r} (problems: {c.problems})")
                failed += 1
    print(f"self-test: {len(MUTATIONS) - failed}/{len(MUTATIONS)} misspellings caught")
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--generated", required=True, type=pathlib.Path, help="generated LiuhenCore.swift")
    ap.add_argument("--ios", required=True, type=pathlib.Path, help="the ios/ directory")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    ios = a.ios.resolve()
    dirs = [ios / "Liuhen", ios / "LiuhenKit/Sources/LiuhenAppLogic", ios / "LiuhenKit/Tests"]
    if a.self_test:
        return self_test(a.generated, ios, dirs)
    c = check(a.generated, dirs, ios)
    gen = parse_generated(a.generated)
    n_methods = sum(len(t.methods) for t in gen.values())
    n_cases = sum(len(t.cases) for t in gen.values())
    print(
        f"check-swift-bindings: {len(gen)} generated types, {n_methods} methods, {n_cases} enum cases; "
        f"{len(c.sources)} Swift files, {c.checked} uses checked, {len(c.problems)} problems"
    )
    for p in c.problems:
        print("  " + p)
    return 1 if c.problems else 0


if __name__ == "__main__":
    sys.exit(main())
