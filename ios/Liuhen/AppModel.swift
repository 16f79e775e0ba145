import Foundation
import LiuhenAppLogic
import LiuhenCore
import UIKit

/// The app's one model: opens the core, holds the enrolment, the task list, the
/// records feed and the sync coordinator, and turns every error into what the screen
/// shows. It renders the core's state and forwards actions; the core decides.
@MainActor
final class AppModel: ObservableObject {
    /// Where the app is.
    enum Phase: Equatable {
        /// Opening the store.
        case starting
        /// The store could not be opened (damaged, newer app, disk full).
        case failed(ErrorPresentation)
        /// No enrolment yet.
        case needsEnrollment
        /// Enrolled; the tabs are shown.
        case ready
    }

    /// The one instance (the background task handler needs it before any scene exists).
    static let shared = AppModel()

    @Published private(set) var phase: Phase = .starting
    @Published private(set) var enrollment: Enrollment?
    @Published private(set) var tasks: [TaskView] = []
    @Published private(set) var officers: [OfficerView] = []
    /// The agency's rights notice, from the roster the server sent (R-SCENE-4).
    @Published private(set) var rightsNotice: AgencyRightsNotice?
    /// The error shown as an alert, if any.
    @Published var error: ErrorPresentation?
    /// The last sync message.
    @Published private(set) var syncBanner: SyncBanner?
    /// Set when the server no longer accepts the device: sync stops until re-enrolment.
    @Published private(set) var blockedForReEnrollment = false
    /// Whether the enrolment sheet is shown (re-enrolment with records on the device).
    @Published var showingEnrollment = false

    /// The records list with sync state.
    let records = RecordsFeed()
    /// Drafts of steps not yet handed to the core.
    let drafts: DraftStore
    /// The phone's position for evidence captures.
    let location: LocationProvider

    private(set) var core: LiuhenCore?
    private(set) var sync: SyncCoordinator?
    private let connectivity = ConnectivityMonitor()
    private var periodic: Task<Void, Never>?

    private init() {
        drafts = FileDraftStore(directory: Self.appDirectory.appendingPathComponent("drafts", isDirectory: true))
        location = LocationProvider()
    }

    /// Application Support/liuhen: the core's data and the drafts (kept out of the
    /// Caches directory so the system never purges records).
    static var appDirectory: URL {
        let base = FileManager.default.urls(for: .applicationSupportDirectory, in: .userDomainMask)[0]
        return base.appendingPathComponent("liuhen", isDirectory: true)
    }

    /// A directory for files made before they are handed to the core (recordings,
    /// photos, signatures). Not the temporary directory: the system may empty that,
    /// and a recording from an app that was killed must still be there.
    static var captureDirectory: URL {
        appDirectory.appendingPathComponent("capture", isDirectory: true)
    }

    /// The acting officer's roster id ("" for a device enrolled for a non-officer).
    var me: String { enrollment?.officerId ?? "" }

    /// Opens the core and starts watching. Safe to call more than once.
    func start() {
        guard core == nil else { return }
        do {
            let dataDir = Self.appDirectory.appendingPathComponent("data", isDirectory: true)
            try FileManager.default.createDirectory(at: dataDir, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: Self.captureDirectory, withIntermediateDirectories: true)
            let core = try LiuhenCore.open(dataDir: dataDir.path)
            self.core = core
            enrollment = try core.enrollment()
            records.start(core: core)
            sync = SyncCoordinator(core: core)
        } catch {
            phase = .failed(ErrorPresenter.present(error))
            return
        }
        reloadRoster()
        phase = enrollment == nil ? .needsEnrollment : .ready
        connectivity.start { [weak self] satisfied in
            Task { @MainActor in await self?.triggerSync(satisfied ? .connectivityRestored : .connectivityLost) }
        }
        periodic = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(nanoseconds: 15 * 60 * 1_000_000_000)
                await self?.triggerSync(.periodic)
            }
        }
        LocalNotifications.requestPermission()
        Task { await triggerSync(.appActive) }
    }

    /// Reads the task list and roster again (after a sync or a step).
    func reloadRoster() {
        guard let core else { return }
        do {
            officers = try core.officers()
            tasks = try core.tasks(officerId: enrollment?.officerId)
            rightsNotice = try core.agencyRightsNotice()
        } catch LiuhenError.NoRoster {
            // Normal before the first sync: the task list says so.
            officers = []
            tasks = []
            rightsNotice = nil
        } catch {
            self.error = ErrorPresenter.present(error)
        }
    }

    /// Considers a sync for `trigger` (the policy may wait, back off or refuse).
    func triggerSync(_ trigger: SyncTrigger) async {
        guard let sync, enrollment != nil else { return }
        let (decision, banner) = await sync.trigger(trigger)
        if let banner { syncBanner = banner }
        if case .blocked = decision { blockedForReEnrollment = true }
        if banner?.problem?.action == .goToEnrollment { blockedForReEnrollment = true }
        if trigger == .userRequested, let problem = banner?.problem { error = problem }
        if decision == .run {
            let before = tasks
            reloadRoster()
            if let core { LocalNotifications.afterSync(core: core, tasksBefore: before, tasksAfter: tasks) }
        }
        BackgroundSync.schedule(earliest: await sync.nextBackgroundRun())
    }

    /// Enrols (or re-enrols) the device; records already on it are kept and sync next.
    func enroll(_ request: EnrollmentRequest) async throws {
        guard let core else { return }
        let e = try await core.enrollWithCode(
            codeOrQr: request.codeOrQr, serverUrl: request.serverUrl, deviceName: request.deviceName)
        enrollment = e
        blockedForReEnrollment = false
        showingEnrollment = false
        phase = .ready
        if let sync {
            let (_, banner) = await sync.enrolled()
            syncBanner = banner
        }
        reloadRoster()
    }

    /// Runs a core call; an error becomes the alert and nil is returned. Whatever the
    /// screen holds (typed text, drafts) is left as it is.
    @discardableResult
    func attempt<T>(_ body: (LiuhenCore) throws -> T) -> T? {
        guard let core else { return nil }
        do {
            return try body(core)
        } catch {
            self.error = ErrorPresenter.present(error)
            return nil
        }
    }

    /// The async form of `attempt`.
    @discardableResult
    func attemptAsync<T>(_ body: (LiuhenCore) async throws -> T) async -> T? {
        guard let core else { return nil }
        do {
            return try await body(core)
        } catch {
            self.error = ErrorPresenter.present(error)
            return nil
        }
    }

    /// Opens the Settings app on this app's page (a permission is off).
    func openSettings() {
        if let url = URL(string: UIApplication.openSettingsURLString) {
            UIApplication.shared.open(url)
        }
    }
}
