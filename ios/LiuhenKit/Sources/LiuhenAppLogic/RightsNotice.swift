import Foundation
import LiuhenCore

/// The rights-notice text read or shown to the party (R-SCENE-4), and what is
/// recorded about it.
///
/// Interim: the bindings do not yet provide the agency's notice text, version and
/// remedy channels (they belong in the roster the server sends). Until they do, this
/// is the generic notice, with the agency and item filled in from the inspection.
public struct RightsNoticeText: Equatable, Sendable {
    /// Version recorded with the notice.
    public var version: String
    /// Remedy channels told to the party, each recorded.
    public var remedyChannels: [String]
    /// The full text shown on screen.
    public var text: String

    /// The generic notice for `view`.
    public static func generic(for view: InspectionView) -> RightsNoticeText {
        let channels = [
            "对本次执法行为不服的，可以自知道该行为之日起六十日内依法申请行政复议",
            "也可以自知道该行为之日起六个月内依法向人民法院提起行政诉讼",
            "对执法人员的执法行为有异议的，可以向\(view.agencyName)或 12345 政务服务便民热线投诉、举报",
        ]
        let basis = view.legalBasis.isEmpty ? "" : "，依据\(view.legalBasis)"
        let numbered = channels.enumerated()
            .map { index, channel in "\(index + 1). \(channel)" }
            .joined(separator: "\n")
        let text = """
        当事人：\(view.targetName)
        \(view.agencyName)执法人员依法对你（单位）进行现场检查，检查事项：\(view.itemName)\(basis)。
        你（单位）享有陈述、申辩的权利；执法人员少于两人或者未出示执法证件的，你（单位）有权拒绝接受检查；\
        执法人员与你（单位）有直接利害关系的，你（单位）有权申请回避。
        你（单位）应当如实回答询问，协助检查，不得拒绝、阻挠。
        救济途径：
        \(numbered)
        """
        return RightsNoticeText(version: "通用-2026-01", remedyChannels: channels, text: text)
    }

    /// The request for the core from the draft: signed (with the signature's hash) or
    /// refused (with the witness). Nil when the draft lacks what the screen asks for;
    /// the core checks the content again.
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
        return RightsNoticeRequest(noticeVersion: version, remedyChannels: remedyChannels, response: response)
    }
}
