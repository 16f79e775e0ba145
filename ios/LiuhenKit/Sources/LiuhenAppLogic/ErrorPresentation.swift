import Foundation
import LiuhenCore

/// What the screen offers after an error. The core decides *what* went wrong; this
/// only chooses the button the officer sees next to the message.
public enum ErrorAction: Equatable, Sendable {
    /// Nothing to do but read the message and try again.
    case dismiss
    /// Open the enrolment screen; every record stays on the device.
    case goToEnrollment
    /// Nothing to do now: it syncs by itself when the network is back.
    case waitForNetwork
    /// Free storage on the phone, then try the same step again.
    case freeStorage
    /// Continue the inspection already open for this task.
    case continueInspection(inspectionId: String)
    /// The inspection is closed: record an amendment instead (R-REC-5).
    case addAmendment(inspectionId: String)
    /// Show the unmet rules (closing refused) and go to the step that fixes them.
    case showUnmetRules
    /// Sync once to receive the roster and task list.
    case syncFirst
    /// Install the newer app version.
    case upgradeApp
    /// Open the system Settings app (a permission is off).
    case openSettings
    /// Tell the administrator; the message is also for the support log.
    case contactSupport
}

/// An error as one screen shows it: a title, the full message in Chinese, the unmet
/// rules (if any) and what to do next.
public struct ErrorPresentation: Equatable, Sendable {
    /// Short title of the alert or banner.
    public var title: String
    /// Full message; always a complete Chinese sentence.
    public var message: String
    /// Rule IDs that apply (e.g. `R-SCENE-2`), in the order the core gave them.
    public var ruleIds: [String]
    /// Every unmet rule with its message, when closing was refused.
    public var unmetRules: [RuleViolation]
    /// The field the message is about, when the core named one (highlight it).
    public var field: String?
    /// What the screen offers next.
    public var action: ErrorAction
    /// Whether the message must say that records on the device are intact. It is
    /// true for every error: nothing the officer recorded is dropped on an error.
    public var recordsKept: Bool

    /// Creates a presentation.
    public init(
        title: String,
        message: String,
        ruleIds: [String] = [],
        unmetRules: [RuleViolation] = [],
        field: String? = nil,
        action: ErrorAction,
        recordsKept: Bool = true
    ) {
        self.title = title
        self.message = message
        self.ruleIds = ruleIds
        self.unmetRules = unmetRules
        self.field = field
        self.action = action
        self.recordsKept = recordsKept
    }
}

/// Turns any error thrown by the core or by the app's own file handling into what
/// the screen shows. One place for every `LiuhenError` case, so no screen invents
/// its own wording.
public enum ErrorPresenter {
    /// The sentence appended where the officer might fear for their records.
    public static let recordsKeptNote = "本设备上已保存的记录全部保留，不会丢失。"

    /// Presentation of `error`.
    public static func present(_ error: Error) -> ErrorPresentation {
        if let e = error as? LiuhenError {
            return present(e)
        }
        if isStorageFull(error) {
            return storageFull(detail: "手机存储空间已满，本步骤未能保存。")
        }
        if let p = error as? PermissionDeniedError {
            let prompt = PermissionPolicy.deniedPrompt(for: p.permission)
            return ErrorPresentation(
                title: prompt.title, message: prompt.message, action: .openSettings)
        }
        return ErrorPresentation(
            title: "操作未完成",
            message: "\(error.localizedDescription)。\(recordsKeptNote)",
            action: .contactSupport)
    }

    /// Presentation of a core error.
    public static func present(_ error: LiuhenError) -> ErrorPresentation {
        switch error {
        case let .InvalidInput(field, detail):
            return ErrorPresentation(
                title: "请检查填写内容", message: detail, field: field, action: .dismiss)
        case let .RuleNotMet(rule, detail):
            return ErrorPresentation(
                title: "不符合执法规则（\(rule)）", message: withRule(rule, detail),
                ruleIds: [rule], action: .dismiss)
        case let .CloseRefused(violations, detail):
            let lines = violations.map { "• \(withRule($0.rule, $0.message))" }
            let message = ([detail.isEmpty ? "尚不能结束检查，以下规则未满足：" : detail] + lines)
                .joined(separator: "\n")
            return ErrorPresentation(
                title: "尚不能结束检查（\(violations.count) 项未满足）", message: message,
                ruleIds: violations.map(\.rule), unmetRules: violations,
                action: .showUnmetRules)
        case let .InspectionClosed(inspectionId, detail):
            return ErrorPresentation(
                title: "检查已结束", message: withRule("R-REC-5", detail), ruleIds: ["R-REC-5"],
                action: .addAmendment(inspectionId: inspectionId))
        case let .NotApplicable(detail):
            return ErrorPresentation(title: "无需重复操作", message: detail, action: .dismiss)
        case let .TaskAlreadyOpen(_, inspectionId, detail):
            return ErrorPresentation(
                title: "该任务已有进行中的检查", message: detail,
                action: .continueInspection(inspectionId: inspectionId))
        case let .TaskCancelled(_, reason, detail):
            let message = reason.isEmpty || detail.contains(reason) ? detail : "\(detail)（\(reason)）"
            return ErrorPresentation(title: "任务已取消", message: message, action: .dismiss)
        case let .NotFound(_, _, detail):
            return ErrorPresentation(title: "未找到", message: detail, action: .dismiss)
        case let .NoRoster(detail):
            return ErrorPresentation(
                title: "尚无执法人员名单和任务", message: "\(detail)\n请联网后点“立即同步”。",
                action: .syncFirst)
        case let .EvidenceRefused(detail):
            return ErrorPresentation(
                title: "证据文件未被接收", message: "\(detail)\n请重新拍摄或录制。", action: .dismiss)
        case let .StorageFull(detail):
            return storageFull(detail: detail)
        case let .DataDamaged(detail):
            return ErrorPresentation(
                title: "数据校验未通过",
                message: "\(detail)\n未做任何更改。请勿删除应用，并联系系统管理员。",
                action: .contactSupport)
        case let .UpgradeRequired(detail):
            return ErrorPresentation(
                title: "需要升级应用", message: "\(detail)\n\(recordsKeptNote)", action: .upgradeApp)
        case let .NotEnrolled(detail):
            return ErrorPresentation(
                title: "设备尚未登记", message: "\(detail)\n\(recordsKeptNote)",
                action: .goToEnrollment)
        case let .ReEnrollRequired(_, detail):
            let kept = detail.contains("保留") ? detail : "\(detail)\n\(recordsKeptNote)"
            return ErrorPresentation(
                title: "需要重新登记设备",
                message: "\(kept)\n同步已暂停，重新登记后自动继续。",
                action: .goToEnrollment)
        case let .Offline(detail):
            return ErrorPresentation(
                title: "已保存，联网后自动同步", message: detail, action: .waitForNetwork)
        case let .ServerRejected(status, code, detail):
            return ErrorPresentation(
                title: "服务器拒绝了请求",
                message: "\(detail)（\(status) \(code)）\n\(recordsKeptNote)",
                action: .contactSupport)
        case let .Internal(detail):
            return ErrorPresentation(
                title: "应用内部错误", message: "\(detail)\n\(recordsKeptNote)",
                action: .contactSupport)
        default:
            // A case added to the bindings after this file (e.g. CredentialsRefused,
            // in progress in bindings/): show the core's own Chinese message.
            return laterCase(error)
        }
    }

    /// Presentation of a `LiuhenError` case this file does not name yet: its `detail`
    /// (every case carries one) read by reflection.
    static func laterCase(_ error: LiuhenError) -> ErrorPresentation {
        let mirror = Mirror(reflecting: error)
        let name = mirror.children.first?.label ?? ""
        var detail = ""
        if let payload = mirror.children.first?.value {
            for child in Mirror(reflecting: payload).children where child.label == "detail" {
                detail = child.value as? String ?? ""
            }
        }
        if name == "CredentialsRefused" {
            return ErrorPresentation(
                title: "登记被拒绝",
                message: "\(detail)\n请核对登记码或账号密码；登记码只能使用一次，过期请向管理员重新获取。",
                action: .dismiss)
        }
        return ErrorPresentation(
            title: "操作未完成",
            message: detail.isEmpty ? "操作未完成。\(recordsKeptNote)" : "\(detail)\n\(recordsKeptNote)",
            action: .contactSupport)
    }

    /// Whether `error` (from the app's own file writes, e.g. a photo or a signature
    /// image written before it is handed to the core) is a full disk.
    public static func isStorageFull(_ error: Error) -> Bool {
        let ns = error as NSError
        // NSFileWriteOutOfSpaceError = 640 in NSCocoaErrorDomain; ENOSPC = 28.
        if ns.domain == NSCocoaErrorDomain && ns.code == 640 { return true }
        if ns.domain == NSPOSIXErrorDomain && ns.code == Int(ENOSPC) { return true }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? Error {
            return isStorageFull(underlying)
        }
        return false
    }

    private static func storageFull(detail: String) -> ErrorPresentation {
        ErrorPresentation(
            title: "存储空间已满",
            message: "\(detail)\n本步骤未写入，之前保存的记录完好无损；已填写的内容仍保留在页面上。"
                + "请在“设置 > 通用 > iPhone 储存空间”中清理空间后重试。",
            action: .freeStorage)
    }

    /// `detail` starting with its rule ID (the core usually does this already).
    public static func withRule(_ rule: String, _ detail: String) -> String {
        detail.hasPrefix(rule) ? detail : "\(rule)：\(detail)"
    }
}
