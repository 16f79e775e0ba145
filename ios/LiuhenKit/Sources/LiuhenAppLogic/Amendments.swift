import Foundation
import LiuhenCore

/// What an amendment (更正) can point at in a closed record (R-REC-5: nothing is
/// erased; a correction is added next to what it corrects).
public struct AmendTarget: Identifiable, Equatable, Sendable {
    /// The core's `amends` value: `finding:<id>`, `identity_notice`, `rights_notice`,
    /// `meta` or `amendment:<id>`.
    public var id: String
    /// What the picker shows.
    public var label: String
}

/// The amendment form of a closed record.
public struct AmendmentForm: Equatable, Sendable {
    /// What can be amended, in record order.
    public var targets: [AmendTarget]
    /// The chosen target.
    public var selected: String?
    /// The correction typed.
    public var text: String = ""
    /// Evidence photos taken for it (SHA-256).
    public var evidence: [String] = []

    /// The form for `view`; nil when the record is still open (edit it instead).
    public init?(view: InspectionView) {
        guard view.closedAt != nil else { return nil }
        var t: [AmendTarget] = [AmendTarget(id: "meta", label: "基本信息（检查对象、事项、地点）")]
        if view.identityNotice != nil { t.append(AmendTarget(id: "identity_notice", label: "亮证告知")) }
        for (i, f) in view.findings.enumerated() {
            let head = f.text.count > 18 ? String(f.text.prefix(18)) + "…" : f.text
            t.append(AmendTarget(id: "finding:\(f.id)", label: "检查情况 \(i + 1)：\(head)"))
        }
        if view.rightsNotice != nil { t.append(AmendTarget(id: "rights_notice", label: "权利告知")) }
        for (i, a) in view.amendments.enumerated() {
            t.append(AmendTarget(id: "amendment:\(a.id)", label: "更正 \(i + 1)"))
        }
        targets = t
    }

    /// Why it cannot be sent yet (nil when it can).
    public var missing: String? {
        guard let selected, targets.contains(where: { $0.id == selected }) else { return "请选择要更正的内容" }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return "请填写更正内容（原记录不会被删除或修改，R-REC-5）" }
        if trimmed.count > 2000 { return "更正内容过长（最多 2000 字）" }
        return nil
    }

    /// The arguments of `LiuhenCore.amend(id:amends:text:evidence:by:)`, when complete.
    public var call: (amends: String, text: String, evidence: [String])? {
        guard missing == nil, let selected else { return nil }
        return (selected, text.trimmingCharacters(in: .whitespacesAndNewlines), evidence)
    }

    /// The existing amendments as lines for the record screen, oldest first.
    public static func lines(_ view: InspectionView) -> [String] {
        view.amendments.map { a in "\(Display.dateTime(a.at)) 更正（\(a.amends)）：\(a.text)" }
    }
}
