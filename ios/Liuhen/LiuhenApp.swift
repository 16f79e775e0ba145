import LiuhenAppLogic
import LiuhenCore
import SwiftUI
import UIKit

/// Registers the background sync task before launch finishes (BGTaskScheduler
/// requires that) and opens the core, also when the system launches the app in the
/// background only to sync.
final class AppDelegate: NSObject, UIApplicationDelegate {
    func application(
        _ application: UIApplication,
        didFinishLaunchingWithOptions launchOptions: [UIApplication.LaunchOptionsKey: Any]? = nil
    ) -> Bool {
        BackgroundSync.register { await AppModel.shared.sync }
        AppModel.shared.start()
        return true
    }
}

/// The app entry point.
@main
struct LiuhenApp: App {
    @UIApplicationDelegateAdaptor(AppDelegate.self) private var appDelegate
    @StateObject private var model = AppModel.shared
    @Environment(\.scenePhase) private var scenePhase

    var body: some Scene {
        WindowGroup {
            RootView()
                .environmentObject(model)
                .environment(\.locale, Locale(identifier: "zh_CN"))
        }
        .onChange(of: scenePhase) { phase in
            if phase == .active {
                Task { await model.triggerSync(.appActive) }
            }
        }
    }
}

/// The first screen: enrolment, the tabs, or why the store could not be opened.
struct RootView: View {
    @EnvironmentObject private var model: AppModel

    var body: some View {
        Group {
            switch model.phase {
            case .starting:
                ProgressView("正在打开本机数据…")
            case let .failed(problem):
                ProblemView(problem: problem)
            case .needsEnrollment:
                NavigationStack { EnrollView() }
            case .ready:
                TabView {
                    TaskListView()
                        .tabItem { Label("检查任务", systemImage: "checklist") }
                    RecordListView()
                        .tabItem { Label("检查记录", systemImage: "tray.full") }
                    DecisionDraftsView()
                        .tabItem { Label("决定草案", systemImage: "doc.text") }
                }
            }
        }
        .sheet(isPresented: $model.showingEnrollment) {
            NavigationStack { EnrollView() }
        }
        .errorAlert()
    }
}

/// A full-screen problem (the store could not be opened): the message and what to do.
struct ProblemView: View {
    let problem: ErrorPresentation

    var body: some View {
        VStack(spacing: 16) {
            Image(systemName: "exclamationmark.triangle").font(.largeTitle).foregroundStyle(.orange)
            Text(problem.title).font(.headline)
            Text(problem.message).multilineTextAlignment(.leading)
        }
        .padding()
    }
}

extension View {
    /// Shows `AppModel.error` as an alert with the action it offers. Nothing the
    /// screen holds is cleared.
    func errorAlert() -> some View { modifier(ErrorAlert()) }
}

private struct ErrorAlert: ViewModifier {
    @EnvironmentObject private var model: AppModel

    func body(content: Content) -> some View {
        content.alert(
            model.error?.title ?? "",
            isPresented: Binding(get: { model.error != nil }, set: { if !$0 { model.error = nil } }),
            presenting: model.error
        ) { problem in
            switch problem.action {
            case .goToEnrollment:
                Button("重新登记设备") { model.showingEnrollment = true }
                Button("稍后", role: .cancel) {}
            case .openSettings:
                Button("打开设置") { model.openSettings() }
                Button("取消", role: .cancel) {}
            case .syncFirst:
                Button("立即同步") { Task { await model.triggerSync(.userRequested) } }
                Button("取消", role: .cancel) {}
            default:
                Button("知道了", role: .cancel) {}
            }
        } message: { problem in
            Text(problem.message)
        }
    }
}
