import Foundation
import LiuhenCore

/// The rights-notice text read or shown to the party (R-SCENE-4), and what is
/// recorded about it.
///
/// The text, its version and its remedy channels are the agency's data on the server
/// (`LiuhenCore.agencyRightsNotice()`, delivered with the roster at sync), never this
/// app's: Android and iOS show the same words. The app adds only the header naming the
/// party and the item of this inspection.
public struct RightsNoticeText: Equatable, Sendable {
    /// Version of the agency's notice; recorded with the notice given.
    public var version: String
    /// Remedy channels told to the party, in reading order (the core records these).
    public var remedyChannels: [String]
    /// The full text shown on screen.
    public var text: String

    /// The agency's notice as shown for `view`: who and what, then the agency's text
    /// and its numbered remedy channels.
    public static func agency(_ notice: AgencyRightsNotice, for view: InspectionView) -> RightsNoticeText {
        let basis = view.legalBasis.isEmpty ? "" : "（依据：\(view.legalBasis)）"
        let numbered = notice.remedyChannels.enumerated()
            .map { index, channel in "\(index + 1). \(channel)" }
            .joined(separator: "\n")
        let text = """
        当事人：\(view.targetName)
        检查事项：\(view.itemName)\(basis)
        \(notice.text)
        \(numbered)
        （告知书版本：\(notice.version)）
        """
        return RightsNoticeText(version: notice.version, remedyChannels: notice.remedyChannels, text: text)
    }

    /// The request for the core from the draft: signed (with the signature's hash) or
    /// refused (with the witness). Nil when the draft lacks what the screen asks for;
    /// the core checks the content again, and the version against the one it holds.
    public func request(draft: InspectionDraft, signatureSha256: String?) -> RightsNoticeRequest? {
        let response: PartyResponse
        if draft.partyRefused {
            let witness = draft.witnessName.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !witness.isEmpty else { return nil }
            response = .refused(witnessName: witness, reason: draft.refusalReason)
        } else {
            let signer = draft.signerName.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !signer.isEmpty, let sha = signatureSha256 else { return nil }
            response = .signed(signerName: signer, signatureSha256: sha)
        }
        return RightsNoticeRequest(noticeVersion: version, response: response)
    }
}

/// What the rights-notice screen can show (R-SCENE-4).
public enum RightsNoticeAvailability: Equatable, Sendable {
    /// The agency's notice, ready to read.
    case ready(RightsNoticeText)
    /// The device holds no notice yet: sync first. The message says so.
    case missing(message: String)

    /// Message shown when no notice is held.
    public static let missingMessage =
        "本设备尚未收到本机关的权利告知书（R-SCENE-4），请先联网同步；告知内容由执法平台统一下发，不能在手机上自拟。"

    /// From what the core returned.
    public static func from(_ notice: AgencyRightsNotice?, view: InspectionView) -> RightsNoticeAvailability {
        guard let notice else { return .missing(message: missingMessage) }
        return .ready(.agency(notice, for: view))
    }

    /// The text, if ready.
    public var notice: RightsNoticeText? {
        if case let .ready(n) = self { return n }
        return nil
    }
}
