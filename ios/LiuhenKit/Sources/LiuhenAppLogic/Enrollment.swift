import Foundation

/// What the enrolment form hands to `LiuhenCore.enrollWithCode`.
public struct EnrollmentRequest: Equatable, Sendable {
    /// The one-time code, or the whole QR payload (the core parses it).
    public var codeOrQr: String
    /// The server address typed by hand; nil when the QR payload carries it.
    public var serverUrl: String?
    /// The name this device shows to administrators.
    public var deviceName: String
}

/// A scanned `liuhen://enroll?server=<url-encoded>&code=<code>` payload, split for
/// display only: the raw payload is what is sent to the core, which parses it itself.
public struct EnrollmentPayload: Equatable, Sendable {
    /// The server address it names.
    public var server: String
    /// The one-time code it carries.
    public var code: String
    /// The payload as scanned.
    public var raw: String

    /// Splits `text`, or nil when it is not a liuhen enrolment QR code.
    public static func parse(_ text: String) -> EnrollmentPayload? {
        let raw = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let components = URLComponents(string: raw),
              components.scheme?.lowercased() == "liuhen",
              components.host?.lowercased() == "enroll"
        else { return nil }
        let items = components.queryItems ?? []
        let server = items.first { $0.name == "server" }?.value ?? ""
        let code = items.first { $0.name == "code" }?.value ?? ""
        guard !code.isEmpty else { return nil }
        return EnrollmentPayload(server: server, code: code, raw: raw)
    }
}

/// The enrolment screen: a code typed by hand with the server address, or a scanned
/// QR code. Only checks that something was entered; the core checks the rest.
public struct EnrollmentForm: Equatable, Sendable {
    /// Server address typed by hand (filled in from a scanned QR code).
    public var serverUrl: String
    /// One-time code typed by hand (filled in from a scanned QR code).
    public var code: String
    /// Device name shown to administrators.
    public var deviceName: String
    /// The scanned QR payload, sent as is while the fields still match it.
    public private(set) var scanned: EnrollmentPayload?
    /// Message about the last scan, if it was not an enrolment code.
    public private(set) var scanMessage: String?
    /// Whether an enrolment call is running (the button is disabled).
    public var submitting = false

    /// A new form; `deviceName` is the phone's name as a default.
    public init(serverUrl: String = "", code: String = "", deviceName: String) {
        self.serverUrl = serverUrl
        self.code = code
        self.deviceName = deviceName
    }

    /// Takes a scanned QR text. Returns false (and sets `scanMessage`) when it is
    /// not a liuhen enrolment code; what was typed stays.
    @discardableResult
    public mutating func applyScan(_ text: String) -> Bool {
        guard let payload = EnrollmentPayload.parse(text) else {
            scanMessage = "扫描到的不是留痕设备登记二维码，请扫描管理员在服务器页面上显示的登记二维码，或手动输入登记码。"
            return false
        }
        scanned = payload
        scanMessage = nil
        if !payload.server.isEmpty { serverUrl = payload.server }
        code = payload.code
        return true
    }

    private var trimmedCode: String { code.trimmingCharacters(in: .whitespacesAndNewlines) }
    private var trimmedServer: String { serverUrl.trimmingCharacters(in: .whitespacesAndNewlines) }

    /// Why the form cannot be sent yet (nil when it can).
    public var missing: String? {
        if trimmedCode.isEmpty { return "请输入登记码，或扫描登记二维码" }
        if trimmedServer.isEmpty && (scanned?.server.isEmpty ?? true) {
            return "请输入服务器地址，例如 https://zf.example.gov.cn"
        }
        let name = deviceName.trimmingCharacters(in: .whitespacesAndNewlines)
        if name.isEmpty {
            return "请填写设备名称"
        }
        if DeviceNaming.isGeneric(name) {
            return "「\(name)」无法区分本机，请填写能区分的设备名称，例如「李明的 iPhone」"
        }
        return nil
    }

    /// Whether the button is enabled.
    public var canSubmit: Bool { missing == nil && !submitting }

    /// The call to make. The scanned payload is sent as is while the officer has not
    /// changed the code or server it filled in; otherwise the typed values are sent.
    public func request() -> EnrollmentRequest? {
        guard missing == nil else { return nil }
        let name = deviceName.trimmingCharacters(in: .whitespacesAndNewlines)
        if let s = scanned, s.code == trimmedCode, s.server.isEmpty || s.server == trimmedServer {
            return EnrollmentRequest(
                codeOrQr: s.raw, serverUrl: trimmedServer.isEmpty ? nil : trimmedServer,
                deviceName: name)
        }
        return EnrollmentRequest(codeOrQr: trimmedCode, serverUrl: trimmedServer, deviceName: name)
    }
}

/// The device name an administrator sees for this phone. Since iOS 16
/// `UIDevice.current.name` is just 「iPhone」 for every phone, so the form is prefilled
/// with the hardware model and a short part of the device id, and the officer may type
/// a better one (issue 21).
public enum DeviceNaming {
    /// Names that do not tell two phones apart.
    static let generic: Set<String> = ["iphone", "ipad", "ipod touch", "ipod"]

    /// `iPhone15,4 · 3f9a2c` from the hardware model (`utsname.machine`) and the
    /// core's device id (its last six letters or digits).
    public static func defaultName(hardwareModel: String, deviceId: String) -> String {
        let model = hardwareModel.trimmingCharacters(in: .whitespacesAndNewlines)
        let short = String(deviceId.filter { $0.isLetter || $0.isNumber }.suffix(6)).lowercased()
        let base = model.isEmpty ? "iPhone" : model
        return short.isEmpty ? base : "\(base) · \(short)"
    }

    /// Whether `name` is only a generic model word (「iPhone」).
    public static func isGeneric(_ name: String) -> Bool {
        generic.contains(name.trimmingCharacters(in: .whitespacesAndNewlines).lowercased())
    }
}
