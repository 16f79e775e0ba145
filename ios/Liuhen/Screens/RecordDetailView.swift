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
    @State private var showingAmend = false

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
                    if let advice = AttentionAdvice.of(row) {
                        AttentionSection(advice: advice, showAmend: $showingAmend)
                    } else if let reason = row.syncReason {
                        Text(reason).foregroundStyle(.orange)
                    }
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
                } else {
                    Section {
                        Button("追加更正") { showingAmend = true }
                    } footer: {
                        Text("已结束的记录不能改动，更正将附在原记录旁，原内容保留（R-REC-5）。")
                    }
                }
            } else {
                ProgressView()
            }
        }
        .sheet(isPresented: $showingAmend) {
            if let v = feed.view, let form = AmendmentForm(view: v) {
                NavigationStack { AmendView(inspectionId: inspectionId, form: form) }
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

/// Why the server refused the record, what fixes it, and the button that does it.
private struct AttentionSection: View {
    let advice: AttentionAdvice
    @Binding var showAmend: Bool
    @EnvironmentObject private var model: AppModel

    var body: some View {
        VStack(alignment: .leading, spacing: 6) {
            Text("原因：\(advice.why)").foregroundStyle(.orange)
            Text("处理：\(advice.fix)").font(.footnote)
            HStack {
                switch advice.action {
                case .amend:
                    Button(advice.actionLabel) { showAmend = true }.buttonStyle(.borderedProminent)
                    Button("重新发送") { resend() }.buttonStyle(.bordered)
                case .reEnroll:
                    Button(advice.actionLabel) { model.showingEnrollment = true }.buttonStyle(.borderedProminent)
                case .syncThenResend, .resend, .contactAdmin:
                    Button(advice.actionLabel) { resend() }.buttonStyle(.borderedProminent)
                }
            }
        }
        .accessibilityElement(children: .contain)
        .accessibilityLabel(advice.accessibilityText)
    }

    private func resend() {
        // The record is unchanged; it goes back in the queue and syncs now.
        if model.attempt({ try $0.resend(id: advice.id) }) != nil {
            Task { await model.triggerSync(.userRequested) }
        }
    }
}

/// The amendment form (更正) of a closed record.
private struct AmendView: View {
    let inspectionId: String
    @State var form: AmendmentForm
    @EnvironmentObject private var model: AppModel
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        Form {
            Picker("更正的内容", selection: $form.selected) {
                Text("请选择").tag(String?.none)
                ForEach(form.targets) { t in Text(t.label).tag(Optional(t.id)) }
            }
            TextField("更正说明", text: $form.text, axis: .vertical).lineLimit(3...10)
            if let missing = form.missing { Text(missing).font(.footnote).foregroundStyle(.secondary) }
        }
        .navigationTitle("追加更正")
        .toolbar {
            ToolbarItem(placement: .cancellationAction) { Button("取消") { dismiss() } }
            ToolbarItem(placement: .confirmationAction) {
                Button("保存") { save() }.disabled(form.call == nil)
            }
        }
    }

    private func save() {
        guard let call = form.call else { return }
        let saved = model.attempt {
            try $0.amend(id: inspectionId, amends: call.amends, text: call.text, evidence: call.evidence, by: model.me)
        }
        if saved != nil {
            dismiss()
            Task { await model.triggerSync(.inspectionClosed) }
        }
    }
}
