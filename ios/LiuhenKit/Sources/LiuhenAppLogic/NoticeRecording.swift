import Foundation

/// How the identity notice (亮证告知, R-SCENE-3, R-REC-3) is recorded.
public enum NoticeMedium: String, Equatable, Sendable, Codable, CaseIterable {
    /// Audio only (ADTS AAC).
    case audio
    /// Video with sound (录音录像; QuickTime with movie fragments).
    case video

    /// Label of the choice.
    public var label: String { self == .audio ? "录音" : "录像" }
    /// Media type handed to the core.
    public var mediaType: String { self == .audio ? "audio/aac" : "video/quicktime" }
}

/// The recorder screen of the identity notice: what is shown, whether the screen must
/// stay on, and what happens when a call or the system interrupts.
public struct NoticeRecordingState: Equatable, Sendable {
    /// Phase of the recording.
    public enum Phase: Equatable, Sendable {
        /// Nothing recorded yet.
        case idle
        /// Recording since `started` (device clock).
        case recording(started: Date)
        /// Stopped by the officer: the file is ready to hand to the core.
        case finished(seconds: Int)
        /// Cut by a call, Siri, another app taking the camera, or an error. What was
        /// recorded up to then is in the file (ADTS / movie fragments survive a cut).
        case interrupted(seconds: Int, reason: InterruptionReason)
    }

    /// Why a recording was cut.
    public enum InterruptionReason: Equatable, Sendable {
        /// An incoming or outgoing phone call.
        case call
        /// Another app or Siri took the camera or microphone.
        case mediaServices
        /// The app went to the background (video cannot record there).
        case background
        /// A recording error.
        case error(String)
    }

    /// Audio or video.
    public var medium: NoticeMedium
    /// Current phase.
    public var phase: Phase = .idle

    /// A new state.
    public init(medium: NoticeMedium = .video) { self.medium = medium }

    /// Starts at `now`.
    public mutating func start(at now: Date) { phase = .recording(started: now) }

    /// Stops at `now` (officer pressed stop).
    public mutating func stop(at now: Date) {
        if case let .recording(started) = phase { phase = .finished(seconds: Self.seconds(started, now)) }
    }

    /// The system cut the recording at `now`.
    public mutating func interrupt(_ reason: InterruptionReason, at now: Date) {
        if case let .recording(started) = phase {
            phase = .interrupted(seconds: Self.seconds(started, now), reason: reason)
        }
    }

    /// Whether recording is under way.
    public var isRecording: Bool {
        if case .recording = phase { return true }
        return false
    }

    /// Whether the screen must be kept on (`isIdleTimerDisabled`): while recording, so
    /// the phone does not lock mid-notice.
    public var keepsScreenOn: Bool { isRecording }

    /// The visible timer, e.g. 「● 录像中 01:23」, at `now`; nil when not recording.
    public func timer(at now: Date) -> String? {
        guard case let .recording(started) = phase else { return nil }
        let s = Self.seconds(started, now)
        return String(format: "● %@中 %02d:%02d", medium.label, s / 60, s % 60)
    }

    /// Accessibility value of the timer (VoiceOver reads minutes and seconds).
    public func timerAccessibility(at now: Date) -> String? {
        guard case let .recording(started) = phase else { return nil }
        let s = Self.seconds(started, now)
        return "正在\(medium.label)，已 \(s / 60) 分 \(s % 60) 秒"
    }

    /// What the screen says after an interruption; the recorded part is kept and can
    /// be saved, but the notice must be given again in full on a new recording.
    public var interruptionMessage: String? {
        guard case let .interrupted(seconds, reason) = phase else { return nil }
        let why: String
        switch reason {
        case .call: why = "来电中断了\(medium.label)"
        case .mediaServices: why = "其他应用或 Siri 占用了相机或麦克风，\(medium.label)已中断"
        case .background: why = "应用切到后台，\(medium.label)已中断"
        case let .error(detail): why = "\(medium.label)出错（\(detail)）"
        }
        return "\(why)。已录制的 \(seconds) 秒已保存在本机，可作为证据保存；亮证告知须完整录制，请重新开始\(medium.label)并重新宣读。"
    }

    private static func seconds(_ a: Date, _ b: Date) -> Int { max(0, Int(b.timeIntervalSince(a))) }
}
