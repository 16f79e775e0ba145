import LiuhenAppLogic
import LiuhenCore
import SwiftUI

/// Every record on the device with its sync state, and 立即同步.
struct RecordListView: View {
    @EnvironmentObject private var model: AppModel
    @ObservedObject private var records = AppModel.shared.records

    var body: some View {
        NavigationStack {
            let list = RecordListState(snapshot: records.snapshot, blockedForReEnrollment: model.blockedForReEnrollment)
            List {
                Section {
                    Text(list.summary).font(.footnote)
                    if let banner = model.syncBanner, !list.syncing {
                        Text(banner.message).font(.footnote).foregroundStyle(.secondary)
                    }
                    if list.blockedForReEnrollment {
                        Button("重新登记设备") { model.showingEnrollment = true }
                    }
                }
                ForEach(list.rows) { row in
                    NavigationLink(value: Route.record(inspectionId: row.id)) {
                        RecordRowView(row: row)
                    }
                }
            }
            .navigationTitle("检查记录")
            .toolbar {
                ToolbarItem(placement: .primaryAction) {
                    Button(list.syncButtonTitle) {
                        Task { await model.triggerSync(.userRequested) }
                    }
                    .disabled(!list.canSyncNow)
                }
            }
            .navigationDestination(for: Route.self) { route in
                switch route {
                case let .record(id):
                    RecordDetailView(inspectionId: id)
                case let .flow(id, taskId):
                    InspectionFlowView(inspectionId: id, task: model.tasks.first { $0.id == taskId })
                }
            }
        }
    }
}

/// One record row: target, state, time and the sync label.
struct RecordRowView: View {
    let row: RecordRow

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                Text(row.title).font(.headline)
                Spacer()
                SyncLabel(text: row.statusLabel, tone: row.tone)
            }
            Text(row.subtitle).font(.caption).foregroundStyle(.secondary)
            if let reason = row.reason {
                Text(reason).font(.caption).foregroundStyle(.orange)
            }
        }
        .accessibilityElement(children: .combine)
        .accessibilityLabel("\(row.title)，\(row.statusLabel)，\(row.subtitle)\(row.reason.map { "，原因：\($0)" } ?? "")")
    }
}

/// The 待同步 / 同步中 / 已同步 / 需处理 badge.
struct SyncLabel: View {
    let text: String
    let tone: StatusTone

    var body: some View {
        Text(text)
            .font(.caption.bold())
            .padding(.horizontal, 6).padding(.vertical, 2)
            .foregroundStyle(color)
            .background(Capsule().fill(color.opacity(0.15)))
    }

    private var color: Color {
        switch tone {
        case .waiting: return .gray
        case .busy: return .blue
        case .done: return .green
        case .attention: return .orange
        }
    }
}
