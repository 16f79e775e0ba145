import Foundation
import LiuhenCore

/// A position fix from CoreLocation, in plain values (the app copies a CLLocation in).
/// GPS works without a network: fixes are taken offline too.
public struct LocationFix: Equatable, Sendable {
    /// Latitude (WGS-84, degrees).
    public var latitude: Double
    /// Longitude (WGS-84, degrees).
    public var longitude: Double
    /// Horizontal accuracy radius in metres (negative: invalid).
    public var accuracyMeters: Double
    /// When the fix was taken (device clock).
    public var timestamp: Date

    /// Creates a fix.
    public init(latitude: Double, longitude: Double, accuracyMeters: Double, timestamp: Date) {
        self.latitude = latitude
        self.longitude = longitude
        self.accuracyMeters = accuracyMeters
        self.timestamp = timestamp
    }
}

/// Location permission as the app reads it from CLLocationManager.
public enum LocationPermission: Equatable, Sendable {
    /// Never asked.
    case notDetermined
    /// Allowed while the app is in use (precise).
    case allowed
    /// Allowed, but only an approximate position (iOS 14 reduced accuracy).
    case approximate
    /// Refused by the officer.
    case denied
    /// Blocked by device policy.
    case restricted
    /// Location services are off for the whole phone.
    case servicesOff
}

/// What is recorded as the capture position of a check-in or evidence, and what the
/// screen says.
public struct CapturePosition: Equatable, Sendable {
    /// Latitude (nil: not recorded — 「未取得位置」).
    public var lat: Double?
    /// Longitude.
    public var lon: Double?
    /// Accuracy of the fix in metres.
    public var accuracyMeters: Double? = nil
    /// When the fix was taken.
    public var fixedAt: Date? = nil
    /// The line shown under the capture button, e.g. 「位置：±8 米，10 秒前」.
    public var note: String
    /// Whether the screen should offer to open Settings.
    public var offersSettings: Bool

    /// The position for `checkIn(location:)` and `CaptureRequest.location`, with its
    /// accuracy and fix time (R-REC-3); nil when none is good enough.
    public var location: CaptureLocation? {
        guard let lat, let lon, let accuracyMeters, let fixedAt else { return nil }
        return CaptureLocation(lat: lat, lon: lon, accuracyM: accuracyMeters, fixedAt: fixedAt)
    }
}

extension LocationPolicy {
    /// Shown for a check-in or capture recorded without a position.
    public static let noPosition = "未取得位置"

    /// What the officer reads about a recorded position (Beijing time):
    /// 「位置：北纬 23.63120，东经 113.24050，精度约 8 米，2026-03-05 14:07 定位」, or 「未取得位置」.
    public static func recorded(_ l: CaptureLocation?) -> String {
        guard let l else { return noPosition }
        let ns = l.lat >= 0 ? "北纬" : "南纬"
        let ew = l.lon >= 0 ? "东经" : "西经"
        let coords = String(format: "%@ %.5f，%@ %.5f", ns, abs(l.lat), ew, abs(l.lon))
        let metres = max(1, Int(l.accuracyM.rounded()))
        return "位置：\(coords)，精度约 \(metres) 米，\(Display.dateTime(l.fixedAt)) 定位"
    }
}

/// Decides whether a fix is good enough to be recorded as where evidence was taken.
/// A position is evidence of presence on site: a stale or coarse fix is not recorded
/// (nil is honest; a wrong position is not), and the screen says why.
public enum LocationPolicy {
    /// Fixes older than this are not recorded (the officer may have moved).
    public static let maxAge: TimeInterval = 120
    /// Fixes less accurate than this are not recorded (metres).
    public static let maxAccuracy: Double = 100

    /// The position to record for a capture at `now`.
    public static func position(
        permission: LocationPermission, fix: LocationFix?, now: Date
    ) -> CapturePosition {
        switch permission {
        case .denied:
            return CapturePosition(
                lat: nil, lon: nil,
                note: "未记录位置：定位权限已关闭。可在“设置 > 留痕 > 位置”中允许“使用 App 期间”，证据照常保存。",
                offersSettings: true)
        case .restricted:
            return CapturePosition(
                lat: nil, lon: nil, note: "未记录位置：本设备的管理策略禁止定位，证据照常保存。", offersSettings: false)
        case .servicesOff:
            return CapturePosition(
                lat: nil, lon: nil,
                note: "未记录位置：手机的定位服务已关闭（设置 > 隐私与安全性 > 定位服务），证据照常保存。",
                offersSettings: false)
        case .approximate:
            return CapturePosition(
                lat: nil, lon: nil,
                note: "未记录位置：只允许了“大致位置”，不足以证明现场位置。请在设置中打开“精确位置”。",
                offersSettings: true)
        case .notDetermined, .allowed:
            break
        }
        guard let fix else {
            return CapturePosition(
                lat: nil, lon: nil, note: "正在定位…（无网络也可定位，室内可能较慢）；未定位时证据照常保存，但不记录位置。",
                offersSettings: false)
        }
        let age = now.timeIntervalSince(fix.timestamp)
        guard fix.accuracyMeters > 0, fix.accuracyMeters <= maxAccuracy else {
            return CapturePosition(
                lat: nil, lon: nil,
                note: "未记录位置：定位精度不足（±\(Int(fix.accuracyMeters.rounded())) 米，需 ±\(Int(maxAccuracy)) 米以内），可到室外稍候再拍。",
                offersSettings: false)
        }
        guard age <= maxAge, age >= -30 else {
            return CapturePosition(
                lat: nil, lon: nil,
                note: "未记录位置：最近一次定位已是 \(Int(age / 60)) 分钟前，正在重新定位。", offersSettings: false)
        }
        guard (-90...90).contains(fix.latitude), (-180...180).contains(fix.longitude) else {
            return CapturePosition(lat: nil, lon: nil, note: "未记录位置：定位结果无效。", offersSettings: false)
        }
        return CapturePosition(
            lat: fix.latitude, lon: fix.longitude,
            accuracyMeters: fix.accuracyMeters, fixedAt: fix.timestamp,
            note: "位置：±\(Int(fix.accuracyMeters.rounded())) 米，\(max(0, Int(age))) 秒前定位",
            offersSettings: false)
    }
}
