import Foundation
import LiuhenCore

/// Values shaped like the core's, for tests of the app logic (no core needed).
enum Fixture {
    static let t0 = Date(timeIntervalSince1970: 1_767_225_600) // 2026-01-01 08:00 China time

    static func officer(_ id: String, _ name: String) -> OfficerView {
        OfficerView(
            id: id, name: name, unit: "清远市生态环境局", post: "执法人员",
            certificateNo: "4418\(id)", categories: ["生态环境"], areas: ["441802"],
            validUntil: "2027-12-31", active: true)
    }

    static func member(_ id: String, _ name: String, at: Date = t0) -> TeamMemberView {
        TeamMemberView(officerId: id, name: name, certificateNo: "4418\(id)", checkedInAt: at)
    }

    static func evidence(_ sha: String, _ kind: EvidenceType, step: Step) -> EvidenceView {
        EvidenceView(
            sha256: sha, kind: kind, mediaType: kind == .audio ? "audio/aac" : "image/jpeg",
            sizeBytes: 1024, capturedAt: t0, capturedBy: "o1", step: step)
    }

    static func inspection(
        team: [TeamMemberView] = [],
        identityNotice: IdentityNoticeView? = nil,
        findings: [FindingView] = [],
        evidence: [EvidenceView] = [],
        rightsNotice: RightsNoticeView? = nil,
        closedAt: Date? = nil,
        comments: [ReviewCommentView] = [],
        verdict: ReviewVerdict? = nil
    ) -> InspectionView {
        InspectionView(
            id: "insp-1", fromTask: true, taskId: "task-1", agencyName: "清远市生态环境局",
            targetName: "清远市某某化工有限公司", targetAddress: "清远市清城区工业大道1号",
            targetIsNaturalPerson: false, category: "生态环境", itemName: "排污许可执行情况检查",
            legalBasis: "《中华人民共和国环境保护法》第二十四条", openedAt: t0, team: team,
            identityNotice: identityNotice, findings: findings, evidence: evidence,
            rightsNotice: rightsNotice, closedAt: closedAt, amendments: [],
            reviewVerdict: verdict, reviewedBy: verdict == nil ? nil : "王科长",
            reviewComments: comments, conflicts: [])
    }

    static let notice = IdentityNoticeView(
        statement: "现在是……", recordingSha256: "a1", givenAt: t0, givenBy: "o1")

    /// The agency's notice as the server sends it (demo roster).
    static let agencyNotice = AgencyRightsNotice(
        version: "清远生态环境-2026-01",
        text: "你（单位）享有陈述、申辩的权利……对本次执法行为不服的，可以通过下列途径寻求救济：",
        remedyChannels: ["六十日内申请行政复议", "六个月内提起行政诉讼", "向 12345 投诉、举报"])

    static let rights = RightsNoticeView(
        noticeVersion: "清远生态环境-2026-01", remedyChannels: ["行政复议"],
        response: .signed(signerName: "刘经理", signatureSha256: "s1"), givenAt: t0, givenBy: "o1")

    static func record(_ id: String, _ status: SyncStatus, closed: Bool = true, reason: String? = nil) -> RecordSummary {
        RecordSummary(
            id: id, targetName: "对象\(id)", taskId: nil, closed: closed, updatedAt: t0,
            syncStatus: status, syncReason: reason)
    }

    static func task(
        _ id: String, due: String = "2026-03-31", inspectionId: String? = nil, cancelled: Bool = false
    ) -> TaskView {
        TaskView(
            id: id, targetId: "t-\(id)", targetName: "对象\(id)", targetAddress: "地址\(id)",
            itemCode: "HB-01", itemName: "排污许可执行情况检查", legalBasis: "环境保护法",
            category: "生态环境", officerIds: ["o1", "o2"], officerNames: ["张三", ""],
            dueDate: due, fromDraw: true, cancelled: cancelled, note: cancelled ? "企业已注销" : nil,
            inspectionId: inspectionId)
    }

    static func summary(synced: [String] = [], pending: [RecordProblem] = [], attention: [RecordProblem] = [],
                        complete: Bool = true) -> SyncSummary {
        SyncSummary(
            requests: 1, bytesSent: 100, bytesReceived: 100, synced: synced,
            needsAttention: attention, stillPending: pending, receivedNew: [], receivedChanges: ["insp-1"],
            blobsUploaded: 2, rosterUpdated: false, clockSkewSeconds: nil,
            draftsSynced: [], draftsReceived: [], draftsRefused: [], draftsPending: [], complete: complete)
    }
}
