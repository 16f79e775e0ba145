import LiuhenAppLogic
import LiuhenCore
import SwiftUI

/// One record as the core holds it, with its sync state and the supervisor's verdict
/// and comments (they arrive by sync and appear here through the observer).
struct RecordDetailView: View {
    let inspectionId: String
    @EnvironmentObject private var model: AppModel
    @StateObject private var feed = InspectionFeed()
    @ObservedObject private var records = AppModel.shared.records

    var body: some View {
        List {
            if let error = feed.readError {
                Text(error).foregroundStyle(.red)
            }
            if let row = records.snapshot.records.first(where: { $0.id == inspectionId }) {
                Section("同步状态") {
                    HStack {
                        SyncLabel(text: row.syncStatus.label, tone: row.syncStatus.tone)
                        Spacer()
                        Text(Display.dateTime(row.updatedAt)).font(.caption)
                    }
                    if let reason = row.syncReason { Text(reason).foregroundStyle(.orange) }
                }
            }
            if let v = feed.view {
                ReviewSection(view: v)
                Section("基本信息") {
                    LabeledContent("执法主体", value: v.agencyName)
                    LabeledContent("检查对象", value: v.targetName)
                    LabeledContent("地址", value: v.targetAddress)
                    LabeledContent("检查事项", value: v.itemName)
                    if !v.legalBasis.isEmpty { LabeledContent("依据", value: v.legalBasis) }
                    LabeledContent("开始时间", value: Display.dateTime(v.openedAt))
                    LabeledContent("结束时间", value: v.closedAt.map(Display.dateTime) ?? "进行中")
                }
                Section("执法人员（R-SCENE-2）") {
                    ForEach(v.team, id: \.officerId) { m in
                        LabeledContent(m.name, value: "证号 \(m.certificateNo) · \(Display.dateTime(m.checkedInAt))")
                    }
                }
                Section("亮证告知（R-SCENE-3）") {
                    if let n = v.identityNotice {
                        Text(n.statement).font(.footnote)
                        Text("录音 \(n.recordingSha256.prefix(12))… · \(Display.dateTime(n.givenAt))").font(.caption)
                    } else {
                        Text("未记录").foregroundStyle(.secondary)
                    }
                }
                Section("检查情况") {
                    ForEach(v.findings, id: \.id) { f in
                        VStack(alignment: .leading) {
                            Text(f.text)
                            Text("\(Display.dateTime(f.at)) · 证据 \(f.evidence.count) 项").font(.caption).foregroundStyle(.secondary)
                        }
                    }
                    ForEach(v.amendments, id: \.id) { a in
                        VStack(alignment: .leading) {
                            Text("更正：\(a.text)")
                            Text(Display.dateTime(a.at)).font(.caption).foregroundStyle(.secondary)
                        }
                    }
                }
                Section("权利告知（R-SCENE-4）") {
                    if let r = v.rightsNotice {
                        switch r.response {
                        case let .signed(name, _): Text("当事人 \(name) 已签字")
                        case let .refused(witness, reason): Text("当事人拒绝签字，见证人：\(witness)\(reason.isEmpty ? "" : "，理由：\(reason)")")
                        }
                        ForEach(r.remedyChannels, id: \.self) { Text($0).font(.caption) }
                    } else {
                        Text("未记录").foregroundStyle(.secondary)
                    }
                }
                if !v.conflicts.isEmpty {
                    Section("并发修改（均已保留）") {
                        ForEach(v.conflicts, id: \.path) { c in
                            VStack(alignment: .leading) {
                                Text(c.path).font(.caption)
                                ForEach(c.values, id: \.self) { Text($0) }
                            }
                        }
                    }
                }
                if v.closedAt == nil {
                    NavigationLink("继续检查", value: Route.flow(inspectionId: v.id, taskId: v.taskId))
                }
            } else {
                ProgressView()
            }
        }
        .navigationTitle(feed.view?.targetName ?? "检查记录")
        .onAppear { if let core = model.core { feed.start(core: core, id: inspectionId) } }
        .onDisappear { feed.stop() }
    }
}

/// The supervisor's verdict and comments, first on the record when there are any.
private struct ReviewSection: View {
    let view: InspectionView

    var body: some View {
        if view.reviewVerdict != nil || !view.reviewComments.isEmpty {
            Section("审核意见") {
                if let verdict = view.reviewVerdict {
                    let who = view.reviewedBy.map { "（\($0)）" } ?? ""
                    Text(verdict == .approved ? "审核通过\(who)" : "退回补正\(who)")
                        .font(.headline)
                        .foregroundStyle(verdict == .approved ? .green : .orange)
                }
                ForEach(view.reviewComments, id: \.id) { c in
                    VStack(alignment: .leading, spacing: 2) {
                        Text(c.text)
                        Text("\(c.authorName) · \(Display.dateTime(c.at))\(c.item.map { " · 针对 \($0)" } ?? "")")
                            .font(.caption).foregroundStyle(.secondary)
                    }
                }
            }
        }
    }
}
