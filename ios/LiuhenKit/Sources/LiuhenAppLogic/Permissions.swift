import Foundation

/// A device permission the inspection flow needs.
public enum MediaPermission: String, Equatable, Sendable, CaseIterable {
    /// Camera: photos of the site (findings) and the enrolment QR code.
    case camera
    /// Microphone: the spoken identity notice (R-SCENE-3, R-REC-3).
    case microphone
}

/// The system's answer for one permission, as the app reads it from AVFoundation.
public enum PermissionStatus: Equatable, Sendable {
    /// Never asked: ask now.
    case notDetermined
    /// Allowed.
    case granted
    /// The officer said no (or turned it off in Settings).
    case denied
    /// Blocked by a device policy (MDM, Screen Time); only an administrator can change it.
    case restricted
}

/// What to do before using a permission.
public enum PermissionDecision: Equatable, Sendable {
    /// Use the camera or microphone.
    case proceed
    /// Show the system prompt.
    case request
    /// Explain, and offer to open Settings (or the alternative, if any).
    case explain(PermissionPrompt)
}

/// The explanation shown when a permission is off: what cannot be done, how to turn
/// it on, and the alternative if there is one. Whatever the officer typed stays.
public struct PermissionPrompt: Equatable, Sendable {
    /// Title.
    public var title: String
    /// Message: why it is needed and how to enable it in Settings.
    public var message: String
    /// Whether to show an “打开设置” button (not for `restricted`).
    public var offersSettings: Bool
    /// Label of the alternative action, e.g. choosing a photo from the album.
    public var alternative: String?
}

/// Thrown by the app when a step cannot start because a permission is off.
public struct PermissionDeniedError: Error, Equatable, Sendable {
    /// The permission.
    public var permission: MediaPermission
    /// Creates the error.
    public init(permission: MediaPermission) { self.permission = permission }
}

/// Decides what to do with each permission state.
public enum PermissionPolicy {
    /// What to do before using `permission` in state `status`.
    public static func decide(_ permission: MediaPermission, _ status: PermissionStatus)
        -> PermissionDecision
    {
        switch status {
        case .granted: return .proceed
        case .notDetermined: return .request
        case .denied: return .explain(deniedPrompt(for: permission))
        case .restricted: return .explain(restrictedPrompt(for: permission))
        }
    }

    /// The explanation when the officer turned `permission` off.
    public static func deniedPrompt(for permission: MediaPermission) -> PermissionPrompt {
        switch permission {
        case .camera:
            return PermissionPrompt(
                title: "相机权限已关闭",
                message: "拍摄现场照片和扫描登记二维码需要使用相机。"
                    + "请前往“设置 > 留痕 > 相机”打开权限后返回本页面；已填写的内容不会丢失。"
                    + "也可以先从相册选择照片。",
                offersSettings: true,
                alternative: "从相册选择")
        case .microphone:
            return PermissionPrompt(
                title: "麦克风权限已关闭",
                message: "亮证告知须全程录音（R-SCENE-3、R-REC-3），需要使用麦克风。"
                    + "请前往“设置 > 留痕 > 麦克风”打开权限后返回本页面；已填写的内容不会丢失。",
                offersSettings: true,
                alternative: nil)
        }
    }

    /// The explanation when a device policy blocks `permission`.
    public static func restrictedPrompt(for permission: MediaPermission) -> PermissionPrompt {
        let what = permission == .camera ? "相机" : "麦克风"
        return PermissionPrompt(
            title: "\(what)被设备管理策略禁用",
            message: "本设备的管理策略禁止使用\(what)，无法在本应用中打开。请联系单位的设备管理员；已填写的内容不会丢失。",
            offersSettings: false,
            alternative: permission == .camera ? "从相册选择" : nil)
    }
}
