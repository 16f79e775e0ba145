import CoreLocation
import LiuhenAppLogic

/// The phone's position for evidence (CoreLocation; GPS needs no network). Asks for
/// "when in use" permission the first time a capture screen appears, keeps the latest
/// fix, and hands the app logic plain values; `LocationPolicy` decides what is recorded.
@MainActor
final class LocationProvider: NSObject, ObservableObject, CLLocationManagerDelegate {
    @Published private(set) var permission: LocationPermission = .notDetermined
    @Published private(set) var fix: LocationFix?

    private let manager = CLLocationManager()

    override init() {
        super.init()
        manager.delegate = self
        manager.desiredAccuracy = kCLLocationAccuracyBest
        manager.distanceFilter = 5
        permission = Self.permission(of: manager)
    }

    /// Starts updates (asks for permission if never asked).
    func start() {
        if manager.authorizationStatus == .notDetermined {
            manager.requestWhenInUseAuthorization()
        }
        manager.startUpdatingLocation()
    }

    /// Stops updates (leaving a capture screen).
    func stop() { manager.stopUpdatingLocation() }

    /// What to record for a capture now.
    func capturePosition() -> CapturePosition {
        LocationPolicy.position(permission: permission, fix: fix, now: Date())
    }

    nonisolated func locationManagerDidChangeAuthorization(_ manager: CLLocationManager) {
        let p = Self.permission(of: manager)
        Task { @MainActor in self.permission = p }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didUpdateLocations locations: [CLLocation]) {
        guard let l = locations.last else { return }
        let f = LocationFix(
            latitude: l.coordinate.latitude, longitude: l.coordinate.longitude,
            accuracyMeters: l.horizontalAccuracy, timestamp: l.timestamp)
        Task { @MainActor in self.fix = f }
    }

    nonisolated func locationManager(_ manager: CLLocationManager, didFailWithError error: Error) {
        // kCLErrorLocationUnknown is transient (keeps trying); denial arrives through
        // the authorization callback. The last fix stays and ages out in the policy.
    }

    nonisolated private static func permission(of manager: CLLocationManager) -> LocationPermission {
        guard CLLocationManager.locationServicesEnabled() else { return .servicesOff }
        switch manager.authorizationStatus {
        case .notDetermined: return .notDetermined
        case .restricted: return .restricted
        case .denied: return .denied
        case .authorizedAlways, .authorizedWhenInUse:
            return manager.accuracyAuthorization == .reducedAccuracy ? .approximate : .allowed
        @unknown default: return .denied
        }
    }
}
