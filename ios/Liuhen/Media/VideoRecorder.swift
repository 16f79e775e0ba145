import AVFoundation
import LiuhenAppLogic
import UIKit

/// Records the identity notice on video with sound (录音录像, R-SCENE-3, R-REC-3).
///
/// QuickTime with movie fragments every 5 s: a file cut by a call or a kill is still
/// playable up to the last fragment. The screen is kept on while recording; a call,
/// another app taking the camera, or going to the background cuts the recording, and
/// `NoticeRecordingState` says what happened and what to do.
@MainActor
final class VideoRecorder: NSObject, ObservableObject, AVCaptureFileOutputRecordingDelegate {
    @Published private(set) var state = NoticeRecordingState(medium: .video)
    /// The recording file.
    private(set) var url: URL?

    let session = AVCaptureSession()
    private let output = AVCaptureMovieFileOutput()
    private let queue = DispatchQueue(label: "cn.liuhen.field.video")
    private var observers: [NSObjectProtocol] = []

    /// A new file in `directory`.
    static func newFile(in directory: URL) -> URL {
        directory.appendingPathComponent("notice-\(UUID().uuidString).mov")
    }

    /// Configures the camera and microphone; throws when either is unavailable.
    func prepare() throws {
        guard session.inputs.isEmpty else { return }
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        session.sessionPreset = .high
        guard let cam = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
              let mic = AVCaptureDevice.default(for: .audio)
        else { throw CocoaError(.featureUnsupported, userInfo: [NSLocalizedDescriptionKey: "本设备没有可用的相机或麦克风"]) }
        for input in [try AVCaptureDeviceInput(device: cam), try AVCaptureDeviceInput(device: mic)] where session.canAddInput(input) {
            session.addInput(input)
        }
        output.movieFragmentInterval = CMTime(seconds: 5, preferredTimescale: 600)
        if session.canAddOutput(output) { session.addOutput(output) }
        let center = NotificationCenter.default
        observers.append(center.addObserver(forName: AVCaptureSession.wasInterruptedNotification, object: session, queue: .main) { [weak self] note in
            let raw = note.userInfo?[AVCaptureSessionInterruptionReasonKey] as? Int
            let reason = raw.flatMap(AVCaptureSession.InterruptionReason.init(rawValue:))
            let why: NoticeRecordingState.InterruptionReason
            switch reason {
            case .audioDeviceInUseByAnotherClient: why = .call
            case .videoDeviceNotAvailableInBackground: why = .background
            default: why = .mediaServices
            }
            Task { @MainActor in self?.cut(why) }
        })
        observers.append(center.addObserver(forName: AVAudioSession.interruptionNotification, object: nil, queue: .main) { [weak self] note in
            let raw = note.userInfo?[AVAudioSessionInterruptionTypeKey] as? UInt
            guard raw == AVAudioSession.InterruptionType.began.rawValue else { return }
            Task { @MainActor in self?.cut(.call) }
        })
        let s = session
        queue.async { s.startRunning() }
    }

    /// Starts recording into `url` (saved in the step draft first by the caller).
    func start(url: URL) {
        self.url = url
        output.startRecording(to: url, recordingDelegate: self)
        state.start(at: Date())
        UIApplication.shared.isIdleTimerDisabled = state.keepsScreenOn
    }

    /// Stops; the delegate finishes the file.
    func stop() {
        state.stop(at: Date())
        output.stopRecording()
        UIApplication.shared.isIdleTimerDisabled = false
    }

    /// Tears down (leaving the step).
    func shutdown() {
        if output.isRecording { stop() }
        observers.forEach { NotificationCenter.default.removeObserver($0) }
        observers = []
        let s = session
        queue.async { s.stopRunning() }
    }

    private func cut(_ reason: NoticeRecordingState.InterruptionReason) {
        guard state.isRecording else { return }
        state.interrupt(reason, at: Date())
        UIApplication.shared.isIdleTimerDisabled = false
        if output.isRecording { output.stopRecording() }
    }

    nonisolated func fileOutput(
        _ output: AVCaptureFileOutput, didFinishRecordingTo outputFileURL: URL,
        from connections: [AVCaptureConnection], error: Error?
    ) {
        // AVErrorMaximumDurationReached etc. still leave a playable file; say so.
        guard let error else { return }
        let detail = error.localizedDescription
        Task { @MainActor in self.cut(.error(detail)) }
    }
}
