import Foundation
import LiuhenCore

/// The kinds of proposed decision (决定草案, R-LEGAL-1) the phone can draft.
public enum DecisionKindChoice: String, CaseIterable, Equatable, Sendable {
    /// 行政许可.
    case licensing
    /// 行政处罚.
    case penalty
    /// 行政强制.
    case coercion
    /// 行政检查.
    case inspection
    /// Other (其他).
    case other

    /// Chinese label.
    public var label: String {
        switch self {
        case .licensing: return "行政许可"
        case .penalty: return "行政处罚"
        case .coercion: return "行政强制"
        case .inspection: return "行政检查"
        case .other: return "其他"
        }
    }
}

/// One row of the drafts list.
public struct DraftRow: Identifiable, Equatable, Sendable {
    /// Draft id.
    public var id: String
    /// Title.
    public var title: String
    /// 待同步 / 已同步 / 被拒绝, and the server's workflow label (审核中 ...).
    public var status: String
    /// Why the server refused the phone's changes, if it did.
    public var refused: String?
    /// Last change.
    public var updated: String

    /// From the core's list item.
    public init(_ item: DraftListItem) {
        id = item.id
        title = item.title.isEmpty ? "（未命名草案）" : item.title
        status = [item.sync.stateLabel, item.sync.serverLabel].compactMap { $0 }.joined(separator: " · ")
        refused = item.sync.refused
        updated = Display.dateTime(item.updatedAt)
    }
}

/// The editor of a decision draft: the content, the heads it was read at (passed back
/// with the edit so concurrent edits are kept, not overwritten), and what is missing.
public struct DraftEditorState: Equatable, Sendable {
    /// Draft id; nil for a new draft.
    public var id: String?
    /// Content being edited.
    public var content: DraftInput
    /// Heads of the version shown (from `DraftView.heads`).
    public var heads: [String]
    /// Fields edited elsewhere at the same time: both values are shown.
    public var conflicts: [DraftConflictView]
    /// The fine typed in yuan (converted to fen for the core).
    public var fineYuan: String

    /// A new draft from the core's template, linked to `inspection` when given.
    public init(template: DraftInput, inspection: InspectionView?) {
        var c = template
        if let v = inspection {
            if c.partyName.isEmpty { c.partyName = v.targetName }
            if c.category.isEmpty { c.category = v.category }
            if c.legalBasis.isEmpty { c.legalBasis = v.legalBasis }
            if !c.inspectionIds.contains(v.id) { c.inspectionIds.append(v.id) }
            if c.facts.isEmpty { c.facts = v.findings.map(\.text).joined(separator: "\n") }
        }
        id = nil
        content = c
        heads = []
        conflicts = []
        fineYuan = Self.yuan(c.fineFen)
    }

    /// An existing draft.
    public init(view: DraftView) {
        id = view.id
        content = view.content
        heads = view.heads
        conflicts = view.conflicts
        fineYuan = Self.yuan(view.content.fineFen)
    }

    static func yuan(_ fen: Int64?) -> String {
        guard let fen else { return "" }
        return fen % 100 == 0 ? "\(fen / 100)" : String(format: "%.2f", Double(fen) / 100)
    }

    /// The fine in fen from `fineYuan` (nil when empty); `.failure` with a message when
    /// it is not an amount.
    public var fineFen: Result<Int64?, DraftFieldError> {
        let t = fineYuan.trimmingCharacters(in: .whitespacesAndNewlines)
        if t.isEmpty { return .success(nil) }
        guard let d = Decimal(string: t), d >= 0 else {
            return .failure(DraftFieldError(field: "fine", message: "罚款金额应为数字（元），例如 5000 或 1234.50"))
        }
        var fen = d * 100
        var rounded = Decimal()
        NSDecimalRound(&rounded, &fen, 0, .plain)
        guard rounded == fen else {
            return .failure(DraftFieldError(field: "fine", message: "罚款金额最多精确到分"))
        }
        return .success(NSDecimalNumber(decimal: rounded).int64Value)
    }

    /// What the screen asks for before saving (the core and the server check again).
    public var missing: [DraftFieldError] {
        var out: [DraftFieldError] = []
        if content.title.trimmingCharacters(in: .whitespaces).isEmpty {
            out.append(DraftFieldError(field: "title", message: "请填写草案标题"))
        }
        if content.partyName.trimmingCharacters(in: .whitespaces).isEmpty {
            out.append(DraftFieldError(field: "party_name", message: "请填写当事人名称"))
        }
        if content.legalBasis.trimmingCharacters(in: .whitespaces).isEmpty {
            out.append(DraftFieldError(field: "legal_basis", message: "请填写法律依据（R-LEGAL-1）"))
        }
        if case let .failure(e) = fineFen { out.append(e) }
        return out
    }

    /// The content to hand to `createDraft` / `editDraft`, when nothing is missing.
    public var input: DraftInput? {
        guard missing.isEmpty, case let .success(fen) = fineFen else { return nil }
        var c = content
        c.fineFen = fen
        return c
    }
}

/// A field the draft editor asks for.
public struct DraftFieldError: Error, Equatable, Sendable {
    /// Field name (as the core names it).
    public var field: String
    /// Chinese message.
    public var message: String
}
