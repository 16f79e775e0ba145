import LiuhenAppLogic
import LiuhenCore
import SwiftUI

/// Where a navigation link goes.
enum Route: Hashable {
    /// The on-site flow of an inspection.
    case flow(inspectionId: String, taskId: String?)
    /// The record screen of an inspection.
    case record(inspectionId: String)
}

/// The officer's tasks from the draws, with the state of each one's inspection.
struct TaskListView: View {
    @EnvironmentObject private var model: AppModel
    @ObservedObject private var records = AppModel.shared.records
    @State private var path = NavigationPath()

    var body: some View {
        NavigationStack(path: $path) {
            let list = TaskListState(tasks: model.tasks, records: records.snapshot.records)
            List {
                if list.rows.isEmpty {
                    Text(list.emptyMessage).foregroundStyle(.secondary)
                }
                ForEach(list.rows) { row in
                    Button { open(row) } label: { TaskRowView(row: row) }
                        .disabled(row.state.isCancelledRow)
                }
            }
            .navigationTitle("检查任务")
            .refreshable { await model.triggerSync(.userRequested) }
            .toolbar {
                if let e = model.enrollment {
                    ToolbarItem(placement: .navigationBarLeading) {
                        Text(e.userName).font(.footnote).foregroundStyle(.secondary)
                    }
                }
            }
            .navigationDestination(for: Route.self) { route in
                switch route {
                case let .flow(id, taskId):
                    InspectionFlowView(inspectionId: id, task: model.tasks.first { $0.id == taskId })
                case let .record(id):
                    RecordDetailView(inspectionId: id)
                }
            }
        }
    }

    private func open(_ row: TaskRow) {
        switch row.state {
        case .notStarted:
            guard !model.me.isEmpty else {
                model.error = ErrorPresentation(
                    title: "本设备未登记为执法人员",
                    message: "只有登记为执法人员的设备才能开始现场检查（R-SCENE-1）。请用执法人员的登记码重新登记。",
                    ruleIds: ["R-SCENE-1"], action: .goToEnrollment)
                return
            }
            if let id = model.attempt({ try $0.openForTask(taskId: row.id, by: model.me) }) {
                path.append(Route.flow(inspectionId: id, taskId: row.id))
            } else if case let .continueInspection(existing)? = model.error?.action {
                // Already open on this device (e.g. opened before the app was killed).
                model.error = nil
                path.append(Route.flow(inspectionId: existing, taskId: row.id))
            }
        case let .inProgress(id):
            path.append(Route.flow(inspectionId: id, taskId: row.id))
        case let .closed(id):
            path.append(Route.record(inspectionId: id))
        case .cancelled:
            break
        }
    }
}

private extension TaskState {
    var isCancelledRow: Bool {
        if case .cancelled = self { return true }
        return false
    }
}

private struct TaskRowView: View {
    let row: TaskRow

    var body: some View {
        VStack(alignment: .leading, spacing: 4) {
            HStack {
                Text(row.title).font(.headline)
                Spacer()
                Text(row.state.label)
                    .font(.caption)
                    .padding(.horizontal, 6).padding(.vertical, 2)
                    .background(Capsule().fill(Color.secondary.opacity(0.15)))
            }
            Text(row.item).font(.subheadline)
            Text(row.address).font(.footnote).foregroundStyle(.secondary)
            HStack {
                Text(row.source)
                Text(row.officers)
                Spacer()
                Text(row.due)
            }
            .font(.caption).foregroundStyle(.secondary)
            if case let .cancelled(reason?) = row.state {
                Text("取消原因：\(reason)").font(.caption).foregroundStyle(.orange)
            }
        }
        .foregroundStyle(.primary)
    }
}
