import AVFoundation
import LiuhenAppLogic

/// Reads and requests camera and microphone permission, in the app logic's terms.
enum CameraAccess {
    /// The current state of `permission`.
    static func status(for permission: MediaPermission) -> PermissionStatus {
        switch AVCaptureDevice.authorizationStatus(for: mediaType(permission)) {
        case .authorized: return .granted
        case .notDetermined: return .notDetermined
        case .restricted: return .restricted
        case .denied: return .denied
        @unknown default: return .denied
        }
    }

    /// Shows the system prompt; true when allowed.
    static func request(_ permission: MediaPermission) async -> Bool {
        await AVCaptureDevice.requestAccess(for: mediaType(permission))
    }

    /// Checks, and asks if never asked: nil when it may be used, else the prompt to show.
    static func ensure(_ permission: MediaPermission) async -> PermissionPrompt? {
        switch PermissionPolicy.decide(permission, status(for: permission)) {
        case .proceed:
            return nil
        case .request:
            return await request(permission) ? nil : PermissionPolicy.deniedPrompt(for: permission)
        case let .explain(prompt):
            return prompt
        }
    }

    private static func mediaType(_ p: MediaPermission) -> AVMediaType {
        p == .camera ? .video : .audio
    }
}
