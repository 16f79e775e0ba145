import Foundation
import LiuhenCore

/// What the officer can do about a record the server refused (需处理).
public enum AttentionAction: Equatable, Sendable {
    /// Add a correction (更正) to the closed record, then resend (R-REC-5).
    case amend
    /// Enrol the device again; the record stays on the phone (token revoked / unknown).
    case reEnroll
    /// Sync first (roster or evidence missing), then resend.
    case syncThenResend
    /// Contact the agency's administrator with the reason (another agency, forbidden).
    case contactAdmin
    /// Just send it again (a temporary refusal).
    case resend
}

/// A 需处理 record explained: why, what fixes it, and the button that resends it.
public struct AttentionAdvice: Equatable, Sendable {
    /// Record id.
    public var id: String
    /// Record title (target name).
    public var title: String
    /// The server's reason as it gave it (Chinese, with rule IDs).
    public var why: String
    /// What to do, in a sentence.
    public var fix: String
    /// The action button.
    public var action: AttentionAction
    /// Label of the action button.
    public var actionLabel: String
    /// Rule IDs named in the reason (R-REC-5, R-SCENE-1, ...).
    public var rules: [String]

    /// Advice for `record`, or nil when it does not need the officer.
    public static func of(_ record: RecordSummary) -> AttentionAdvice? {
        guard record.syncStatus == .needsAttention else { return nil }
        let why = record.syncReason?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        let reason = why.isEmpty ? "服务器拒绝了该记录，未说明原因。" : why
        let rules = Self.ruleIds(in: reason)
        let (action, fix) = Self.classify(reason, closed: record.closed)
        return AttentionAdvice(
            id: record.id, title: record.targetName.isEmpty ? "（未命名检查对象）" : record.targetName,
            why: reason, fix: fix, action: action, actionLabel: Self.label(action), rules: rules)
    }

    /// Every 需处理 record of a snapshot, in list order.
    public static func all(_ records: [RecordSummary]) -> [AttentionAdvice] {
        records.compactMap(of)
    }

    static func ruleIds(in text: String) -> [String] {
        guard let re = try? NSRegularExpression(pattern: "R-[A-Z]+-[0-9]+") else { return [] }
        let ns = text as NSString
        var seen: [String] = []
        for m in re.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            let id = ns.substring(with: m.range)
            if !seen.contains(id) { seen.append(id) }
        }
        return seen
    }

    static func classify(_ reason: String, closed: Bool) -> (AttentionAction, String) {
        if reason.contains("令牌") || reason.contains("吊销") || reason.contains("未登记") || reason.contains("重新登记") {
            return (.reEnroll, "重新登记本设备后再发送；记录一直保存在本设备上。")
        }
        if reason.contains("其他机关") || reason.contains("无权") || reason.contains("不属于") {
            return (.contactAdmin, "该记录不属于本设备登记的机关或人员，请把原因告知本机关管理员处理。")
        }
        if reason.contains("名单") || (reason.contains("证据") && reason.contains("缺少")) {
            return (.syncThenResend, "先同步取得最新名单和证据状态，再重新发送。")
        }
        if reason.contains("R-REC-5") || reason.contains("更正") || reason.contains("修改") {
            return closed
                ? (.amend, "已结束的记录不能改动原内容（R-REC-5）：请追加一条更正说明，然后重新发送。")
                : (.resend, "请在检查中按提示改正后重新发送。")
        }
        return (.resend, "如原因已消除（例如服务器暂时故障），可重新发送。")
    }

    static func label(_ a: AttentionAction) -> String {
        switch a {
        case .amend: return "追加更正"
        case .reEnroll: return "重新登记设备"
        case .syncThenResend: return "同步后重新发送"
        case .contactAdmin: return "重新发送"
        case .resend: return "重新发送"
        }
    }

    /// VoiceOver text of the row.
    public var accessibilityText: String {
        "\(title)，需处理。原因：\(why)。处理办法：\(fix)"
    }
}
