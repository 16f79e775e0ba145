import AVFoundation
import LiuhenAppLogic
import LiuhenCore
import SwiftUI
import VisionKit

/// Enrolment: scan the administrator's QR code, or type the server address and the
/// one-time code. Re-enrolment keeps every record on the device.
struct EnrollView: View {
    @EnvironmentObject private var model: AppModel
    @State private var form = EnrollmentForm(deviceName: UIDevice.current.name)
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
            Section("手动输入") {
                TextField("服务器地址，例如 https://zf.example.gov.cn", text: $form.serverUrl)
                    .keyboardType(.URL)
                    .textInputAutocapitalization(.never)
                    .autocorrectionDisabled()
                TextField("登记码", text: $form.code)
                    .textInputAutocapitalization(.characters)
                    .autocorrectionDisabled()
                TextField("设备名称", text: $form.deviceName)
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
        .sheet(isPresented: $scanning) {
            QRScannerView { text in
                scanning = false
                form.applyScan(text)
            }
            .ignoresSafeArea()
        }
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
struct QRScannerView: UIViewControllerRepresentable {
    /// Called once with the first QR payload read.
    let onScan: (String) -> Void

    /// Whether this device can scan (hardware supported and camera allowed).
    @MainActor static var isAvailable: Bool {
        DataScannerViewController.isSupported && DataScannerViewController.isAvailable
    }

    func makeUIViewController(context: Context) -> DataScannerViewController {
        let scanner = DataScannerViewController(
            recognizedDataTypes: [.barcode(symbologies: [.qr])],
            qualityLevel: .balanced,
            isHighlightingEnabled: true)
        scanner.delegate = context.coordinator
        try? scanner.startScanning()
        return scanner
    }

    func updateUIViewController(_ controller: DataScannerViewController, context: Context) {}

    static func dismantleUIViewController(_ controller: DataScannerViewController, coordinator: Coordinator) {
        controller.stopScanning()
    }

    func makeCoordinator() -> Coordinator { Coordinator(onScan: onScan) }

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
