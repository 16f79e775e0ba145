import AVFoundation
import LiuhenAppLogic
import LiuhenCore
import SwiftUI
import VisionKit

/// Enrolment: scan the administrator's QR code, or type the server address and the
/// one-time code. Re-enrolment keeps every record on the device.
struct EnrollView: View {
    @EnvironmentObject private var model: AppModel
    // iOS 16+ names every phone 「iPhone」: prefill model + short device id (issue 21).
    @State private var form = EnrollmentForm(deviceName: "")
    @State private var scanning = false
    @State private var cameraPrompt: PermissionPrompt?

    var body: some View {
        Form {
            if model.blockedForReEnrollment {
                Section {
                    Text("服务器已不再接受本设备（令牌被吊销或设备未知）。本设备上的全部记录均已保留，重新登记后自动继续同步。")
                        .foregroundStyle(.orange)
                }
            }
            Section {
                Button {
                    Task { await startScan() }
                } label: {
                    Label("扫描登记二维码", systemImage: "qrcode.viewfinder")
                }
                if let message = form.scanMessage {
                    Text(message).foregroundStyle(.red).font(.footnote)
                }
                if let prompt = cameraPrompt {
                    PermissionNotice(prompt: prompt)
                }
            } footer: {
                Text("管理员在服务器的设备登记页面上显示二维码。")
            }
            Section {
                TextField("服务器地址，例如 https://zf.example.gov.cn", text: $form.serverUrl)
                    .keyboardType(.URL)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                TextField("登记码", text: $form.code)
                    .textInputAutocapitalization(.characters)
                    .autocorrectionDisabled()
                TextField("设备名称（管理员据此区分各台手机）", text: $form.deviceName)
                    .accessibilityLabel("设备名称")
            } header: {
                Text("手动输入")
            } footer: {
                Text("可改为例如「李明的 iPhone」；默认值为机型和设备编号后六位。")
            }
            Section {
                Button {
                    Task { await submit() }
                } label: {
                    HStack {
                        Text(form.submitting ? "正在登记…" : "登记本设备")
                        if form.submitting { Spacer(); ProgressView() }
                    }
                }
                .disabled(!form.canSubmit)
                if let missing = form.missing {
                    Text(missing).font(.footnote).foregroundStyle(.secondary)
                }
            } footer: {
                if let id = model.core?.deviceId() {
                    Text("设备编号：\(id)")
                }
            }
        }
        .navigationTitle("设备登记")
        .onAppear {
            if form.deviceName.isEmpty {
                form.deviceName = DeviceNaming.defaultName(
                    hardwareModel: Self.hardwareModel(), deviceId: model.core?.deviceId() ?? "")
            }
        }
        .sheet(isPresented: $scanning) {
            QRScannerView { text in
                scanning = false
                form.applyScan(text)
            }
            .ignoresSafeArea()
        }
    }

    /// The hardware model identifier, e.g. `iPhone15,4` (the simulator reports its host's).
    private static func hardwareModel() -> String {
        var info = utsname()
        uname(&info)
        let machine = withUnsafeBytes(of: &info.machine) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return machine.isEmpty ? UIDevice.current.model : machine
    }

    private func startScan() async {
        let status = CameraAccess.status(for: .camera)
        let decision = PermissionPolicy.decide(.camera, status)
        switch decision {
        case .proceed:
            cameraPrompt = nil
        case .request:
            guard await CameraAccess.request(.camera) else {
                cameraPrompt = PermissionPolicy.deniedPrompt(for: .camera)
                return
            }
        case let .explain(prompt):
            cameraPrompt = prompt
            return
        }
        guard QRScannerView.isAvailable else {
            cameraPrompt = PermissionPrompt(
                title: "此设备无法扫码", message: "此设备不支持扫描二维码，请手动输入服务器地址和登记码。",
                offersSettings: false, alternative: nil)
            return
        }
        scanning = true
    }

    private func submit() async {
        guard let request = form.request() else { return }
        form.submitting = true
        defer { form.submitting = false }
        do {
            try await model.enroll(request)
        } catch {
            model.error = ErrorPresenter.present(error)
        }
    }
}

/// The explanation of a permission that is off, with the Settings button.
struct PermissionNotice: View {
    @EnvironmentObject private var model: AppModel
    let prompt: PermissionPrompt
    var alternative: (() -> Void)?

    var body: some View {
        VStack(alignment: .leading, spacing: 8) {
            Text(prompt.title).font(.headline)
            Text(prompt.message).font(.footnote)
            HStack {
                if prompt.offersSettings {
                    Button("打开设置") { model.openSettings() }.buttonStyle(.bordered)
                }
                if let label = prompt.alternative, let alternative {
                    Button(label, action: alternative).buttonStyle(.bordered)
                }
            }
        }
        .padding(.vertical, 4)
    }
}

/// A QR code scanner on VisionKit's DataScannerViewController (iOS 16, A12 or later).
/// Scanning starts only once the sheet is on screen (`viewDidAppear`), as VisionKit
/// requires, and stops when it leaves (issue 21: it used to start before presentation).
struct QRScannerView: UIViewControllerRepresentable {
    /// Called once with the first QR payload read.
    let onScan: (String) -> Void

    /// Whether this device can scan (hardware supported and camera allowed).
    @MainActor static var isAvailable: Bool {
        DataScannerViewController.isSupported && DataScannerViewController.isAvailable
    }

    func makeUIViewController(context: Context) -> ScannerHost {
        let scanner = DataScannerViewController(
            recognizedDataTypes: [.barcode(symbologies: [.qr])],
            qualityLevel: .balanced,
            isHighlightingEnabled: true)
        scanner.delegate = context.coordinator
        return ScannerHost(scanner: scanner)
    }

    func updateUIViewController(_ controller: ScannerHost, context: Context) {}

    func makeCoordinator() -> Coordinator { Coordinator(onScan: onScan) }

    /// Holds the scanner as a child and starts it once presented.
    final class ScannerHost: UIViewController {
        let scanner: DataScannerViewController
        /// Set when scanning could not start (camera busy or unavailable).
        private(set) var startError: Error?

        init(scanner: DataScannerViewController) {
            self.scanner = scanner
            super.init(nibName: nil, bundle: nil)
        }

        @available(*, unavailable)
        required init?(coder: NSCoder) { nil }

        override func viewDidLoad() {
            super.viewDidLoad()
            addChild(scanner)
            scanner.view.frame = view.bounds
            scanner.view.autoresizingMask = [.flexibleWidth, .flexibleHeight]
            view.addSubview(scanner.view)
            scanner.didMove(toParent: self)
            view.accessibilityLabel = "二维码取景框，请对准管理员页面上的登记二维码"
        }

        override func viewDidAppear(_ animated: Bool) {
            super.viewDidAppear(animated)
            do {
                try scanner.startScanning()
            } catch {
                startError = error
            }
        }

        override func viewWillDisappear(_ animated: Bool) {
            super.viewWillDisappear(animated)
            scanner.stopScanning()
        }
    }

    final class Coordinator: NSObject, DataScannerViewControllerDelegate {
        private let onScan: (String) -> Void
        private var done = false

        init(onScan: @escaping (String) -> Void) { self.onScan = onScan }

        func dataScanner(_ dataScanner: DataScannerViewController, didAdd addedItems: [RecognizedItem], allItems: [RecognizedItem]) {
            guard !done else { return }
            for item in addedItems {
                if case let .barcode(code) = item, let text = code.payloadStringValue {
                    done = true
                    dataScanner.stopScanning()
                    onScan(text)
                    return
                }
            }
        }
    }
}
