import AVFoundation
import Foundation

/// Records the spoken identity notice with AVAudioRecorder.
///
/// The file is AAC in an ADTS stream (`.aac`): unlike an `.m4a`, whose index is written
/// only when recording stops, an ADTS file killed half-way is still playable up to the
/// last frame, so a recording survives the app being killed. It is written into the
/// app's capture directory and its path saved in the step draft before recording starts.
@MainActor
final class AudioRecorder: NSObject, ObservableObject, AVAudioRecorderDelegate {
    /// Media type handed to the core with the file.
    static let mediaType = "audio/aac"

    @Published private(set) var isRecording = false
    @Published private(set) var elapsed: TimeInterval = 0
    /// Set when the system interrupted or stopped the recording (a call, an error).
    @Published private(set) var interruption: String?

    private var recorder: AVAudioRecorder?
    private var ticker: Timer?

    /// A new file for a recording in `directory`.
    static func newFile(in directory: URL) -> URL {
        directory.appendingPathComponent("notice-\(UUID().uuidString).aac")
    }

    /// Starts recording into `url`. Throws when the session or the file cannot be
    /// opened (e.g. the disk is full); the caller presents the error.
    func start(url: URL) throws {
        let session = AVAudioSession.sharedInstance()
        try session.setCategory(.record, mode: .spokenAudio, options: [])
        try session.setActive(true)
        let settings: [String: Any] = [
            AVFormatIDKey: kAudioFormatMPEG4AAC,
            AVSampleRateKey: 44_100,
            AVNumberOfChannelsKey: 1,
            AVEncoderAudioQualityKey: AVAudioQuality.high.rawValue,
        ]
        let r = try AVAudioRecorder(url: url, settings: settings)
        r.delegate = self
        guard r.record() else {
            throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: "录音无法开始"])
        }
        recorder = r
        interruption = nil
        isRecording = true
        elapsed = 0
        ticker = Timer.scheduledTimer(withTimeInterval: 0.5, repeats: true) { [weak self] _ in
            Task { @MainActor in self?.elapsed = self?.recorder?.currentTime ?? 0 }
        }
    }

    /// Stops; returns the file.
    @discardableResult
    func stop() -> URL? {
        let url = recorder?.url
        recorder?.stop()
        recorder = nil
        ticker?.invalidate()
        ticker = nil
        isRecording = false
        try? AVAudioSession.sharedInstance().setActive(false, options: .notifyOthersOnDeactivation)
        return url
    }

    nonisolated func audioRecorderDidFinishRecording(_ recorder: AVAudioRecorder, successfully flag: Bool) {
        Task { @MainActor in
            if !flag { self.interruption = "录音被系统中断，已录制的部分已保存，可重新录制。" }
            self.isRecording = false
        }
    }

    nonisolated func audioRecorderEncodeErrorDidOccur(_ recorder: AVAudioRecorder, error: Error?) {
        Task { @MainActor in
            self.interruption = "录音出错：\(error?.localizedDescription ?? "未知错误")。已录制的部分已保存。"
            self.isRecording = false
        }
    }
}
