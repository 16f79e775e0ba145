import Foundation
import LiuhenCore

/// Receives one inspection from the core (on the core's thread) and republishes it
/// on the main actor for SwiftUI. Keep the returned `Subscription` as long as the
/// screen is shown; dropping it stops delivery.
@MainActor
final class InspectionFeed: ObservableObject, InspectionObserver {
    /// The inspection as the core holds it now.
    @Published private(set) var view: InspectionView?
    /// Set when the core could not read it (data unchanged).
    @Published private(set) var readError: String?

    private var subscription: Subscription?

    /// Starts watching `id`: the current value arrives at once, then every change
    /// (a step here, or a supervisor's comment received by sync).
    func start(core: LiuhenCore, id: String) {
        subscription?.cancel()
        subscription = core.observeInspection(id: id, observer: self)
    }

    /// Stops watching.
    func stop() {
        subscription?.cancel()
        subscription = nil
    }

    // Dropping the subscription (with this object) also stops delivery.

    // Called by the core on its own thread: hop to the main actor.
    nonisolated func onUpdate(inspection: InspectionView) {
        Task { @MainActor in
            self.view = inspection
            self.readError = nil
        }
    }

    nonisolated func onError(detail: String) {
        Task { @MainActor in self.readError = detail }
    }
}

/// Receives the records list with each record's sync state and republishes it on the
/// main actor.
@MainActor
final class RecordsFeed: ObservableObject, RecordsObserver {
    /// The latest snapshot.
    @Published private(set) var snapshot = RecordsSnapshot(records: [], syncing: false)

    private var subscription: Subscription?

    /// Starts watching the records of `core`.
    func start(core: LiuhenCore) {
        subscription?.cancel()
        subscription = core.observeRecords(observer: self)
    }

    nonisolated func onUpdate(snapshot: RecordsSnapshot) {
        Task { @MainActor in self.snapshot = snapshot }
    }
}
