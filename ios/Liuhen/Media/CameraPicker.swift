import AVFoundation
import LiuhenAppLogic
import SwiftUI
import UIKit

/// The site camera for evidence photos: AVCapturePhotoOutput, whose
/// `fileDataRepresentation()` is the file the camera wrote (JPEG with its EXIF:
/// capture time, lens, orientation). The bytes are handed on untouched — never decoded
/// into a UIImage and encoded again, which would strip EXIF and make the evidence a
/// copy rather than the original (issue 21).
struct CameraPicker: UIViewControllerRepresentable {
    /// Called with the photo as the camera wrote it, or nil when cancelled/failed.
    let onFinish: (CapturedPhoto?) -> Void

    /// Whether the device has a back camera (the simulator has none).
    static var isAvailable: Bool { AVCaptureDevice.default(for: .video) != nil }

    func makeUIViewController(context: Context) -> PhotoCaptureController {
        PhotoCaptureController(onFinish: onFinish)
    }

    func updateUIViewController(_ controller: PhotoCaptureController, context: Context) {}
}

/// A viewfinder with a shutter and a cancel button. The session starts once the view
/// is on screen and stops when it leaves.
final class PhotoCaptureController: UIViewController, AVCapturePhotoCaptureDelegate {
    private let onFinish: (CapturedPhoto?) -> Void
    private let session = AVCaptureSession()
    private let output = AVCapturePhotoOutput()
    private let sessionQueue = DispatchQueue(label: "cn.liuhen.field.camera")
    private var preview: AVCaptureVideoPreviewLayer?
    private var finished = false

    init(onFinish: @escaping (CapturedPhoto?) -> Void) {
        self.onFinish = onFinish
        super.init(nibName: nil, bundle: nil)
    }

    @available(*, unavailable)
    required init?(coder: NSCoder) { nil }

    override func viewDidLoad() {
        super.viewDidLoad()
        view.backgroundColor = .black
        session.beginConfiguration()
        session.sessionPreset = .photo
        if let device = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: .back),
           let input = try? AVCaptureDeviceInput(device: device),
           session.canAddInput(input), session.canAddOutput(output)
        {
            session.addInput(input)
            session.addOutput(output)
        }
        session.commitConfiguration()
        let layer = AVCaptureVideoPreviewLayer(session: session)
        layer.videoGravity = .resizeAspect
        view.layer.addSublayer(layer)
        preview = layer

        let shutter = UIButton(type: .system)
        shutter.setImage(UIImage(systemName: "circle.inset.filled"), for: .normal)
        shutter.tintColor = .white
        shutter.setPreferredSymbolConfiguration(.init(pointSize: 64), forImageIn: .normal)
        shutter.accessibilityLabel = "拍照"
        shutter.addTarget(self, action: #selector(takePhoto), for: .touchUpInside)
        let cancel = UIButton(type: .system)
        cancel.setTitle("取消", for: .normal)
        cancel.titleLabel?.font = .preferredFont(forTextStyle: .title3)
        cancel.titleLabel?.adjustsFontForContentSizeCategory = true
        cancel.tintColor = .white
        cancel.addTarget(self, action: #selector(cancelTapped), for: .touchUpInside)
        for b in [shutter, cancel] {
            b.translatesAutoresizingMaskIntoConstraints = false
            view.addSubview(b)
        }
        NSLayoutConstraint.activate([
            shutter.centerXAnchor.constraint(equalTo: view.centerXAnchor),
            shutter.bottomAnchor.constraint(equalTo: view.safeAreaLayoutGuide.bottomAnchor, constant: -16),
            cancel.leadingAnchor.constraint(equalTo: view.safeAreaLayoutGuide.leadingAnchor, constant: 20),
            cancel.centerYAnchor.constraint(equalTo: shutter.centerYAnchor),
        ])
    }

    override func viewDidLayoutSubviews() {
        super.viewDidLayoutSubviews()
        preview?.frame = view.bounds
    }

    override func viewDidAppear(_ animated: Bool) {
        super.viewDidAppear(animated)
        let session = session
        sessionQueue.async { session.startRunning() }
    }

    override func viewWillDisappear(_ animated: Bool) {
        super.viewWillDisappear(animated)
        let session = session
        sessionQueue.async { session.stopRunning() }
    }

    @objc private func takePhoto() {
        // JPEG: the core reads its EXIF; the settings ask for nothing that re-encodes.
        let settings = output.availablePhotoCodecTypes.contains(.jpeg)
            ? AVCapturePhotoSettings(format: [AVVideoCodecKey: AVVideoCodecType.jpeg])
            : AVCapturePhotoSettings()
        output.capturePhoto(with: settings, delegate: self)
    }

    @objc private func cancelTapped() { finish(nil) }

    nonisolated func photoOutput(
        _ output: AVCapturePhotoOutput, didFinishProcessingPhoto photo: AVCapturePhoto, error: Error?
    ) {
        // The file the camera wrote, EXIF included.
        let data = error == nil ? photo.fileDataRepresentation() : nil
        Task { @MainActor in
            self.finish(data.map { CapturedPhoto(data: $0, mediaType: CapturedPhoto.sniffMediaType($0)) })
        }
    }

    @MainActor private func finish(_ photo: CapturedPhoto?) {
        guard !finished else { return }
        finished = true
        onFinish(photo)
    }
}
