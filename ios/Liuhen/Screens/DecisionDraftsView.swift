import LiuhenAppLogic
import LiuhenCore
import SwiftUI

/// Proposed decisions (决定草案, R-LEGAL-1) drafted on the phone, offline; they travel
/// with the normal sync, and the server's workflow state comes back on the list.
struct DecisionDraftsView: View {
    @EnvironmentObject private var model: AppModel
    @State private var rows: [DraftRow] = []
    @State private var editing: DraftEditorState?

    var body: some View {
        NavigationStack {
            List {
                if rows.isEmpty {
                    Text("暂无决定草案。可从已结束的检查记录起草，离线保存，联网后自动同步。")
                        .font(.footnote).foregroundStyle(.secondary)
                }
                ForEach(rows) { row in
                    Button { open(row.id) } label: {
                        VStack(alignment: .leading, spacing: 4) {
                            Text(row.title).font(.headline)
                            Text("\(row.status) · \(row.updated)").font(.caption).foregroundStyle(.secondary)
                            if let refused = row.refused { Text(refused).font(.caption).foregroundStyle(.orange) }
                        }
                    }
                    .accessibilityLabel("\(row.title)，\(row.status)\(row.refused.map { "，被拒绝：\($0)" } ?? "")")
                }
            }
            .navigationTitle("决定草案")
            .toolbar {
                ToolbarItem(placement: .primaryAction) {
                    Menu {
                        ForEach(DecisionKindChoice.allCases, id: \.self) { kind in
                            Button(kind.label) { newDraft(kind) }
                        }
                    } label: { Label("新建草案", systemImage: "plus") }
                }
            }
            .sheet(item: Binding(get: { editing.map { EditorItem(state: $0) } }, set: { editing = $0?.state })) { item in
                NavigationStack { DraftEditorView(state: item.state) { reload() } }
            }
            .onAppear { reload() }
            .refreshable { await model.triggerSync(.userRequested); reload() }
        }
    }

    private func reload() {
        rows = (model.attempt { try $0.drafts() } ?? []).map(DraftRow.init)
    }

    private func open(_ id: String) {
        if let view = model.attempt({ try $0.draft(id: id) }) { editing = DraftEditorState(view: view) }
    }

    private func newDraft(_ kind: DecisionKindChoice) {
        guard let template = model.attempt({ try $0.draftTemplate(kind: kind.rawValue) }) else { return }
        editing = DraftEditorState(template: template, inspection: nil)
    }

    private struct EditorItem: Identifiable {
        let state: DraftEditorState
        var id: String { state.id ?? "new" }
    }
}

/// The draft editor; saving hands the content to the core with the heads it was read at.
private struct DraftEditorView: View {
    @State var state: DraftEditorState
    let onSaved: () -> Void
    @EnvironmentObject private var model: AppModel
    @Environment(\.dismiss) private var dismiss

    var body: some View {
        Form {
            if !state.conflicts.isEmpty {
                Section("同时修改的内容（均已保留，请确认）") {
                    ForEach(state.conflicts, id: \.field) { c in
                        VStack(alignment: .leading) {
                            Text(c.field).font(.caption)
                            ForEach(c.values, id: \.self) { Text($0) }
                        }
                    }
                }
            }
            Section("基本信息") {
                TextField("标题", text: $state.content.title)
                TextField("当事人名称", text: $state.content.partyName)
                TextField("统一社会信用代码或身份证号（不公开）", text: $state.content.partyCode)
                TextField("执法类别", text: $state.content.category)
            }
            Section("事实与依据") {
                TextField("认定的事实", text: $state.content.facts, axis: .vertical).lineLimit(3...12)
                TextField("法律依据", text: $state.content.legalBasis, axis: .vertical)
                TextField("裁量基准", text: $state.content.discretion, axis: .vertical)
                TextField("拟作出的决定", text: $state.content.conclusion, axis: .vertical).lineLimit(2...8)
            }
            Section("罚款与法制审核情形（R-LEGAL-1）") {
                TextField("罚款金额（元，可空）", text: $state.fineYuan).keyboardType(.decimalPad)
                Toggle("吊销许可证照", isOn: $state.content.revocation)
                Toggle("责令停产停业、关闭", isOn: $state.content.suspension)
                Toggle("重大行政强制", isOn: $state.content.majorCoercion)
                Toggle("已经听证", isOn: $state.content.hearingHeld)
                Toggle("涉嫌犯罪", isOn: $state.content.crimeSuspected)
                Toggle("涉及重大公共利益", isOn: $state.content.publicInterest)
                Toggle("可能造成重大社会影响", isOn: $state.content.socialRisk)
                Toggle("案情复杂", isOn: $state.content.complex)
            }
            if !state.missing.isEmpty {
                Section {
                    ForEach(state.missing, id: \.field) { Text($0.message).foregroundStyle(.orange) }
                }
            }
        }
        .navigationTitle(state.id == nil ? "新建决定草案" : "编辑决定草案")
        .toolbar {
            ToolbarItem(placement: .cancellationAction) { Button("取消") { dismiss() } }
            ToolbarItem(placement: .confirmationAction) { Button("保存") { save() }.disabled(state.input == nil) }
        }
    }

    private func save() {
        guard let input = state.input else { return }
        let ok: Bool?
        if let id = state.id {
            ok = model.attempt { try $0.editDraft(id: id, by: model.me, baseHeads: state.heads, content: input) }
        } else {
            ok = model.attempt { try $0.createDraft(by: model.me, content: input) }.map { _ in true }
        }
        if ok != nil {
            onSaved()
            dismiss()
            Task { await model.triggerSync(.inspectionClosed) }
        }
    }
}
