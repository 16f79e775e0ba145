import Foundation
import LiuhenCore

/// The steps of the on-site flow, in the order the screen offers them.
public enum FlowStep: Int, CaseIterable, Comparable, Sendable, Codable {
    /// Both officers check in with their certificates (R-SCENE-1, R-SCENE-2).
    case checkIn
    /// The identity notice is spoken and recorded (R-SCENE-3, R-REC-3).
    case identityNotice
    /// Findings and photos.
    case findings
    /// The rights notice and the party's signature (R-SCENE-4).
    case rightsNotice
    /// Closing, with every unmet rule listed.
    case close

    /// Title of the step.
    public var title: String {
        switch self {
        case .checkIn: return "执法人员签到"
        case .identityNotice: return "亮证告知"
        case .findings: return "检查情况"
        case .rightsNotice: return "权利告知"
        case .close: return "结束检查"
        }
    }

    /// The rules the step is about, cited under its title.
    public var rules: [String] {
        switch self {
        case .checkIn: return ["R-SCENE-1", "R-SCENE-2"]
        case .identityNotice: return ["R-SCENE-3", "R-REC-3"]
        case .findings: return ["R-REC-1"]
        case .rightsNotice: return ["R-SCENE-4"]
        case .close: return []
        }
    }

    public static func < (a: FlowStep, b: FlowStep) -> Bool { a.rawValue < b.rawValue }

    /// The step whose screen fixes an unmet rule reported by the core. This only
    /// routes the officer to a screen; whether the rule is met is the core's answer.
    public static func fixing(rule: String) -> FlowStep {
        switch rule {
        case "R-SCENE-1", "R-SCENE-2", "R-RAND-2": return .checkIn
        case "R-SCENE-3", "R-REC-2", "R-REC-3": return .identityNotice
        case "R-SCENE-4": return .rightsNotice
        case "R-REC-1", "R-REC-5": return .findings
        default: return .close
        }
    }
}

/// How far one step is.
public enum StepProgress: Equatable, Sendable {
    /// Nothing recorded for it yet.
    case notStarted
    /// Something recorded, but the core still reports unmet rules for it.
    case incomplete(rules: [RuleViolation])
    /// Recorded, and the core reports nothing unmet for it.
    case done
}

/// One line of the step bar.
public struct StepItem: Equatable, Sendable, Identifiable {
    /// The step.
    public var step: FlowStep
    /// Its progress.
    public var progress: StepProgress
    /// Id for lists.
    public var id: Int { step.rawValue }
}

/// The inspection screen's state: built from the core's `InspectionView` and the
/// core's list of unmet rules, plus which step the officer is on. Recorded facts come
/// only from the core; nothing here judges whether a rule is met.
public struct InspectionFlowState: Equatable, Sendable {
    /// The inspection as the core holds it.
    public private(set) var view: InspectionView
    /// Unmet rules as the core reports them (`unmetRules(id:)`).
    public private(set) var unmet: [RuleViolation]
    /// The step on screen.
    public var current: FlowStep

    /// A flow opened on `view`, on the first step not done (so an app killed in the
    /// middle of a step comes back where the officer was).
    public init(view: InspectionView, unmet: [RuleViolation], current: FlowStep? = nil) {
        self.view = view
        self.unmet = unmet
        self.current = .checkIn
        self.current = current ?? resumeStep
    }

    /// Takes a new value from the core (observer or after a step).
    public mutating func update(view: InspectionView, unmet: [RuleViolation]) {
        self.view = view
        self.unmet = unmet
        if isClosed { current = .close }
    }

    /// Whether the inspection was closed on site (steps are read-only then).
    public var isClosed: Bool { view.closedAt != nil }

    /// Whether the step has something recorded in the document.
    public func isRecorded(_ step: FlowStep) -> Bool {
        switch step {
        case .checkIn: return !view.team.isEmpty
        case .identityNotice: return view.identityNotice != nil
        case .findings: return !view.findings.isEmpty
        case .rightsNotice: return view.rightsNotice != nil
        case .close: return isClosed
        }
    }

    /// Unmet rules whose screen is `step`.
    public func unmetRules(for step: FlowStep) -> [RuleViolation] {
        unmet.filter { FlowStep.fixing(rule: $0.rule) == step }
    }

    /// Progress of `step`.
    public func progress(of step: FlowStep) -> StepProgress {
        if step == .close {
            if isClosed { return .done }
            return unmet.isEmpty ? .notStarted : .incomplete(rules: unmet)
        }
        guard isRecorded(step) else { return .notStarted }
        let rules = unmetRules(for: step)
        return rules.isEmpty ? .done : .incomplete(rules: rules)
    }

    /// The step bar.
    public var steps: [StepItem] { FlowStep.allCases.map { StepItem(step: $0, progress: progress(of: $0)) } }

    /// Where to resume: the first step not done. Findings are not required by the
    /// core, so they are passed over once the rights notice has been recorded.
    public var resumeStep: FlowStep {
        if isClosed { return .close }
        for step in FlowStep.allCases where step != .close {
            if progress(of: step) == .done { continue }
            if step == .findings && isRecorded(.rightsNotice) { continue }
            return step
        }
        return .close
    }

    /// Moves to the next step.
    public mutating func next() {
        if let n = FlowStep(rawValue: current.rawValue + 1) { current = n }
    }

    /// Moves to the previous step.
    public mutating func back() {
        if let p = FlowStep(rawValue: current.rawValue - 1) { current = p }
    }

    // ---- check-in ---------------------------------------------------------------------

    /// Officers of the task and whether each has checked in, for the check-in screen.
    /// `assigned` is the task's officers (from `TaskView`), or the roster for an ad
    /// hoc inspection.
    public func checkInRows(assigned: [OfficerView]) -> [CheckInRow] {
        let checkedIn = Dictionary(view.team.map { ($0.officerId, $0) }, uniquingKeysWith: { a, _ in a })
        var rows = assigned.map { o in
            CheckInRow(
                officerId: o.id, name: o.name, certificateNo: o.certificateNo,
                checkedInAt: checkedIn[o.id]?.checkedInAt,
                position: checkedIn[o.id].map { LocationPolicy.recorded($0.location) })
        }
        // Someone checked in who is not in the list (e.g. the roster changed): show them too.
        for m in view.team where !rows.contains(where: { $0.officerId == m.officerId }) {
            rows.append(CheckInRow(
                officerId: m.officerId, name: m.name, certificateNo: m.certificateNo,
                checkedInAt: m.checkedInAt, position: LocationPolicy.recorded(m.location)))
        }
        return rows
    }

    // ---- findings ----------------------------------------------------------------------

    /// Photos captured for the findings step that no finding points at yet: they are
    /// attached to the next finding (and survive the app being killed, since the
    /// core stored them when they were taken).
    public var unattachedPhotos: [EvidenceView] {
        let used = Set(view.findings.flatMap(\.evidence))
        return view.evidence.filter { $0.step == .findings && $0.kind == .photo && !used.contains($0.sha256) }
    }

    // ---- close ----------------------------------------------------------------------------

    /// The close screen's list: every unmet rule, as “R-SCENE-2：…”.
    public var unmetLines: [String] {
        unmet.map { ErrorPresenter.withRule($0.rule, $0.message) }
    }

    /// Whether the close button is offered as ready. The button stays enabled even
    /// with unmet rules: the core refuses and lists them (`CloseRefused`).
    public var readyToClose: Bool { unmet.isEmpty && !isClosed }
}

/// One officer on the check-in screen.
public struct CheckInRow: Equatable, Sendable, Identifiable {
    /// Roster id.
    public var officerId: String
    /// Name.
    public var name: String
    /// Certificate number (shown while the certificate is checked).
    public var certificateNo: String
    /// When they checked in, nil before.
    public var checkedInAt: Date?
    /// Where the check-in was recorded (「位置：…」 or 「未取得位置」); nil before check-in.
    public var position: String? = nil
    /// Id for lists.
    public var id: String { officerId }
    /// “已签到 14:05” or “未签到”.
    public var status: String {
        checkedInAt.map { "已签到 \(Display.dateTime($0))" } ?? "未签到"
    }
}
